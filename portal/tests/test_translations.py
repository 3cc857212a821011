"""The Simplified Chinese catalogue: complete, consistent with its sources, compiled, and in use.

The .po file is read with a small parser (standard library only); the compiled .mo files are
read with gettext.GNUTranslations. Checking msgfmt's own output needs GNU gettext: without it
that test is skipped, unless STRICT=1, when it fails."""

import ast
import gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from approvals.models import ApplicationStatus
from tests.services import require_tool

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"

# printf-style conversions as Python's % operator reads them; "%%" is a literal percent sign.
PERCENT = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?P<conv>[diouxXeEfFgGcrsa%])")
BRACE = re.compile(r"\{(?P<name>[A-Za-z_]\w*)?(?:[!:][^{}]*)?\}")


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid

    def __str__(self) -> str:
        return f"{PO.name}:{self.line} {self.msgid!r}"


def parse_po(text: str) -> list[Entry]:
    """Entries in file order, the header (msgid "") included. Entries are separated by blank lines."""
    keyword = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            entry = target = None
            continue
        if entry is None:
            entry = Entry(line=number)
            entries.append(entry)
        if line.startswith("#~"):
            entry.obsolete = True
        elif line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
        elif line.startswith("#"):
            continue
        elif match := keyword.match(line):
            name, index, literal = match.groups()
            if name.startswith("msgstr"):
                target = ("msgstr", int(index or 0))
                entry.msgstr[target[1]] = ast.literal_eval(literal)
            else:
                target = (name, 0)
                setattr(entry, name, ast.literal_eval(literal))
        elif line.startswith('"') and target is not None:
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += ast.literal_eval(line)
            else:
                setattr(entry, name, getattr(entry, name) + ast.literal_eval(line))
        else:
            raise AssertionError(f"{PO.name}:{number}: cannot read {raw!r}")
    return entries


def placeholders(text: str, entry: Entry) -> tuple[frozenset, tuple]:
    """Named placeholders as a set, positional ones in order (their order is their meaning)."""
    named, positional = set(), []
    if "python-brace-format" in entry.flags:
        for m in BRACE.finditer(text.replace("{{", "").replace("}}", "")):
            if m["name"]:
                named.add("{" + m["name"] + "}")
            else:
                positional.append("{}")
    if "no-python-format" not in entry.flags:
        for m in PERCENT.finditer(text):
            if m["conv"] == "%":
                continue
            if m["name"] is not None:
                named.add(f"%({m['name']}){m['conv']}")
            else:
                positional.append(m.group(0))
    return frozenset(named), tuple(positional)


def source_placeholders(entry: Entry) -> tuple[frozenset, tuple]:
    """What every translation must carry: the singular's and the plural's placeholders together."""
    named, positional = placeholders(entry.msgid, entry)
    if entry.msgid_plural is not None:
        plural_named, plural_positional = placeholders(entry.msgid_plural, entry)
        named, positional = named | plural_named, max(positional, plural_positional, key=len)
    return named, positional


def header_fields(header: Entry) -> dict[str, str]:
    lines = header.msgstr.get(0, "").splitlines()
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in lines if ":" in line)}


def expected_catalog(entries: list[Entry]) -> dict:
    """What a compiled .mo holds for these entries, keyed as GNUTranslations keys its catalog."""
    catalog = {}
    for e in entries:
        if e.msgid_plural is None:
            catalog[e.key] = e.msgstr[0]
        else:
            for index, text in e.msgstr.items():
                catalog[(e.key, index)] = text
    return catalog


