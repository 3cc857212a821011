"""The whole catalogue written back as one catalogue file, in the loader's format.

Output is deterministic (fixed key order, rows in their catalogue order), so loading a dump and
dumping again gives the same bytes. Short texts and references are written in flow style
(``{en: ..., zh-hans: ...}``, ``[a, b]``) as people write them; long texts in block style."""

from datetime import date

import yaml
from django.conf import settings
from django.db.models import Prefetch

from core.i18n import REQUIRED_LANGUAGES
from departments.models import Department

from .calendar import DEFAULT_WORKDAYS
from .loading.guides import FAQ_KEYS, GUIDE_KEYS, MATERIAL_KEYS
from .loading.schema import RULE_KEYS, WEEKDAYS
from .loading.sections import SECTIONS
from .models import (
    RECTIFY_DAYS_DEFAULT,
    REMINDER_DAYS_DEFAULT,
    RENEW_GRACE_DAYS_DEFAULT,
    Bundle,
    BundleMember,
    CertificateType,
    Field,
    FieldKind,
    FilingRequirement,
    Holiday,
    Register,
    Requirement,
    Service,
    WorkCalendar,
    WorkingWeekend,
)
from .schema import parse_date_rule

FLOW_TEXT_MAX = 80  # total characters of a translation mapping still written on one line
WIDTH = 10_000  # never fold a line: long texts and review lines stay greppable, one per line


class _Flow(dict):
    pass


class _FlowList(list):
    pass


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        # Indent block sequences under their key ("departments:\n  - code: ..."), as hand-written.
        return super().increase_indent(flow, False)


