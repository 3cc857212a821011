"""The frozen form schema of a service version, and publishing new versions.

A schema is plain JSON so that it can be stored on a version and never change:

    {"service": {"slug", "name", "permit_title", "permit_valid_days", "rectify_days" (when not the default),
                 "renewal_asks": [key, ...] (when some), "amendable": [key, ...] (when some)},
     "fields": [{"key", "kind", "label", "help", "section", "required", <rules>,
                 "certificate": {"type", "name", "issued_by": [slug, ...]}, "when": condition}, ...],
     "reviews": [{"department", "department_name", "stage", "sla_days", "fields": [key, ...],
                  "identity": [detail, ...], "when": condition, "not_needed": {lang: text},
                  "reviews_renewals": true (only then), "reviews_changes_of": [key, ...] (when some)}, ...],
     "filings": [{"department", "department_name", "fields": [key, ...], "identity": [detail, ...]}, ...],
     "registers": {code: {"name", "consent_required"}},
     "fee": {<catalogue.fees rule>}}

A field taken from a register carries ``"register": {"register", "attribute", "key"}`` and the
schema then names those registers under ``registers`` (only then: a version of a form that takes
nothing from a register is the same as before registers existed).

``when`` (catalogue.conditions) is there only on a field asked or a review made under a condition
(a field's is its section's and its own, combined with conditions.combine: a section's condition
is the service's, Service.sections, matched by English title); ``not_needed`` only where the
catalogue words why a review is not needed.

Fields are the union of the reviews' fields, each once, in dictionary order. A file field a valid
certificate answers names its ``certificate`` type (its code and name) and the slugs of the
services whose permit is of that type (``issued_by``: where the citizen gets one). ``identity`` lists
what of the applicant's identity the department sees (catalogue.models.IdentityDetail); a version
published before reviews had it shows none. ``filings`` are the bodies told of an approval
without reviewing (catalogue.models.FilingRequirement), with the answers and details they
receive; the key is there only when the service has some, so a service without filings keeps the
schema (and the version) it had.
"""

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from django.db import transaction

from core.i18n import translated
from departments.models import Department

from .conditions import combine
from .models import IDENTITY_ASKED_BY, RECTIFY_DAYS_DEFAULT, CertificateType, Register, Service, ServiceVersion, identity_in_order


@dataclass(frozen=True)
class Schema:
    data: dict
    version_number: int | None = None

    @cached_property
    def fields(self) -> list[dict]:
        return self.data["fields"]

    @cached_property
    def fields_by_key(self) -> dict[str, dict]:
        return {f["key"]: f for f in self.fields}

    @property
    def fee(self) -> dict:
        """The fee rule the application is charged by (catalogue.fees); empty: no fee to pay."""
        return self.data.get("fee", {})

    @cached_property
    def reviews(self) -> list[dict]:
        return self.data["reviews"]

    @cached_property
    def stages(self) -> list[int]:
        return sorted({r["stage"] for r in self.reviews})

    @cached_property
    def rectify_days(self) -> int:
        """Working days a department has to rectify a bad rating (approvals.rectifications)."""
        return self.data["service"].get("rectify_days", RECTIFY_DAYS_DEFAULT)

    @cached_property
    def renewal_asks(self) -> list[str]:
        """The questions asked again when the permit is renewed; the rest are carried."""
        return self.data["service"].get("renewal_asks", [])

    @cached_property
    def amendable(self) -> list[str]:
        """The questions whose answer the holder may change on a valid permit."""
        return self.data["service"].get("amendable", [])

    @cached_property
    def filings(self) -> list[dict]:
        """The bodies told of an approval by filing (none in a version published before filings)."""
        return self.data.get("filings", [])

    def _review(self, department_code: str) -> dict:
        return next((review for review in self.reviews if review["department"] == department_code), {})

    def _filing(self, department_code: str) -> dict:
        return next((filing for filing in self.filings if filing["department"] == department_code), {})

    def department_fields(self, department_code: str) -> list[str]:
        return list(self._review(department_code).get("fields", []))

    def department_identity(self, department_code: str) -> list[str]:
        """The details of the applicant's identity the department's requirement lists, those
        from the profile only where this form asks for them (IDENTITY_ASKED_BY)."""
        return self._asked(self._review(department_code).get("identity", []))

    def filing_fields(self, department_code: str) -> list[str]:
        """The answers the department is told of by filing, those of this form only."""
        return [key for key in self._filing(department_code).get("fields", []) if key in self.fields_by_key]

    def filing_identity(self, department_code: str) -> list[str]:
        """The details of the applicant's identity the department is told of by filing, as
        ``department_identity`` reads a review's."""
        return self._asked(self._filing(department_code).get("identity", []))

    def _asked(self, identity: list[str]) -> list[str]:
        return [detail for detail in identity
                if detail not in IDENTITY_ASKED_BY or IDENTITY_ASKED_BY[detail] in self.fields_by_key]

    def sections(self) -> list[tuple[str, list[dict]]]:
        """Fields grouped by section title (in the active language), in first-seen order."""
        groups: dict[str, list[dict]] = {}
        for field in self.fields:
            groups.setdefault(translated(field.get("section")) or "", []).append(field)
        return list(groups.items())

    @cached_property
    def registers(self) -> dict[str, dict]:
        """The registers this form takes answers from: code → {"name", "consent_required"}."""
        return self.data.get("registers") or {}

    @cached_property
    def register_fields(self) -> list[dict]:
        """The fields taken from a register, in form order."""
        return [f for f in self.fields if f.get("register")]

    @property
    def file_keys(self) -> set[str]:
        return {f["key"] for f in self.fields if f["kind"] == "file"}

    @cached_property
    def certificate_keys(self) -> list[str]:
        """The file questions a valid certificate answers (``certificate`` in their definition)."""
        return [f["key"] for f in self.fields if f["kind"] == "file" and f.get("certificate")]


