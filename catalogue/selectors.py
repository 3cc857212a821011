"""Reads of the catalogue for pages."""

from dataclasses import dataclass

from .i18n import translated
from .models import Service
from .schema import Schema


@dataclass
class LifeEvent:
    title: str
    services: list


def services_by_life_event() -> list[LifeEvent]:
    services = Service.objects.filter(is_active=True, current_version__isnull=False).order_by("position", "slug")
    groups: dict[str, LifeEvent] = {}
    for service in services:
        title = translated(service.life_event)
        groups.setdefault(title, LifeEvent(title=title, services=[])).services.append(service)
    return list(groups.values())


def service_for_page(*, slug: str):
    """The service with its current schema attached as ``schema``, or None."""
    service = (
        Service.objects.filter(slug=slug, is_active=True, current_version__isnull=False)
        .select_related("current_version").first()
    )
    if service is not None:
        service.schema = Schema(service.current_version.schema)
    return service
