"""Reads of the catalogue for pages."""

import re
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


# --- Search -------------------------------------------------------------------------------------

SEARCH_MAX_LENGTH = 100
# Words that say nothing about which service is meant ("I want to open a restaurant").
STOPWORDS = frozenset(
    "a an and are at be can do for from get how i in is it me my need of on or please the to want we with you".split()
)
_WORD = re.compile(r"[\w'-]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def search_terms(query: str) -> list[str]:
    """The terms of a query: lowercase words (single letters and stopwords dropped), and for runs of Chinese
    characters, which have no spaces, their two-character pieces."""
    terms = []
    for word in _WORD.findall(query.lower()):
        for part in _CJK.split(word):
            part = part.strip("'-_")
            if len(part) > 1 and part not in STOPWORDS:
                # A plain plural still finds the singular: "restaurants" → "restaurant".
                terms.append(part[:-1] if len(part) > 3 and part.endswith("s") and not part.endswith("ss") else part)
        for run in _CJK.findall(word):
            terms.extend([run] if len(run) < 2 else [run[i:i + 2] for i in range(len(run) - 1)])
    return list(dict.fromkeys(terms))


def _texts(value) -> str:
    if isinstance(value, dict):
        return " ".join(str(v) for v in value.values())
    return str(value or "")


def search_services(query: str) -> list[Service]:
    """Active services whose name, description or life event (in any language) match the query,
    best first. A service matching every term beats one matching some; when none matches every
    term, those matching most are shown. The active catalogue is small, so this runs in Python
    and behaves the same on every database."""
    terms = search_terms(query)
    if not terms:
        return []
    scored = []
    for position, service in enumerate(
        Service.objects.filter(is_active=True, current_version__isnull=False).order_by("position", "slug")
    ):
        name = _texts(service.name).lower()
        rest = " ".join(_texts(v) for v in (service.description, service.life_event, service.permit_title)).lower()
        in_name = sum(term in name for term in terms)
        matched = sum(term in name or term in rest for term in terms)
        if matched:
            scored.append((matched, in_name, -position, service))
    if not scored:
        return []
    best = max(s[0] for s in scored)
    if best == len(terms):
        scored = [s for s in scored if s[0] == best]
    scored.sort(key=lambda s: s[:3], reverse=True)
    return [s[3] for s in scored]
