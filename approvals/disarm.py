"""The copy of an upload that people open: rewritten so that nothing in it acts, and nothing
but the picture or the pages is left.

An upload has passed approvals.file_checks first; the copy is made anyway, because a check can
miss what a reader will act on (two PDF parsers never read a damaged file the same way). The
original is kept for the record only.

- PDF: qpdf (through pikepdf) reads the file, repairing a damaged cross-reference table, and
  writes a new one. Form fields get their appearance drawn, then every annotation that shows
  something is drawn into its page and all annotations go: links, form fields, attachments,
  media and their actions with them. The catalog keeps only the page tree, the page labels and
  the language (no open action, document scripts, embedded files, forms, outlines, structure
  tree or metadata); pages keep only what draws them. Every object still reachable then loses
  the keys that act or point outside (/AA, /JS, /OPI, a stream's external file, ...) and any
  action dictionary. The new file ends at its own ``%%EOF``: data after the original's end and
  objects no table listed are not copied. Stream data is copied as it is, never decompressed,
  so a compressed bomb in a page stays as small as it came.
- PNG and JPEG: Pillow decodes the pixels (the header check has bounded their number), turns
  the picture upright by its EXIF orientation, converts it to sRGB by its ICC profile, and
  writes a new file of the same kind from the pixels alone: no EXIF (GPS included), XMP, ICC
  profile, comments or text chunks.
"""

import io
import threading
import warnings
from contextlib import contextmanager

import pikepdf
from PIL import ExifTags, Image, ImageCms, ImageFile, ImageOps

from .file_checks import (
    IMAGE_FORMATS,
    FileRefused,
    image_too_large_message,
    image_unreadable_message,
    pdf_encrypted_message,
    pdf_too_complex_message,
    pdf_unreadable_message,
)

MAX_PDF_VISITS = 500_000  # dictionaries and arrays visited while sweeping one PDF
JPEG_QUALITY = 90

KEPT_CATALOG_KEYS = frozenset({"/Type", "/Pages", "/PageLabels", "/Lang"})
KEPT_PAGE_KEYS = frozenset({
    "/Type", "/Parent", "/Resources", "/Contents", "/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox",
    "/BoxColorInfo", "/Rotate", "/Group", "/UserUnit",
})
# Keys that make a reader act or fetch something, wherever they are met.
DROPPED_KEYS = frozenset({
    "/AA", "/OpenAction", "/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/AcroForm", "/XFA", "/Annots",
    "/RichMediaContent", "/RichMediaSettings", "/OPI", "/Ref", "/Alternates",
})
# A stream whose data lives in another file (a path, a URL).
EXTERNAL_STREAM_KEYS = frozenset({"/F", "/FFilter", "/FDecodeParms"})
ACTION_TYPES = frozenset({
    "/GoTo", "/GoToR", "/GoToE", "/GoToDp", "/Launch", "/Thread", "/URI", "/Sound", "/Movie", "/Hide", "/Named",
    "/SubmitForm", "/ResetForm", "/ImportData", "/SetOCGState", "/Rendition", "/Trans", "/GoTo3DView", "/JavaScript",
    "/RichMediaExecute",
})


def disarmed(data: bytes, content_type: str) -> bytes:
    """The copy of a checked upload that people are given, or FileRefused with a message for
    the person who uploaded it."""
    if content_type == "application/pdf":
        return disarm_pdf(data)
    return disarm_image(data, content_type)


# --- PDF -------------------------------------------------------------------------------------------


def disarm_pdf(data: bytes) -> bytes:
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:  # opened with the empty user password: still the owner's restrictions
                raise FileRefused(pdf_encrypted_message())
            if len(pdf.pages) < 1:
                raise FileRefused(pdf_unreadable_message())
            _flatten(pdf)
            _keep_only(pdf.Root, KEPT_CATALOG_KEYS)
            for page in pdf.pages:
                _keep_only(page.obj, KEPT_PAGE_KEYS)
            for key in list(pdf.trailer.keys()):
                if key not in ("/Root", "/Size", "/ID"):
                    del pdf.trailer[key]
            _sweep(pdf)
            out = io.BytesIO()
            pdf.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none, recompress_flate=False,
                     fix_metadata_version=False, preserve_pdfa=False, deterministic_id=True)
            return out.getvalue()
    except FileRefused:
        raise
    except pikepdf.PasswordError:
        raise FileRefused(pdf_encrypted_message())
    except Exception:  # qpdf could not read or write it: refuse, never crash
        raise FileRefused(pdf_unreadable_message())


