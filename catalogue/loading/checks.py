"""The checks of a catalogue file's entries, each on its own: every problem is reported at its
path through ``report(path, reason)`` and the entry becomes its checked data, or None. The admin
checks what people type with the same functions. The references (departments and fields that
reviews and filings name, certificate types that fields and permits name) and what needs the
whole catalogue (a service never requires the certificate it issues) are checked once every file
is read;
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

from ..models import (
    IDENTITY_ASKED_BY,
    RECTIFY_DAYS_DEFAULT,
    RECTIFY_DAYS_MAX,
    RECTIFY_DAYS_MIN,
    REMINDER_DAYS_DEFAULT,
    REMINDER_DAYS_MAX,
    REMINDER_DAYS_MIN,
    REMINDERS_MAX,
    RENEW_GRACE_DAYS_DEFAULT,
    RENEW_GRACE_DAYS_MAX,
    CertificateType,
    Field,
    FieldKind,
    IdentityDetail,
    Register,
    Weekday,
    identity_in_order,
)
from ..registers import KEY_FORMATS, KEY_LENGTHS, REGISTERS
from ..schema import date_bound, date_rule_text, parse_date_rule
from .conditions import normalised
from .schema import (
    BINDING_KEYS,
    CALENDAR_KEYS,
    CERTIFICATE_TYPE_KEYS,
    CERTIFICATE_TYPE_MAX,
    CHOICE_KEYS,
    CODE_MAX,
    CODE_RE,
    DEPARTMENT_CALENDAR_KEYS,
    DEPARTMENT_KEYS,
    DEPARTMENT_REQUIRED,
    EMAIL_MAX,
    FIELD_KEYS,
    FIELD_REQUIRED,
    FILING_KEYS,
    FILING_REQUIRED,
    INT_MAX,
    KEY_MAX,
    KEY_RE,
    MIME_RE,
    PERMIT_KEYS,
    PERMIT_REQUIRED,
    PHONE_MAX,
    REGISTER_KEYS,
    REGISTER_REQUIRED,
    REVIEW_KEYS,
    REVIEW_REQUIRED,
    RULE_KEYS,
    RULES_BY_KIND,
    SECTION_KEYS,
    SERVICE_KEYS,
    SERVICE_REQUIRED,
    SLUG_MAX,
    SLUG_RE,
    SMALL_INT_MAX,
    SYNONYM_MAX,
    WEEKDAYS,
    CalendarSpec,
    CertificateTypeSpec,
    DepartmentCalendarSpec,
    DepartmentSpec,
    FieldSpec,
    FilingSpec,
    RegisterSpec,
    ReviewSpec,
    ServiceSpec,
)

# -- checks on single values ---------------------------------------------------------------------

PHONE_RE = re.compile(r"^[0-9+()\- ]+$")

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


def check_translations(value, path: str, report: Report, *, complete: bool = True,
                       any_language: bool = False) -> dict | None:
    """Text in every language: ``complete`` needs all of REQUIRED_LANGUAGES, otherwise English
    alone is enough (help, description, fee); ``any_language``: one language, whichever (a
    guide's texts, whose missing languages are warned of, not refused)."""
    if not isinstance(value, dict) or (any_language and not value):
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
    for language in () if any_language else REQUIRED_LANGUAGES if complete else REQUIRED_LANGUAGES[:1]:
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


def _weekday_list(value, path: str, report: Report) -> list[int] | None:
    items = check_list(value, path, report)
    if items is None:
        return None
    workdays, ok = [], True
    for i, day in enumerate(items):
        item_path = f"{path}[{i}]"
        if day not in WEEKDAYS:
            report(item_path, _("unknown weekday %(value)r (expected one of %(days)s)") % {
                "value": day, "days": ", ".join(WEEKDAYS)})
            ok = False
        elif WEEKDAYS.index(day) in workdays:
            report(item_path, _("%(value)s is listed twice") % {"value": day})
            ok = False
        else:
            workdays.append(WEEKDAYS.index(day))
    return sorted(workdays) if ok else None


def _date_list(entry: dict, key: str, path: str, report: Report) -> list[date] | None:
    """The dates listed under ``key`` (none when absent), each once."""
    items = check_list(entry.get(key, []), join_path(path, key), report, non_empty=False)
    if items is None:
        return None
    days, ok = [], True
    for i, value in enumerate(items):
        day = _iso_date(value, f"{path}.{key}[{i}]", report)
        if day is None:
            ok = False
        elif day in days:
            report(f"{path}.{key}[{i}]", _("%(value)s is listed twice") % {"value": day.isoformat()})
            ok = False
        else:
            days.append(day)
    return sorted(days) if ok else None


def _working_dates_apart(entry: dict, key: str, path: str, report: Report, *, closed: list[date] | None,
                         workdays: list[int] | None) -> bool:
    """Each extra working day listed under ``key`` is no closure day and falls on a rest day of
    the working week (``workdays``, when known): a working weekday needs no exchange."""
    ok = True
    for i, value in enumerate(entry.get(key) or []):
        day = _iso_date(value, "", lambda *_args: None)
        if day is None:
            continue
        if closed is not None and day in closed:
            report(f"{path}.{key}[{i}]", _("%(value)s is listed both as a holiday and as a working day") % {
                "value": day.isoformat()})
            ok = False
        elif workdays and day.weekday() in workdays:
            report(f"{path}.{key}[{i}]", _(
                "%(value)s is a %(weekday)s, already a working day of the week: only a rest day can be "
                "made a working day") % {"value": day.isoformat(), "weekday": Weekday(day.weekday()).label})
            ok = False
    return ok


def check_calendar(value, path: str, report: Report) -> CalendarSpec | None:
    """The catalogue's calendar: its working week, holidays and make-up working days (weekend
    days worked in exchange for a holiday, 调休)."""
    entry = _mapping(value, path, report)
    if entry is None:
        return None
    _check_keys(entry, CALENDAR_KEYS, path, report)
    workdays = None
    if "workdays" in entry:
        workdays = _weekday_list(entry["workdays"], join_path(path, "workdays"), report)
    else:
        report(join_path(path, "workdays"), _("is required"))
    holidays = _date_list(entry, "holidays", path, report)
    working = _date_list(entry, "working_weekends", path, report)
    apart = _working_dates_apart(entry, "working_weekends", path, report, closed=holidays, workdays=workdays)
    if None in (workdays, holidays, working) or not apart:
        return None
    return CalendarSpec(workdays=workdays, holidays=holidays, working_weekends=working)


def check_department_calendar(value, path: str, report: Report) -> DepartmentCalendarSpec | None:
    """A department's own calendar: its working week (optional: the catalogue's), and the
    closure and working days it has beyond the catalogue's."""
    entry = _mapping(value, path, report)
    if entry is None:
        return None
    _check_keys(entry, DEPARTMENT_CALENDAR_KEYS, path, report)
    workdays = _weekday_list(entry["workdays"], join_path(path, "workdays"), report) if "workdays" in entry else []
    holidays = _date_list(entry, "holidays", path, report)
    working = _date_list(entry, "working_days", path, report)
    # Its working days may fall on any day: a catalogue holiday it stays open on, or a rest day.
    apart = _working_dates_apart(entry, "working_days", path, report, closed=holidays, workdays=None)
    if None in (workdays, holidays, working) or not apart or set(entry) - set(DEPARTMENT_CALENDAR_KEYS):
        return None
    if not (workdays or holidays or working):
        report(path, _("must list a working week, holidays or working days"))
        return None
    return DepartmentCalendarSpec(workdays=workdays, holidays=holidays, working_days=working)


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
    calendar = None
    if "calendar" in entry:
        calendar = check_department_calendar(entry["calendar"], join_path(path, "calendar"), report)
        if calendar is None:
            return None
    office = {key: check_translations(entry[key], join_path(path, key), report, complete=False)
              for key in ("address", "opening_hours") if key in entry}
    phone = entry.get("phone", "")
    if not isinstance(phone, str) or len(phone) > PHONE_MAX or (phone and not PHONE_RE.match(phone)):
        report(join_path(path, "phone"), _("%(value)r is not a phone number (digits, spaces, + - and brackets, at "
                                           "most %(maximum)d characters)") % {"value": phone, "maximum": PHONE_MAX})
        phone = None
    if None in (code, name, email, phone, *office.values()) or len(set(entry) - set(DEPARTMENT_KEYS)):
        return None
    return DepartmentSpec(code=code, name=name, email=email or "", calendar=calendar, phone=phone, **office)


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


def entries(items: list, path: str, report: Report, keys: Sequence[str], required: Sequence[str]):
    """Each item of a checked list as (its path, the mapping or None), its keys checked and those
    it cannot do without required; the caller counts a None as a problem already reported."""
    for i, item in enumerate(items):
        item_path = f"{path}[{i}]"
        entry = _mapping(item, item_path, report)
        if entry is not None:
            _check_keys(entry, keys, item_path, report)
            _require(entry, required, item_path, report)
        yield item_path, entry


def _check_choices(value, path: str, report: Report) -> list | None:
    items = check_list(value, path, report)
    if items is None:
        return None
    choices, seen, ok = [], set(), True
    for item_path, entry in entries(items, path, report, CHOICE_KEYS, CHOICE_KEYS):
        if entry is None:
            ok = False
            continue
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
        if "format" in entry and "format" in allowed:
            if entry["format"] not in KEY_FORMATS:
                report(join_path(path, "format"), _("unknown format %(value)r (expected one of %(formats)s)") % {
                    "value": entry["format"], "formats": ", ".join(KEY_FORMATS)})
                ok = False
            elif isinstance(rules.get("max_length"), int) and rules["max_length"] < KEY_LENGTHS[entry["format"]]:
                report(join_path(path, "max_length"), _("must be at least %(length)d for the format %(format)s") % {
                    "length": KEY_LENGTHS[entry["format"]], "format": entry["format"]})
                ok = False
            else:
                rules["format"] = entry["format"]
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
    register = {}
    if "register" in entry:
        register = check_binding(entry["register"], join_path(path, "register"), report, kind=kind, rules=rules,
                                 field_key=key)
        ok &= register is not None
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
    # The condition is checked once the whole dictionary is read (loading.conditions).
    return FieldSpec(key=key, kind=str(kind), label=label, help=help_, section=section, required=required,
                     rules={k: rules[k] for k in RULE_KEYS if k in rules}, position=position, register=register,
                     certificate=certificate, when=normalised(entry["when"]) if "when" in entry else {})


def check_register(value, path: str, report: Report, *, position: int = 0) -> RegisterSpec | None:
    """A register of the catalogue: one the register interface knows (catalogue.registers), its
    name, and whether the citizen must agree before it is asked."""
    entry = _mapping(value, path, report)
    if entry is None:
        return None
    _check_keys(entry, REGISTER_KEYS, path, report)
    _require(entry, REGISTER_REQUIRED, path, report)
    ok = not (set(entry) - set(REGISTER_KEYS)) and all(k in entry for k in REGISTER_REQUIRED)
    code = entry.get("code")
    if "code" in entry and code not in REGISTERS:
        report(join_path(path, "code"), _("unknown register %(value)r (the register interface knows %(codes)s)") % {
            "value": code, "codes": ", ".join(REGISTERS)})
        ok = False
    name = check_translations(entry["name"], join_path(path, "name"), report) if "name" in entry else None
    consent = entry.get("consent_required", False)
    if not isinstance(consent, bool):
        report(join_path(path, "consent_required"), _("must be true or false, not %(value)r") % {"value": consent})
        ok = False
    if not ok or name is None:
        return None
    return RegisterSpec(code=code, name=name, consent_required=consent, position=position)


def check_binding(value, path: str, report: Report, *, kind, rules: dict, field_key) -> dict | None:
    """A field taken from a register: {register, attribute, key}. The register and attribute must
    be ones the register interface defines; the key (the field whose answer it is looked up by)
    is required unless the register is looked up by the applicant's identity number, and it is
    checked against the whole catalogue later (check_register_bindings). An attribute that is one
    of a list needs a choice field offering every value of the list; any other a text field long
    enough for the longest answer the interface allows."""
    entry = _mapping(value, path, report)
    if entry is None:
        return None
    _check_keys(entry, BINDING_KEYS, path, report)
    ok = not (set(entry) - set(BINDING_KEYS))
    register = REGISTERS.get(entry.get("register")) if isinstance(entry.get("register"), str) else None
    if "register" not in entry:
        report(join_path(path, "register"), _("is required"))
        return None
    if register is None:
        report(join_path(path, "register"), _("unknown register %(value)r (the register interface knows %(codes)s)") % {
            "value": entry["register"], "codes": ", ".join(REGISTERS)})
        return None
    attribute = register.attributes.get(entry.get("attribute")) if isinstance(entry.get("attribute"), str) else None
    if attribute is None:
        report(join_path(path, "attribute"), _("the %(register)s register answers %(attributes)s, not %(value)r") % {
            "register": register.code, "attributes": ", ".join(register.attributes), "value": entry.get("attribute")})
        ok = False
    key = entry.get("key")
    if register.key_from_account:
        if "key" in entry:
            report(join_path(path, "key"), _("the %(register)s register is looked up by the applicant's verified "
                                             "identity number: give no key") % {"register": register.code})
            ok = False
    elif not isinstance(key, str) or not key:
        report(join_path(path, "key"), _("name the field whose answer the %(register)s register is looked up by") % {
            "register": register.code})
        ok = False
    elif key == field_key:
        report(join_path(path, "key"), _("a field cannot be looked up by its own answer"))
        ok = False
    if attribute is not None and kind is not None:
        if attribute.choices:
            offered = {c["value"] for c in rules.get("choices") or []}
            if kind != FieldKind.CHOICE:
                report(path, _("the %(attribute)s is one of a list: the field must be of kind choice") % {
                    "attribute": entry["attribute"]})
                ok = False
            elif missing := [c for c in attribute.choices if c not in offered]:
                report(path, _("the field's choices must offer every value the register may answer; missing: "
                               "%(values)s") % {"values": ", ".join(missing)})
                ok = False
        elif kind not in (FieldKind.TEXT, FieldKind.TEXTAREA):
            report(path, _("the %(attribute)s is text: the field must be of kind text or textarea") % {
                "attribute": entry["attribute"]})
            ok = False
        elif isinstance(rules.get("max_length"), int) and rules["max_length"] < attribute.max_length:
            report(path, _("the register's %(attribute)s may be %(length)d characters long: give the field a "
                           "max_length of at least that") % {"attribute": entry["attribute"], "length": attribute.max_length})
            ok = False
    if not ok:
        return None
    binding = {"register": register.code, "attribute": entry["attribute"]}
    if not register.key_from_account:
        binding["key"] = key
    return binding


def _department_entry(value, path: str, report: Report, keys: Sequence[str],
                      required: Sequence[str]) -> tuple[dict | None, str | None]:
    """A review's or a filing's mapping, its keys checked, and the department code it names."""
    entry = _mapping(value, path, report)
    if entry is None:
        return None, None
    _check_keys(entry, keys, path, report)
    _require(entry, required, path, report)
    department = entry.get("department")
    if "department" in entry and not isinstance(department, str):
        report(join_path(path, "department"), _("must be a department code, not %(value)r") % {"value": department})
        department = None
    return entry, department


def check_review(value, path: str, report: Report, *, position: int = 0) -> ReviewSpec | None:
    entry, department = _department_entry(value, path, report, REVIEW_KEYS, REVIEW_REQUIRED)
    if entry is None:
        return None
    stage, sla = (
        _positive_int(entry[key], join_path(path, key), report, maximum=SMALL_INT_MAX) if key in entry else None
        for key in ("stage", "sla_days")
    )
    keys = check_field_keys(entry, path, report) if "fields" in entry else None
    identity = check_identity(entry["identity"], join_path(path, "identity"), report) if "identity" in entry else []
    # The condition is checked against the service's form once the whole catalogue is read.
    when = normalised(entry["when"]) if "when" in entry else {}
    not_needed = {}
    if "not_needed" in entry:
        not_needed = check_translations(entry["not_needed"], join_path(path, "not_needed"), report)
        if "when" not in entry:
            report(join_path(path, "not_needed"), _("says why the review is not needed when its condition does not "
                                                    "hold: give the condition (when) too"))
            not_needed = None
    told, renewals = (entry.get(key, False) for key in ("told_of_cancellation", "reviews_renewals"))
    for key, flag in (("told_of_cancellation", told), ("reviews_renewals", renewals)):
        if not isinstance(flag, bool):
            report(join_path(path, key), _("must be true or false, not %(value)r") % {"value": flag})
    told, renewals = (flag if isinstance(flag, bool) else None for flag in (told, renewals))
    # Checked against the service's amendable questions with the rest of the service.
    changes_of = (check_list(entry["reviews_changes_of"], join_path(path, "reviews_changes_of"), report,
                             non_empty=False) if "reviews_changes_of" in entry else [])
    if (None in (department, stage, sla, keys, identity, not_needed, told, renewals, changes_of)
            or set(entry) - set(REVIEW_KEYS)):
        return None
    return ReviewSpec(department=department, stage=stage, sla_days=sla, fields=list(keys), position=position,
                      identity=identity, when=when, not_needed=not_needed, told_of_cancellation=told,
                      reviews_renewals=renewals, reviews_changes_of=list(changes_of))


def check_field_keys(entry: dict, path: str, report: Report, *, non_empty: bool = True) -> list[str] | None:
    """The ``fields`` of a review or a filing: field keys, each once."""
    keys = check_list(entry["fields"], join_path(path, "fields"), report, non_empty=non_empty)
    ok = keys is not None
    for i, key in enumerate(keys or []):
        if not isinstance(key, str):
            report(f"{path}.fields[{i}]", _("must be a field key, not %(value)r") % {"value": key})
            ok = False
        elif key in keys[:i]:
            report(f"{path}.fields[{i}]", _("field %(key)r is listed twice") % {"key": key})
            ok = False
    return list(keys) if ok else None


def check_filing(value, path: str, report: Report, *, position: int = 0) -> FilingSpec | None:
    """A body told of the service's approvals by filing, on its own: its department, the answers
    it is told (none is fine: it hears of the approval itself) and the applicant's details."""
    entry, department = _department_entry(value, path, report, FILING_KEYS, FILING_REQUIRED)
    if entry is None:
        return None
    keys = check_field_keys(entry, path, report, non_empty=False) if "fields" in entry else []
    identity = check_identity(entry["identity"], join_path(path, "identity"), report) if "identity" in entry else []
    if None in (department, keys, identity) or set(entry) - set(FILING_KEYS):
        return None
    return FilingSpec(department=department, fields=keys, identity=identity, position=position)


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
        key = IDENTITY_ASKED_BY.get(detail) if isinstance(detail, str) else None  # others: check_identity's
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
    """One service on its own, but for its guide (loading.guides, which reads files). The
    departments and fields its reviews name are appended to ``references`` as (kind, value,
    path), for the caller to check against the whole catalogue."""
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
    for key, complete in (("name", True), ("life_event", True), ("description", False)):
        if key in entry:
            texts[key] = check_translations(entry[key], join_path(path, key), report, complete=complete)
        else:
            texts[key] = None if complete else {}
    from .fees import check_fee  # it reads this module's helpers

    fee = check_fee(entry["fee"], join_path(path, "fee"), report) if "fee" in entry else ({}, {})
    texts["fee"], fee_rule = fee or (None, None)
    synonyms = check_synonyms(entry["synonyms"], join_path(path, "synonyms"), report) if "synonyms" in entry else {}
    ok &= synonyms is not None
    title = valid_days = None
    certificate_type = ""
    reminder_days = list(REMINDER_DAYS_DEFAULT)
    renewal_asks, renew_grace_days, renewal_path = [], RENEW_GRACE_DAYS_DEFAULT, ""
    amendable, amendable_path = [], ""
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
            if "reminder_days" in permit:
                reminder_days = check_reminder_days(permit["reminder_days"], join_path(permit_path, "reminder_days"),
                                                    report)
                ok &= reminder_days is not None
                if reminder_days and valid_days and reminder_days[0] >= valid_days:
                    report(join_path(permit_path, "reminder_days"), _(
                        "a reminder %(days)d days before the end of a permit valid for %(valid)d days would be sent "
                        "as soon as it is issued: give fewer days") % {"days": reminder_days[0], "valid": valid_days})
                    ok = False
            if "renewal_asks" in permit:
                renewal_path = join_path(permit_path, "renewal_asks")
                renewal_asks = check_list(permit["renewal_asks"], renewal_path, report, non_empty=False)
                ok &= renewal_asks is not None
            if "renew_grace_days" in permit:
                renew_grace_days = check_renew_grace_days(permit["renew_grace_days"],
                                                          join_path(permit_path, "renew_grace_days"), report)
                ok &= renew_grace_days is not None
            if "amendable" in permit:
                amendable_path = join_path(permit_path, "amendable")
                amendable = check_list(permit["amendable"], amendable_path, report, non_empty=False)
                ok &= amendable is not None
    rectify_days = RECTIFY_DAYS_DEFAULT
    if "rectify_days" in entry:
        rectify_days = check_rectify_days(entry["rectify_days"], join_path(path, "rectify_days"), report)
        ok &= rectify_days is not None
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
    if renewal_asks:
        ok &= check_form_questions(renewal_asks, asked, renewal_path, report)
    if amendable:
        ok &= check_form_questions(amendable, asked, amendable_path, report)
    for review in reviews:
        ok &= check_reviews_changes_of(review.reviews_changes_of, review.fields, amendable or [],
                                       f"{path}.reviews[{review.position}].reviews_changes_of", report)
    filings = check_filings(entry["filings"], join_path(path, "filings"), report, reviewing=departments, asked=asked,
                            references=references) if "filings" in entry else []
    ok &= filings is not None
    sections = check_sections(entry["sections"], join_path(path, "sections"), report) if "sections" in entry else []
    ok &= sections is not None
    if not ok or None in (slug, title, valid_days, *texts.values()):
        return None
    return ServiceSpec(
        slug=slug, name=texts["name"], life_event=texts["life_event"], description=texts["description"],
        fee=texts["fee"], permit_title=title, permit_valid_days=valid_days, reviews=reviews, position=position,
        synonyms=synonyms, filings=filings, certificate_type=certificate_type, sections=sections,
        rectify_days=rectify_days, fee_rule=fee_rule, reminder_days=reminder_days, renewal_asks=renewal_asks or [],
        renew_grace_days=renew_grace_days, amendable=amendable or [],
    )


def check_form_questions(keys: list, asked: set[str], path: str, report: Report) -> bool:
    """A list of the service's questions (asked again at renewal, amendable): each a question of
    the service's form, once."""
    ok = True
    for i, key in enumerate(keys):
        if not isinstance(key, str) or key not in asked:
            report(f"{path}[{i}]", _("must be a question of the service's form (a field one of its reviews "
                                     "lists), not %(value)r") % {"value": key})
            ok = False
        elif key in keys[:i]:
            report(f"{path}[{i}]", _("%(key)s is listed twice") % {"key": key})
            ok = False
    return ok


def check_reviews_changes_of(keys: list, fields: list, amendable: list, path: str, report: Report) -> bool:
    """A review's ``reviews_changes_of``: amendable questions among the ``fields`` the department
    reviews (it sees no other), each once."""
    ok = True
    for i, key in enumerate(keys):
        if key in keys[:i]:
            report(f"{path}[{i}]", _("%(key)s is listed twice") % {"key": key})
            ok = False
        elif not isinstance(key, str) or key not in amendable:
            report(f"{path}[{i}]", _("must be a question the holder may change (the service's permit.amendable), not "
                                     "%(value)r") % {"value": key})
            ok = False
        elif key not in fields:
            report(f"{path}[{i}]", _("%(key)s is not among the fields this department reviews: it cannot review a "
                                     "change of it") % {"key": key})
            ok = False
    return ok


def check_renew_grace_days(value, path: str, report: Report) -> int | None:
    """Calendar days after its end that a permit may still be renewed (0: only before it ends)."""
    if not _is_int(value) or not 0 <= value <= RENEW_GRACE_DAYS_MAX:
        report(path, _("must be a whole number of days from 0 to %(max)d, not %(value)r") % {
            "max": RENEW_GRACE_DAYS_MAX, "value": value})
        return None
    return value


def check_reminder_days(value, path: str, report: Report) -> list[int] | None:
    """When a permit's holder is reminded that it ends: up to REMINDERS_MAX distinct whole
    numbers of calendar days before its end, each from REMINDER_DAYS_MIN to REMINDER_DAYS_MAX
    (an empty list: no reminders). Kept largest first."""
    items = check_list(value, path, report, non_empty=False)
    if items is None:
        return None
    ok = True
    if len(items) > REMINDERS_MAX:
        report(path, _("give at most %(n)d reminders, not %(count)d") % {"n": REMINDERS_MAX, "count": len(items)})
        ok = False
    for i, days in enumerate(items):
        if not _is_int(days) or not REMINDER_DAYS_MIN <= days <= REMINDER_DAYS_MAX:
            report(f"{path}[{i}]", _("must be a whole number of days from %(min)d to %(max)d, not %(value)r") % {
                "min": REMINDER_DAYS_MIN, "max": REMINDER_DAYS_MAX, "value": days})
            ok = False
        elif days in items[:i]:
            report(f"{path}[{i}]", _("%(days)d days is listed twice") % {"days": days})
            ok = False
    return sorted(items, reverse=True) if ok else None


def check_rectify_days(value, path: str, report: Report) -> int | None:
    """Working days a department has to rectify a bad rating of the service."""
    if not _is_int(value) or not RECTIFY_DAYS_MIN <= value <= RECTIFY_DAYS_MAX:
        report(path, _("must be a whole number of working days from %(min)d to %(max)d, not %(value)r") % {
            "min": RECTIFY_DAYS_MIN, "max": RECTIFY_DAYS_MAX, "value": value})
        return None
    return value


def check_sections(value, path: str, report: Report) -> list[dict] | None:
    """A service's conditional sections: [{title: {en: ...}, when: condition}], each title once.
    The title names the section of the dictionary's fields by its English text; whether the form
    has that section, and the condition, are checked against the service's form later."""
    items = check_list(value, path, report, non_empty=False)
    if items is None:
        return None
    sections, titles, ok = [], {}, True
    for i, (item_path, entry) in enumerate(entries(items, path, report, SECTION_KEYS, SECTION_KEYS)):
        if entry is None:
            ok = False
            continue
        title = check_translations(entry["title"], join_path(item_path, "title"), report, complete=False) \
            if "title" in entry else None
        if title is not None and title["en"] in titles:
            report(join_path(item_path, "title"), _("section %(title)r is listed twice (sections[%(index)d])") % {
                "title": title["en"], "index": titles[title["en"]]})
            title = None
        elif title is not None:
            titles[title["en"]] = i
        if title is None or "when" not in entry or set(entry) - set(SECTION_KEYS):
            ok = False
            continue
        sections.append({"title": title, "when": normalised(entry["when"])})
    return sections if ok else None


def check_filings(value, path: str, report: Report, *, reviewing: dict[str, int], asked: set[str],
                  references: list | None = None) -> list[FilingSpec] | None:
    """A service's filings: each department once, none that reviews the service (``reviewing``:
    code → its review's index), only answers the form asks for (``asked``). The departments named
    and the answers listed are appended to ``references`` (kinds ``department`` and ``answer``, an
    answer being no file), for the caller to check against the whole catalogue."""
    items = check_list(value, path, report, non_empty=False)
    if items is None:
        return None
    filings, told, ok = [], {}, True
    for i, item in enumerate(items):
        filing_path = f"{path}[{i}]"
        filing = check_filing(item, filing_path, report, position=i)
        ok &= filing is not None
        if not isinstance(item, dict):
            continue
        code = item.get("department")
        if isinstance(code, str) and code in reviewing:
            report(join_path(filing_path, "department"), _(
                "department %(code)r reviews this service (reviews[%(index)d]): a department that reviews is not also "
                "told by filing") % {"code": code, "index": reviewing[code]})
            ok, filing = False, None
        elif isinstance(code, str) and code in told:
            report(join_path(filing_path, "department"), _(
                "department %(code)r is already told of this service's approvals (filings[%(index)d])") % {
                "code": code, "index": told[code]})
            ok, filing = False, None
        elif isinstance(code, str):
            told[code] = i
            if references is not None:
                references.append(("department", code, join_path(filing_path, "department")))
        for j, key in enumerate(item["fields"] if isinstance(item.get("fields"), list) else []):
            if not isinstance(key, str):
                continue
            if key not in asked:
                report(f"{filing_path}.fields[{j}]", _(
                    "field %(key)r is not in the service's form: a filing passes on answers the form asks for "
                    "(list %(key)s in a review's fields)") % {"key": key})
                ok = False
            elif references is not None:
                references.append(("answer", key, f"{filing_path}.fields[{j}]"))
        if isinstance(item.get("identity"), list):
            ok &= check_identity_asked(item["identity"], asked, f"{filing_path}.identity", report)
        if filing is not None:
            filings.append(filing)
    return filings if ok else None


# -- checks across the whole catalogue -------------------------------------------------------------


def check_references(references: Iterable[tuple[Report, str, str, str]], *, departments: set[str], fields: set[str],
                     file_fields: set[str] = frozenset(), certificate_types: set[str] = frozenset()) -> None:
    """The departments and fields reviews and filings name, and the certificate types fields and
    permits name, as (report, kind, value, path), must be defined in the catalogue's files
    (``departments``, ``fields``, ``certificate_types``) or exist already. An answer a filing lists
    (kind ``answer``, a field the form asks for) must not be a file: a field of the files
    (``file_fields``: those of kind file) or else of the database. Filings pass on answers, never
    documents."""
    references = list(references)
    known = {"department": set(departments), "field": set(fields), "certificate_type": set(certificate_types)}
    wanted = {kind: {value for _r, k, value, _p in references if k == kind} - known[kind] for kind in known}
    known["department"] |= set(Department.objects.filter(code__in=wanted["department"]).values_list("code", flat=True))
    known["field"] |= set(Field.objects.filter(key__in=wanted["field"]).values_list("key", flat=True))
    answers = {value for _r, kind, value, _p in references if kind == "answer"}
    files = set(file_fields) | set(Field.objects.filter(key__in=answers - set(fields), kind=FieldKind.FILE)
                                   .values_list("key", flat=True)) if answers else set()
    known["certificate_type"] |= set(
        CertificateType.objects.filter(code__in=wanted["certificate_type"]).values_list("code", flat=True))
    messages = {"department": _("unknown department %(value)r"), "field": _("unknown field %(value)r"),
                "certificate_type": _("unknown certificate type %(value)r")}
    for report, kind, value, path in references:
        if kind == "answer":
            if value in files:
                report(path, _("%(value)r is a file: a filing passes on answers, not documents") % {"value": value})
        elif value not in known[kind]:
            report(path, messages[kind] % {"value": value})


def check_register_bindings(bindings: list[tuple[Report, str, dict, str]], services: list[tuple[Report, str, set[str]]],
                            *, registers: set[str], key_formats: dict[str, str | None], defined: set[str]) -> None:
    """Across the whole catalogue: each binding (report, field key, binding, path) names a
    register the catalogue defines (``registers``, or one already loaded) and a key field that
    exists with the register's key format (``key_formats``: field key → its format, for the
    valid fields of the files; a field ``defined`` in them but invalid has its own problems
    reported already); each service (report, path, the fields it asks) that asks a bound field
    asks its key too. Bindings of fields already loaded are read from the database."""
    codes = {b["register"] for _r, _k, b, _p in bindings} - registers
    registers = registers | set(Register.objects.filter(code__in=codes).values_list("code", flat=True))
    wanted = {b["key"] for _r, _k, b, _p in bindings if "key" in b} - set(key_formats) - defined
    formats = dict(key_formats)
    formats.update({key: (rules or {}).get("format") for key, rules in
                    Field.objects.filter(key__in=wanted).values_list("key", "rules")})
    for report, _key, binding, path in bindings:
        if binding["register"] not in registers:
            report(join_path(path, "register"), _("register %(value)r is not defined: add it to registers") % {
                "value": binding["register"]})
        if "key" not in binding:
            continue
        expected = REGISTERS[binding["register"]].key_format
        if binding["key"] in defined and binding["key"] not in key_formats:
            continue  # an invalid field of the files: reported on its own
        if binding["key"] not in formats:
            report(join_path(path, "key"), _("unknown field %(value)r") % {"value": binding["key"]})
        elif formats[binding["key"]] != expected:
            report(join_path(path, "key"), _("field %(value)r must be a text field with format: %(format)s") % {
                "value": binding["key"], "format": expected})
    bound = {key: binding for _r, key, binding, _p in bindings}
    asked_elsewhere = set().union(*(asked for _r, _p, asked in services)) - set(bound) - set(key_formats)
    bound.update(dict(Field.objects.filter(key__in=asked_elsewhere).exclude(register={}).values_list("key", "register")))
    for report, path, asked in services:
        for key in sorted(asked):
            binding = bound.get(key)
            if binding and "key" in binding and binding["key"] in formats and binding["key"] not in asked:
                report(join_path(path, "reviews"), _(
                    "%(field)s is taken from the %(register)s register by the answer to %(key)s: list %(key)s in a "
                    "review's fields too") % {"field": key, "register": binding["register"], "key": binding["key"]})


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
