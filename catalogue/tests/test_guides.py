"""Service guides in catalogue files: loaded with their template files, each part a language lacks
warned of (file and path), --strict refusing them, files whose content is not their type refused,
and dumped back as loaded."""

import hashlib
import io
import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalogue.dumper import catalogue_dump
from catalogue.models import GuideFile, Service
from departments.models import Department

from .conftest import BASE, DEMO, counts, state

pytestmark = pytest.mark.django_db

SAMPLE_PDF = DEMO.parent / "floor-plan-sample.pdf"
SAMPLE_DOCX = DEMO.parent / "lease-declaration-form.docx"

OFFICE = """\
    address: {en: 1 Civic Square, zh-hans: 市民广场1号}
    opening_hours: {en: Monday to Friday 9-17, zh-hans: 周一至周五 9-17时}
    phone: "+86 10 1234 5601"
"""

GUIDE = """\
    guide:
      legal_basis:
        - {title: {en: Food Safety Law, zh-hans: 食品安全法}, link: "https://flk.npc.gov.cn/"}
        - {title: {en: Licensing Law, zh-hans: 行政许可法}}
      who_may_apply: {en: Anyone of full age, zh-hans: 年满十八周岁的自然人}
      conditions: {en: A separate kitchen, zh-hans: 独立厨房}
      materials:
        - {name: {en: Floor plan, zh-hans: 平面图}, specification: copy, copies: 2,
           format: {en: PDF A4, zh-hans: PDF A4}, template: plan.pdf}
        - {name: {en: Lease declaration, zh-hans: 租赁声明}, specification: original, copies: 1,
           format: {en: DOCX, zh-hans: DOCX}, template: lease.docx}
      statutory_days: 20
      faq:
        - question: {en: Do I go in person?, zh-hans: 需要到现场吗？}
          answer: {en: No., zh-hans: 不需要。}
"""


def guided(text: str = GUIDE) -> str:
    """BASE with every department's office and a guide for the restaurant (the other two services
    have none)."""
    catalogue = BASE
    for department in ("registration", "health", "fire"):
        start = catalogue.index(f"  - code: {department}\n")
        end = catalogue.index("\n  - code: ", start + 1) + 1 if department != "fire" else catalogue.index("fields:")
        catalogue = catalogue[:end] + OFFICE + catalogue[end:]
    anchor = "      - {department: fire, stage: 2, sla_days: 5, fields: [floor_plan, seats]}\n"
    return catalogue.replace(anchor, anchor + text)


@pytest.fixture
def folder(tmp_path):
    shutil.copy(SAMPLE_PDF, tmp_path / "plan.pdf")
    shutil.copy(SAMPLE_DOCX, tmp_path / "lease.docx")
    return tmp_path


