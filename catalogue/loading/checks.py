"""The checks of a catalogue file's entries, each on its own: every problem is reported at its
path through ``report(path, reason)`` and the entry becomes its checked data, or None. The admin
checks what people type with the same functions. The references (departments and fields that
reviews name, certificate types that fields and permits name) and what needs the whole catalogue
(a service never requires the certificate it issues) are checked once every file is read;
duplicates across files are the reader's."""

import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from core.i18n import REQUIRED_LANGUAGES
from departments.models import Department

from ..models import IDENTITY_ASKED_BY, CertificateType, Field, FieldKind, IdentityDetail, identity_in_order
from ..schema import date_bound, date_rule_text, parse_date_rule
from .schema import (
    CALENDAR_KEYS,
    CERTIFICATE_TYPE_KEYS,
    CERTIFICATE_TYPE_MAX,
    CHOICE_KEYS,
    CODE_MAX,
    CODE_RE,
    DEPARTMENT_KEYS,
    DEPARTMENT_REQUIRED,
    EMAIL_MAX,
    FIELD_KEYS,
    FIELD_REQUIRED,
    INT_MAX,
    KEY_MAX,
    KEY_RE,
    MIME_RE,
    PERMIT_KEYS,
    PERMIT_REQUIRED,
    REVIEW_KEYS,
    REVIEW_REQUIRED,
    RULE_KEYS,
    RULES_BY_KIND,
    SERVICE_KEYS,
    SERVICE_REQUIRED,
    SLUG_MAX,
    SLUG_RE,
    SMALL_INT_MAX,
    SYNONYM_MAX,
    WEEKDAYS,
    CalendarSpec,
    CertificateTypeSpec,
    DepartmentSpec,
    FieldSpec,
    ReviewSpec,
    ServiceSpec,
)

# -- checks on single values ---------------------------------------------------------------------

Report = Callable[[str, str], None]


def join_path(path: str, key) -> str:
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
            report(join_path(path, key), _("unknown key (expected one of %(keys)s)") % {"keys": ", ".join(allowed)})


def _require(entry: dict, keys: Iterable[str], path: str, report: Report) -> None:
    for key in keys:
        if key not in entry:
            report(join_path(path, key), _("is required"))


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
            report(join_path(path, language), _("unknown language (expected one of %(languages)s)") % {
                "languages": ", ".join(languages)})
            ok = False
        elif not isinstance(text, str) or not text.strip():
            report(join_path(path, language), _("must be non-empty text"))
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


def check_list(value, path: str, report: Report, *, non_empty: bool = True) -> list | None:
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
        items = check_list(entry["workdays"], join_path(path, "workdays"), report)
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
        report(join_path(path, "workdays"), _("is required"))
        ok = False
    holidays = []
    items = check_list(entry.get("holidays", []), join_path(path, "holidays"), report, non_empty=False)
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
    _require(entry, DEPARTMENT_REQUIRED, path, report)
    code = None
    if "code" in entry:
        code = _pattern(entry["code"], join_path(path, "code"), report, CODE_RE, CODE_MAX, _("department code"))
    name = check_translations(entry["name"], join_path(path, "name"), report) if "name" in entry else None
    email = entry.get("email", "")
    if email not in ("", None):
        try:
            if not isinstance(email, str) or len(email) > EMAIL_MAX:
                raise ValidationError("")
            validate_email(email)
        except ValidationError:
            report(join_path(path, "email"), _("%(value)r is not a valid email address") % {"value": email})
            email = None
    if None in (code, name, email) or len(set(entry) - set(DEPARTMENT_KEYS)):
        return None
    return DepartmentSpec(code=code, name=name, email=email or "")


def check_certificate_type(value, path: str, report: Report) -> CertificateTypeSpec | None:
    entry = _mapping(value, path, report)
    if entry is None:
        return None
    _check_keys(entry, CERTIFICATE_TYPE_KEYS, path, report)
    _require(entry, CERTIFICATE_TYPE_KEYS, path, report)
    code = None
    if "code" in entry:
        code = _pattern(entry["code"], join_path(path, "code"), report, KEY_RE, CERTIFICATE_TYPE_MAX,
                        _("certificate type code"))
    name = check_translations(entry["name"], join_path(path, "name"), report) if "name" in entry else None
    if None in (code, name) or set(entry) - set(CERTIFICATE_TYPE_KEYS):
        return None
    return CertificateTypeSpec(code=code, name=name)


