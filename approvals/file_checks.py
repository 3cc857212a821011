"""Deep checks of an upload's content, once libmagic has said what kind of file it is.

Every check reads what the bytes are, never the file name or the browser's content type, and
fails closed: a file we cannot fully inspect is refused. Nothing here decompresses an archive.

- PDF: it must start with ``%PDF-``. Objects, cross-reference rows and streams are counted
  cheaply before parsing, so a small file cannot make pypdf work for long. The raw bytes must not
  name active content nor an action that reaches outside the document (name tokens are read with
  their ``#xx`` escapes undone, so ``/J#61vaScript`` counts as ``/JavaScript``; the bodies of
  compressed streams are skipped, as their raw bytes are not PDF syntax). pypdf must parse it,
  with its decompression capped; it must not be encrypted; no object pypdf can reach, from the
  trailer or from the cross-reference data (objects inside object streams included), may name
  either, and the decoded text of every object stream is scanned like raw bytes; it must have at
  least one page. What passes is still never served as it came: officers get the copy that
  approvals.disarm writes.
- PNG and JPEG: Pillow reads the header only (never the pixels); the declared size must fit the
  limits below; a PNG's chunks are read to the end and their checksums verified, which finds a
  truncated or corrupt file without inflating the image data.
"""

import io
import re
import warnings

import pypdf
from django.utils.translation import gettext as _
from PIL import Image
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

MAX_IMAGE_SIDE = 10_000
MAX_IMAGE_PIXELS = 40_000_000
MAX_PDF_OBJECTS = 20_000  # numbered objects of one PDF (pypdf resolves about 20 000 a second)
MAX_PDF_NODES = 300_000  # values visited while walking one PDF
MAX_PDF_STREAM_BYTES = 8 * 1024 * 1024  # decoded size of any one stream pypdf has to read
MAX_PDF_DECODED_BYTES = 32 * 1024 * 1024  # decoded size of all object streams of one PDF
STREAM_HEADER_BYTES = 4096  # how far back from a stream keyword its dictionary is looked for

# Names that mark content a PDF reader may run or open by itself: scripts, actions on events,
# launching programs, embedded files, multimedia and 3D (which carry their own scripts), XFA forms.
ACTIVE_PDF_NAMES = frozenset({
    "JavaScript", "JS", "AA", "Launch", "EmbeddedFile", "EmbeddedFiles", "EF", "FileAttachment",
    "RichMedia", "3D", "XFA",
})
# Action types that reach outside the document when a link is followed or the page is shown:
# a web address (tracking), another file or a UNC path (/GoToR to \\host\share hands the
# host an officer's Windows credentials), a file inside another one, sending or loading form
# data, and media that a player fetches. (/Launch is active content above.)
OUTWARD_PDF_ACTIONS = frozenset({"URI", "GoToR", "GoToE", "SubmitForm", "ImportData", "Rendition", "Sound", "Movie"})
WATCHED_PDF_NAMES = ACTIVE_PDF_NAMES | OUTWARD_PDF_ACTIONS

# PDF white-space and delimiter characters end a name token.
_NAME_END = rb"\x00\t\n\x0c\r ()<>\[\]{}/%"


def _spelled(name: str) -> bytes:
    """A pattern for the name with any of its characters written as a #xx escape."""
    def char(c: str) -> bytes:
        hex_digits = b"".join(b"[%s%s]" % (d.upper().encode(), d.lower().encode()) for d in f"{ord(c):02x}")
        return b"(?:" + re.escape(c.encode()) + b"|#" + hex_digits + b")"
    return b"".join(char(c) for c in name)


