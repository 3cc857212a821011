"""The CJK font of permits, cut down to what permits print.

Embedding a font in a PDF means subsetting it on every render, and HarfBuzz's subsetter pays for
every glyph of the font it starts from: the full Noto Sans CJK SC has 65,535 of them and is
most of the cost of a permit. ``build_subset`` keeps GB 2312's characters (the simplified Chinese
of everyday names, places and terms) and Latin, about an eighth of the glyphs. The renderer adds
it to its font configuration; permit.css names it first and the full font after it, so a
character outside the subset (a rare name) still prints, from the full font.

The subset is built at install time from the installed font (scripts/bootstrap.sh, the
Dockerfile: ``manage.py build_permit_font``) rather than kept in the repository: it then always
matches the full font beside it, and the repository carries no 2 MB binary. Noto CJK is under the
SIL Open Font License, which allows modified copies under another name: the subset is renamed
(SUBSET_FAMILY)."""

import logging
import os
import tempfile
from functools import cache
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)

SOURCE_FAMILY = "Noto Sans CJK SC"
SUBSET_FAMILY = "Noto Sans CJK SC GB2312"
# Beside permit.css, where collectstatic copies it too.
SUBSET_STATIC_NAME = "permits/fonts/NotoSansCJKsc-GB2312.otf"
# Besides GB 2312's own rows: ASCII, Latin-1 and Latin Extended-A/B (names and addresses in
# Latin script), general punctuation, CJK symbols and punctuation, and full-width forms.
EXTRA_RANGES = ((0x20, 0x7E), (0xA0, 0x24F), (0x2000, 0x206F), (0x20A0, 0x20BF), (0x2100, 0x214F),
                (0x2190, 0x21FF), (0x2460, 0x24FF), (0x3000, 0x303F), (0xFF00, 0xFFEF))
# Layout features the subset leaves out: other regions' glyph forms (locl: the SC face prints SC
# forms already) and vertical writing, which permits never use. Keeping them would pull their
# alternate glyphs in and double the subset.
DROPPED_FEATURES = {"locl", "vert", "vrt2", "vkrn", "vpal", "vhal", "valt", "vchw"}


@cache
def gb2312_characters() -> frozenset[int]:
    """Every character GB 2312 encodes (its 94 × 94 two-byte table), as code points."""
    found = set()
    for row in range(0xA1, 0xFF):
        for cell in range(0xA1, 0xFF):
            try:
                found.update(ord(c) for c in bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return frozenset(found)


def subset_characters() -> frozenset[int]:
    extra = {c for start, end in EXTRA_RANGES for c in range(start, end + 1)}
    return gb2312_characters() | extra


def subset_path() -> Path:
    return Path(settings.BASE_DIR) / "static" / SUBSET_STATIC_NAME


def source_face_number(source: Path, family: str = SOURCE_FAMILY) -> int:
    """The index of ``family`` in a font collection (.ttc); 0 for a single font."""
    from fontTools.ttLib import TTCollection

    with source.open("rb") as file:
        if file.read(4) != b"ttcf":
            return 0
    collection = TTCollection(str(source), lazy=True)
    for number, face in enumerate(collection.fonts):
        if face["name"].getDebugName(1) == family:
            return number
    raise ValueError(f"{source} has no face named {family!r}")


def _rename(font, family: str) -> None:
    """Give the subset its own names (family, full, PostScript), as the font's licence asks of
    a modified copy and so that fontconfig never takes it for the full font."""
    postscript = family.replace(" ", "")
    names = {1: family, 3: f"{postscript};subset", 4: family, 6: postscript, 16: family, 17: "Regular"}
    table = font["name"]
    for name_id, value in names.items():
        table.removeNames(nameID=name_id)
        table.setName(value, name_id, 3, 1, 0x409)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        top.FullName, top.FamilyName = family, family


def build_subset(*, source: Path, target: Path) -> dict:
    """Write the GB 2312 + Latin subset of ``source`` to ``target`` (atomically: a worker
    reading it meanwhile sees the old file or the new one). Returns what it wrote."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # it lists every glyph it keeps at INFO
    font = TTFont(str(source), fontNumber=source_face_number(source), lazy=False)
    options = subset.Options()
    options.layout_features = [f for f in options.layout_features if f not in DROPPED_FEATURES]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=subset_characters())
    subsetter.subset(font)
    _rename(font, SUBSET_FAMILY)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".font-", suffix=".otf")
    os.close(handle)
    try:
        font.save(temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return {"path": str(target), "glyphs": len(font.getGlyphOrder()), "bytes": target.stat().st_size,
            "characters": len(set(font.getBestCmap()))}


def subset_is_current(*, source: Path, target: Path) -> bool:
    """The subset exists and is not older than the font it was cut from."""
    return target.exists() and target.stat().st_mtime >= source.stat().st_mtime


def font_files() -> tuple[str, ...]:
    """The subset, for the renderer to add to its font configuration; none (the full font
    alone) when it is turned off or was not built, which is said once per process."""
    if not settings.PERMIT_CJK_SUBSET:
        return ()
    path = subset_path()
    if not path.exists():
        _warn_missing()
        return ()
    return (str(path),)


@cache
def _warn_missing() -> None:
    log.warning("the permit font subset %s is missing: permits render with the full CJK font, more slowly "
                "(run manage.py build_permit_font)", subset_path())