def _certificate_code(value, path: str, report: Report) -> str | None:
    return _pattern(value, path, report, KEY_RE, CERTIFICATE_TYPE_MAX, _("certificate type code"))


def _check_bounds(entry: dict, kind: str, path: str, report: Report, rules: dict) -> bool:
    ok = True
    bounds = {}
    for key in ("min", "max"):
        if key not in entry:
            continue
        value, key_path = entry[key], join_path(path, key)
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
        report(join_path(path, "min"), _("must not be greater than max"))
        ok = False
    return ok


def _check_choices(value, path: str, report: Report) -> list | None:
    items = check_list(value, path, report)
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
            report(join_path(item_path, "value"), _("must be non-empty text, not %(value)r") % {"value": choice_value})
            choice_value = None
        elif choice_value in seen:
            report(join_path(item_path, "value"), _("duplicate choice %(value)r") % {"value": choice_value})
            choice_value = None
        if choice_value is not None:
            seen.add(choice_value)
        label = check_translations(entry["label"], join_path(item_path, "label"), report) if "label" in entry else None
        if choice_value is None or label is None or set(entry) - set(CHOICE_KEYS):
            ok = False
            continue
        choices.append({"value": choice_value, "label": label})
    return choices if ok else None


def _check_accept(value, path: str, report: Report) -> list | None:
    items = check_list(value, path, report)
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


def check_field(value, path: str, report: Report, *, position: int = 0,
                references: list | None = None) -> FieldSpec | None:
    """One field on its own. The certificate type it names is appended to ``references`` as
    (kind, value, path), for the caller to check against the whole catalogue."""
    entry = _mapping(value, path, report)
    if entry is None:
        return None
    _check_keys(entry, FIELD_KEYS, path, report)
    _require(entry, FIELD_REQUIRED, path, report)
    ok = not (set(entry) - set(FIELD_KEYS)) and all(k in entry for k in FIELD_REQUIRED)
    key = _pattern(entry["key"], join_path(path, "key"), report, KEY_RE, KEY_MAX, _("field key")) if "key" in entry else None
    kind = entry.get("kind")
    if "kind" in entry and kind not in FieldKind.values:
        report(join_path(path, "kind"), _("unknown kind %(value)r (expected one of %(kinds)s)") % {
            "value": kind, "kinds": ", ".join(FieldKind.values)})
        kind = None
    label = check_translations(entry["label"], join_path(path, "label"), report) if "label" in entry else None
    help_ = check_translations(entry["help"], join_path(path, "help"), report, complete=False) if "help" in entry else {}
    section = check_translations(entry["section"], join_path(path, "section"), report) if "section" in entry else {}
    required = entry.get("required", False)
    if not isinstance(required, bool):
        report(join_path(path, "required"), _("must be true or false, not %(value)r") % {"value": required})
        ok = False
    ok &= None not in (key, kind, label, help_, section)

    rules: dict = {}
    if kind is not None:
        allowed = RULES_BY_KIND[kind]
        for rule in RULE_KEYS:
            if rule in entry and rule not in allowed:
                report(join_path(path, rule), _("is not allowed for kind %(kind)s") % {"kind": kind})
                ok = False
        if "max_length" in entry and "max_length" in allowed:
            max_length = _positive_int(entry["max_length"], join_path(path, "max_length"), report)
            ok &= max_length is not None
            rules["max_length"] = max_length
        if "min" in allowed:
            ok &= _check_bounds(entry, kind, path, report, rules)
        if "choices" in allowed:
            if "choices" not in entry:
                report(join_path(path, "choices"), _("is required for kind %(kind)s") % {"kind": kind})
                ok = False
            else:
                choices = _check_choices(entry["choices"], join_path(path, "choices"), report)
                ok &= choices is not None
                rules["choices"] = choices
        if "accept" in entry and "accept" in allowed:
            accept = _check_accept(entry["accept"], join_path(path, "accept"), report)
            ok &= accept is not None
            rules["accept"] = accept
        if "max_size_mb" in entry and "max_size_mb" in allowed:
            size = entry["max_size_mb"]
            if not _is_number(size) or size <= 0:
                report(join_path(path, "max_size_mb"), _("must be a number greater than 0, not %(value)r") % {"value": size})
                ok = False
            rules["max_size_mb"] = size
    certificate = ""
    if "certificate" in entry:
        certificate_path = join_path(path, "certificate")
        if kind is not None and kind != FieldKind.FILE:
            # Only a document can be answered by a certificate.
            report(certificate_path, _("is allowed only for kind file, not %(kind)s") % {"kind": kind})
            ok = False
        elif (code := _certificate_code(entry["certificate"], certificate_path, report)) is None:
            ok = False
        else:
            certificate = code
            if references is not None:
                references.append(("certificate_type", code, certificate_path))
    if not ok:
        return None
    return FieldSpec(key=key, kind=str(kind), label=label, help=help_, section=section, required=required,
                     rules={k: rules[k] for k in RULE_KEYS if k in rules}, position=position, certificate=certificate)


