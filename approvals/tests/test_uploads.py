"""Uploads against hostile files (the corpus in approvals/tests/hostile_files.py): what is
refused, with which message, and what the copy people are given keeps of what is accepted.
Where the filter used to pass a file, the test shows that first."""

import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pikepdf
import pypdf
import pytest
import weasyprint.images
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DataError, transaction
from PIL import ExifTags, Image, ImageFile

from approvals import disarm, file_checks, workflow
from approvals.attachments import attachment_store
from approvals.models import Attachment
from approvals.uploads import check_upload, display_name
from core.errors import ValidationFailed

from .hostile_files import (
    ACTING_NAMES,
    ACTIVE_PDFS,
    CAMERA_MODEL,
    DISARMED_PDFS,
    FILLED_IN_NAME,
    GPS,
    JPEG_METADATA,
    OUTWARD_PDFS,
    TRAILING_DATA,
    UNREADABLE_PDFS,
    corrupt,
    document,
    encrypted_pdf,
    image_bytes,
    jpeg_declaring,
    jpeg_markers,
    largest_image,
    pdf_names,
    pdf_page_texts,
    pdf_warnings,
    pdf_with_object_stream,
    pdf_with_script_in_object_stream,
    photo,
    png_chunk_types,
    png_declaring,
    pypdf_document,
    srgb_profile,
    truncated_jpeg,
    zip_bomb,
)

SPEC = {"key": "floor_plan", "kind": "file", "accept": ["application/pdf", "image/png", "image/jpeg"], "max_size_mb": 1}

NOT_ACCEPTED = "Upload the floor plan as a PDF, PNG or JPEG file."
SVG_REFUSED = "Upload the floor plan as a PDF, PNG or JPEG file. SVG images are not accepted, because they can contain scripts."
PDF_UNREADABLE = "The PDF could not be read. It may be damaged: please save or export it again as a PDF and upload the new file."
PDF_ENCRYPTED = "The PDF is password-protected. Please upload a copy that opens without a password."
PDF_TOO_COMPLEX = "The PDF is too complex for us to check. Please save it as a simpler or shorter PDF and upload it again."
PDF_ACTIVE = ("The PDF contains active content (scripts, automatic actions, embedded files, multimedia or XFA forms), "
              "which we do not accept. Please print it to a new PDF and upload that file.")
IMAGE_TOO_LARGE = ("The image is too large: it may be at most 10000 pixels wide, 10000 pixels high and 40 megapixels "
                   "in total. Please reduce its size and upload it again.")
IMAGE_UNREADABLE = "The image could not be read. It may be damaged or incomplete: please save it again and upload the new file."
PDF_OUTWARD = ("The PDF contains links or actions that reach outside the document (web addresses, other files, "
               "sending form data, sound or video), which we do not accept. Please print it to a new PDF and upload "
               "that file.")


