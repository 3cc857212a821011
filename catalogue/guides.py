"""The service guide (办事指南): what a service publishes before anyone applies, and the one rule
of when it is complete in a language.

A guide, as stored on ``Service.guide`` (and written in a catalogue file under ``guide:``)::

    {"legal_basis": [{"title": {lang: text}, "link": "https://…"}],   # link optional
     "who_may_apply": {lang: text},
     "conditions": {lang: text},
     "materials": [{"name": {lang: text}, "specification": "original" | "copy" | "original_and_copy",
                    "copies": 1, "format": {lang: text}, "template": "file-name.pdf"}],  # template optional
     "statutory_days": 20,          # working days the law allows
     "promised_days": 8,            # optional: the portal's promise; default the review stages' time
     "faq": [{"question": {lang: text}, "answer": {lang: text}}]}

The fee is the service's ``fee``; the departments involved are those reviewing it, each with
where to go in person (``Department.address``, ``opening_hours``, ``phone``).

A guide is complete in a language when every part is there and every text of it is written in
that language; ``guide_gaps`` lists what is missing, by path, for the loader's warnings and the
service page's notice alike."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.i18n import REQUIRED_LANGUAGES

from .durations import expected_working_days

SPECIFICATIONS = {
    "original": pgettext_lazy("guide material", "Original"),
    "copy": pgettext_lazy("guide material", "Copy"),
    "original_and_copy": pgettext_lazy("guide material", "Original and copy"),
}

# What each part is called when it is missing, in the reader's language.
PARTS = {
    "fee": _("the fee"),
    "legal_basis": _("the legal basis"),
    "who_may_apply": _("who may apply"),
    "conditions": _("the conditions"),
    "materials": _("the materials to bring"),
    "statutory_days": _("the statutory time limit"),
    "faq": _("the frequently asked questions"),
    "address": _("where to go in person"),
    "opening_hours": _("opening hours"),
    "phone": _("phone number"),
}


@dataclass(frozen=True)
class Gap:
    language: str
    path: str  # where in the catalogue file: "guide.materials[1].name"
    part: str  # a key of PARTS

    @property
    def what(self) -> str:
        return str(PARTS[self.part])


def _text_gaps(value, path: str, part: str, languages: Iterable[str]) -> list[Gap]:
    value = value if isinstance(value, dict) else {}
    return [Gap(language, path, part) for language in languages if not value.get(language)]


def guide_gaps(guide: dict, *, fee: dict | None = None,
               languages: Iterable[str] = REQUIRED_LANGUAGES) -> list[Gap]:
    """Everything the guide (and the service's fee) does not yet say, per language, in the
    guide's order. Paths start at the service ("fee", "guide.faq")."""
    languages = tuple(languages)
    guide = guide or {}
    gaps = _text_gaps(fee, "fee", "fee", languages)
    items = guide.get("legal_basis") or []
    if not items:
        gaps += [Gap(language, "guide.legal_basis", "legal_basis") for language in languages]
    for i, item in enumerate(items):
        gaps += _text_gaps(item.get("title"), f"guide.legal_basis[{i}].title", "legal_basis", languages)
    for key in ("who_may_apply", "conditions"):
        gaps += _text_gaps(guide.get(key), f"guide.{key}", key, languages)
    materials = guide.get("materials") or []
    if not materials:
        gaps += [Gap(language, "guide.materials", "materials") for language in languages]
    for i, item in enumerate(materials):
        for key in ("name", "format"):
            gaps += _text_gaps(item.get(key), f"guide.materials[{i}].{key}", "materials", languages)
    if not guide.get("statutory_days"):
        gaps += [Gap(language, "guide.statutory_days", "statutory_days") for language in languages]
    questions = guide.get("faq") or []
    if not questions:
        gaps += [Gap(language, "guide.faq", "faq") for language in languages]
    for i, item in enumerate(questions):
        for key in ("question", "answer"):
            gaps += _text_gaps(item.get(key), f"guide.faq[{i}].{key}", "faq", languages)
    return sorted(gaps, key=lambda gap: languages.index(gap.language))


def office_gaps(*, address: dict, opening_hours: dict, phone: str,
                languages: Iterable[str] = REQUIRED_LANGUAGES) -> list[Gap]:
    """What a department does not yet say about where to go in person."""
    languages = tuple(languages)
    gaps = _text_gaps(address, "address", "address", languages) + \
        _text_gaps(opening_hours, "opening_hours", "opening_hours", languages)
    if not phone:
        gaps += [Gap(language, "phone", "phone") for language in languages]
    return sorted(gaps, key=lambda gap: languages.index(gap.language))


def promised_days(guide: dict, reviews) -> int:
    """The working days the portal promises: the guide's own figure, else the reviews' stages
    (catalogue.durations.expected_working_days, as the service page has always said)."""
    return (guide or {}).get("promised_days") or expected_working_days(reviews)
