"""Catalogue files: parsed and validated into plain data, then applied to the database.

A catalogue may be split across several YAML files; they are read as one, so a department or
field defined in one file may be used in another. Every file is checked completely and every
problem is reported (file, path, reason) before anything is written; applying is one
transaction that creates or updates by code, key and slug, never deletes a department, field or
service, and publishes a new service version only where the form actually changed.

The format (every top-level key optional in a given file)::

    calendar: {workdays: [mon, ...], holidays: [2026-10-01, ...]}
    departments: [{code, name, email}, ...]
    fields: [{key, kind, label, help, section, required, <rules by kind>}, ...]
    services: [{slug, name, life_event, description, synonyms: {en: [word, ...], ...}, fee,
                permit: {title, valid_days}, reviews: [{department, stage, sla_days, fields: [key, ...]}, ...]}, ...]
"""

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from core.i18n import REQUIRED_LANGUAGES
from departments.models import Department

from .models import Field, FieldKind, Holiday, Requirement, Service, WorkCalendar
from .schema import date_bound, date_rule_text, parse_date_rule, service_publish

TOP_LEVEL_KEYS = ("calendar", "departments", "fields", "services")
CALENDAR_KEYS = ("workdays", "holidays")
DEPARTMENT_KEYS = ("code", "name", "email")
RULE_KEYS = ("max_length", "min", "max", "choices", "accept", "max_size_mb")
FIELD_KEYS = ("key", "kind", "label", "help", "section", "required", *RULE_KEYS)
SERVICE_KEYS = ("slug", "name", "life_event", "description", "synonyms", "fee", "permit", "reviews")
SYNONYM_MAX = 100  # characters of one synonym
PERMIT_KEYS = ("title", "valid_days")
REVIEW_KEYS = ("department", "stage", "sla_days", "fields")
CHOICE_KEYS = ("value", "label")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

RULES_BY_KIND = {
    FieldKind.TEXT: ("max_length",),
    FieldKind.TEXTAREA: ("max_length",),
    FieldKind.EMAIL: ("max_length",),
    FieldKind.PHONE: ("max_length",),
    FieldKind.INTEGER: ("min", "max"),
    FieldKind.DECIMAL: ("min", "max"),
    FieldKind.DATE: ("min", "max"),
    FieldKind.CHOICE: ("choices",),
    FieldKind.MULTICHOICE: ("choices",),
    FieldKind.BOOLEAN: (),
    FieldKind.FILE: ("accept", "max_size_mb"),
}