def check_review(value, path: str, report: Report, *, position: int = 0) -> ReviewSpec | None:
    entry = _mapping(value, path, report)
    if entry is None:
        return None
    _check_keys(entry, REVIEW_KEYS, path, report)
    _require(entry, REVIEW_REQUIRED, path, report)
    department = entry.get("department")
    if "department" in entry and not isinstance(department, str):
        report(join_path(path, "department"), _("must be a department code, not %(value)r") % {"value": department})
        department = None
    stage, sla = (
        _positive_int(entry[key], join_path(path, key), report, maximum=SMALL_INT_MAX) if key in entry else None
        for key in ("stage", "sla_days")
    )
    keys = check_list(entry["fields"], join_path(path, "fields"), report) if "fields" in entry else None
    ok = keys is not None
    for i, key in enumerate(keys or []):
        if not isinstance(key, str):
            report(f"{path}.fields[{i}]", _("must be a field key, not %(value)r") % {"value": key})
            ok = False
        elif key in keys[:i]:
            report(f"{path}.fields[{i}]", _("field %(key)r is listed twice") % {"key": key})
            ok = False
    identity = check_identity(entry["identity"], join_path(path, "identity"), report) if "identity" in entry else []
    if not ok or None in (department, stage, sla, identity) or set(entry) - set(REVIEW_KEYS):
        return None
    return ReviewSpec(department=department, stage=stage, sla_days=sla, fields=list(keys), position=position,
                      identity=identity)


def check_identity(value, path: str, report: Report) -> list[str] | None:
    """The details of the applicant's identity a review shows: known ones, each once (stored in
    IdentityDetail's order)."""
    details = check_list(value, path, report, non_empty=False)
    if details is None:
        return None
    ok = True
    for i, detail in enumerate(details):
        if detail not in IdentityDetail.values:
            report(f"{path}[{i}]", _("unknown identity detail %(value)r (expected one of %(details)s)") % {
                "value": detail, "details": ", ".join(IdentityDetail.values)})
            ok = False
        elif detail in details[:i]:
            report(f"{path}[{i}]", _("identity detail %(value)r is listed twice") % {"value": detail})
            ok = False
    return identity_in_order(details) if ok else None


def check_identity_asked(identity: list[str], asked: set[str], path: str, report: Report) -> bool:
    """A detail from the applicant's profile needs the service's form (``asked``, the keys its
    reviews list) to ask for it; reported at the detail's place in ``identity`` as written."""
    ok = True
    for i, detail in enumerate(identity):
        key = IDENTITY_ASKED_BY.get(detail)
        if key is not None and key not in asked:
            report(f"{path}[{i}]", _("%(detail)s is shown only where the service's form asks for %(key)s: "
                                     "list %(key)s in a review's fields") % {"detail": detail, "key": key})
            ok = False
    return ok