# Date rules (``min`` and ``max`` of a date field) are a fixed day, YYYY-MM-DD, or a day relative
# to the day the answer is checked: "today", or "today" plus or minus a whole number of days (d),
# weeks (w), months (m) or years (y), e.g. today+365d, today-18y. Months and years keep the day of
# the month, or take the month's last day when it has fewer (today-1m on 31 March is 28 or 29
# February). Nothing else: a catalogue says exactly one of these.
DATE_RULE = re.compile(r"today(?:([+-])([0-9]{1,5})([dwmy]))?")
DATE_RULE_LIMITS = {"d": 36600, "w": 5220, "m": 1200, "y": 100}  # at most about 100 years either way


def parse_date_rule(value) -> date | tuple[int, str] | None:
    """A date rule as a fixed ``date`` or a relative (signed amount, unit) pair; None when the
    value is neither (callers say why)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    if match := DATE_RULE.fullmatch(value.strip()):
        sign, amount, unit = match.groups()
        if sign is None:
            return 0, "d"
        return (int(amount) * (-1 if sign == "-" else 1), unit) if int(amount) <= DATE_RULE_LIMITS[unit] else None
    try:
        return date.fromisoformat(value) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value) else None
    except ValueError:
        return None


def date_rule_text(rule: date | tuple[int, str]) -> str:
    """How a parsed rule is written in a schema and a catalogue file."""
    if isinstance(rule, date):
        return rule.isoformat()
    amount, unit = rule
    return "today" if amount == 0 else f"today{amount:+d}{unit}"


def date_bound(value, today: date) -> date:
    """The day a stored date rule means when the answer is checked on ``today``."""
    rule = parse_date_rule(value)
    if rule is None:
        raise ValueError(f"not a date rule: {value!r}")
    if isinstance(rule, date):
        return rule
    amount, unit = rule
    if unit in ("d", "w"):
        return today + timedelta(days=amount * (7 if unit == "w" else 1))
    months = today.year * 12 + today.month - 1 + amount * (12 if unit == "y" else 1)
    year, month = divmod(months, 12)
    return date(year, month + 1, min(today.day, calendar.monthrange(year, month + 1)[1]))


@functools.lru_cache(maxsize=512)
def frozen_schema(version_id: int) -> Schema:
    """The schema of a published version, read once per process: a version never changes (a
    change publishes a new one), and the engine's hot paths then skip loading and decoding it."""
    number, data = ServiceVersion.objects.values_list("number", "schema").get(pk=version_id)
    return Schema(data, version_number=number)


@functools.lru_cache(maxsize=512)
def frozen_department_ids(version_id: int) -> dict[str, int]:
    """Department code → id for the reviews and filings of a published version, read once per
    process (each submit creates those reviews, each approval those filings). Departments are
    never deleted, and the ids found stay right even if a code is renamed later."""
    schema = frozen_schema(version_id)
    codes = [entry["department"] for entry in [*schema.reviews, *schema.filings]]
    return dict(Department.objects.filter(code__in=codes).values_list("code", "pk"))