def _represent_text(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(_Flow, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", list(data.items()), flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True))
_Dumper.add_representer(str, _represent_text)


def _by_language(value: dict) -> dict:
    order = list(REQUIRED_LANGUAGES) + [code for code, _name in settings.LANGUAGES if code not in REQUIRED_LANGUAGES]
    ordered = {lang: value[lang] for lang in order if lang in value}
    ordered.update({lang: value[lang] for lang in sorted(value) if lang not in ordered})
    return ordered


def _text(value: dict) -> dict:
    ordered = _by_language(value)
    texts = ordered.values()
    if sum(len(t) for t in texts) <= FLOW_TEXT_MAX and not any("\n" in t for t in texts):
        return _Flow(ordered)
    return ordered


def _calendar() -> dict | None:
    row = WorkCalendar.objects.order_by("pk").first()
    holidays = list(Holiday.objects.order_by("date").values_list("date", flat=True))
    if row is None and not holidays:
        return None
    workdays = sorted(row.workdays) if row is not None and row.workdays else list(DEFAULT_WORKDAYS)
    calendar = {"workdays": _FlowList(WEEKDAYS[d] for d in workdays), "holidays": holidays}
    if working := list(WorkingWeekend.objects.order_by("date").values_list("date", flat=True)):
        calendar["working_weekends"] = working
    return calendar


def _department(department: Department) -> dict:
    entry = {"code": department.code, "name": _text(department.name)}
    if department.email:
        entry["email"] = department.email
    for key in ("address", "opening_hours"):
        if getattr(department, key):
            entry[key] = _text(getattr(department, key))
    if department.phone:
        entry["phone"] = department.phone
    own = getattr(department, "calendar", None)
    if own is not None:
        calendar = {}
        if own.workdays:
            calendar["workdays"] = _FlowList(WEEKDAYS[d] for d in sorted(own.workdays))
        for key in ("holidays", "working_days"):
            if days := sorted(date.fromisoformat(d) for d in getattr(own, key)):
                calendar[key] = _FlowList(days)
        entry["calendar"] = calendar
    return entry


def _certificate_type(certificate_type: CertificateType) -> dict:
    return {"code": certificate_type.code, "name": _text(certificate_type.name)}


def _field(f: Field) -> dict:
    entry = {"key": f.key, "kind": f.kind, "label": _text(f.label)}
    if f.help:
        entry["help"] = _text(f.help)
    if f.section:
        entry["section"] = _text(f.section)
    entry["required"] = f.required
    rules = f.rules or {}
    for key in RULE_KEYS:
        if key not in rules:
            continue
        value = rules[key]
        if key == "choices":
            value = [_Flow(value=c["value"], label=_text(c["label"])) for c in value]
        elif key == "accept":
            value = _FlowList(value)
        elif f.kind == FieldKind.DATE and isinstance(parse_date_rule(value), date):
            value = date.fromisoformat(value)  # written as a YAML date, as in a hand-written file
        entry[key] = value
    if f.register:
        entry["register"] = _Flow((k, f.register[k]) for k in ("register", "attribute", "key") if k in f.register)
    if f.certificate_type_id:
        entry["certificate"] = f.certificate_type.code
    if f.when:
        entry["when"] = _Flow(f.when)
    return entry


def _register(register: Register) -> dict:
    return {"code": register.code, "name": _text(register.name), "consent_required": register.consent_required}


def _fee(text: dict, rule: dict) -> dict:
    """A fee rule as written (catalogue.loading.fees), its text first."""
    entry = {"text": _text(text)} if text else {}
    entry["currency"] = rule["currency"]
    entry["items"] = [_Flow({**item, "label": _text(item["label"]),
                             **({"bands": _FlowList(_Flow(band) for band in item["bands"])} if "bands" in item else {})})
                      for item in rule["items"]]
    if rule.get("exemptions"):
        entry["exemptions"] = [{"when": e["when"], "reason": _text(e["reason"])} for e in rule["exemptions"]]
    for key in ("payment", "refund"):
        if key in rule:
            entry[key] = _Flow(rule[key]) if isinstance(rule[key], dict) else rule[key]
    return entry


def _service(service: Service) -> dict:
    entry = {"slug": service.slug, "name": _text(service.name), "life_event": _text(service.life_event)}
    if service.description:
        entry["description"] = _text(service.description)
    if service.synonyms:
        entry["synonyms"] = {lang: _FlowList(words) for lang, words in _by_language(service.synonyms).items()}
    if service.fee_rule:
        entry["fee"] = _fee(service.fee, service.fee_rule)
    elif service.fee:
        entry["fee"] = _text(service.fee)
    entry["permit"] = _Flow(title=_text(service.permit_title), valid_days=service.permit_valid_days)
    if service.certificate_type_id:
        entry["permit"]["certificate_type"] = service.certificate_type.code
    if list(service.reminder_days) != REMINDER_DAYS_DEFAULT:
        entry["permit"]["reminder_days"] = _FlowList(service.reminder_days)
    if service.renewal_asks:
        entry["permit"]["renewal_asks"] = _FlowList(service.renewal_asks)
    if service.renew_grace_days != RENEW_GRACE_DAYS_DEFAULT:
        entry["permit"]["renew_grace_days"] = service.renew_grace_days
    if service.amendable:
        entry["permit"]["amendable"] = _FlowList(service.amendable)
    if service.rectify_days != RECTIFY_DAYS_DEFAULT:
        entry["rectify_days"] = service.rectify_days
    if service.sections:
        entry["sections"] = [_Flow(title=_text(section["title"]), when=section["when"]) for section in service.sections]
    reviews = []
    for requirement in service.requirements.all():
        keys = [f.key for f in sorted(requirement.fields.all(), key=lambda f: (f.position, f.key))]
        review = _Flow(department=requirement.department.code, stage=requirement.stage,
                       sla_days=requirement.sla_days, fields=_FlowList(keys))
        if requirement.identity:
            review["identity"] = _FlowList(requirement.identity)
        if requirement.when:
            review["when"] = requirement.when
            if requirement.not_needed:
                review["not_needed"] = _text(requirement.not_needed)
        if requirement.told_of_cancellation:
            review["told_of_cancellation"] = True
        if requirement.reviews_renewals:
            review["reviews_renewals"] = True
        if requirement.reviews_changes_of:
            review["reviews_changes_of"] = _FlowList(requirement.reviews_changes_of)
        reviews.append(review)
    entry["reviews"] = reviews
    filings = []
    for filing in service.filing_requirements.all():
        keys = [f.key for f in sorted(filing.fields.all(), key=lambda f: (f.position, f.key))]
        told = _Flow(department=filing.department.code, fields=_FlowList(keys))
        if filing.identity:
            told["identity"] = _FlowList(filing.identity)
        filings.append(told)
    if filings:
        entry["filings"] = filings
    if service.guide:
        entry["guide"] = _guide(service.guide)
    return entry


def _guide(guide: dict) -> dict:
    """The guide in the loader's key order (catalogue.loading.guides); templates by file name."""
    entry = {}
    for key in GUIDE_KEYS:
        if key not in guide:
            continue
        value = guide[key]
        if key == "legal_basis":
            value = [_Flow((k, _text(item[k]) if k == "title" else item[k]) for k in ("title", "link") if k in item)
                     for item in value]
        elif key == "materials":
            value = [_Flow((k, _text(item[k]) if isinstance(item[k], dict) else item[k])
                           for k in MATERIAL_KEYS if k in item) for item in value]
        elif key == "faq":
            value = [{k: _text(item[k]) for k in FAQ_KEYS} for item in value]
        elif isinstance(value, dict):
            value = _text(value)
        entry[key] = value
    return entry


def _bundle(bundle: Bundle) -> dict:
    entry = {"slug": bundle.slug, "name": _text(bundle.name), "life_event": _text(bundle.life_event)}
    if bundle.description:
        entry["description"] = _text(bundle.description)
    if bundle.one_permit:
        entry["one_permit"] = True
    members = []
    for member in bundle.members.all():
        item = _Flow(service=member.service.slug)
        if member.when:
            item["when"] = member.when
        if member.depends_on:
            item["depends_on"] = _FlowList(member.depends_on)
        members.append(item)
    entry["services"] = members
    return entry


def catalogue_dump() -> str:
    """The whole catalogue as YAML text: calendar, certificate types, departments, registers, fields,
    services, bundles."""
    sections = {
        "calendar": _calendar(),
        "certificate_types": [_certificate_type(t) for t in CertificateType.objects.order_by("code")],
        "departments": [_department(d) for d in Department.objects.select_related("calendar").order_by("code")],
        "registers": [_register(r) for r in Register.objects.order_by("position", "code")],
        "fields": [_field(f) for f in Field.objects.select_related("certificate_type").order_by("position", "key")],
        "services": [_service(s) for s in Service.objects.select_related("certificate_type").order_by(
            "position", "slug").prefetch_related(
            Prefetch("requirements", queryset=Requirement.objects.select_related("department")
                     .prefetch_related("fields").order_by("position", "id")),
            Prefetch("filing_requirements", queryset=FilingRequirement.objects.select_related("department")
                     .prefetch_related("fields").order_by("position", "id")),
        )],
        "bundles": [_bundle(b) for b in Bundle.objects.order_by("position", "slug").prefetch_related(
            Prefetch("members", queryset=BundleMember.objects.select_related("service").order_by("position", "id")))],
        **{key: section.dump() for key, section in SECTIONS.items()},  # after the services they name
    }
    parts = [
        yaml.dump({key: value}, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=WIDTH)
        for key, value in sections.items() if value
    ]
    return "\n".join(parts)