def upload(content: bytes, name="plan.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def refusal(content: bytes, spec=SPEC, **kwargs) -> list[str]:
    with pytest.raises(ValidationFailed) as excinfo:
        check_upload(spec, upload(content, **kwargs), existing_count=0)
    assert set(excinfo.value.errors) == {spec["key"]}
    return excinfo.value.errors[spec["key"]]


# --- Accepted files --------------------------------------------------------------------------------


@pytest.mark.parametrize("content, content_type", [
    (pypdf_document(), "application/pdf"),
    (document(b"/OpenAction [3 0 R /Fit]", b"/Annots [4 0 R]",
              b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /GoTo /D [3 0 R /XYZ 0 0 2] >> >>"),
     "application/pdf"),
    (image_bytes("PNG"), "image/png"),
    (image_bytes("JPEG"), "image/jpeg"),
], ids=["pdf", "pdf with links inside itself", "png", "jpeg"])
def test_valid_files_are_accepted_with_their_metadata_and_a_disarmed_copy(content, content_type):
    meta = check_upload(SPEC, upload(content, name="scan.bin", content_type="application/octet-stream"), existing_count=0)
    copy = meta.pop("disarmed")
    assert meta == {"content_type": content_type, "size": len(content), "sha256": hashlib.sha256(content).hexdigest(),
                    "original_name": "scan.bin"}
    assert copy == disarm.disarmed(content, content_type)


def test_the_largest_image_accepted_is_read_whole():
    """40 megapixels in a few kilobytes (a decompression bomb as far as the size allows): read,
    and written again, within the limit."""
    content = largest_image()
    assert len(content) < 20_000
    meta = check_upload(SPEC, upload(content, name="plan.png"))
    assert meta["content_type"] == "image/png"
    with Image.open(io.BytesIO(meta["disarmed"])) as copy:
        assert (copy.size, copy.mode) == ((10_000, 4_000), "1")


def test_content_decides_not_the_name_or_browser_type():
    meta = check_upload(SPEC, upload(image_bytes("PNG"), name="plan.pdf", content_type="application/pdf"))
    assert meta["content_type"] == "image/png"
    pdf_only = {**SPEC, "accept": ["application/pdf"]}
    assert refusal(image_bytes("PNG"), spec=pdf_only) == ["Upload the floor plan as a PDF file."]


# --- Wrong type, whatever the name -----------------------------------------------------------------


@pytest.mark.parametrize("content", [
    b"This is a plain text file that someone renamed.\n",
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48,
    b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 40,
    b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
], ids=["text", "windows executable", "elf executable", "html"])
def test_a_file_renamed_to_pdf_is_refused(content):
    assert refusal(content, name="plan.pdf", content_type="application/pdf") == [NOT_ACCEPTED]


def test_zip_bomb_is_refused_without_decompressing_anything(monkeypatch):
    bomb = zip_bomb()
    assert len(bomb) < 50_000  # 20 MB inside

    def never(*args, **kwargs):
        raise AssertionError("something tried to decompress the upload")

    monkeypatch.setattr(zipfile, "ZipFile", never)
    monkeypatch.setattr(zlib, "decompress", never)
    monkeypatch.setattr(zlib, "decompressobj", never)
    assert refusal(bomb, name="plan.pdf") == [NOT_ACCEPTED]


def test_empty_and_oversized_files_are_refused():
    assert refusal(b"") == ["The file you chose is empty. Upload the floor plan again."]
    assert refusal(b"%PDF-1.4\n" + b"0" * (1024 * 1024)) == ["Upload the floor plan as a file of 1 MB or less."]


def test_too_many_files():
    with pytest.raises(ValidationFailed) as excinfo:
        check_upload(SPEC, upload(pypdf_document()), existing_count=5)
    assert excinfo.value.errors == {"floor_plan": [
        "You can attach at most 5 files to the floor plan. Remove one before you upload another."]}


# --- SVG -------------------------------------------------------------------------------------------

SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
SVG_PLAIN = (b'<?xml version="1.0"?>\n'
             b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><rect width="9" height="9"/></svg>')
SVG_NO_NAMESPACE = b'<svg onload="alert(1)"><circle r="4"/></svg>'


@pytest.mark.parametrize("content", [SVG_WITH_SCRIPT, SVG_PLAIN, SVG_NO_NAMESPACE], ids=["script", "plain", "no namespace"])
@pytest.mark.parametrize("name, content_type", [("plan.svg", "image/svg+xml"), ("plan.png", "image/png")])
def test_svg_is_never_accepted(content, name, content_type):
    assert refusal(content, name=name, content_type=content_type) == [SVG_REFUSED]


def test_svg_is_refused_even_when_the_catalogue_lists_it():
    spec = {**SPEC, "accept": ["image/svg+xml", "image/png"]}
    assert refusal(SVG_WITH_SCRIPT, spec=spec, name="logo.svg") == [
        "Upload the floor plan as a PNG file. SVG images are not accepted, because they can contain scripts."]
    only_svg = {**SPEC, "accept": ["image/svg+xml"]}
    assert refusal(SVG_PLAIN, spec=only_svg, name="logo.svg") == [
        "No kind of file can be accepted here. Please contact the service."]


# --- PDF -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("build", ACTIVE_PDFS.values(), ids=ACTIVE_PDFS.keys())
def test_pdf_with_active_content_is_refused(build):
    assert refusal(build()) == [PDF_ACTIVE]


def test_byte_scan_and_document_walk_each_catch_what_the_other_cannot():
    hidden_in_stream = pdf_with_script_in_object_stream()
    assert file_checks.active_names_in_bytes(hidden_in_stream) == set()
    assert file_checks.active_names_in_document(pypdf.PdfReader(io.BytesIO(hidden_in_stream))) == {"JavaScript", "JS"}

    beyond_listed = ACTIVE_PDFS["script in a compressed object stream after its listed objects"]()
    assert file_checks.active_names_in_bytes(beyond_listed) == set()
    assert file_checks.active_names_in_document(pypdf.PdfReader(io.BytesIO(beyond_listed))) == {"JavaScript", "JS"}

    outside_xref = ACTIVE_PDFS["script in an object outside the cross-reference table"]()
    assert file_checks.active_names_in_document(pypdf.PdfReader(io.BytesIO(outside_xref))) == set()
    assert file_checks.active_names_in_bytes(outside_xref) == {"JavaScript", "JS"}


def test_byte_scan_reads_whole_name_tokens_with_escapes_undone():
    scan = file_checks.active_names_in_bytes
    assert scan(b"/S/JavaScript/JS(x)") == {"JavaScript", "JS"}
    assert scan(b"/#4A#61#76#61#53#63#72#69#70#74 /Ja#76aScript\n/A#41[") == {"JavaScript", "AA"}
    assert scan(b"/JSans /AAA /JavaScripts /EFx /Launcher (JavaScript) /javascript") == set()


@pytest.mark.parametrize("user_password", ["secret", ""], ids=["user password", "owner password only"])
def test_encrypted_pdf_is_refused(user_password):
    assert refusal(encrypted_pdf(user_password)) == [PDF_ENCRYPTED]


@pytest.mark.parametrize("content", UNREADABLE_PDFS.values(), ids=UNREADABLE_PDFS.keys())
def test_pdf_that_cannot_be_read_is_refused(content):
    assert refusal(content) == [PDF_UNREADABLE]


def test_pdf_object_stream_bomb_is_refused(monkeypatch):
    bomb = pdf_with_object_stream(b"[" + b"0 " * 5_000_000 + b"]")
    assert len(bomb) < 20_000  # 10 MB once inflated
    assert refusal(bomb) == [PDF_TOO_COMPLEX]  # over MAX_PDF_STREAM_BYTES (8 MB) for one stream
    monkeypatch.setattr(file_checks, "MAX_PDF_STREAM_BYTES", 20_000_000)
    monkeypatch.setattr(file_checks, "MAX_PDF_DECODED_BYTES", 9_000_000)
    assert refusal(bomb) == [PDF_TOO_COMPLEX]  # over the budget for all object streams


def test_pdf_with_too_many_objects_is_refused(monkeypatch):
    monkeypatch.setattr(file_checks, "MAX_PDF_OBJECTS", 3)
    assert refusal(document(b"", b"", b"<< /Unused true >>")) == [PDF_TOO_COMPLEX]
    monkeypatch.setattr(file_checks, "MAX_PDF_OBJECTS", 4)
    assert check_upload(SPEC, upload(document(b"", b"", b"<< /Unused true >>")))["content_type"] == "application/pdf"


def test_pdf_declaring_a_million_cross_reference_entries_is_refused():
    rows = struct.pack(">BIH", 0, 0, 65535) + struct.pack(">BIH", 1, 9, 0) * 1_000_000
    table = zlib.compress(rows, 9)
    bomb = (b"%%PDF-1.7\n1 0 obj\n<< /Type /XRef /Size 1000001 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length %d >>"
            b"\nstream\n%s\nendstream\nendobj\nstartxref\n9\n%%%%EOF\n" % (len(table), table))
    assert len(bomb) < 20_000
    assert refusal(bomb) == [PDF_TOO_COMPLEX]


def test_pdf_declaring_too_many_objects_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(file_checks, "MAX_PDF_OBJECTS", 10)
    monkeypatch.setattr(pypdf, "PdfReader", None)  # never reached
    assert refusal(document(b"", b"", *[b"<< /N %d >>" % i for i in range(30)])) == [PDF_TOO_COMPLEX]


def test_compressed_data_is_not_mistaken_for_names():
    image = b"/JS /AA\n/EF(" + bytes(range(256)) * 8
    xobject = b"<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /BitsPerComponent 8 /ColorSpace /DeviceGray " \
              b"/Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (len(image), image)
    content = document(b"", b"/Resources << /XObject << /Im0 4 0 R >> >>", xobject)
    assert file_checks.active_names_in_bytes(content) == set()
    assert check_upload(SPEC, upload(content))["content_type"] == "application/pdf"
    unfiltered = content.replace(b"/Filter /FlateDecode", b"")
    assert file_checks.active_names_in_bytes(unfiltered) == {"JS", "AA", "EF"}


def test_a_harmless_object_stream_is_read():
    content = pdf_with_object_stream(b"[3 0 R /Fit]")
    assert check_upload(SPEC, upload(content))["content_type"] == "application/pdf"


# --- PDF: actions that reach outside the document -------------------------------------------------


@pytest.mark.parametrize("kind, build", OUTWARD_PDFS.values(), ids=OUTWARD_PDFS.keys())
def test_pdf_acting_outside_the_document_passed_the_filter_and_is_refused_now(kind, build):
    content = build()
    # The attack: the file holds the action, and names no active content, which is all the filter
    # looked for: it was accepted and handed to officers as it came.
    assert f"/{kind}" in pdf_names(content)
    assert not file_checks.active_names_in_bytes(content) & file_checks.ACTIVE_PDF_NAMES
    assert not file_checks.active_names_in_document(pypdf.PdfReader(io.BytesIO(content))) & file_checks.ACTIVE_PDF_NAMES
    assert refusal(content) == [PDF_OUTWARD]


def test_actions_inside_the_document_are_accepted():
    for build in (DISARMED_PDFS["link to another page"], DISARMED_PDFS["open action prints the document"]):
        assert check_upload(SPEC, upload(build()))["content_type"] == "application/pdf"


# --- PDF: the copy people are given ----------------------------------------------------------------

ACTING_PDFS = {
    **{name: build for name, (_kind, build) in OUTWARD_PDFS.items()},
    **ACTIVE_PDFS,
    **{name: DISARMED_PDFS[name] for name in ("link to another page", "open action prints the document",
                                              "a form filled in")},
}


@pytest.mark.parametrize("build", ACTING_PDFS.values(), ids=ACTING_PDFS.keys())
def test_nothing_in_the_disarmed_copy_acts(build):
    """Every file of the corpus that acts, refused or not (files stored before the checks were
    as strict are copied too): the copy keeps the page and nothing else."""
    content = build()
    assert pdf_names(content) & ACTING_NAMES or file_checks.active_names_in_bytes(content)
    copy = disarm.disarm_pdf(content)
    assert pdf_names(copy) & ACTING_NAMES == set()  # no /OpenAction, /AA, /JavaScript, /EmbeddedFiles, /AcroForm, ...
    with pikepdf.open(io.BytesIO(copy)) as pdf:
        assert set(pdf.Root.keys()) == {"/Type", "/Pages"}
        assert len(pdf.pages) == 1 and list(pdf.pages[0].mediabox) == [0, 0, 200, 200]
        assert pdf.get_warnings() == []


def test_a_filled_in_form_keeps_its_answers_drawn_on_the_page():
    content = DISARMED_PDFS["a form filled in"]()
    assert check_upload(SPEC, upload(content))["content_type"] == "application/pdf"
    assert FILLED_IN_NAME not in pdf_page_texts(content)  # only the form field holds it
    copy = disarm.disarm_pdf(content)
    assert FILLED_IN_NAME in pdf_page_texts(copy)
    assert {"/AcroForm", "/Annots"} & pdf_names(copy) == set()


def test_data_after_the_end_of_the_pdf_is_not_copied():
    content = DISARMED_PDFS["data after %%EOF"]()
    assert content.endswith(TRAILING_DATA)
    assert check_upload(SPEC, upload(content))["content_type"] == "application/pdf"  # the filter passes it
    copy = disarm.disarm_pdf(content)
    assert copy.endswith(b"%%EOF\n") and copy.count(b"%%EOF") == 1
    assert b"<script>" not in copy and b"PK\x05\x06" not in copy


def xref_offsets(data: bytes) -> dict[int, int]:
    """Object number -> offset, from the file's (last) classic cross-reference table."""
    table = data[data.rindex(b"\nxref\n") + 6: data.rindex(b"trailer")].split(b"\n")
    first, _count = map(int, table[0].split())
    return {first + i: int(row[:10]) for i, row in enumerate(table[1:]) if row.endswith(b" n ")}


def test_a_damaged_cross_reference_table_is_written_anew():
    content = DISARMED_PDFS["broken cross-reference table"]()
    assert any("file is damaged" in warning for warning in pdf_warnings(content))  # readers must guess
    assert any(not content[offset:].startswith(b"%d 0 obj" % number) for number, offset in xref_offsets(content).items())
    assert check_upload(SPEC, upload(content))["content_type"] == "application/pdf"
    copy = disarm.disarm_pdf(content)
    assert pdf_warnings(copy) == []
    offsets = xref_offsets(copy)
    assert len(offsets) == 3 and all(copy[offset:].startswith(b"%d 0 obj" % n) for n, offset in offsets.items())


def test_compressed_page_data_is_copied_without_being_inflated():
    """A page stream that inflates to 24 MB is copied as the 24 kB it is: the copy never
    decompresses stream data."""
    bomb = zlib.compress(b"0 0 m\n" * 4_000_000)
    content = document(b"", b"/Contents 4 0 R", b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (
        len(bomb), bomb))
    assert len(content) < 100_000
    copy = disarm.disarm_pdf(content)
    with pikepdf.open(io.BytesIO(copy)) as pdf:
        assert pdf.pages[0].obj.Contents.read_raw_bytes() == bomb


@pytest.mark.parametrize("name", [name for name in UNREADABLE_PDFS if name != "text before the header"])
def test_the_copy_refuses_what_qpdf_cannot_read(name):
    with pytest.raises(file_checks.FileRefused) as refused:
        disarm.disarm_pdf(UNREADABLE_PDFS[name])
    assert refused.value.message == PDF_UNREADABLE


@pytest.mark.parametrize("user_password", ["secret", ""], ids=["user password", "owner password only"])
def test_the_copy_refuses_an_encrypted_pdf(user_password):
    with pytest.raises(file_checks.FileRefused) as refused:
        disarm.disarm_pdf(encrypted_pdf(user_password))
    assert refused.value.message == PDF_ENCRYPTED


# --- Images ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", [
    png_declaring(10_000, 10_000),
    png_declaring(7_000, 7_000),
    png_declaring(10_001, 1),
    png_declaring(1, 20_000),
    jpeg_declaring(10_000, 10_000),
    jpeg_declaring(12_000, 100),
], ids=["png 10k x 10k", "png 49 megapixels", "png too wide", "png too high", "jpeg 10k x 10k", "jpeg too wide"])
def test_image_bomb_is_refused_from_its_header(content):
    assert len(content) < 2_000
    assert refusal(content, name="photo.png", content_type="image/png") == [IMAGE_TOO_LARGE]


def test_the_size_is_checked_before_any_pixel_is_decoded(monkeypatch):
    """The header check reads no pixel; a bomb is refused by it, before the copy would decode one."""
    files = ((image_bytes("PNG"), "image/png"), (image_bytes("JPEG"), "image/jpeg"))
    bombs = png_declaring(10_000, 10_000), jpeg_declaring(12_000, 100)

    def never(*args, **kwargs):
        raise AssertionError("pixels decoded")

    monkeypatch.setattr(Image.Image, "load", never)
    monkeypatch.setattr(ImageFile.ImageFile, "load", never)
    monkeypatch.setattr(Image, "_getdecoder", never)
    for content, content_type in files:
        assert file_checks.check_image(io.BytesIO(content), content_type) is None
    assert refusal(bombs[0], name="a.png") == [IMAGE_TOO_LARGE]
    assert refusal(bombs[1], name="a.jpg") == [IMAGE_TOO_LARGE]


@pytest.mark.parametrize("content", [png_declaring(10_000, 10_000), png_declaring(9_000, 9_000)],
                         ids=["over Pillow's own limit", "over the portal's limit"])
def test_the_copy_refuses_a_bomb_by_itself(content):
    """The copy does not rely on the header check: Pillow's guard (lowered to the portal's limit)
    stops it before the pixels are decoded."""
    with pytest.raises(file_checks.FileRefused) as refused:
        disarm.disarm_image(content, "image/png")
    assert refused.value.message == IMAGE_TOO_LARGE


UNREADABLE_IMAGES = {
    "png truncated": image_bytes("PNG")[:-20],
    "png with a damaged chunk": corrupt(image_bytes("PNG"), image_bytes("PNG").index(b"IDAT") + 6),
    "png header cut short": b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x10",
    "png declaring zero width": png_declaring(0, 10),
    "jpeg header then garbage": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 64,
}


@pytest.mark.parametrize("content", UNREADABLE_IMAGES.values(), ids=UNREADABLE_IMAGES.keys())
def test_image_that_cannot_be_read_is_refused(content):
    assert refusal(content, name="photo.png", content_type="image/png") == [IMAGE_UNREADABLE]


# --- Images: the copy people are given -------------------------------------------------------------


def test_a_photo_s_location_and_other_metadata_are_not_copied():
    content = photo("JPEG")
    # The attack: the filter passed the photo as it was, and officers downloaded where it was taken.
    assert file_checks.check_image(io.BytesIO(content), "image/jpeg") is None
    with Image.open(io.BytesIO(content)) as original:
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo) == GPS
        assert original.getexif()[ExifTags.Base.Model] == CAMERA_MODEL
    assert all(marker in content for marker in JPEG_METADATA)
    assert 0xE1 in jpeg_markers(content) and 0xE2 in jpeg_markers(content) and 0xFE in jpeg_markers(content)
    copy = check_upload(SPEC, upload(content, name="photo.jpg"))["disarmed"]
    # Only the JFIF header, the tables, the frame and the image data: no APP1 (EXIF, XMP), APP2
    # (ICC profile) or COM segment.
    assert jpeg_markers(copy) == [0xE0, 0xDB, 0xDB, 0xC0, 0xC4, 0xC4, 0xC4, 0xC4, 0xDA]
    assert not any(marker in copy for marker in JPEG_METADATA)
    with Image.open(io.BytesIO(copy)) as image:
        assert image.size == (64, 48) and dict(image.getexif()) == {}


