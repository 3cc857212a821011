"""Reads of the catalogue for pages."""

import re
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.utils.translation import get_language
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from core.i18n import translated
from departments.models import Department

from .applicability import asked_when
from .fees import fee_words
from .guides import guide_gaps, office_gaps, promised_days
from .models import Bundle, GuideFile, Service
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


def bundles():
    """The bundles of services (one application for a life event), in catalogue order."""
    return Bundle.objects.order_by("position", "slug")


def service_for_page(*, slug: str):
    """The service with its current schema attached as ``schema``, for each document a
    certificate answers the open services issuing it as ``issuers`` (key → services), and when
    each question asked only sometimes is asked as ``asked_when`` (key → condition); or None."""
    service = (
        Service.objects.filter(slug=slug, is_active=True, current_version__isnull=False)
        .select_related("current_version").first()
    )
    if service is not None:
        service.schema = Schema(service.current_version.schema)
        service.issuers = issuing_services(service.schema.fields)
        service.asked_when = asked_when(service.schema)
    return service


def issuing_services(specs) -> dict[str, list[Service]]:
    """For each question a certificate answers among ``specs`` (schema fields), the open services
    issuing its type, as the schema names them: where the citizen who holds none applies first."""
    wanted = {spec["key"]: spec["certificate"].get("issued_by", []) for spec in specs if spec.get("certificate")}
    if not wanted:
        return {}
    services = Service.objects.filter(slug__in={slug for slugs in wanted.values() for slug in slugs}, is_active=True,
                                      current_version__isnull=False).in_bulk(field_name="slug")
    return {key: [services[slug] for slug in slugs if slug in services] for key, slugs in wanted.items()}


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


