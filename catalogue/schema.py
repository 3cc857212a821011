"""The frozen form schema of a service version, and publishing new versions.

A schema is plain JSON so that it can be stored on a version and never change:

    {"service": {"slug", "name", "permit_title", "permit_valid_days"},
     "fields": [{"key", "kind", "label", "help", "section", "required", <rules>}, ...],
     "reviews": [{"department", "department_name", "stage", "sla_days", "fields": [key, ...]}, ...]}

Fields are the union of the reviews' fields, each once, in dictionary order.
"""

import functools
from dataclasses import dataclass
from functools import cached_property

from django.db import transaction

from .i18n import translated
from .models import Service, ServiceVersion


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

    @cached_property
    def reviews(self) -> list[dict]:
        return self.data["reviews"]

    @cached_property
    def stages(self) -> list[int]:
        return sorted({r["stage"] for r in self.reviews})

    def department_fields(self, department_code: str) -> list[str]:
        for review in self.reviews:
            if review["department"] == department_code:
                return list(review["fields"])
        return []

    def sections(self) -> list[tuple[str, list[dict]]]:
        """Fields grouped by section title (in the active language), in first-seen order."""
        groups: dict[str, list[dict]] = {}
        for field in self.fields:
            groups.setdefault(translated(field.get("section")) or "", []).append(field)
        return list(groups.items())

    @property
    def file_keys(self) -> set[str]:
        return {f["key"] for f in self.fields if f["kind"] == "file"}


@functools.lru_cache(maxsize=512)
def frozen_schema(version_id: int) -> Schema:
    """The schema of a published version, read once per process: a version never changes (a
    change publishes a new one), and the engine's hot paths then skip loading and decoding it."""
    number, data = ServiceVersion.objects.values_list("number", "schema").get(pk=version_id)
    return Schema(data, version_number=number)


@functools.lru_cache(maxsize=512)
def frozen_department_ids(version_id: int) -> dict[str, int]:
    """Department code → id for the reviews of a published version, read once per process
    (each submit creates those reviews). Departments are never deleted, and the ids found stay
    right even if a code is renamed later."""
    from departments.models import Department

    codes = [r["department"] for r in frozen_schema(version_id).reviews]
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
        reviews.append({
            "department": req.department.code,
            "department_name": req.department.name,
            "stage": req.stage,
            "sla_days": req.sla_days,
            "fields": keys,
        })
    fields = []
    for f in sorted(used.values(), key=lambda f: (f.position, f.key)):
        entry = {"key": f.key, "kind": f.kind, "label": f.label, "help": f.help or {},
                 "section": f.section or {}, "required": f.required}
        entry.update(f.rules or {})
        fields.append(entry)
    return {
        "service": {
            "slug": service.slug,
            "name": service.name,
            "permit_title": service.permit_title,
            "permit_valid_days": service.permit_valid_days,
        },
        "fields": fields,
        "reviews": reviews,
    }


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