def test_a_png_s_text_profile_and_exif_chunks_are_not_copied():
    content = photo("PNG")
    assert png_chunk_types(content) == [b"IHDR", b"iCCP", b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"IDAT", b"IEND"]
    assert file_checks.check_image(io.BytesIO(content), "image/png") is None
    copy = check_upload(SPEC, upload(content, name="photo.png"))["disarmed"]
    assert png_chunk_types(copy) == [b"IHDR", b"IDAT", b"IEND"]
    assert CAMERA_MODEL.encode() not in copy and b"Wang Fang" not in copy
    with Image.open(io.BytesIO(copy)) as image, Image.open(io.BytesIO(content)) as original:
        assert image.tobytes() == original.convert("RGB").tobytes()  # the same pixels (the profile was sRGB)


def test_a_photo_turned_by_its_exif_orientation_is_copied_upright():
    copy = disarm.disarm_image(photo("JPEG", size=(64, 48), orientation=6), "image/jpeg")
    with Image.open(io.BytesIO(copy)) as image:
        assert image.size == (48, 64) and dict(image.getexif()) == {}


@pytest.mark.parametrize("content, content_type", [
    (truncated_jpeg(), "image/jpeg"), (png_declaring(100, 100), "image/png"),
], ids=["jpeg whose data stops short", "png whose data stops short"])
def test_an_image_whose_pixels_are_missing_passed_the_filter_and_is_refused_now(content, content_type):
    assert file_checks.check_image(io.BytesIO(content), content_type) is None  # the header is whole
    assert refusal(content, name="photo", content_type=content_type) == [IMAGE_UNREADABLE]


