"""Uploads against hostile files. Every file is built here, in memory, and is small."""

import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile
from pypdf.actions import JavaScript

from approvals import file_checks, workflow
from approvals.models import Attachment
from approvals.uploads import check_upload, display_name
from core.errors import ValidationFailed

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


def upload(content: bytes, name="plan.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def refusal(content: bytes, spec=SPEC, **kwargs) -> list[str]:
    with pytest.raises(ValidationFailed) as excinfo:
        check_upload(spec, upload(content, **kwargs), existing_count=0)
    assert set(excinfo.value.errors) == {spec["key"]}
    return excinfo.value.errors[spec["key"]]


# --- Building PDFs ---------------------------------------------------------------------------------

CATALOG = b"<< /Type /Catalog /Pages 2 0 R %s >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] %s >>"


def raw_pdf(*objects: bytes, unlisted: bytes = b"") -> bytes:
    """A well-formed PDF: objects numbered from 1 (object 1 is the catalog) and a correct
    cross-reference table; ``unlisted`` is written in the body but left out of that table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    out += unlisted
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def document(catalog_extra=b"", page_extra=b"", *more: bytes, unlisted=b"") -> bytes:
    return raw_pdf(CATALOG % catalog_extra, PAGES, PAGE % page_extra, *more, unlisted=unlisted)


def pypdf_document(build=None) -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(200, 200)
    if build:
        build(writer)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_with_object_stream(hidden: bytes, *, compress=True) -> bytes:
    """The catalog's /OpenAction is object 5, which lives in an object stream (object 4, listed by
    a cross-reference stream); compressed, ``hidden`` never appears in the raw bytes."""
    index = b"5 0 "
    packed = zlib.compress(index + hidden, 9) if compress else index + hidden
    stream_filter = b"/Filter /FlateDecode" if compress else b""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in (
        (1, CATALOG % b"/OpenAction 5 0 R"), (2, PAGES), (3, PAGE % b""),
        (4, b"<< /Type /ObjStm /N 1 /First %d %s /Length %d >>\nstream\n%s\nendstream"
            % (len(index), stream_filter, len(packed), packed)),
    ):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    offsets[6] = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 1, offsets[n], 0) for n in (1, 2, 3, 4)]
    rows += [struct.pack(">BIH", 2, 4, 0), struct.pack(">BIH", 1, offsets[6], 0)]
    table = b"".join(rows)
    out += b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (
        len(table), table)
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[6]
    return bytes(out)


def pdf_with_script_in_object_stream() -> bytes:
    return pdf_with_object_stream(b"<< /S /JavaScript /JS (app.alert(1)) >>")


JS_ACTION = b"<< /Type /Action /S /JavaScript /JS (app.alert(1)) >>"

ACTIVE_PDFS = {
    "open action runs JavaScript": lambda: document(b"/OpenAction 4 0 R", b"", JS_ACTION),
    "document-level script in /Names": lambda: document(
        b"/Names << /JavaScript 4 0 R >>", b"", b"<< /Names [(init) 5 0 R] >>", JS_ACTION),
    "catalog additional action": lambda: document(b"/AA << /WC << /S /URI /URI (https://example.org) >> >>"),
    "page additional action": lambda: document(b"", b"/AA << /O << /S /URI /URI (https://example.org) >> >>"),
    "link annotation launches a program": lambda: document(
        b"", b"/Annots [4 0 R]", b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /Launch /F (cmd.exe) >> >>"),
    "annotation additional action": lambda: document(
        b"", b"/Annots [4 0 R]", b"<< /Type /Annot /Subtype /Widget /Rect [0 0 9 9] /AA << /E 5 0 R >> >>", JS_ACTION),
    "rich media annotation": lambda: document(b"", b"/Annots [4 0 R]", b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 9 9] >>"),
    "XFA form": lambda: document(b"/AcroForm << /Fields [] /XFA (<xdp:xdp/>) >>"),
    "embedded files (written by pypdf)": lambda: pypdf_document(lambda w: w.add_attachment("run.exe", b"MZ")),
    "open action script (written by pypdf)": lambda: pypdf_document(lambda w: w.add_open_action(JavaScript("app.alert(1)"))),
    "hex-escaped names": lambda: document(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"),
    "script in an object outside the cross-reference table": lambda: document(
        unlisted=b"9 0 obj\n<< /S /J#61va#53cript /JS (app.alert(1)) >>\nendobj\n"),
    "script inside a compressed object stream": pdf_with_script_in_object_stream,
    "script inside an uncompressed object stream": lambda: pdf_with_object_stream(JS_ACTION, compress=False),
    "script in a compressed object stream after its listed objects": lambda: pdf_with_object_stream(
        b"[3 0 R /Fit]\n" + JS_ACTION),
}


# --- Building images -------------------------------------------------------------------------------


def image_bytes(fmt="PNG", size=(20, 10)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height; its pixel data is a few bytes."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + png_chunk(b"IEND", b""))


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG with its frame header (SOF0) rewritten to declare width x height."""
    data = bytearray(image_bytes("JPEG", (16, 16)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5: sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


# --- Accepted files --------------------------------------------------------------------------------


@pytest.mark.parametrize("content, content_type", [
    (pypdf_document(), "application/pdf"),
    (document(b"/OpenAction [3 0 R /Fit]", b"/Annots [4 0 R]",
              b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://example.org) >> >>"),
     "application/pdf"),
    (image_bytes("PNG"), "image/png"),
    (image_bytes("JPEG"), "image/jpeg"),
    (png_declaring(10_000, 4_000), "image/png"),
])
def test_valid_files_are_accepted_with_their_metadata(content, content_type):
    meta = check_upload(SPEC, upload(content, name="scan.bin", content_type="application/octet-stream"), existing_count=0)
    assert meta == {"content_type": content_type, "size": len(content), "sha256": hashlib.sha256(content).hexdigest(),
                    "original_name": "scan.bin"}


def test_content_decides_not_the_name_or_browser_type():
    meta = check_upload(SPEC, upload(image_bytes("PNG"), name="plan.pdf", content_type="application/pdf"))
    assert meta["content_type"] == "image/png"
    pdf_only = {**SPEC, "accept": ["application/pdf"]}
    assert refusal(image_bytes("PNG"), spec=pdf_only) == ["Upload the floor plan as a PDF file."]


# --- Wrong type, whatever the name -----------------------------------------------------------------


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("plan.pdf", b"\0" * 20_000_000)
    return buffer.getvalue()


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


def encrypted_pdf(user_password: str) -> bytes:
    def encrypt(writer):
        writer.encrypt(user_password, owner_password="owner-secret", algorithm="RC4-128")
    return pypdf_document(encrypt)


@pytest.mark.parametrize("user_password", ["secret", ""], ids=["user password", "owner password only"])
def test_encrypted_pdf_is_refused(user_password):
    assert refusal(encrypted_pdf(user_password)) == [PDF_ENCRYPTED]


UNREADABLE_PDFS = {
    "header then garbage": b"%PDF-1.7\n" + bytes(range(256)) * 4,
    "cut in half": pypdf_document()[:200],
    "no catalog": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    "no pages": raw_pdf(CATALOG % b"", b"<< /Type /Pages /Kids [] /Count 0 >>"),
    "text before the header": b"<html><body>hello</body></html>\n" + pypdf_document(),
}


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


def test_image_pixels_are_never_decoded(monkeypatch):
    png, jpeg = image_bytes("PNG"), image_bytes("JPEG")

    def never(*args, **kwargs):
        raise AssertionError("pixels decoded")

    monkeypatch.setattr(Image.Image, "load", never)
    monkeypatch.setattr(ImageFile.ImageFile, "load", never)
    monkeypatch.setattr(Image, "_getdecoder", never)
    assert check_upload(SPEC, upload(png, name="a.png"))["content_type"] == "image/png"
    assert check_upload(SPEC, upload(jpeg, name="a.jpg"))["content_type"] == "image/jpeg"


def corrupt(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0xFF]) + data[offset + 1:]


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
], ids=["pdf script", "image bomb", "svg", "zip bomb", "encrypted pdf"])
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
def test_attach_stores_a_valid_pdf_under_a_server_name(restaurant, citizen, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    application = workflow.application_start(applicant=citizen, service=restaurant)
    content = pypdf_document()
    attachment = workflow.application_attach(application_id=application.pk, actor=citizen, field_key="floor_plan",
                                             uploaded=upload(content, name="../../plan\x00.pdf"))
    assert attachment.original_name == "plan.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    stored = files_under(tmp_path)
    assert len(stored) == 1
    assert stored[0].read_bytes() == content
    assert stored[0].parent == tmp_path / "attachments" / str(application.pk)
    assert "plan" not in stored[0].name