def _flatten(pdf) -> None:
    """Draw what annotations show into their pages (filled-in form fields included), then drop
    them all: what is left of a link or a field is its picture."""
    acroform = pdf.Root.get("/AcroForm")
    if isinstance(acroform, pikepdf.Dictionary) and acroform.get("/Fields") is not None:
        pdf.generate_appearance_streams()
    pdf.flatten_annotations("all")


def _keep_only(dictionary, keys: frozenset) -> None:
    for key in list(dictionary.keys()):
        if key not in keys:
            del dictionary[key]


def _is_action(value) -> bool:
    if not isinstance(value, pikepdf.Dictionary):
        return False
    kind = value.get("/S")
    return isinstance(kind, pikepdf.Name) and str(kind) in ACTION_TYPES


def _sweep(pdf) -> None:
    """Remove, from every dictionary still reachable from the trailer, the keys that act or
    fetch, and every value that is an action."""
    stack = [pdf.Root]
    seen: set[tuple[int, int]] = set()
    visits = 0
    while stack:
        obj = stack.pop()
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        visits += 1
        if visits > MAX_PDF_VISITS:
            raise FileRefused(pdf_too_complex_message())
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
            is_stream = isinstance(obj, pikepdf.Stream)
            for key in list(obj.keys()):
                value = obj.get(key)
                if key in DROPPED_KEYS or (is_stream and key in EXTERNAL_STREAM_KEYS) or _is_action(value):
                    del obj[key]
                elif isinstance(value, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)):
                    stack.append(value)
        elif isinstance(obj, pikepdf.Array):
            for index, value in enumerate(obj):
                if _is_action(value):
                    obj[index] = None
                elif isinstance(value, (pikepdf.Dictionary, pikepdf.Array, pikepdf.Stream)):
                    stack.append(value)


# --- Images ----------------------------------------------------------------------------------------


_TRUNCATION_SETTING = threading.Lock()


@contextmanager
def _truncated_images_refused():
    """Pillow's switch for decoding truncated images is process-wide, and WeasyPrint turns it on
    when it is imported (it pads a short image with grey): a copy must be of a whole image."""
    with _TRUNCATION_SETTING:
        before, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = before


def disarm_image(data: bytes, content_type: str) -> bytes:
    formats = IMAGE_FORMATS[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=sorted(formats)) as source:
                with _truncated_images_refused():
                    source.load()
                transparency = source.info.get("transparency")
                image = _upright(source)
                image = _in_srgb(image, source.info.get("icc_profile"))
                image.info = {}  # what Pillow would otherwise carry into the new file
                out = io.BytesIO()
                if content_type == "image/jpeg":
                    if image.mode not in ("L", "RGB"):
                        image = image.convert("RGB")
                    image.save(out, "JPEG", quality=JPEG_QUALITY)
                else:
                    options = {"transparency": transparency} if transparency is not None and image.mode in (
                        "P", "L", "RGB", "I", "I;16") else {}
                    image.save(out, "PNG", **options)
                return out.getvalue()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileRefused(image_too_large_message())
    except Exception:  # truncated or corrupt pixel data, an unreadable profile: refuse, never crash
        raise FileRefused(image_unreadable_message())


def _upright(image):
    """The picture as the camera meant it: its EXIF orientation applied to the pixels, since the
    tag itself is not kept."""
    if image.getexif().get(ExifTags.Base.Orientation, 1) in (1, None):
        return image
    return ImageOps.exif_transpose(image)


def _in_srgb(image, icc_profile: bytes | None):
    """Colours converted from the picture's ICC profile to sRGB, so that the profile (which can
    carry text of its own) need not be kept. Grey and palette pictures keep their values, and so
    does a picture whose profile cannot be read."""
    if icc_profile and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            # Already sRGB (most cameras): nothing to convert (it costs 0.8 s for 12 megapixels here).
            if image.mode == "CMYK" or not (profile.profile.profile_description or "").lower().startswith("srgb"):
                return ImageCms.profileToProfile(image, profile, ImageCms.createProfile("sRGB"),
                                                 outputMode="RGBA" if image.mode == "RGBA" else "RGB")
        except ImageCms.PyCMSError:
            pass
    return image.convert("RGB") if image.mode == "CMYK" else image