# --- File names ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, shown", [
    ("../../etc/passwd\x00.pdf", "passwd.pdf"),
    ("C:\\Users\\wang\\Desktop\\floor plan.pdf", "floor plan.pdf"),
    ("invoice\u202egnp.pdf", "invoicegnp.pdf"),
    ("line\r\nbreak\t.pdf", "linebreak.pdf"),
    ("  lots   of\u2028space .pdf ", "lots of space .pdf"),
    ("..", "file"),
    ("dir/", "file"),
    ("", "file"),
    ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
])
def test_display_name_is_sanitised(name, shown):
    assert display_name(name) == shown


def test_metadata_carries_the_sanitised_name():
    meta = check_upload(SPEC, upload(pypdf_document(), name="../../../var/www/evil\x00.pdf"))
    assert meta["original_name"] == "evil.pdf"


# --- Through the workflow: nothing stored ----------------------------------------------------------


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.mark.django_db
@pytest.mark.parametrize("content, name, content_type, message", [
    (ACTIVE_PDFS["open action runs JavaScript"](), "plan.pdf", "application/pdf", PDF_ACTIVE),
    (png_declaring(10_000, 10_000), "plan.png", "image/png", IMAGE_TOO_LARGE),
    (SVG_WITH_SCRIPT, "plan.svg", "image/svg+xml",
     "Upload the floor plan as a PDF or PNG file. SVG images are not accepted, because they can contain scripts."),
    (zip_bomb(), "plan.pdf", "application/pdf", "Upload the floor plan as a PDF or PNG file."),
    (encrypted_pdf("secret"), "plan.pdf", "application/pdf", PDF_ENCRYPTED),
    (encrypted_pdf(""), "plan.pdf", "application/pdf", PDF_ENCRYPTED),
    (OUTWARD_PDFS["open action opens a file on a UNC path (leaks Windows credentials)"][1](), "plan.pdf",
     "application/pdf", PDF_OUTWARD),
    (png_declaring(100, 100), "plan.png", "image/png", IMAGE_UNREADABLE),
    (UNREADABLE_PDFS["cut in half"], "plan.pdf", "application/pdf", PDF_UNREADABLE),
], ids=["pdf script", "image bomb", "svg", "zip bomb", "encrypted pdf", "pdf with an owner password only",
        "pdf opening a UNC path", "png whose pixels are missing", "pdf cut in half"])