def build_schema(service: Service) -> dict:
    requirements = list(
        service.requirements.select_related("department").prefetch_related("fields").order_by("stage", "position", "id")
    )
    used = {}
    reviews = []
    for req in requirements:
        keys = [f.key for f in sorted(req.fields.all(), key=lambda f: (f.position, f.key))]
        for f in req.fields.all():
            used[f.key] = f
        review = {
            "department": req.department.code,
            "department_name": req.department.name,
            "stage": req.stage,
            "sla_days": req.sla_days,
            "fields": keys,
            "identity": identity_in_order(req.identity or []),
        }
        if req.reviews_renewals:  # absent otherwise, as below
            review["reviews_renewals"] = True
        if req.reviews_changes_of:
            review["reviews_changes_of"] = list(req.reviews_changes_of)
        if req.when:  # absent otherwise: a service without conditions keeps its schema, and its version
            review["when"] = req.when
            if req.not_needed:
                review["not_needed"] = req.not_needed
        reviews.append(review)
    certificates = _certificates({f.certificate_type_id for f in used.values() if f.certificate_type_id})
    section_when = sections_when(service.sections)
    fields = []
    for f in sorted(used.values(), key=lambda f: (f.position, f.key)):
        entry = {"key": f.key, "kind": f.kind, "label": f.label, "help": f.help or {},
                 "section": f.section or {}, "required": f.required}
        entry.update(f.rules or {})
        if f.register:
            entry["register"] = dict(f.register)
        if f.certificate_type_id:
            entry["certificate"] = certificates[f.certificate_type_id]
        if when := combine(section_when.get((f.section or {}).get("en")), f.when):
            entry["when"] = when
        fields.append(entry)
    codes = {entry["register"]["register"] for entry in fields if "register" in entry}
    schema = {
        "service": {
            "slug": service.slug,
            "name": service.name,
            "permit_title": service.permit_title,
            "permit_valid_days": service.permit_valid_days,
            # Only when it is not the default, so that versions published before it stay as they were.
            **({"rectify_days": service.rectify_days} if service.rectify_days != RECTIFY_DAYS_DEFAULT else {}),
            # The questions asked again at renewal (approvals.permit_life), when the service names some.
            **({"renewal_asks": list(service.renewal_asks)} if service.renewal_asks else {}),
            # The questions whose answer the holder may change on a valid permit (approvals.permit_life).
            **({"amendable": list(service.amendable)} if service.amendable else {}),
        },
        "fields": fields,
        "reviews": reviews,
    }
    if codes:
        schema["registers"] = {r.code: {"name": r.name, "consent_required": r.consent_required}
                               for r in Register.objects.filter(code__in=codes).order_by("position", "code")}
    filings = [{
        "department": filing.department.code,
        "department_name": filing.department.name,
        "fields": [f.key for f in sorted(filing.fields.all(), key=lambda f: (f.position, f.key))],
        "identity": identity_in_order(filing.identity or []),
    } for filing in service.filing_requirements.select_related("department").prefetch_related("fields")
        .order_by("position", "id")]
    if filings:  # absent otherwise: a service without filings keeps its schema, and its version
        schema["filings"] = filings
    if service.fee_rule:  # likewise: a service charging nothing keeps its version
        schema["fee"] = service.fee_rule
    return schema


def sections_when(sections) -> dict[str, dict]:
    """A service's conditional sections as English title → condition (the loader and the admin
    make sure each title is that of a section of the service's form)."""
    return {section["title"]["en"]: section["when"] for section in sections or [] if section.get("when")}


def _certificates(type_ids: set[int]) -> dict[int, dict]:
    """Each certificate type as a schema freezes it: code, name, and the services issuing it."""
    if not type_ids:
        return {}
    issued_by: dict[int, list[str]] = {}
    for type_id, slug in (Service.objects.filter(certificate_type_id__in=type_ids).order_by("position", "slug")
                          .values_list("certificate_type_id", "slug")):
        issued_by.setdefault(type_id, []).append(slug)
    return {t.pk: {"type": t.code, "name": t.name, "issued_by": issued_by.get(t.pk, [])}
            for t in CertificateType.objects.filter(pk__in=type_ids)}


@transaction.atomic
def service_publish(*, service: Service) -> ServiceVersion | None:
    """Publish a new version when the service's schema differs from its current one.

    Returns the new version, or None when nothing changed (so loading a catalogue twice
    publishes nothing)."""
    service = Service.objects.select_for_update().get(pk=service.pk)
    schema = build_schema(service)
    current = service.current_version
    if current is not None and current.schema == schema:
        return None
    number = (current.number + 1) if current else 1
    version = ServiceVersion.objects.create(service=service, number=number, schema=schema)
    Service.objects.filter(pk=service.pk).update(current_version=version)
    service.current_version = version
    return version