def read_mo(path: Path) -> dict:
    with path.open("rb") as fp:
        catalog = dict(gettext.GNUTranslations(fp)._catalog)
    catalog.pop("", None)  # the header
    return catalog


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    assert PO.is_file(), f"{PO} is missing: run makemessages -l zh_Hans"
    return parse_po(PO.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def header(po_entries) -> Entry:
    headers = [e for e in po_entries if e.msgid == "" and e.msgctxt is None and not e.obsolete]
    assert len(headers) == 1
    return headers[0]


@pytest.fixture(scope="module")
def messages(po_entries) -> list[Entry]:
    active = [e for e in po_entries if not e.obsolete and not (e.msgid == "" and e.msgctxt is None)]
    assert len(active) > 100, "the catalogue looks truncated"
    return active


def test_header_declares_simplified_chinese_utf8_and_one_plural_form(header):
    fields = header_fields(header)
    assert "fuzzy" not in header.flags
    assert fields["Language"] == "zh_Hans"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == "nplurals=1; plural=0;"
    assert fields["Project-Id-Version"].startswith("one-stop-portal")
    assert "FULL NAME" not in fields.get("Last-Translator", "")
    assert "@" not in fields.get("Last-Translator", "")


def test_every_message_is_translated_and_none_is_fuzzy(messages):
    fuzzy = [str(e) for e in messages if "fuzzy" in e.flags]
    empty = [str(e) for e in messages if not e.msgstr or not all(s.strip() for s in e.msgstr.values())]
    assert not fuzzy, "fuzzy entries:\n" + "\n".join(fuzzy)
    assert not empty, "untranslated entries:\n" + "\n".join(empty)


def test_plural_entries_have_exactly_one_form(messages):
    wrong = [str(e) for e in messages if e.msgid_plural is not None and set(e.msgstr) != {0}]
    assert not wrong, "plural entries need msgstr[0] only (nplurals=1):\n" + "\n".join(wrong)


def test_no_message_id_is_listed_twice(messages):
    keys = [e.key for e in messages]
    assert len(keys) == len(set(keys))


def test_placeholders_match(messages):
    problems = []
    for e in messages:
        expected = source_placeholders(e)
        for index, text in e.msgstr.items():
            got = placeholders(text, e)
            if got != expected:
                problems.append(f"{e} msgstr[{index}]: expected {sorted(expected[0])} {list(expected[1])}, "
                                f"got {sorted(got[0])} {list(got[1])}")
    assert not problems, "\n".join(problems)


def test_python_format_translations_format(messages):
    """Every python-format translation takes the % operator with the arguments its source takes."""
    def sample(conversion: str):
        return 1 if conversion in "diouxXc" else "x"

    for e in messages:
        if "python-format" not in e.flags:
            continue
        named, positional = source_placeholders(e)
        for text in e.msgstr.values():
            if named:
                text % {token[2:-2]: sample(token[-1]) for token in named if token.startswith("%(")}
            elif positional:
                text % tuple(sample(token[-1]) for token in positional)


def test_committed_mo_matches_po(messages):
    assert MO.is_file(), f"{MO} is missing: run compilemessages -l zh_Hans"
    assert read_mo(MO) == expected_catalog(messages), "django.mo is stale: run compilemessages -l zh_Hans"


def test_msgfmt_check_passes_and_compiles_every_message(messages, tmp_path):
    msgfmt = shutil.which("msgfmt")
    require_tool(msgfmt is not None, "GNU gettext's msgfmt is required")
    out = tmp_path / "django.mo"
    result = subprocess.run([msgfmt, "--check", "-o", str(out), str(PO)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    compiled = read_mo(out)
    assert {k if isinstance(k, str) else k[0] for k in compiled} == {e.key for e in messages}
    assert compiled == expected_catalog(messages)


@pytest.mark.parametrize(("english", "chinese"), [
    ("Sign in", "登录"),
    ("Sign out", "退出登录"),
    ("Register", "注册"),
    ("Your details", "个人资料"),
    ("Withdraw the application", "撤回申请"),
    ("Submit application", "提交申请"),
    ("Your email address is confirmed and you are signed in.", "您的邮箱地址已确认，您已登录。"),
])
def test_gettext_returns_chinese(english, chinese):
    with translation.override("zh-hans"):
        assert translation.gettext(english) == chinese
    with translation.override("en"):
        assert translation.gettext(english) == english


def test_plural_and_placeholders_render_in_chinese():
    with translation.override("zh-hans"):
        assert translation.ngettext("%(count)d working day", "%(count)d working days", 1) % {"count": 1} == "1 个工作日"
        assert translation.ngettext("%(count)d working day", "%(count)d working days", 20) % {"count": 20} == "20 个工作日"
        assert (translation.gettext("Application %(ref)s was withdrawn.") % {"ref": "YW-2026-000123"}
                == "申请 YW-2026-000123 已撤回。")


def test_lazy_labels_and_template_tags_render_in_chinese():

    template = Template(
        "{% load i18n %}{% trans 'Review queue' %}|"
        "{% blocktrans count count=3 %}{{ count }} new message{% plural %}{{ count }} new messages{% endblocktrans %}"
    )
    with translation.override("zh-hans"):
        assert str(ApplicationStatus.NEEDS_CORRECTION.label) == "待补正"
        assert template.render(Context()) == "审批队列|3 条新留言"


def test_a_page_renders_in_chinese():
    request = RequestFactory().get("/accounts/password/reset/complete/")
    request.user = AnonymousUser()
    with translation.override("zh-hans"):
        html = render_to_string("accounts/password_reset_complete.html", request=request)
    assert '<html lang="zh-hans">' in html
    assert "<h1>密码已修改</h1>" in html
    assert "跳至主要内容" in html
    assert "一网通办政务服务平台。一次申请，各部门并联审批。" in html
    assert "Sign in" not in html and ">登录<" in html


def test_passkey_scripts_speak_chinese(client):
    """django-otp-webauthn's scripts take their messages from its JavaScript catalogue, which also
    reads the portal's djangojs.po: every message the scripts ask for is there in Chinese, and the
    compiled file is current."""
    import json

    import django_otp_webauthn
    from django.urls import reverse

    scripts = Path(django_otp_webauthn.__file__).parent / "static" / "django_otp_webauthn"
    asked = set()
    for script in scripts.glob("*.js"):
        asked |= {ast.literal_eval(m) for m in re.findall(r'gettext\(("(?:[^"\\]|\\.)*")\)', script.read_text())}
    assert "Verify with Passkey" in asked and "Register a Passkey" in asked
    entries = [e for e in parse_po((LC_MESSAGES / "djangojs.po").read_text(encoding="utf-8")) if e.msgid]
    assert read_mo(LC_MESSAGES / "djangojs.mo") == expected_catalog(entries)
    response = client.get(reverse("otp_webauthn:js-i18n-catalog"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    catalog = json.loads(re.search(r"const newcatalog = (\{.*?\});", response.content.decode(), re.S).group(1))
    assert sorted(m for m in asked if not catalog.get(m)) == []
    assert catalog["Verify with Passkey"] == "使用通行密钥验证"