CODE_RE = re.compile(r"^[a-z0-9_-]+$")
KEY_RE = re.compile(r"^[a-z0-9_]+$")
SLUG_RE = re.compile(r"^[a-z0-9_-]+$")
MIME_RE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9*][a-z0-9!#$&^_.+-]*$")
# Column limits of the models the values end up in.
CODE_MAX = Department._meta.get_field("code").max_length
KEY_MAX = Field._meta.get_field("key").max_length
SLUG_MAX = Service._meta.get_field("slug").max_length
EMAIL_MAX = Department._meta.get_field("email").max_length
SMALL_INT_MAX = 32767  # stage and sla_days are PositiveSmallIntegerField
INT_MAX = 2147483647


# -- plain data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    message: str

    def __str__(self):
        return f"{self.file}: {self.path}: {self.message}" if self.path else f"{self.file}: {self.message}"


class CatalogueInvalid(Exception):
    """The files are not a valid catalogue; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in the catalogue")
        self.problems = problems


@dataclass
class CalendarSpec:
    workdays: list[int]
    holidays: list[date]


@dataclass
class DepartmentSpec:
    code: str
    name: dict
    email: str


@dataclass
class FieldSpec:
    key: str
    kind: str
    label: dict
    help: dict
    section: dict
    required: bool
    rules: dict
    position: int


@dataclass
class ReviewSpec:
    department: str
    stage: int
    sla_days: int
    fields: list[str]
    position: int


@dataclass
class ServiceSpec:
    slug: str
    name: dict
    life_event: dict
    description: dict
    fee: dict
    permit_title: dict
    permit_valid_days: int
    reviews: list[ReviewSpec]
    position: int
    synonyms: dict = field(default_factory=dict)


@dataclass
class Catalogue:
    calendar: CalendarSpec | None = None
    departments: list[DepartmentSpec] = field(default_factory=list)
    fields: list[FieldSpec] = field(default_factory=list)
    services: list[ServiceSpec] = field(default_factory=list)


# -- YAML --------------------------------------------------------------------------------------


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe YAML that rejects a key given twice in one mapping (PyYAML keeps the last one
    silently) and leaves an impossible date such as 2026-13-01 as text, so that it is reported
    as a bad date at its path instead of failing the whole file."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable: the base class reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}", key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _yaml_problem(exc: yaml.YAMLError) -> tuple[str, str]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem, context = getattr(exc, "problem", None), getattr(exc, "context", None)
    message = f"{problem} ({context})" if problem and context else (problem or context or str(exc))
    if mark is None:
        return "", _("invalid YAML: %(message)s") % {"message": message}
    where = _("line %(line)d, column %(column)d") % {"line": mark.line + 1, "column": mark.column + 1}
    return where, _("invalid YAML: %(message)s") % {"message": message}


# -- checks on single values ---------------------------------------------------------------------

Report = Callable[[str, str], None]


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def _languages() -> tuple[str, ...]:
    return tuple(code.lower() for code, _name in settings.LANGUAGES)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _check_keys(entry: dict, allowed: Sequence[str], path: str, report: Report) -> None:
    for key in entry:
        if key not in allowed:
            report(_join(path, key), _("unknown key (expected one of %(keys)s)") % {"keys": ", ".join(allowed)})


def _require(entry: dict, keys: Iterable[str], path: str, report: Report) -> None:
    for key in keys:
        if key not in entry:
            report(_join(path, key), _("is required"))


def check_translations(value, path: str, report: Report, *, complete: bool = True) -> dict | None:
    """Text in every language: ``complete`` needs all of REQUIRED_LANGUAGES, otherwise English
    alone is enough (help, description, fee)."""
    if not isinstance(value, dict):
        report(path, _("must be translations, e.g. {en: ..., zh-hans: ...}"))
        return None
    languages = _languages()
    result, ok = {}, True
    for language, text in value.items():
        if language not in languages:
            report(_join(path, language), _("unknown language (expected one of %(languages)s)") % {
                "languages": ", ".join(languages)})
            ok = False
        elif not isinstance(text, str) or not text.strip():
            report(_join(path, language), _("must be non-empty text"))
            ok = False
        else:
            result[language] = text.strip()
    for language in REQUIRED_LANGUAGES if complete else REQUIRED_LANGUAGES[:1]:
        if language not in value:
            report(path, _("missing %(language)s translation") % {"language": language})
            ok = False
    return result if ok else None


def _positive_int(value, path: str, report: Report, *, maximum: int = INT_MAX) -> int | None:
    if not _is_int(value) or value < 1:
        report(path, _("must be a whole number greater than 0, not %(value)r") % {"value": value})
        return None
    if value > maximum:
        report(path, _("must be at most %(maximum)d") % {"maximum": maximum})
        return None
    return value


def _iso_date(value, path: str, report: Report) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    report(path, _("must be a date written YYYY-MM-DD, not %(value)r") % {"value": value})
    return None


def _pattern(value, path: str, report: Report, regex: re.Pattern, maximum: int, what: str) -> str | None:
    if not isinstance(value, str) or not regex.match(value):
        report(path, _("%(value)r is not a valid %(what)s (use %(pattern)s)") % {
            "value": value, "what": what, "pattern": regex.pattern.strip("^$")})
        return None
    if len(value) > maximum:
        report(path, _("must be at most %(maximum)d characters") % {"maximum": maximum})
        return None
    return value


def _list(value, path: str, report: Report, *, non_empty: bool = True) -> list | None:
    if not isinstance(value, list):
        report(path, _("must be a list"))
        return None
    if non_empty and not value:
        report(path, _("must not be empty"))
        return None
    return value


def _mapping(value, path: str, report: Report) -> dict | None:
    if not isinstance(value, dict):
        report(path, _("must be a mapping of keys to values"))
        return None
    return value


# -- checks on entries ---------------------------------------------------------------------------


def check_calendar(value, path: str, report: Report) -> CalendarSpec | None:
    entry = _mapping(value, path, report)
    if entry is None:
        return None
    _check_keys(entry, CALENDAR_KEYS, path, report)
    ok = True
    workdays = []
    if "workdays" in entry:
        items = _list(entry["workdays"], _join(path, "workdays"), report)
        ok &= items is not None
        for i, day in enumerate(items or []):
            item_path = f"{path}.workdays[{i}]"
            if day not in WEEKDAYS:
                report(item_path, _("unknown weekday %(value)r (expected one of %(days)s)") % {
                    "value": day, "days": ", ".join(WEEKDAYS)})
                ok = False
            elif WEEKDAYS.index(day) in workdays:
                report(item_path, _("%(value)s is listed twice") % {"value": day})
                ok = False
            else:
                workdays.append(WEEKDAYS.index(day))
    else:
        report(_join(path, "workdays"), _("is required"))
        ok = False
    holidays = []
    items = _list(entry.get("holidays", []), _join(path, "holidays"), report, non_empty=False)
    ok &= items is not None
    for i, value_ in enumerate(items or []):
        day = _iso_date(value_, f"{path}.holidays[{i}]", report)
        if day is None:
            ok = False
        elif day in holidays:
            report(f"{path}.holidays[{i}]", _("%(value)s is listed twice") % {"value": day.isoformat()})
            ok = False
        else:
            holidays.append(day)
    return CalendarSpec(workdays=sorted(workdays), holidays=sorted(holidays)) if ok else None


def check_department(value, path: str, report: Report) -> DepartmentSpec | None:
    entry = _mapping(value, path, report)
    if entry is None:
        return None
    _check_keys(entry, DEPARTMENT_KEYS, path, report)
    _require(entry, ("code", "name"), path, report)
    code = None
    if "code" in entry:
        code = _pattern(entry["code"], _join(path, "code"), report, CODE_RE, CODE_MAX, _("department code"))
    name = check_translations(entry["name"], _join(path, "name"), report) if "name" in entry else None
    email = entry.get("email", "")
    if email not in ("", None):
        try:
            if not isinstance(email, str) or len(email) > EMAIL_MAX:
                raise ValidationError("")
            validate_email(email)
        except ValidationError:
            report(_join(path, "email"), _("%(value)r is not a valid email address") % {"value": email})
            email = None
    if None in (code, name, email) or len(set(entry) - set(DEPARTMENT_KEYS)):
        return None
    return DepartmentSpec(code=code, name=name, email=email or "")


def _check_bounds(entry: dict, kind: str, path: str, report: Report, rules: dict) -> bool:
    ok = True
    bounds = {}
    for key in ("min", "max"):
        if key not in entry:
            continue
        value, key_path = entry[key], _join(path, key)
        if kind == FieldKind.DATE:
            rule = parse_date_rule(value)
            if rule is None:
                report(key_path, _(
                    "must be a date written YYYY-MM-DD or a day relative to today: today, or today+N or today-N "
                    "with N days (d), weeks (w), months (m) or years (y) up to 100 years, e.g. today+365d or "
                    "today-18y; not %(value)r") % {"value": value})
                ok = False
            else:
                rules[key] = date_rule_text(rule)
                # A fixed day and a relative one pass each other as time goes by: only two fixed
                # days, or two relative ones (on any one day), are compared.
                bounds[key] = (isinstance(rule, date), date_bound(rules[key], date(2000, 1, 1)))
        elif (kind == FieldKind.INTEGER and not _is_int(value)) or not _is_number(value):
            report(key_path, _("must be a %(what)s, not %(value)r") % {
                "what": _("whole number") if kind == FieldKind.INTEGER else _("number"), "value": value})
            ok = False
        else:
            bounds[key] = rules[key] = value
    if kind == FieldKind.DATE and len(bounds) == 2 and bounds["min"][0] != bounds["max"][0]:
        return ok
    if len(bounds) == 2 and bounds["min"] > bounds["max"]:
        report(_join(path, "min"), _("must not be greater than max"))
        ok = False
    return ok


def _check_choices(value, path: str, report: Report) -> list | None:
    items = _list(value, path, report)
    if items is None:
        return None
    choices, seen, ok = [], set(), True
    for i, item in enumerate(items):
        item_path = f"{path}[{i}]"
        entry = _mapping(item, item_path, report)
        if entry is None:
            ok = False
            continue
        _check_keys(entry, CHOICE_KEYS, item_path, report)
        _require(entry, CHOICE_KEYS, item_path, report)
        choice_value = entry.get("value")
        if "value" in entry and (not isinstance(choice_value, str) or not choice_value.strip()):
            report(_join(item_path, "value"), _("must be non-empty text, not %(value)r") % {"value": choice_value})
            choice_value = None
        elif choice_value in seen:
            report(_join(item_path, "value"), _("duplicate choice %(value)r") % {"value": choice_value})
            choice_value = None
        if choice_value is not None:
            seen.add(choice_value)
        label = check_translations(entry["label"], _join(item_path, "label"), report) if "label" in entry else None
        if choice_value is None or label is None or set(entry) - set(CHOICE_KEYS):
            ok = False
            continue
        choices.append({"value": choice_value, "label": label})
    return choices if ok else None


def _check_accept(value, path: str, report: Report) -> list | None:
    items = _list(value, path, report)
    if items is None:
        return None
    ok, accept = True, []
    for i, item in enumerate(items):
        if not isinstance(item, str) or not MIME_RE.match(item):
            report(f"{path}[{i}]", _("%(value)r is not a MIME type such as application/pdf") % {"value": item})
            ok = False
        elif item in accept:
            report(f"{path}[{i}]", _("%(value)s is listed twice") % {"value": item})
            ok = False
        else:
            accept.append(item)
    return accept if ok else None


def check_field(value, path: str, report: Report, *, position: int = 0) -> FieldSpec | None:
    entry = _mapping(value, path, report)
    if entry is None:
        return None
    _check_keys(entry, FIELD_KEYS, path, report)
    _require(entry, ("key", "kind", "label"), path, report)
    ok = not (set(entry) - set(FIELD_KEYS)) and all(k in entry for k in ("key", "kind", "label"))
    key = _pattern(entry["key"], _join(path, "key"), report, KEY_RE, KEY_MAX, _("field key")) if "key" in entry else None
    kind = entry.get("kind")
    if "kind" in entry and kind not in FieldKind.values:
        report(_join(path, "kind"), _("unknown kind %(value)r (expected one of %(kinds)s)") % {
            "value": kind, "kinds": ", ".join(FieldKind.values)})
        kind = None
    label = check_translations(entry["label"], _join(path, "label"), report) if "label" in entry else None
    help_ = check_translations(entry["help"], _join(path, "help"), report, complete=False) if "help" in entry else {}
    section = check_translations(entry["section"], _join(path, "section"), report) if "section" in entry else {}
    required = entry.get("required", False)
    if not isinstance(required, bool):
        report(_join(path, "required"), _("must be true or false, not %(value)r") % {"value": required})
        ok = False
    ok &= None not in (key, kind, label, help_, section)

    rules: dict = {}
    if kind is not None:
        allowed = RULES_BY_KIND[kind]
        for rule in RULE_KEYS:
            if rule in entry and rule not in allowed:
                report(_join(path, rule), _("is not allowed for kind %(kind)s") % {"kind": kind})
                ok = False
        if "max_length" in entry and "max_length" in allowed:
            max_length = _positive_int(entry["max_length"], _join(path, "max_length"), report)
            ok &= max_length is not None
            rules["max_length"] = max_length
        if "min" in allowed:
            ok &= _check_bounds(entry, kind, path, report, rules)
        if "choices" in allowed:
            if "choices" not in entry:
                report(_join(path, "choices"), _("is required for kind %(kind)s") % {"kind": kind})
                ok = False
            else:
                choices = _check_choices(entry["choices"], _join(path, "choices"), report)
                ok &= choices is not None
                rules["choices"] = choices
        if "accept" in entry and "accept" in allowed:
            accept = _check_accept(entry["accept"], _join(path, "accept"), report)
            ok &= accept is not None
            rules["accept"] = accept
        if "max_size_mb" in entry and "max_size_mb" in allowed:
            size = entry["max_size_mb"]
            if not _is_number(size) or size <= 0:
                report(_join(path, "max_size_mb"), _("must be a number greater than 0, not %(value)r") % {"value": size})
                ok = False
            rules["max_size_mb"] = size
    if not ok:
        return None
    return FieldSpec(key=key, kind=str(kind), label=label, help=help_, section=section, required=required,
                     rules={k: rules[k] for k in RULE_KEYS if k in rules}, position=position)


def check_review(value, path: str, report: Report, *, position: int = 0) -> ReviewSpec | None:
    entry = _mapping(value, path, report)
    if entry is None:
        return None
    _check_keys(entry, REVIEW_KEYS, path, report)
    _require(entry, REVIEW_KEYS, path, report)
    department = entry.get("department")
    if "department" in entry and not isinstance(department, str):
        report(_join(path, "department"), _("must be a department code, not %(value)r") % {"value": department})
        department = None
    stage, sla = (
        _positive_int(entry[key], _join(path, key), report, maximum=SMALL_INT_MAX) if key in entry else None
        for key in ("stage", "sla_days")
    )
    keys = _list(entry["fields"], _join(path, "fields"), report) if "fields" in entry else None
    ok = keys is not None
    for i, key in enumerate(keys or []):
        if not isinstance(key, str):
            report(f"{path}.fields[{i}]", _("must be a field key, not %(value)r") % {"value": key})
            ok = False
        elif key in keys[:i]:
            report(f"{path}.fields[{i}]", _("field %(key)r is listed twice") % {"key": key})
            ok = False
    if not ok or None in (department, stage, sla) or set(entry) - set(REVIEW_KEYS):
        return None
    return ReviewSpec(department=department, stage=stage, sla_days=sla, fields=list(keys), position=position)


def check_synonyms(value, path: str, report: Report) -> dict | None:
    """Search synonyms of a service: per language, a list of distinct words or phrases."""
    if not isinstance(value, dict):
        report(path, _("must be lists of words per language, e.g. {en: [eatery, diner], zh-hans: [餐厅]}"))
        return None
    languages = _languages()
    result, ok = {}, True
    for language, words in value.items():
        language_path = _join(path, language)
        if language not in languages:
            report(language_path, _("unknown language (expected one of %(languages)s)") % {
                "languages": ", ".join(languages)})
            ok = False
            continue
        if _list(words, language_path, report) is None:
            ok = False
            continue
        seen = {}
        for i, word in enumerate(words):
            word_path = f"{language_path}[{i}]"
            if not isinstance(word, str) or not word.strip():
                report(word_path, _("must be non-empty text"))
                ok = False
            elif len(word.strip()) > SYNONYM_MAX:
                report(word_path, _("must be at most %(maximum)d characters") % {"maximum": SYNONYM_MAX})
                ok = False
            elif word.strip().lower() in seen:
                report(word_path, _("%(word)r is already listed (%(language)s[%(index)d])") % {
                    "word": word.strip(), "language": language, "index": seen[word.strip().lower()]})
                ok = False
            else:
                seen[word.strip().lower()] = i
        result[language] = [w.strip() for w in words if isinstance(w, str)]
    return result if ok else None


def check_service(value, path: str, report: Report, *, position: int = 0,
                  references: list | None = None) -> ServiceSpec | None:
    """One service on its own. The departments and fields its reviews name are appended to
    ``references`` as (kind, value, path), for the caller to check against the whole catalogue."""
    entry = _mapping(value, path, report)
    if entry is None:
        return None
    _check_keys(entry, SERVICE_KEYS, path, report)
    _require(entry, ("slug", "name", "life_event", "permit", "reviews"), path, report)
    ok = not (set(entry) - set(SERVICE_KEYS))
    slug = _pattern(entry["slug"], _join(path, "slug"), report, SLUG_RE, SLUG_MAX, _("service slug")) if "slug" in entry else None
    texts = {}
    for key, complete in (("name", True), ("life_event", True), ("description", False), ("fee", False)):
        if key in entry:
            texts[key] = check_translations(entry[key], _join(path, key), report, complete=complete)
        else:
            texts[key] = None if complete else {}
    synonyms = check_synonyms(entry["synonyms"], _join(path, "synonyms"), report) if "synonyms" in entry else {}
    ok &= synonyms is not None
    title = valid_days = None
    if "permit" in entry:
        permit_path = _join(path, "permit")
        permit = _mapping(entry["permit"], permit_path, report)
        if permit is not None:
            _check_keys(permit, PERMIT_KEYS, permit_path, report)
            _require(permit, PERMIT_KEYS, permit_path, report)
            ok &= not (set(permit) - set(PERMIT_KEYS))
            if "title" in permit:
                title = check_translations(permit["title"], _join(permit_path, "title"), report)
            if "valid_days" in permit:
                valid_days = _positive_int(permit["valid_days"], _join(permit_path, "valid_days"), report)
    reviews = []
    items = _list(entry["reviews"], _join(path, "reviews"), report) if "reviews" in entry else None
    ok &= items is not None
    # Duplicates and stages are judged on every review that names them, valid or not, so that
    # one bad review does not hide other problems.
    departments: dict[str, int] = {}
    stages = set()
    for i, item in enumerate(items or []):
        review_path = f"{path}.reviews[{i}]"
        review = check_review(item, review_path, report, position=i)
        ok &= review is not None
        if not isinstance(item, dict):
            continue
        code, stage = item.get("department"), item.get("stage")
        if _is_int(stage) and 1 <= stage <= SMALL_INT_MAX:
            stages.add(stage)
        duplicate = isinstance(code, str) and code in departments
        if isinstance(code, str) and not duplicate:
            departments[code] = i
            if references is not None:
                references.append(("department", code, f"{review_path}.department"))
        if references is not None and isinstance(item.get("fields"), list):
            references.extend(
                ("field", key, f"{review_path}.fields[{j}]") for j, key in enumerate(item["fields"]) if isinstance(key, str)
            )
        if duplicate:
            report(f"{review_path}.department", _(
                "department %(code)r already reviews this service (reviews[%(index)d])"
            ) % {"code": code, "index": departments[code]})
            ok = False
        elif review is not None:
            reviews.append(review)
    if stages and sorted(stages) != list(range(1, len(stages) + 1)):
        report(_join(path, "reviews"), _("stages must start at 1 and have no gaps, found %(stages)s") % {
            "stages": ", ".join(map(str, sorted(stages)))})
        ok = False
    if not ok or None in (slug, title, valid_days, *texts.values()):
        return None
    return ServiceSpec(
        slug=slug, name=texts["name"], life_event=texts["life_event"], description=texts["description"],
        fee=texts["fee"], permit_title=title, permit_valid_days=valid_days, reviews=reviews, position=position,
        synonyms=synonyms,
    )


# -- reading files -------------------------------------------------------------------------------


class _Reader:
    def __init__(self):
        self.files: list[str] = []
        self.problems: list[Problem] = []
        self.catalogue = Catalogue()
        self.calendar_origin: str | None = None
        # code/key/slug -> "file: path" of its first definition, for duplicates across files
        self.origins: dict[str, dict[str, str]] = {"departments": {}, "fields": {}, "services": {}}
        self.field_count = 0
        self.service_count = 0
        # (file, kind, value, path) of each department and field a review names, checked at the end
        self.references: list[tuple[str, str, str, str]] = []

    def reporter(self, file: str) -> Report:
        return lambda path, message: self.problems.append(Problem(file, path, message))

    def read(self, path: Path) -> None:
        file = str(path)
        self.files.append(file)
        report = self.reporter(file)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            report("", _("file not found"))
            return
        except IsADirectoryError:
            report("", _("is a directory, not a catalogue file"))
            return
        except UnicodeDecodeError:
            report("", _("is not UTF-8 text"))
            return
        except OSError as exc:
            report("", _("cannot be read: %(reason)s") % {"reason": exc.strerror or exc})
            return
        try:
            data = yaml.load(text, Loader=_Loader)  # noqa: S506 -- _Loader is a SafeLoader
        except yaml.YAMLError as exc:
            report(*_yaml_problem(exc))
            return
        except (ValueError, RecursionError) as exc:  # a constructor rejecting a tagged value
            report("", _("invalid YAML: %(message)s") % {"message": exc})
            return
        if data is None:
            return
        if not isinstance(data, dict):
            report("", _("must be a mapping with any of the keys %(keys)s") % {"keys": ", ".join(TOP_LEVEL_KEYS)})
            return
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                report(str(key), _("unknown top-level key (expected one of %(keys)s)") % {"keys": ", ".join(TOP_LEVEL_KEYS)})
        if "calendar" in data:
            self._calendar(file, data["calendar"], report)
        for kind in ("departments", "fields", "services"):
            if kind in data:
                items = _list(data[kind], kind, report, non_empty=False)
                for i, item in enumerate(items or []):
                    getattr(self, f"_{kind}")(file, f"{kind}[{i}]", item, report)

    def _calendar(self, file, value, report):
        if self.calendar_origin is not None:
            report("calendar", _("the calendar is already defined in %(origin)s") % {"origin": self.calendar_origin})
            return
        self.calendar_origin = file
        self.catalogue.calendar = check_calendar(value, "calendar", report)

    def _unique(self, kind: str, identity, file: str, path: str, report: Report, what: str) -> bool:
        if not isinstance(identity, str):
            return True
        origins = self.origins[kind]
        if identity in origins:
            report(path, _("duplicate %(what)s %(value)r (first defined at %(origin)s)") % {
                "what": what, "value": identity, "origin": origins[identity]})
            return False
        origins[identity] = f"{file}: {path}"
        return True

    def _departments(self, file, path, item, report):
        spec = check_department(item, path, report)
        code = item.get("code") if isinstance(item, dict) else None
        if self._unique("departments", code, file, _join(path, "code"), report, _("department")) and spec:
            self.catalogue.departments.append(spec)

    def _fields(self, file, path, item, report):
        spec = check_field(item, path, report, position=self.field_count)
        self.field_count += 1
        key = item.get("key") if isinstance(item, dict) else None
        if self._unique("fields", key, file, _join(path, "key"), report, _("field")) and spec:
            self.catalogue.fields.append(spec)

    def _services(self, file, path, item, report):
        references = []
        spec = check_service(item, path, report, position=self.service_count, references=references)
        self.references.extend((file, *reference) for reference in references)
        self.service_count += 1
        slug = item.get("slug") if isinstance(item, dict) else None
        if self._unique("services", slug, file, _join(path, "slug"), report, _("service")) and spec:
            self.catalogue.services.append(spec)

    def check_references(self) -> None:
        """Departments and fields named by reviews must be defined in one of the files or exist."""
        known = {"department": set(self.origins["departments"]), "field": set(self.origins["fields"])}
        wanted = {kind: {value for _f, k, value, _p in self.references if k == kind} - known[kind] for kind in known}
        known["department"] |= set(Department.objects.filter(code__in=wanted["department"]).values_list("code", flat=True))
        known["field"] |= set(Field.objects.filter(key__in=wanted["field"]).values_list("key", flat=True))
        messages = {"department": _("unknown department %(value)r"), "field": _("unknown field %(value)r")}
        for file, kind, value, path in self.references:
            if value not in known[kind]:
                self.problems.append(Problem(file, path, messages[kind] % {"value": value}))
        # Report in the order the files were given, then in the order found (sort is stable).
        order = {file: i for i, file in enumerate(self.files)}
        self.problems.sort(key=lambda p: order[p.file])


def catalogue_parse(*, paths: Sequence[str | Path]) -> Catalogue:
    """Read and check the files as one catalogue. Raises CatalogueInvalid listing every problem."""
    reader = _Reader()
    for path in paths:
        reader.read(Path(path))
    reader.check_references()
    if reader.problems:
        raise CatalogueInvalid(reader.problems)
    return reader.catalogue


# -- applying ------------------------------------------------------------------------------------


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self):
        return _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged") % {
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class LoadSummary:
    departments: Counts = field(default_factory=Counts)
    fields: Counts = field(default_factory=Counts)
    services: Counts = field(default_factory=Counts)
    requirements: Counts = field(default_factory=Counts)
    requirements_removed: int = 0
    calendar_changed: bool = False
    holidays_added: int = 0
    holidays_removed: int = 0
    published: list[str] = field(default_factory=list)


def _upsert(model, lookup: dict, values: dict, counts: Counts, existing=None):
    """Create the row, or update only the attributes that differ (so an unchanged row is not
    written at all). Returns (row, changed)."""
    if existing is None:
        counts.created += 1
        return model.objects.create(**lookup, **values), True
    changed = [name for name, value in values.items() if getattr(existing, name) != value]
    if not changed:
        counts.unchanged += 1
        return existing, False
    for name in changed:
        setattr(existing, name, values[name])
    existing.save(update_fields=changed)
    counts.updated += 1
    return existing, True


def _apply_calendar(spec: CalendarSpec, summary: LoadSummary) -> None:
    row = WorkCalendar.objects.order_by("pk").first()
    if row is None:
        WorkCalendar.objects.create(workdays=spec.workdays)
        summary.calendar_changed = True
    elif sorted(row.workdays or []) != spec.workdays:
        row.workdays = spec.workdays
        row.save(update_fields=["workdays"])
        summary.calendar_changed = True
    wanted = set(spec.holidays)
    existing = set(Holiday.objects.values_list("date", flat=True))
    if existing - wanted:
        summary.holidays_removed, _deleted = Holiday.objects.filter(date__in=existing - wanted).delete()
    if wanted - existing:
        Holiday.objects.bulk_create([Holiday(date=day) for day in sorted(wanted - existing)])
        summary.holidays_added = len(wanted - existing)


@transaction.atomic
def catalogue_apply(*, catalogue: Catalogue) -> LoadSummary:
    """Write a checked catalogue: upsert by code, key and slug; a service's reviews become exactly
    those of the file; then publish a new version of every service whose form changed."""
    summary = LoadSummary()
    if catalogue.calendar is not None:
        _apply_calendar(catalogue.calendar, summary)

    existing_departments = Department.objects.in_bulk([d.code for d in catalogue.departments], field_name="code")
    changed_departments = set()
    for spec in catalogue.departments:
        _row, changed = _upsert(Department, {"code": spec.code}, {"name": spec.name, "email": spec.email},
                                summary.departments, existing_departments.get(spec.code))
        if changed:
            changed_departments.add(spec.code)

    existing_fields = Field.objects.in_bulk([f.key for f in catalogue.fields], field_name="key")
    changed_fields = set()
    for spec in catalogue.fields:
        _row, changed = _upsert(Field, {"key": spec.key}, {
            "kind": spec.kind, "label": spec.label, "help": spec.help, "section": spec.section,
            "required": spec.required, "rules": spec.rules, "position": spec.position,
        }, summary.fields, existing_fields.get(spec.key))
        if changed:
            changed_fields.add(spec.key)

    used_codes = {r.department for s in catalogue.services for r in s.reviews}
    used_keys = {k for s in catalogue.services for r in s.reviews for k in r.fields}
    departments = Department.objects.in_bulk(used_codes, field_name="code")
    fields = Field.objects.in_bulk(used_keys, field_name="key")
    existing_services = Service.objects.in_bulk([s.slug for s in catalogue.services], field_name="slug")
    for spec in catalogue.services:
        service, _changed = _upsert(Service, {"slug": spec.slug}, {
            "name": spec.name, "life_event": spec.life_event, "description": spec.description, "fee": spec.fee,
            "permit_title": spec.permit_title, "permit_valid_days": spec.permit_valid_days, "position": spec.position,
            "synonyms": spec.synonyms,
        }, summary.services, existing_services.get(spec.slug))
        _apply_reviews(service, spec.reviews, departments, fields, summary)

    # Every service whose schema may differ now: those in the files, and any other that uses a
    # changed field or department (its schema embeds field definitions and department names).
    affected = Service.objects.filter(slug__in=[s.slug for s in catalogue.services]).values_list("pk", flat=True)
    others = Service.objects.filter(requirements__fields__key__in=changed_fields).values_list("pk", flat=True)
    by_department = Service.objects.filter(requirements__department__code__in=changed_departments).values_list("pk", flat=True)
    ids = set(affected) | set(others) | set(by_department)
    for service in Service.objects.filter(pk__in=ids).order_by("position", "slug"):
        version = service_publish(service=service)
        if version is not None:
            summary.published.append(f"{service.slug} v{version.number}")
    return summary


def _apply_reviews(service: Service, reviews: list[ReviewSpec], departments: dict, fields: dict,
                   summary: LoadSummary) -> None:
    existing = {r.department_id: r for r in service.requirements.prefetch_related("fields")}
    counts = summary.requirements
    for spec in reviews:
        department = departments[spec.department]
        values = {"stage": spec.stage, "sla_days": spec.sla_days, "position": spec.position}
        wanted = {fields[key].pk for key in spec.fields}
        row = existing.pop(department.pk, None)
        if row is None:
            row = Requirement.objects.create(service=service, department=department, **values)
            row.fields.set(wanted)
            counts.created += 1
            continue
        changed = [name for name, value in values.items() if getattr(row, name) != value]
        if changed:
            for name in changed:
                setattr(row, name, values[name])
            row.save(update_fields=changed)
        fields_changed = {f.pk for f in row.fields.all()} != wanted
        if fields_changed:
            row.fields.set(wanted)
        if changed or fields_changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
    # Departments no longer listed for this service: the file describes its reviews completely.
    if existing:
        Requirement.objects.filter(pk__in=[r.pk for r in existing.values()]).delete()
        summary.requirements_removed += len(existing)