_FIRST_CHARACTERS = re.escape(bytes(sorted({ord(n[0]) for n in WATCHED_PDF_NAMES} | {ord("#")})))
_ACTIVE_NAME_TOKEN = re.compile(
    rb"/(?=[" + _FIRST_CHARACTERS + rb"])("
    + b"|".join(_spelled(n) for n in sorted(WATCHED_PDF_NAMES, key=len, reverse=True))
    + rb")(?=[" + _NAME_END + rb"]|$)"
)
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_LETTERS = frozenset(bytes([c]) for c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_BINARY_FILTER = re.compile(
    rb"/(?:FlateDecode|Fl|LZWDecode|LZW|RunLengthDecode|RL|DCTDecode|DCT|JPXDecode|JBIG2Decode|CCITTFaxDecode|CCF"
    rb"|BrotliDecode)(?=[" + _NAME_END + rb"]|$)"
)

IMAGE_FORMATS = {"image/png": {"PNG"}, "image/jpeg": {"JPEG", "MPO"}}

# Lower Pillow's own guard to our limit (it is process-wide; nothing in the portal needs more).
if Image.MAX_IMAGE_PIXELS is None or Image.MAX_IMAGE_PIXELS > MAX_IMAGE_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


class FileRefused(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def pdf_unreadable_message() -> str:
    return _("The PDF could not be read. It may be damaged: please save or export it again as a PDF and upload the new file.")


def pdf_encrypted_message() -> str:
    return _("The PDF is password-protected. Please upload a copy that opens without a password.")


def pdf_too_complex_message() -> str:
    return _("The PDF is too complex for us to check. Please save it as a simpler or shorter PDF and upload it again.")


def pdf_active_content_message() -> str:
    return _(
        "The PDF contains active content (scripts, automatic actions, embedded files, multimedia or XFA forms), "
        "which we do not accept. Please print it to a new PDF and upload that file."
    )


def pdf_outward_action_message() -> str:
    return _(
        "The PDF contains links or actions that reach outside the document (web addresses, other files, "
        "sending form data, sound or video), which we do not accept. Please print it to a new PDF and upload that file."
    )


def image_too_large_message() -> str:
    return _(
        "The image is too large: it may be at most %(side)s pixels wide, %(side)s pixels high and %(mp)s megapixels "
        "in total. Please reduce its size and upload it again."
    ) % {"side": MAX_IMAGE_SIDE, "mp": MAX_IMAGE_PIXELS // 1_000_000}


def image_unreadable_message() -> str:
    return _("The image could not be read. It may be damaged or incomplete: please save it again and upload the new file.")


# --- PDF -------------------------------------------------------------------------------------------


def active_names_in_bytes(data: bytes, *, skip_compressed_streams: bool = True) -> set[str]:
    """Active-content and outward-action names written in the raw bytes, with #xx escapes undone. The bodies of
    streams compressed with a binary filter are skipped: a reader decodes them first, so their raw
    bytes are never PDF syntax, and scanning them would refuse ordinary scans by chance."""
    found: set[str] = set()
    for segment in _syntax_segments(data) if skip_compressed_streams else [data]:
        for token in set(_ACTIVE_NAME_TOKEN.findall(segment)):
            found.add(_HEX_ESCAPE.sub(lambda e: bytes([int(e.group(1), 16)]), token).decode("ascii"))
    return found


def _syntax_segments(data: bytes):
    """The data without the bodies of streams whose dictionary names a binary filter. Linear:
    each stream keyword looks back at most STREAM_HEADER_BYTES for its dictionary."""
    view = memoryview(data)
    position = end = 0
    keyword = data.find(b"stream", position)
    while keyword != -1:
        body = keyword + 6 + (2 if data.startswith(b"\r\n", keyword + 6) else 1)
        if (keyword > 0 and data[keyword - 1: keyword] in _LETTERS) or data[keyword + 6: keyword + 7] not in (b"\r", b"\n"):
            keyword = data.find(b"stream", keyword + 6)  # "endstream", or "stream" inside another word
            continue
        if end < body:
            end = data.find(b"endstream", body)
            if end == -1:
                break
        window = max(position, keyword - STREAM_HEADER_BYTES)
        header = data[max(window, data.rfind(b"obj", window, keyword)): keyword]
        if b"/Filter" in header and _BINARY_FILTER.search(header):
            yield view[position:body]
            position = end
        keyword = data.find(b"stream", max(body, position))
    yield view[position:]


def active_names_in_document(reader: pypdf.PdfReader) -> set[str]:
    """Active-content and outward-action names in every object pypdf can reach from the trailer (catalog, /Names,
    /OpenAction, /AA, /AcroForm, pages, annotations, ...) or finds in the cross-reference data.
    Objects are resolved, so names inside compressed object streams are seen; the decoded text of
    every object stream met is also scanned like raw bytes, which finds objects no table lists."""
    if sum(len(numbers) for numbers in reader.xref.values()) + len(reader.xref_objStm) > MAX_PDF_OBJECTS:
        raise FileRefused(pdf_too_complex_message())
    decoded: dict[int, int] = {}

    def decode(stream) -> bytes:
        data = stream.get_data()  # pypdf keeps the result, and reuses it to resolve objects
        decoded[id(stream)] = len(data)
        if sum(decoded.values()) > MAX_PDF_DECODED_BYTES:
            raise FileRefused(pdf_too_complex_message())
        return data

    found: set[str] = set()
    for stream_number in sorted({stream for stream, _index in reader.xref_objStm.values()}):
        found |= active_names_in_bytes(decode(reader.get_object(stream_number)), skip_compressed_streams=False)
    stack: list = [reader.trailer]
    for generation, numbers in reader.xref.items():
        stack.extend(IndirectObject(number, generation, reader) for number in numbers)
    stack.extend(IndirectObject(number, 0, reader) for number in reader.xref_objStm)
    seen: set[tuple[int, int]] = set()
    budget = MAX_PDF_NODES
    while stack:
        budget -= 1
        if budget < 0:
            raise FileRefused(pdf_too_complex_message())
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            if (obj.idnum, obj.generation) in seen:
                continue
            seen.add((obj.idnum, obj.generation))
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):  # a stream's dictionary; its data is decoded only for object streams
            for key, value in obj.items():
                if key[1:] in WATCHED_PDF_NAMES:
                    found.add(key[1:])
                stack.append(value)
            if isinstance(obj, StreamObject) and obj.get("/Type") == "/ObjStm":
                found |= active_names_in_bytes(decode(obj), skip_compressed_streams=False)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
        elif isinstance(obj, NameObject) and obj[1:] in WATCHED_PDF_NAMES:
            found.add(obj[1:])
    return found


def _pdf_limits():
    return pypdf.apply_configuration(
        array_based_stream_maximum_output_length=MAX_PDF_STREAM_BYTES,
        zlib_maximum_output_length=MAX_PDF_STREAM_BYTES,
        lzw_maximum_output_length=MAX_PDF_STREAM_BYTES,
        run_length_maximum_output_length=MAX_PDF_STREAM_BYTES,
        brotli_maximum_output_length=MAX_PDF_STREAM_BYTES,
        jbig2_maximum_output_length=MAX_PDF_STREAM_BYTES,
        stream_decoding_work_maximum_length=4 * MAX_PDF_STREAM_BYTES,
        jbig2dec_binary=None,
    )


def check_pdf(data: bytes) -> None:
    if not data.startswith(b"%PDF-"):
        raise FileRefused(pdf_unreadable_message())
    # pypdf spends about 10 microseconds on each cross-reference entry and 50 on each object it
    # parses: count them (and streams) cheaply first, so a small file cannot declare millions.
    objects = data.count(b"obj") - data.count(b"endobj")
    rows = sum(data.count(b" %s%s" % (kind, end)) for kind in (b"n", b"f") for end in (b" \r", b" \n", b"\r", b"\n"))
    if max(objects, rows, data.count(b"stream") // 2) > 2 * MAX_PDF_OBJECTS:
        raise FileRefused(pdf_too_complex_message())
    _refuse_names(active_names_in_bytes(data))
    with _pdf_limits():
        try:
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False, xref_stream_maximum_entries=2 * MAX_PDF_OBJECTS)
            if reader.is_encrypted:
                raise FileRefused(pdf_encrypted_message())
            _refuse_names(active_names_in_document(reader))
            root = reader.trailer["/Root"].get_object()
            if not isinstance(root, DictionaryObject) or len(reader.pages) < 1:
                raise FileRefused(pdf_unreadable_message())
        except FileRefused:
            raise
        except Exception as error:  # a hostile file can make the parser fail in any way: refuse, never crash
            raise FileRefused(pdf_too_complex_message() if _hit_a_limit(error) else pdf_unreadable_message())


def _refuse_names(found: set[str]) -> None:
    if found & ACTIVE_PDF_NAMES:
        raise FileRefused(pdf_active_content_message())
    if found:
        raise FileRefused(pdf_outward_action_message())


def _hit_a_limit(error: BaseException | None) -> bool:
    """Whether pypdf stopped at one of its limits (it sometimes wraps that error in another)."""
    for _depth in range(10):
        if error is None:
            return False
        if isinstance(error, LimitReachedError):
            return True
        error = error.__cause__ or error.__context__
    return False


# --- Images ----------------------------------------------------------------------------------------


def check_image(fileobj, content_type: str) -> None:
    """Header-only check of a PNG or JPEG: Pillow's format must match libmagic's, the declared
    dimensions must fit the limits, and a PNG's chunk checksums must be intact."""
    formats = IMAGE_FORMATS[content_type]
    fileobj.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fileobj, formats=sorted(formats)) as image:
                width, height = image.size
                if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
                    raise FileRefused(image_too_large_message())
                if image.format not in formats or width < 1 or height < 1:
                    raise FileRefused(image_unreadable_message())
                if image.format == "PNG":
                    image.verify()  # reads the chunks to IEND and checks their CRCs; no pixel is decoded
    except FileRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileRefused(image_too_large_message())
    except Exception:  # UnidentifiedImageError, truncated or corrupt headers, bad checksums
        raise FileRefused(image_unreadable_message())
    finally:
        fileobj.seek(0)