def check_synonyms(value, path: str, report: Report) -> dict | None:
    """Search synonyms of a service: per language, a list of distinct words or phrases."""
    if not isinstance(value, dict):
        report(path, _("must be lists of words per language, e.g. {en: [eatery, diner], zh-hans: [餐厅]}"))
        return None
    languages = _languages()
    result, ok = {}, True
    for language, words in value.items():
        language_path = join_path(path, language)
        if language not in languages:
            report(language_path, _("unknown language (expected one of %(languages)s)") % {
                "languages": ", ".join(languages)})
            ok = False
            continue
        if check_list(words, language_path, report) is None:
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
    _require(entry, SERVICE_REQUIRED, path, report)
    ok = not (set(entry) - set(SERVICE_KEYS))
    slug = None
    if "slug" in entry:
        slug = _pattern(entry["slug"], join_path(path, "slug"), report, SLUG_RE, SLUG_MAX, _("service slug"))
    texts = {}
    for key, complete in (("name", True), ("life_event", True), ("description", False), ("fee", False)):
        if key in entry:
            texts[key] = check_translations(entry[key], join_path(path, key), report, complete=complete)
        else:
            texts[key] = None if complete else {}
    synonyms = check_synonyms(entry["synonyms"], join_path(path, "synonyms"), report) if "synonyms" in entry else {}
    ok &= synonyms is not None
    title = valid_days = None
    certificate_type = ""
    if "permit" in entry:
        permit_path = join_path(path, "permit")
        permit = _mapping(entry["permit"], permit_path, report)
        if permit is not None:
            _check_keys(permit, PERMIT_KEYS, permit_path, report)
            _require(permit, PERMIT_REQUIRED, permit_path, report)
            ok &= not (set(permit) - set(PERMIT_KEYS))
            if "title" in permit:
                title = check_translations(permit["title"], join_path(permit_path, "title"), report)
            if "valid_days" in permit:
                valid_days = _positive_int(permit["valid_days"], join_path(permit_path, "valid_days"), report)
            if "certificate_type" in permit:
                type_path = join_path(permit_path, "certificate_type")
                code = _certificate_code(permit["certificate_type"], type_path, report)
                ok &= code is not None
                certificate_type = code or ""
                if code and references is not None:
                    references.append(("certificate_type", code, type_path))
    reviews = []
    items = check_list(entry["reviews"], join_path(path, "reviews"), report) if "reviews" in entry else None
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
        report(join_path(path, "reviews"), _("stages must start at 1 and have no gaps, found %(stages)s") % {
            "stages": ", ".join(map(str, sorted(stages)))})
        ok = False
    asked = {key for item in items or [] if isinstance(item, dict) and isinstance(item.get("fields"), list)
             for key in item["fields"] if isinstance(key, str)}
    for i, item in enumerate(items or []):
        if isinstance(item, dict) and isinstance(item.get("identity"), list):
            ok &= check_identity_asked(item["identity"], asked, f"{path}.reviews[{i}].identity", report)
    if not ok or None in (slug, title, valid_days, *texts.values()):
        return None
    return ServiceSpec(
        slug=slug, name=texts["name"], life_event=texts["life_event"], description=texts["description"],
        fee=texts["fee"], permit_title=title, permit_valid_days=valid_days, reviews=reviews, position=position,
        synonyms=synonyms, certificate_type=certificate_type,
    )


# -- checks across the whole catalogue -------------------------------------------------------------


def check_references(references: Iterable[tuple[Report, str, str, str]], *, departments: set[str], fields: set[str],
                     certificate_types: set[str] = frozenset()) -> None:
    """The departments and fields reviews name, and the certificate types fields and permits name,
    as (report, kind, value, path), must be defined in the catalogue's files (``departments``,
    ``fields``, ``certificate_types``) or exist already."""
    references = list(references)
    known = {"department": set(departments), "field": set(fields), "certificate_type": set(certificate_types)}
    wanted = {kind: {value for _r, k, value, _p in references if k == kind} - known[kind] for kind in known}
    known["department"] |= set(Department.objects.filter(code__in=wanted["department"]).values_list("code", flat=True))
    known["field"] |= set(Field.objects.filter(key__in=wanted["field"]).values_list("key", flat=True))
    known["certificate_type"] |= set(
        CertificateType.objects.filter(code__in=wanted["certificate_type"]).values_list("code", flat=True))
    messages = {"department": _("unknown department %(value)r"), "field": _("unknown field %(value)r"),
                "certificate_type": _("unknown certificate type %(value)r")}
    for report, kind, value, path in references:
        if value not in known[kind]:
            report(path, messages[kind] % {"value": value})


def check_required_certificates(services: Iterable[tuple[Report, str, str, list[str]]], *,
                                field_certificates: dict[str, str]) -> None:
    """A service never requires the certificate it issues: no field of its reviews may be answered
    by a certificate of the type its permit is (the applicant would need the permit to apply for
    it). ``services``: (report, path of the permit's certificate_type, that type, the reviews'
    field keys); ``field_certificates``: field key → the certificate type answering it, for the
    fields of the files, the others read from the database."""
    services = [s for s in services if s[2]]
    missing = {key for _r, _p, _t, keys in services for key in keys} - set(field_certificates)
    known = dict(field_certificates)
    known.update(Field.objects.filter(key__in=missing, certificate_type__isnull=False)
                 .values_list("key", "certificate_type__code"))
    for report, path, issued, keys in services:
        asking = [key for key in dict.fromkeys(keys) if known.get(key) == issued]
        if asking:
            report(path, _("the service issues %(type)r and its form asks for a certificate of that type "
                           "(%(fields)s): a service cannot require the certificate it issues") % {
                "type": issued, "fields": ", ".join(asking)})