def run(path, *args) -> tuple[str, list[str]]:
    out, err = io.StringIO(), io.StringIO()
    call_command("load_catalogue", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue().splitlines()


def only_restaurant(path, lines):
    """The warnings about the restaurant and the departments (the other services have no guide)."""
    return [line for line in lines if "services[1]" not in line and "services[2]" not in line]


def test_a_complete_guide_loads_with_its_files_stored_with_their_hash(folder, write, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    path = write("guided.yaml", guided())

    out, warnings = run(path)

    assert only_restaurant(path, warnings) == []
    assert "Guide files: 2 stored or removed\n" in out
    restaurant = Service.objects.get(slug="open-a-restaurant")
    assert restaurant.guide == {
        "legal_basis": [{"title": {"en": "Food Safety Law", "zh-hans": "食品安全法"}, "link": "https://flk.npc.gov.cn/"},
                        {"title": {"en": "Licensing Law", "zh-hans": "行政许可法"}}],
        "who_may_apply": {"en": "Anyone of full age", "zh-hans": "年满十八周岁的自然人"},
        "conditions": {"en": "A separate kitchen", "zh-hans": "独立厨房"},
        "materials": [
            {"name": {"en": "Floor plan", "zh-hans": "平面图"}, "specification": "copy", "copies": 2,
             "format": {"en": "PDF A4", "zh-hans": "PDF A4"}, "template": "plan.pdf"},
            {"name": {"en": "Lease declaration", "zh-hans": "租赁声明"}, "specification": "original", "copies": 1,
             "format": {"en": "DOCX", "zh-hans": "DOCX"}, "template": "lease.docx"},
        ],
        "statutory_days": 20,
        "faq": [{"question": {"en": "Do I go in person?", "zh-hans": "需要到现场吗？"},
                 "answer": {"en": "No.", "zh-hans": "不需要。"}}],
    }
    pdf = SAMPLE_PDF.read_bytes()
    files = {f.name: f for f in GuideFile.objects.filter(service=restaurant)}
    assert sorted(files) == ["lease.docx", "plan.pdf"]
    plan = files["plan.pdf"]
    assert (plan.content_type, plan.size, plan.sha256) == ("application/pdf", len(pdf), hashlib.sha256(pdf).hexdigest())
    assert plan.file.name == f"guides/{plan.sha256[:2]}/{plan.sha256}"
    with plan.file.open("rb") as stored:
        assert stored.read() == pdf
    assert files["lease.docx"].content_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    health = Department.objects.get(code="health")
    assert (health.address, health.phone) == ({"en": "1 Civic Square", "zh-hans": "市民广场1号"}, "+86 10 1234 5601")

    # Loading again stores nothing again and publishes nothing.
    out, _warnings = run(path)
    assert "Guide files" not in out
    assert out.splitlines()[-1] == "No new versions published: every service is unchanged."


def test_every_missing_part_is_warned_with_file_and_path(folder, write, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    partial = (GUIDE.replace("{en: Licensing Law, zh-hans: 行政许可法}", "{en: Licensing Law}")
               .replace("      conditions: {en: A separate kitchen, zh-hans: 独立厨房}\n", "")
               .replace("format: {en: DOCX, zh-hans: DOCX}", "format: {zh-hans: DOCX}")
               .replace("      statutory_days: 20\n", "")
               .replace("answer: {en: No., zh-hans: 不需要。}", "answer: {en: No.}"))
    catalogue = guided(partial).replace(
        '    phone: "+86 10 1234 5601"\n  - code: health', "  - code: health", 1)
    path = write("partial.yaml", catalogue)

    _out, warnings = run(path)

    assert only_restaurant(path, warnings) == [
        f"warning: {path}: departments[0].phone: not yet published in en: phone number",
        f"warning: {path}: departments[0].phone: not yet published in zh-hans: phone number",
        f"warning: {path}: services[0].guide.conditions: not yet published in en: the conditions",
        f"warning: {path}: services[0].guide.materials[1].format: not yet published in en: the materials to bring",
        f"warning: {path}: services[0].guide.statutory_days: not yet published in en: the statutory time limit",
        f"warning: {path}: services[0].guide.legal_basis[1].title: not yet published in zh-hans: the legal basis",
        f"warning: {path}: services[0].guide.conditions: not yet published in zh-hans: the conditions",
        f"warning: {path}: services[0].guide.statutory_days: not yet published in zh-hans: the statutory time limit",
        f"warning: {path}: services[0].guide.faq[0].answer: not yet published in zh-hans: "
        "the frequently asked questions",
    ]
    # A service without a guide: each part, in each language.
    assert [line for line in warnings if "services[1]" in line][:3] == [
        f"warning: {path}: services[1].fee: not yet published in en: the fee",
        f"warning: {path}: services[1].guide.legal_basis: not yet published in en: the legal basis",
        f"warning: {path}: services[1].guide.who_may_apply: not yet published in en: who may apply",
    ]
    assert Service.objects.get(slug="open-a-restaurant").guide["materials"][1]["format"] == {"zh-hans": "DOCX"}


def test_strict_refuses_an_incomplete_guide_and_loads_nothing(folder, write, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    path = write("guided.yaml", guided(GUIDE.replace("{en: Anyone of full age, zh-hans: 年满十八周岁的自然人}",
                                                     "{en: Anyone of full age}")))
    before = state()
    err = io.StringIO()

    with pytest.raises(CommandError) as excinfo:
        call_command("load_catalogue", str(path), "--strict", stdout=io.StringIO(), stderr=err)

    lines = err.getvalue().splitlines()
    assert f"error: {path}: services[0].guide.who_may_apply: not yet published in zh-hans: who may apply" in lines
    assert all(line.startswith("error: ") for line in lines)
    assert str(excinfo.value) == f"{len(lines)} parts of the guides not published (--strict); nothing was changed."
    assert state() == before
    assert counts()["services"] == 0
    assert GuideFile.objects.count() == 0


def test_strict_loads_complete_guides(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    out, warnings = run(DEMO, "--strict")
    assert warnings == []
    assert GuideFile.objects.count() == 10
    assert out.splitlines()[-1].startswith("New versions published (9)")


@pytest.mark.parametrize(("name", "content", "message"), [
    ("plan.pdf", b"#!/bin/sh\necho hello\n", "'plan.pdf' is not a PDF file: its content is text/x-shellscript"),
    ("plan.pdf", SAMPLE_DOCX.read_bytes(), "'plan.pdf' is not a PDF file: its content is "
                                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("plan.pdf", b"", "'plan.pdf' is empty"),
    ("plan.docx", b"PK\x03\x04 not really a zip", "'plan.docx' is not a DOCX file: its content is application/octet-stream"),
    ("plan.png", SAMPLE_PDF.read_bytes(), "'plan.png' is not a PNG file: its content is application/pdf"),
    ("plan.svg", b"<svg/>", "'plan.svg' is not an allowed type of file (allowed: docx, jpeg, jpg, odt, pdf, png, xlsx)"),
])
def test_a_file_that_is_not_what_its_name_says_is_a_load_error(write, load_errors, tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    text = GUIDE.replace("template: plan.pdf", f"template: {name}").replace(", template: lease.docx", "", 1)
    path = write("bad.yaml", guided(text))

    assert load_errors(path) == [f"{path}: services[0].guide.materials[0].template: {message}"]
    assert counts()["services"] == 0


@pytest.mark.parametrize(("old", "new", "error"), [
    ("template: plan.pdf", "template: missing.pdf",
     "services[0].guide.materials[0].template: file 'missing.pdf' not found beside the catalogue file"),
    ("template: plan.pdf", "template: ../plan.pdf",
     "services[0].guide.materials[0].template: '../plan.pdf' is not a file name beside the catalogue file "
     "(letters, digits, . _ - and an extension)"),
    ("specification: copy", "specification: photocopy",
     "services[0].guide.materials[0].specification: must be one of original, copy, original_and_copy"),
    ("copies: 2", "copies: 0", "services[0].guide.materials[0].copies: must be a whole number greater than 0, not 0"),
    ('link: "https://flk.npc.gov.cn/"', 'link: "javascript:alert(1)"',
     "services[0].guide.legal_basis[0].link: 'javascript:alert(1)' is not a web address (https://…)"),
    ("statutory_days: 20", "statutory_days: soon",
     "services[0].guide.statutory_days: must be a whole number greater than 0, not 'soon'"),
    ("who_may_apply: {en: Anyone of full age, zh-hans: 年满十八周岁的自然人}", "who_may_apply: {fr: Tout le monde}",
     "services[0].guide.who_may_apply.fr: unknown language (expected one of en, zh-hans)"),
    ("      statutory_days: 20\n", "      statutory_days: 20\n      fees: 5\n",
     "services[0].guide.fees: unknown key (expected one of legal_basis, who_may_apply, conditions, materials, "
     "statutory_days, promised_days, faq)"),
])
def test_a_bad_guide_is_reported_at_its_path(folder, write, load_errors, old, new, error):
    path = write("bad.yaml", guided(GUIDE.replace(old, new)))
    assert load_errors(path) == [f"{path}: {error}"]


def test_a_bad_phone_is_reported(folder, write, load_errors):
    path = write("bad.yaml", guided().replace('phone: "+86 10 1234 5601"', "phone: call us", 1))
    assert load_errors(path) == [
        f"{path}: departments[0].phone: 'call us' is not a phone number (digits, spaces, + - and brackets, at most "
        "40 characters)"]


def test_load_dump_load_is_a_fixed_point(folder, write, load, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    load(write("guided.yaml", guided()))
    dumped = catalogue_dump()
    assert ("    guide:\n      legal_basis:\n"
            "        - {title: {en: Food Safety Law, zh-hans: 食品安全法}, link: 'https://flk.npc.gov.cn/'}\n") in dumped
    assert "        - {name: {en: Floor plan, zh-hans: 平面图}, specification: copy, copies: 2, format: " \
           "{en: PDF A4, zh-hans: PDF A4}, template: plan.pdf}\n" in dumped
    assert "    address: {en: 1 Civic Square, zh-hans: 市民广场1号}\n" in dumped
    first = folder / "first.yaml"
    first.write_text(dumped, encoding="utf-8")
    before = state()

    output = load(first)

    assert output.splitlines()[-1] == "No new versions published: every service is unchanged."
    assert state() == before
    assert catalogue_dump() == dumped
