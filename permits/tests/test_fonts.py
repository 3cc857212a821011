"""The permit's CJK font cut down to GB 2312 and Latin (permits.fonts), built from the installed
Noto Sans CJK, and how the renderer declares it."""

import io
import os
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from fontTools.ttLib import TTFont

from core import pdf as core_pdf
from permits import fonts

FULL = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    target = tmp_path_factory.mktemp("font") / "subset.otf"
    return target, fonts.build_subset(source=Path(FULL), target=target)


def test_gb2312_has_its_7445_characters():
    characters = fonts.gb2312_characters()
    assert len(characters) == 7445  # 6,763 hanzi and 682 other signs
    assert {ord(c) for c in "王芳餐饮经营许可证，。"} <= characters
    assert ord("堃") not in characters and ord("A") not in characters


def test_the_subset_keeps_gb2312_and_latin_and_is_renamed(built):
    target, result = built
    subset = TTFont(str(target))
    full = TTFont(FULL, fontNumber=fonts.source_face_number(Path(FULL)))
    kept, available = set(subset.getBestCmap()), set(full.getBestCmap())
    # What was asked and the font has (and a few signs drawn by the same glyphs as those).
    assert fonts.subset_characters() & available <= kept <= available
    assert len(kept - fonts.subset_characters()) < 10
    assert fonts.gb2312_characters() <= kept  # the full font has every GB 2312 character
    assert ord("堃") not in kept and ord("é") in kept
    assert result == {"path": str(target), "glyphs": len(subset.getGlyphOrder()), "bytes": target.stat().st_size,
                      "characters": len(kept)}
    assert len(subset.getGlyphOrder()) < len(full.getGlyphOrder()) / 6
    names = {n: subset["name"].getDebugName(n) for n in (1, 4, 6, 16)}
    assert names == {1: "Noto Sans CJK SC GB2312", 4: "Noto Sans CJK SC GB2312", 6: "NotoSansCJKSCGB2312",
                     16: "Noto Sans CJK SC GB2312"}
    assert subset["CFF "].cff.fontNames == ["NotoSansCJKSCGB2312"]


def test_the_face_is_found_by_name_in_the_collection():
    assert fonts.source_face_number(Path(FULL)) == 2
    with pytest.raises(ValueError, match="has no face named 'Nowhere Sans'"):
        fonts.source_face_number(Path(FULL), "Nowhere Sans")


def test_build_permit_font_keeps_a_current_subset_and_says_what_is_missing(tmp_path):
    out = io.StringIO()
    call_command("build_permit_font", stdout=out)
    assert out.getvalue() == f"The permit font {fonts.subset_path()} is current.\n"
    with pytest.raises(CommandError, match=f"The CJK font {tmp_path}/none.ttc is missing: install fonts-noto-cjk"):
        call_command("build_permit_font", "--source", str(tmp_path / "none.ttc"))


def test_the_renderer_adds_the_subset_unless_turned_off(settings):
    assert fonts.font_files() == (str(fonts.subset_path()),)
    settings.PERMIT_CJK_SUBSET = False
    assert fonts.font_files() == ()


def test_a_font_file_is_added_once_per_thread_to_one_font_configuration():
    config = core_pdf._font_config(fonts.font_files())
    assert core_pdf._font_config(fonts.font_files()) is config
    assert core_pdf._local.font_files == {str(fonts.subset_path())}
    with pytest.raises(ValueError, match="fontconfig cannot read the font /nonexistent.otf"):
        core_pdf._font_config(("/nonexistent.otf",))


def test_a_stylesheet_is_parsed_once_per_thread_and_again_when_it_changes(settings, tmp_path):
    config = core_pdf._font_config()
    first = core_pdf._stylesheet("permits/permit.css", config)
    assert core_pdf._stylesheet("permits/permit.css", config) is first
    (tmp_path / "permits").mkdir()
    sheet = tmp_path / "permits" / "extra.css"
    sheet.write_text("p { color: red }")
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, str(tmp_path)]
    parsed = core_pdf._stylesheet("permits/extra.css", config)
    assert core_pdf._stylesheet("permits/extra.css", config) is parsed
    sheet.write_text("p { color: blue; }")
    os.utime(sheet, ns=(sheet.stat().st_atime_ns, sheet.stat().st_mtime_ns + 1_000_000))
    assert core_pdf._stylesheet("permits/extra.css", config) is not parsed
    with pytest.raises(core_pdf.FetchRefused, match="no static stylesheet 'permits/none.css'"):
        core_pdf._stylesheet("permits/none.css", config)


def test_without_the_subset_permits_use_the_full_font_and_the_log_says_so_once(settings, tmp_path, caplog):
    settings.BASE_DIR = tmp_path  # a checkout where build_permit_font has not run
    fonts._warn_missing.cache_clear()
    assert fonts.font_files() == fonts.font_files() == ()
    assert [r.getMessage() for r in caplog.records if r.name == "permits.fonts"] == [
        f"the permit font subset {tmp_path}/static/permits/fonts/NotoSansCJKsc-GB2312.otf is missing: permits render "
        "with the full CJK font, more slowly (run manage.py build_permit_font)"]
    fonts._warn_missing.cache_clear()
