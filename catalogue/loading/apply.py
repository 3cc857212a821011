"""A checked catalogue written to the database in one transaction: upserts by code, key and slug
(an unchanged row is not written), a service's reviews and filings become exactly those of the
file, and a new version is published for every service whose form changed, so applying twice
changes nothing."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from departments.models import Department

from ..calendar import calendar_change
from ..guide_files import guide_files_apply
from ..models import (
    CertificateType,
    DepartmentCalendar,
    Field,
    FilingRequirement,
    Holiday,
    Register,
    Requirement,
    Service,
    WorkCalendar,
    WorkingWeekend,
)
from ..schema import service_publish
from .bundles import apply_bundles
from .schema import CalendarSpec, Catalogue, DepartmentSpec, FilingSpec, ReviewSpec
from .sections import SECTIONS


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
    certificate_types: Counts = field(default_factory=Counts)
    departments: Counts = field(default_factory=Counts)
    registers: Counts = field(default_factory=Counts)
    fields: Counts = field(default_factory=Counts)
    services: Counts = field(default_factory=Counts)
    bundles: Counts = field(default_factory=Counts)
    requirements: Counts = field(default_factory=Counts)
    requirements_removed: int = 0
    filings: Counts = field(default_factory=Counts)
    filings_removed: int = 0
    guide_files: int = 0  # stored or removed
    calendar_changed: bool = False
    holidays_added: int = 0
    holidays_removed: int = 0
    working_weekends_added: int = 0
    working_weekends_removed: int = 0
    department_calendars_changed: int = 0
    published: list[str] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)  # a registered section's key -> what it did


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
    summary.holidays_added, summary.holidays_removed = _apply_dates(Holiday, spec.holidays)
    summary.working_weekends_added, summary.working_weekends_removed = _apply_dates(WorkingWeekend, spec.working_weekends)


def _apply_dates(model, dates: list) -> tuple[int, int]:
    """The rows of ``model`` (one date each) become exactly ``dates``; returns (added, removed)."""
    wanted = set(dates)
    existing = set(model.objects.values_list("date", flat=True))
    removed = 0
    if existing - wanted:
        removed, _deleted = model.objects.filter(date__in=existing - wanted).delete()
    if wanted - existing:
        model.objects.bulk_create([model(date=day) for day in sorted(wanted - existing)])
    return len(wanted - existing), removed


def _apply_department_calendars(specs: list[DepartmentSpec], summary: LoadSummary) -> None:
    """Each department of the file gets exactly the calendar the file gives it (none: the catalogue's)."""
    departments = Department.objects.in_bulk([d.code for d in specs], field_name="code")
    existing = {c.department_id: c for c in DepartmentCalendar.objects.filter(department__code__in=departments)}
    for spec in specs:
        department = departments[spec.code]
        row = existing.get(department.pk)
        if spec.calendar is None:
            if row is not None:
                row.delete()
                summary.department_calendars_changed += 1
            continue
        values = {"workdays": spec.calendar.workdays,
                  "holidays": [d.isoformat() for d in spec.calendar.holidays],
                  "working_days": [d.isoformat() for d in spec.calendar.working_days]}
        if row is None:
            DepartmentCalendar.objects.create(department=department, **values)
        elif all(getattr(row, name) == value for name, value in values.items()):
            continue
        else:
            DepartmentCalendar.objects.filter(pk=row.pk).update(**values)
        summary.department_calendars_changed += 1


@transaction.atomic
def catalogue_apply(*, catalogue: Catalogue) -> LoadSummary:
    """Write a checked catalogue: upsert by code, key and slug; a service's reviews and filings
    become exactly those of the file; then publish a new version of every service whose form
    changed. A change to the calendars raises their revision in the same transaction."""
    with calendar_change():
        return _apply(catalogue)


def _apply(catalogue: Catalogue) -> LoadSummary:
    summary = LoadSummary()
    if catalogue.calendar is not None:
        _apply_calendar(catalogue.calendar, summary)

    existing_types = CertificateType.objects.in_bulk([t.code for t in catalogue.certificate_types], field_name="code")
    # Types whose name changed, or that a service now issues or no longer issues: the schemas of
    # the services asking for them name the type and the services issuing it.
    changed_types = set()
    for spec in catalogue.certificate_types:
        _row, changed = _upsert(CertificateType, {"code": spec.code}, {"name": spec.name}, summary.certificate_types,
                                existing_types.get(spec.code))
        if changed:
            changed_types.add(spec.code)
    types = CertificateType.objects.in_bulk(
        {f.certificate for f in catalogue.fields if f.certificate}
        | {s.certificate_type for s in catalogue.services if s.certificate_type}, field_name="code")

    existing_departments = Department.objects.in_bulk([d.code for d in catalogue.departments], field_name="code")
    changed_departments = set()
    for spec in catalogue.departments:
        _row, changed = _upsert(Department, {"code": spec.code}, {
            "name": spec.name, "email": spec.email, "address": spec.address, "opening_hours": spec.opening_hours,
            "phone": spec.phone,
        }, summary.departments, existing_departments.get(spec.code))
        if changed:
            changed_departments.add(spec.code)
    _apply_department_calendars(catalogue.departments, summary)

    existing_registers = Register.objects.in_bulk([r.code for r in catalogue.registers], field_name="code")
    changed_registers = set()
    for spec in catalogue.registers:
        _row, changed = _upsert(Register, {"code": spec.code}, {
            "name": spec.name, "consent_required": spec.consent_required, "position": spec.position,
        }, summary.registers, existing_registers.get(spec.code))
        if changed:
            changed_registers.add(spec.code)

    existing_fields = Field.objects.in_bulk([f.key for f in catalogue.fields], field_name="key")
    changed_fields = set()
    for spec in catalogue.fields:
        _row, changed = _upsert(Field, {"key": spec.key}, {
            "kind": spec.kind, "label": spec.label, "help": spec.help, "section": spec.section,
            "required": spec.required, "rules": spec.rules, "position": spec.position, "register": spec.register,
            "certificate_type_id": types[spec.certificate].pk if spec.certificate else None, "when": spec.when,
        }, summary.fields, existing_fields.get(spec.key))
        if changed:
            changed_fields.add(spec.key)

    used_codes = {r.department for s in catalogue.services for r in [*s.reviews, *s.filings]}
    used_keys = {k for s in catalogue.services for r in s.reviews for k in r.fields}
    departments = Department.objects.in_bulk(used_codes, field_name="code")
    fields = Field.objects.in_bulk(used_keys, field_name="key")
    existing_services = Service.objects.in_bulk([s.slug for s in catalogue.services], field_name="slug")
    for spec in catalogue.services:
        existing = existing_services.get(spec.slug)
        issued_before = existing.certificate_type_id if existing is not None else None
        service, _changed = _upsert(Service, {"slug": spec.slug}, {
            "name": spec.name, "life_event": spec.life_event, "description": spec.description, "fee": spec.fee,
            "fee_rule": spec.fee_rule,
            "permit_title": spec.permit_title, "permit_valid_days": spec.permit_valid_days, "position": spec.position,
            "rectify_days": spec.rectify_days, "reminder_days": spec.reminder_days,
            "renewal_asks": spec.renewal_asks, "renew_grace_days": spec.renew_grace_days, "amendable": spec.amendable,
            "synonyms": spec.synonyms, "sections": spec.sections, "guide": spec.guide,
            "certificate_type_id": types[spec.certificate_type].pk if spec.certificate_type else None,
        }, summary.services, existing)
        if service.certificate_type_id != issued_before:
            changed_types |= set(CertificateType.objects.filter(
                pk__in=[pk for pk in (issued_before, service.certificate_type_id) if pk]).values_list("code", flat=True))
        summary.guide_files += guide_files_apply(service, spec.guide_files)
        _apply_reviews(service, spec.reviews, departments, fields, summary)
        _apply_filings(service, spec.filings, departments, fields, summary)

    # Every service whose schema may differ now: those in the files, and any other that uses a
    # changed field, department or register (its schema embeds field definitions, department
    # names and the registers its fields are taken from) or asks for a changed certificate type
    # (its schema names the type and the services issuing it).
    changed_fields |= {key for key, binding in Field.objects.exclude(register={}).values_list("key", "register")
                       if binding.get("register") in changed_registers}
    affected = Service.objects.filter(slug__in=[s.slug for s in catalogue.services]).values_list("pk", flat=True)
    others = Service.objects.filter(requirements__fields__key__in=changed_fields).values_list("pk", flat=True)
    by_department = Service.objects.filter(requirements__department__code__in=changed_departments).values_list("pk", flat=True)
    filed_with = Service.objects.filter(
        filing_requirements__department__code__in=changed_departments).values_list("pk", flat=True)
    by_type = Service.objects.filter(requirements__fields__certificate_type__code__in=changed_types).values_list("pk", flat=True)
    ids = set(affected) | set(others) | set(by_department) | set(filed_with) | set(by_type)
    for service in Service.objects.filter(pk__in=ids).order_by("position", "slug"):
        version = service_publish(service=service)
        if version is not None:
            summary.published.append(f"{service.slug} v{version.number}")
    apply_bundles(catalogue.bundles, summary.bundles)
    for key, data in catalogue.sections.items():
        summary.sections[key] = SECTIONS[key].apply(data)
    return summary


def _apply_reviews(service: Service, reviews: list[ReviewSpec], departments: dict, fields: dict,
                   summary: LoadSummary) -> None:
    summary.requirements_removed += _apply_rows(
        Requirement, service, service.requirements, reviews, departments, fields, summary.requirements,
        values=lambda spec: {"stage": spec.stage, "sla_days": spec.sla_days, "position": spec.position,
                             "identity": spec.identity, "when": spec.when, "not_needed": spec.not_needed,
                             "told_of_cancellation": spec.told_of_cancellation,
                             "reviews_renewals": spec.reviews_renewals,
                             "reviews_changes_of": spec.reviews_changes_of})


def _apply_filings(service: Service, filings: list[FilingSpec], departments: dict, fields: dict,
                   summary: LoadSummary) -> None:
    summary.filings_removed += _apply_rows(
        FilingRequirement, service, service.filing_requirements, filings, departments, fields, summary.filings,
        values=lambda spec: {"position": spec.position, "identity": spec.identity})


def _apply_rows(model, service: Service, rows, specs: list, departments: dict, fields: dict, counts: Counts, *,
                values) -> int:
    """A service's rows of one department each (its reviews, its filings) become exactly ``specs``:
    the file describes them completely. Returns how many rows were removed."""
    existing = {row.department_id: row for row in rows.prefetch_related("fields")}
    for spec in specs:
        department = departments[spec.department]
        wanted_values = values(spec)
        wanted = {fields[key].pk for key in spec.fields}
        row = existing.pop(department.pk, None)
        if row is None:
            row = model.objects.create(service=service, department=department, **wanted_values)
            row.fields.set(wanted)
            counts.created += 1
            continue
        changed = [name for name, value in wanted_values.items() if getattr(row, name) != value]
        if changed:
            for name in changed:
                setattr(row, name, wanted_values[name])
            row.save(update_fields=changed)
        fields_changed = {f.pk for f in row.fields.all()} != wanted
        if fields_changed:
            row.fields.set(wanted)
        if changed or fields_changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
    if existing:
        model.objects.filter(pk__in=[row.pk for row in existing.values()]).delete()
    return len(existing)