def _normal(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


LONG_WORD = 8  # letters from which a word may hold two mistakes, or be similar enough
LONG_WORD_SIMILARITY = 80  # percent of letters in common and in order (rapidfuzz's ratio)


def allowed_edits(term: str) -> int:
    """How many typing mistakes a term may contain and still match: none in a short word (too
    many short words are one letter apart), one from five letters or three Chinese characters,
    two from eight letters or six characters."""
    if _CJK.fullmatch(term):
        return 0 if len(term) < 3 else 1 if len(term) < 6 else 2
    return 0 if len(term) < 5 else 1 if len(term) < LONG_WORD else 2


@dataclass
class _Entry:
    """A service's text as search reads it: names and synonyms (strong), other texts (rest)."""

    service: Service
    position: int
    names: set[str]
    synonyms: set[str]
    strong: str
    rest: str

    @cached_property
    def words(self) -> list[str]:
        """Every word, for typing mistakes to be measured against."""
        return list(dict.fromkeys(_latin_words(f"{self.strong} {self.rest}")))

    def has(self, term: str, *, strong: bool) -> bool:
        """A Chinese term anywhere in the text, another at the start of a word ("restaur" finds
        "restaurant", "front" finds "shop-front", but "shop" does not find "workshop")."""
        text = self.strong if strong else self.rest
        if _CJK.fullmatch(term):
            return term in text
        return re.search(r"(?<![^\W_])" + re.escape(term), text) is not None

    def near_word(self, term: str) -> bool:
        """A word within a few typing mistakes of ``term`` ("restuarant" → "restaurant"); a long
        word also when most of its letters are in order ("restraunt" → "restaurant")."""
        edits = 0 if _CJK.search(term) else allowed_edits(term)
        if not edits:
            return False
        if process.extractOne(term, self.words, scorer=OSA.distance, score_cutoff=edits) is not None:
            return True
        return len(term) >= LONG_WORD and process.extractOne(
            term, self.words, scorer=fuzz.ratio, score_cutoff=LONG_WORD_SIMILARITY) is not None

    def near_phrase(self, run: str) -> bool:
        """A run of Chinese characters within a few mistakes of part of a name or synonym."""
        edits = allowed_edits(run)
        if not edits:
            return False
        sizes = range(max(1, len(run) - edits), len(run) + edits + 1)
        pieces = {text[i:i + n] for text in _CJK.findall(self.strong) for n in sizes for i in range(len(text) - n + 1)}
        return process.extractOne(run, pieces, scorer=Levenshtein.distance, score_cutoff=edits) is not None


def _latin_words(text: str) -> list[str]:
    return [part for word in _WORD.findall(text) for part in _CJK.split(word) if len(part) > 1]


def active_services() -> list[Service]:
    return list(Service.objects.filter(is_active=True, current_version__isnull=False).order_by("position", "slug"))


def _entry(position: int, service: Service) -> _Entry:
    names = {_normal(n) for n in (service.name or {}).values()}
    synonym_list = [w for words in (service.synonyms or {}).values() for w in words]
    strong = " ".join([*(service.name or {}).values(), *synonym_list]).lower()
    rest = " ".join(_texts(v) for v in (service.description, service.life_event, service.permit_title)).lower()
    return _Entry(service, position, names, {_normal(w) for w in synonym_list}, strong, rest)


def search_services(query: str) -> list[Service]:
    """Active services matching the query, best first, in any language: in their names, the
    synonyms the catalogue lists for them (餐厅, eatery → "Open a restaurant"), descriptions, life
    events and permit titles. A term may contain a typing mistake or two ("restuarant"; a wrong
    character in a Chinese name), depending on its length (``allowed_edits``), when no service
    has it as typed.

    Ranking: the query being exactly a service's name, then exactly one of its synonyms; then
    the number of terms matched; then those matched exactly in a name or synonym; then exactly
    anywhere; then catalogue order. A service matching every term beats one matching some; when
    none matches every term, those matching most are shown. The active catalogue is small, so
    this runs in Python (rapidfuzz for the typing mistakes) and behaves the same on every database."""
    terms = search_terms(query)
    if not terms:
        return []
    whole = _normal(query)
    entries = [_entry(position, service) for position, service in enumerate(active_services())]
    strong = [{i for i, term in enumerate(terms) if entry.has(term, strong=True)} for entry in entries]
    exact = [found | {i for i, term in enumerate(terms) if entry.has(term, strong=False)}
             for entry, found in zip(entries, strong, strict=True)]
    # A term (or a Chinese run) found as typed somewhere is not a typing mistake: only the others
    # are looked for with mistakes, so "bookshop" does not also find "workshop".
    found_as_typed = set().union(*exact)
    typos = [i for i in range(len(terms)) if i not in found_as_typed]
    runs = []
    for run in _CJK.findall(query):
        pieces = {i for i, term in enumerate(terms) if _CJK.fullmatch(term) and term in run}
        if len(run) > 1 and not any(pieces <= found for found in strong):
            runs.append((run, pieces))
    scored = []
    for entry, strong_terms, exact_terms in zip(entries, strong, exact, strict=True):
        matched = exact_terms | {i for i in typos if entry.near_word(terms[i])}
        for run, pieces in runs:
            if entry.near_phrase(run):
                matched.update(pieces)
        if matched:
            exact_name = 2 if whole in entry.names else 1 if whole in entry.synonyms else 0
            scored.append((exact_name, len(matched), len(strong_terms), len(exact_terms), -entry.position, entry.service))
    if not scored:
        return []
    best = max(s[1] for s in scored)
    if best == len(terms):
        scored = [s for s in scored if s[1] == best]
    scored.sort(key=lambda s: s[:5], reverse=True)
    return [s[5] for s in scored]


# --- Service guides -------------------------------------------------------------------------------


@dataclass
class GuidePage:
    """A service's guide as its page shows it, in the active language: the materials with their
    template files, the departments involved (stage order) with where to go, the time limits,
    and what is not yet published in this language."""

    guide: dict
    materials: list[dict]
    departments: list
    statutory_days: int | None
    promised_days: int
    missing: list[str]
    fee_terms: list[str]  # the fee rule in words (catalogue.fees.fee_words); empty: nothing charged


def guide_for_page(service: Service) -> GuidePage:
    """``service`` as ``service_for_page`` gives it (its current schema attached). Two queries:
    the template files, the departments."""
    language = (get_language() or settings.LANGUAGE_CODE).lower()
    guide = service.guide or {}
    files = {f.name: f for f in service.guide_files.all()}
    materials = [{**item, "file": files.get(item.get("template"))} for item in guide.get("materials", [])]
    codes = [review["department"] for review in sorted(service.schema.reviews, key=lambda r: r["stage"])]
    departments = sorted(Department.objects.filter(code__in=codes), key=lambda d: codes.index(d.code))
    gaps = guide_gaps(guide, fee=service.fee, languages=[language])
    for department in departments:
        gaps += office_gaps(address=department.address, opening_hours=department.opening_hours,
                            phone=department.phone, languages=[language])
    return GuidePage(guide=guide, materials=materials, departments=departments,
                     statutory_days=guide.get("statutory_days"),
                     promised_days=promised_days(guide, service.schema.reviews),
                     missing=list(dict.fromkeys(gap.what for gap in gaps)),
                     fee_terms=fee_words(service.schema.fee, service.schema.fields_by_key))


def guide_file(*, slug: str, name: str) -> GuideFile | None:
    """A template of an open service's guide, by its file name; or None."""
    return GuideFile.objects.filter(service__slug=slug, service__is_active=True, name=name).first()
