"""What of a service's form applies to given answers: the questions asked and the reviews made.

One rule, used by the form, the engine, the API and the finder alike:

- a **review** applies when its condition (``when``) holds over the answers that apply;
- a **question** is asked when its own condition holds over the answers of earlier pages and
  someone needs it: a review that applies (or may still apply, its condition reading an answer not
  given yet), or a body told by filing. A question only a review that does not apply needs is not
  asked ("Fire escape plan" when the fire review is not needed).

Pages are the form's sections in order (Schema.sections); the loader makes sure a question's
condition, and the conditions of the reviews that alone need it, read earlier pages only, so a page
never depends on itself or a later one. Answers of questions not asked are ignored: an answer left
from before a change of an earlier answer decides nothing.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass

from core.i18n import translated

from .conditions import combine, evaluate, referenced_keys, why_not
from .schema import Schema


@dataclass(frozen=True)
class Applied:
    asked: tuple[str, ...]  # the keys of the questions asked, in form order
    reviews: tuple[dict, ...]  # the schema's review entries that apply, in schema order
    not_needed: tuple[tuple[dict, str], ...]  # each review that does not apply, with why in words

    def asks(self, key: str) -> bool:
        return key in self.asked

    @property
    def departments(self) -> list[str]:
        return [review["department"] for review in self.reviews]


def applied(schema: Schema, values: Mapping) -> Applied:
    """What applies to ``values`` (answers by key; a document question answered by a file or a
    certificate has a true value). Wording (why a review is not needed) is in the active language."""
    fields_by_key = schema.fields_by_key
    filed = {key for filing in schema.filings for key in filing.get("fields", [])}
    needed_by: dict[str, list[dict]] = {}
    for review in schema.reviews:
        for key in review["fields"]:
            needed_by.setdefault(key, []).append(review)
    known: dict = {}
    asked: list[str] = []
    for _title, specs in schema.sections():
        page_known = dict(known)  # a page reads earlier pages only
        for spec in specs:
            key = spec["key"]
            if not evaluate(spec.get("when"), page_known, fields_by_key):
                continue
            if key in filed or any(_may_apply(review, page_known, fields_by_key) for review in needed_by.get(key, [])):
                asked.append(key)
                if key in values:
                    known[key] = values[key]
    reviews, not_needed = [], []
    for review in schema.reviews:
        if evaluate(review.get("when"), known, fields_by_key):
            reviews.append(review)
        else:
            reason = translated(review.get("not_needed")) or why_not(review["when"], known, fields_by_key)
            not_needed.append((review, reason))
    order = {spec["key"]: index for index, spec in enumerate(schema.fields)}
    return Applied(asked=tuple(sorted(asked, key=order.__getitem__)), reviews=tuple(reviews),
                   not_needed=tuple(not_needed))


def _may_apply(review: dict, known: Mapping, fields_by_key) -> bool:
    """Whether a review applies, or may once answers it reads that are not given yet are."""
    condition = review.get("when")
    if not condition or evaluate(condition, known, fields_by_key):
        return True
    return any(key not in known for key in referenced_keys(condition))


def applicable_answers(schema: Schema, values: Mapping) -> dict:
    """``values`` without the answers of questions not asked (what a submission keeps)."""
    asked = set(applied(schema, values).asked)
    return {key: value for key, value in values.items() if key in asked}


def asked_when(schema: Schema) -> dict[str, dict]:
    """When each question asked only sometimes is asked, as one condition by key: its own (its
    section's with it) and, when only reviews with a condition need it (no filing, no review
    always made), that one of them applies. What ``applied`` decides, for telling people before
    they answer ("Fire escape plan: asked only when Number of seats is more than 50 or …")."""
    filed = {key for filing in schema.filings for key in filing.get("fields", [])}
    found = {}
    for spec in schema.fields:
        key = spec["key"]
        needing = [review.get("when") for review in schema.reviews if key in review["fields"]]
        by_reviews = None
        if key not in filed and needing and all(needing):
            unique = list({json.dumps(when, sort_keys=True): when for when in needing}.values())
            by_reviews = unique[0] if len(unique) == 1 else {"any": unique}
        own = spec.get("when")
        if by_reviews is not None and by_reviews in (own.get("all", [own]) if own else []):
            by_reviews = None  # said already (a sign's page and the sign's review, both when there is a sign)
        if condition := combine(own, by_reviews):
            found[key] = condition
    return found