def test_attach_refuses_hostile_file_and_stores_nothing(restaurant, citizen, settings, tmp_path,
                                                        content, name, content_type, message):
    settings.MEDIA_ROOT = str(tmp_path)
    application = workflow.application_start(applicant=citizen, service=restaurant)
    with pytest.raises(ValidationFailed) as excinfo:
        workflow.application_attach(application_id=application.pk, actor=citizen, field_key="floor_plan",
                                    uploaded=upload(content, name=name, content_type=content_type))
    assert excinfo.value.errors == {"floor_plan": [message]}
    assert Attachment.objects.count() == 0
    assert files_under(tmp_path) == []


@pytest.mark.django_db
def test_attach_stores_a_valid_pdf_and_its_disarmed_copy_under_server_names(restaurant, citizen, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    application = workflow.application_start(applicant=citizen, service=restaurant)
    content = pypdf_document()
    attachment = workflow.application_attach(application_id=application.pk, actor=citizen, field_key="floor_plan",
                                             uploaded=upload(content, name="../../plan\x00.pdf"))
    assert attachment.original_name == "plan.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    folder = tmp_path / "attachments" / str(application.pk)
    original, copy = folder / Path(attachment.file.name).name, folder / Path(attachment.disarmed_file.name).name
    assert sorted(files_under(tmp_path)) == sorted([original, copy])
    assert original.read_bytes() == content
    assert copy.read_bytes() == disarm.disarm_pdf(content)
    assert attachment.disarmed_sha256 == hashlib.sha256(copy.read_bytes()).hexdigest()
    assert copy.name.endswith(".disarmed") and "plan" not in original.name + copy.name


@pytest.mark.django_db
def test_a_file_whose_row_cannot_be_written_leaves_no_file_behind(restaurant, citizen, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    application = workflow.application_start(applicant=citizen, service=restaurant)
    uploaded = upload(pypdf_document())
    meta = check_upload(SPEC, uploaded)
    with pytest.raises(DataError), transaction.atomic():  # the database refuses the row, after both files
        attachment_store(application=application, field_key="k" * 65, uploaded=uploaded, meta=meta)
    assert files_under(tmp_path) == []
    assert Attachment.objects.count() == 0


@pytest.mark.django_db
def test_removing_an_attachment_removes_both_files_once_committed(restaurant, citizen, settings, tmp_path,
                                                                  django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = str(tmp_path)
    application = workflow.application_start(applicant=citizen, service=restaurant)
    attachment = workflow.application_attach(application_id=application.pk, actor=citizen, field_key="floor_plan",
                                             uploaded=upload(pypdf_document()))
    assert len(files_under(tmp_path)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        workflow.application_remove_attachment(attachment_id=attachment.pk, actor=citizen)
        assert len(files_under(tmp_path)) == 2  # until the removal is committed
    assert files_under(tmp_path) == []


def test_a_truncated_image_is_refused_even_though_weasyprint_allows_them():
    assert weasyprint.images.ImageFile.LOAD_TRUNCATED_IMAGES is True  # set for the whole process on import
    assert refusal(truncated_jpeg(), name="photo.jpg", content_type="image/jpeg") == [IMAGE_UNREADABLE]
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True


def test_a_photo_in_another_colour_space_is_converted_and_its_profile_dropped():
    profile = srgb_profile().replace("sRGB".encode("utf-16-be"), "Wide".encode("utf-16-be"))  # not named sRGB
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 120, 40)).save(buffer, "JPEG", icc_profile=profile, quality=95)
    copy = disarm.disarm_image(buffer.getvalue(), "image/jpeg")
    assert 0xE2 not in jpeg_markers(copy)
    with Image.open(io.BytesIO(copy)) as image:
        assert "icc_profile" not in image.info
        assert all(abs(a - b) <= 3 for a, b in zip(image.getpixel((16, 12)), (200, 120, 40), strict=True))
