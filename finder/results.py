"""What a finder's answers mean: the services that apply and those that do not, each with why;
for each that applies, the departments that review it (and those that do not, with why), how
long it takes, what it costs and the documents it asks for; and what each answer changed.

Which reviews of a service apply, and which of its questions are asked, is catalogue.applicability's
one rule, given the finder's answers: a finder's question is a field of the shared dictionary, so
its answer means what it means in the service's own form.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from catalogue.applicability import applied
from catalogue.conditions import describe, evaluate, referenced_keys, shown_value, why_not
from catalogue.durations import expected_working_days
from catalogue.models import Service
from catalogue.schema import Schema
from catalogue.selectors import issuing_services
from certificates.models import Certificate
from core.i18n import translated

from .models import Finder
from .selectors import held_certificates


@dataclass
class Document:
    spec: dict  # the schema's file question
    held: Certificate | None = None  # the citizen's valid certificate answering it
    issuers: list[Service] = field(default_factory=list)  # where to get one otherwise


@dataclass
class Applying:
    service: Service
    because: str
    reviews: list[dict]  # the schema's reviews that apply
    not_needed: list[tuple[dict, str]]  # reviews the answers rule out, with why
    undecided: list[tuple[dict, str]]  # reviews the application's other answers decide, with when
    working_days: int  # at most: the stages' longest time limits, undecided reviews included
    documents: list[Document]


@dataclass
class NotApplying:
    service: Service
    why: str


@dataclass
class Effect:
    """What one answer changed: "Number of seats: 20" and, e.g., "Fire safety review: not needed"."""

    question: str
    answer: str
    changes: list[str]


@dataclass
class Outcome:
    applying: list[Applying]
    not_applying: list[NotApplying]
    effects: list[Effect]


def question_specs(finder: Finder) -> dict[str, dict]:
    """The finder's questions as schema field entries, by key, in order."""
    return {q.field.key: {"key": q.field.key, "kind": q.field.kind, "label": q.field.label, "help": q.field.help,
                          **(q.field.rules or {})} for q in finder.questions.all()}


def shown(spec: dict, value) -> str:
    """An answer in words: "Yes", "Chinese", "20", "Tea, coffee or bakery, Chinese"."""
    values = value if isinstance(value, list) else [value]
    return ", ".join(shown_value(spec, item) for item in values)


def _decided(condition: dict | None, answers: Mapping) -> bool:
    """Whether the finder's answers decide a condition: every field it reads is answered."""
    return all(key in answers for key in referenced_keys(condition))


def finder_outcome(*, finder: Finder, answers: Mapping, user=None) -> Outcome:
    """The finder's result for ``answers`` (cleaned, by question key); ``user``: the signed-in
    citizen, whose valid certificates answer document questions."""
    questions = question_specs(finder)
    applying, not_applying = [], []
    effects: dict[str, list[str]] = {key: [] for key in questions if key in answers}
    for considered in finder.considered.all():
        service, when = considered.service, considered.when or None
        name = service.display_name
        if not evaluate(when, answers, questions):
            why = (why_not(when, answers, questions) if _decided(when, answers)
                   else _("Needed if %(condition)s") % {"condition": describe(when, questions)})
            not_applying.append(NotApplying(service, why))
            _note(effects, when, _("%(service)s: not needed") % {"service": name})
            continue
        _note(effects, when, _("%(service)s: needed") % {"service": name})
        applying.append(_applying(service, translated(considered.because), answers, effects))
    _documents(applying, user)
    return Outcome(applying=applying, not_applying=not_applying, effects=[
        Effect(translated(questions[key]["label"]), shown(questions[key], answers[key]), changes)
        for key, changes in effects.items()])


def _note(effects: dict[str, list[str]], condition: dict | None, change: str) -> None:
    for key in referenced_keys(condition):
        if key in effects:
            effects[key].append(change)


def _applying(service: Service, because: str, answers: Mapping, effects: dict[str, list[str]]) -> Applying:
    schema = Schema(service.current_version.schema)
    result = applied(schema, answers)
    not_needed, undecided = [], []
    for review, why in result.not_needed:
        if _decided(review["when"], answers):
            not_needed.append((review, why))
        else:
            undecided.append((review, describe(review["when"], schema.fields_by_key)))
    words = {"department": "", "service": service.display_name}
    for review in result.reviews:
        words["department"] = translated(review["department_name"])
        _note(effects, review.get("when"), _("%(department)s review (%(service)s): needed") % words)
    for review, _why in not_needed:
        words["department"] = translated(review["department_name"])
        _note(effects, review.get("when"), _("%(department)s review (%(service)s): not needed") % words)
    documents = [Document(spec) for spec in schema.fields if spec["kind"] == "file" and result.asks(spec["key"])]
    return Applying(service=service, because=because, reviews=list(result.reviews), not_needed=not_needed,
                    undecided=undecided,
                    working_days=expected_working_days([*result.reviews, *(review for review, _ in undecided)]),
                    documents=documents)


def _documents(applying: list[Applying], user) -> None:
    """Fill in, for the document questions a certificate answers, the citizen's valid one and the
    services issuing the type (one query for the services, one per type held for the wallet)."""
    specs = [document.spec for item in applying for document in item.documents]
    issuers = issuing_services(specs)
    held = held_certificates(user, {spec["certificate"]["type"] for spec in specs if spec.get("certificate")})
    for item in applying:
        for document in item.documents:
            if certificate := document.spec.get("certificate"):
                document.held = held.get(certificate["type"])
                document.issuers = issuers.get(document.spec["key"], [])
