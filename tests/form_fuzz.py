"""Generated POSTs against the portal's HTML forms (tests/test_form_fuzzing.py): the routes come
from the URL conf (everything but the API, which schemathesis covers, and Django's own admin),
their arguments from a small world of real rows, their field names from the pages themselves, and
the bodies from hypothesis strategies: well-formed and malformed values, multipart bodies with
files, huge fields, invalid UTF-8 and NUL bytes, duplicate keys, a missing or wrong CSRF token."""

import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote_from_bytes

from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, SlugConverter
from hypothesis import strategies as st

SKIPPED_PREFIXES = ("api/", "admin/")


@dataclass(frozen=True)
class Route:
    name: str  # namespace:name
    parameters: tuple[tuple[str, str], ...]  # (name, "int" | "slug" | "str")


def _kind(converter) -> str:
    if isinstance(converter, IntConverter):
        return "int"
    if isinstance(converter, SlugConverter):
        return "slug"
    return "str"


def html_routes() -> list[Route]:
    """Every named route of the URL conf outside the API and the admin, once per name."""
    found: dict[str, Route] = {}

    def walk(patterns, prefix: str, namespace: str, converters: dict):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            here = {**converters, **getattr(pattern.pattern, "converters", {})}
            if isinstance(pattern, URLResolver):
                space = ":".join(part for part in (namespace, pattern.namespace or "") if part)
                walk(pattern.url_patterns, route, space, here)
            elif isinstance(pattern, URLPattern) and pattern.name and not route.startswith(SKIPPED_PREFIXES):
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found.setdefault(name, Route(name, tuple((key, _kind(value)) for key, value in here.items())))

    walk(get_resolver().url_patterns, "", "", {})
    return sorted(found.values(), key=lambda route: route.name)


@dataclass
class FormFields:
    """What a page's forms ask: field names, the values the page offers, which are files."""

    names: dict[str, list[str]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = FormFields()
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag in ("input", "textarea", "select", "button") and name and name != "csrfmiddlewaretoken":
            values = self.found.names.setdefault(name, [])
            if attrs.get("value") is not None:
                values.append(attrs["value"])
            if attrs.get("type") == "file":
                self.found.files.add(name)
            self._select = name if tag == "select" else None
        elif tag == "option" and self._select and attrs.get("value") is not None:
            self.found.names[self._select].append(attrs["value"])


def form_fields(html: str) -> FormFields:
    parser = _FormParser()
    parser.feed(html)
    return parser.found


# Field names the portal's forms use, for pages that have no GET to learn them from.
COMMON_NAMES = ["decision", "reason", "reasons", "conditions", "text", "body", "comment", "score", "days", "email",
                "password", "username", "code", "reference", "check_code", "file", "answer", "department",
                "officer", "note", "newest", "language", "next", "consent", "amount", "q", "step", "choice"]

HOSTILE_TEXT = ["", " ", "0", "-1", "99999999999999999999", "1e309", "NaN", "2026-02-30", "9999-12-31", "0000-00-00",
                "../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --", "\x00", "a\x00b", "\u202e", "𝔘𝔫𝔦",
                "中文", "\r\n\r\n", "%00", "{{ 7*7 }}", "${7*7}", "true", "null", "[]", "{}"]

texts = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=40), st.integers().map(str),
                  st.dates().map(str), st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=2000))


def value_strategy(offered: list[str]):
    """A value for a field: one the page offers (well-formed), or anything."""
    if offered:
        return st.one_of(st.sampled_from(offered), texts)
    return texts


@dataclass
class Body:
    """What a generated request sends: ``data`` through the test client (form or multipart), or
    ``raw`` bytes with their content type."""

    kind: str
    data: dict | None = None
    raw: bytes = b""
    content_type: str = ""
    csrf: str = "valid"  # valid | missing | wrong


PDF_START = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
files = st.tuples(st.text(max_size=30), st.one_of(st.binary(max_size=2048), st.just(PDF_START),
                                                  st.binary(max_size=64).map(lambda tail: PDF_START + tail)),
                  st.sampled_from(["application/pdf", "image/png", "text/html", "application/x-msdownload", ""]))


@st.composite
def bodies(draw, fields: FormFields):
    names = sorted(fields.names) or COMMON_NAMES
    chosen = draw(st.lists(st.sampled_from(names), max_size=len(names), unique=True)) if names else []
    extra = draw(st.lists(st.sampled_from(COMMON_NAMES), max_size=2, unique=True))
    data: dict = {}
    for name in chosen + extra:
        if draw(st.integers(0, 9)) == 0:  # the same key twice, with two values
            data[name] = [draw(value_strategy(fields.names.get(name, []))) for _ in range(2)]
        else:
            data[name] = draw(value_strategy(fields.names.get(name, [])))
    csrf = draw(st.sampled_from(["valid"] * 18 + ["missing", "wrong"]))
    kind = draw(st.sampled_from(["form"] * 5 + ["multipart"] * 2 + ["raw", "huge", "garbled"]))
    if kind == "multipart":
        from django.core.files.uploadedfile import SimpleUploadedFile

        for name in sorted(fields.files) or [draw(st.sampled_from(names))]:
            file_name, content, content_type = draw(files)
            # A name with nothing left of it once its folders are dropped is refused by Django itself.
            base = os.path.basename(file_name)
            data[name] = SimpleUploadedFile(base if base not in ("", ".", "..") else "f", content,
                                            content_type=content_type)
        return Body("multipart", data=data, csrf=csrf)
    if kind == "huge":
        size = draw(st.sampled_from([64 * 1024] * 4 + [1024 * 1024] * 2 + [6 * 1024 * 1024]))
        data[draw(st.sampled_from(names))] = "x" * size
        return Body("form", data=data, csrf=csrf)
    if kind == "raw":  # invalid UTF-8, NUL bytes and repeated keys in a urlencoded body
        pairs = [(name.encode(), draw(st.one_of(st.binary(max_size=40), st.sampled_from(
            [b"\xff\xfe", b"\xc3\x28", b"\x00", b"\xed\xa0\x80", b"caf\xe9"])))) for name in chosen + extra]
        raw = b"&".join(quote_from_bytes(key).encode() + b"=" + quote_from_bytes(value).encode()
                        for key, value in pairs + pairs[:1])
        return Body("raw", raw=raw, content_type="application/x-www-form-urlencoded", csrf=csrf)
    if kind == "garbled":  # a body that does not match its content type
        raw = draw(st.binary(max_size=512))
        content_type = draw(st.sampled_from(["multipart/form-data; boundary=zz", "multipart/form-data",
                                             "application/x-www-form-urlencoded; charset=latin-7",
                                             "application/json", "text/plain; charset=utf-16"]))
        return Body("raw", raw=raw, content_type=content_type, csrf=csrf)
    return Body("form", data=data, csrf=csrf)


def count_rows(tables: list[str]) -> tuple:
    """The row count of each table, in one statement."""
    with connection.cursor() as cursor:
        # The names are the models' own tables, never input.
        counts = ", ".join(f"(SELECT count(*) FROM {connection.ops.quote_name(table)})"  # noqa: S608
                           for table in tables)
        cursor.execute(f"SELECT {counts}")
        return cursor.fetchone()


def describe(body: Body) -> str:
    if body.kind == "raw":
        return f"raw {body.content_type} {body.raw[:200]!r} csrf={body.csrf}"
    shown = {key: (repr(value)[:80] if not hasattr(value, "read") else f"<file {value.name}>")
             for key, value in (body.data or {}).items()}
    return f"{body.kind} {shown} csrf={body.csrf}"


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
