"""A bundle's combined form, and what it saves the citizen.

The combined form of a bundle is built from the current versions of its member services' forms:

    {"bundle": {"slug", "name", "one_permit"},
     "members": [{"service", "name", "version", "when", "depends_on": [slug, ...]}, ...],
     "fields": the members' questions, each once, in the shared dictionary's order,
     "reviews": every member's reviews, each with "service": its member's slug and, where the member
                applies only under a condition, that condition combined with the review's own,
     "filings": every member's filings, each with "service",
     "registers": the registers any member takes answers from}

so that catalogue.applicability answers for a bundle as for one service: a question is asked once
when any member that applies needs it, and a member that does not apply asks nothing of its own.

A page reads earlier pages only (catalogue.applicability), and each service's loader keeps every
condition on an earlier page than the questions it decides. Combining members can break that: the
company register questions of the shop sign permit sit on "Your business", while the sign permit
applies only when "Will you put up a shop sign?" (on "The site", later) says yes. Such a question
moves to a continuation of its page placed after the page that decides it
(``_after_what_decides``), so the combined form, too, asks it only when its condition holds.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from .applicability import applied
from .conditions import combine, referenced_keys
from .models import Bundle, Field
from .schema import Schema


def bundle_schema(bundle: Bundle) -> Schema:
    """The combined form of ``bundle`` over its members' current versions (2 queries)."""
    members = list(bundle.members.select_related("service__current_version").order_by("position", "id"))
    fields: dict[str, dict] = {}
    reviews, filings, registers, entries = [], [], {}, []
    for member in members:
        version = member.service.current_version
        if version is None:
            continue  # a service never published asks nothing yet
        data = version.schema
        slug = member.service.slug
        entries.append({"service": slug, "name": member.service.name, "version": version.pk,
                        "when": member.when or None, "depends_on": list(member.depends_on or [])})
        for spec in data["fields"]:
            fields.setdefault(spec["key"], spec)
        for review in data["reviews"]:
            entry = {**review, "service": slug}
            if when := combine(member.when, review.get("when")):
                entry["when"] = when
            reviews.append(entry)
        filings += [{**filing, "service": slug} for filing in data.get("filings", [])]
        registers.update(data.get("registers") or {})
    order = dict(Field.objects.filter(key__in=list(fields)).values_list("key", "position"))
    data = {
        "bundle": {"slug": bundle.slug, "name": bundle.name, "one_permit": bundle.one_permit},
        "members": entries,
        "fields": _after_what_decides(sorted(fields.values(), key=lambda spec: (order.get(spec["key"], 0), spec["key"])),
                                      reviews, filings),
        "reviews": reviews,
        "filings": filings,
    }
    if registers:
        data["registers"] = registers
    return Schema(data)


CONTINUED = {"en": "%s (continued)", "zh-hans": "%s（续）"}


def _deciding_keys(spec: dict, reviews: list[dict], filed: set[str]) -> set[str]:
    """The answers that decide whether ``spec`` is asked: its own condition's, and when only
    reviews with a condition need it (no filing, no review always made), theirs."""
    keys = set(referenced_keys(spec.get("when")))
    needing = [review.get("when") for review in reviews if spec["key"] in review["fields"]]
    if spec["key"] not in filed and needing and all(needing):
        keys.update(key for when in needing for key in referenced_keys(when))
    keys.discard(spec["key"])
    return keys


def _page_title(spec: dict) -> str:
    section = spec.get("section")
    return (section.get("en") if isinstance(section, dict) else section) or ""


def _after_what_decides(fields: list[dict], reviews: list[dict], filings: list[dict]) -> list[dict]:
    """``fields`` (in page order) with each question decided by an answer on its own or a later
    page moved to a continuation of its page, right after that answer's page."""
    filed = {key for filing in filings for key in filing.get("fields", [])}
    for _round in range(len(fields)):  # a moved question may decide another: until nothing moves
        pages = list(dict.fromkeys(_page_title(spec) for spec in fields))
        page_of = {spec["key"]: pages.index(_page_title(spec)) for spec in fields}
        late = None
        for spec in fields:
            deciding = [page_of[key] for key in _deciding_keys(spec, reviews, filed) if key in page_of]
            if deciding and max(deciding) >= page_of[spec["key"]]:
                late = spec, max(deciding)
                break
        if late is None:
            return fields
        spec, after = late
        section = spec.get("section") or {}
        section = section if isinstance(section, dict) else {"en": section}
        moved = {**spec, "section": {lang: CONTINUED.get(lang, "%s") % text for lang, text in section.items()}}
        rest = [other for other in fields if other is not spec]
        last = max(i for i, other in enumerate(rest) if pages.index(_page_title(other)) <= after)
        continued = [i for i, other in enumerate(rest) if _page_title(other) == _page_title(moved)]
        at = (continued[-1] if continued else last) + 1
        fields = [*rest[:at], moved, *rest[at:]]
    return fields


@dataclass(frozen=True)
class BundleMeasure:
    """One application for the life event against one per service: the distinct questions the
    citizen answers and the submissions (trips) they make, each way."""

    questions_together: int
    questions_separately: int
    submissions_together: int
    submissions_separately: int

    @property
    def questions_saved(self) -> int:
        return self.questions_separately - self.questions_together


def bundle_measure(combined: Schema, values: Mapping | None = None) -> BundleMeasure:
    """What the bundle saves: for ``values`` (a citizen's answers), what applies to them; without,
    every member and every question (the most the form can ask). Separately, each member that
    applies is its own application asking all of its own form's questions that apply."""
    by_service: dict[str, list[dict]] = {}
    for review in combined.reviews:
        by_service.setdefault(review["service"], []).append(review)
    if values is None:
        together = len(combined.fields)
        members = [entry["service"] for entry in combined.data["members"]]
    else:
        result = applied(combined, values)
        together = len(result.asked)
        members = list(dict.fromkeys(review["service"] for review in result.reviews))
    conditions = {entry["service"]: entry["when"] for entry in combined.data["members"]}
    separately = 0
    for slug in members:
        own = Schema({"fields": _own_fields(combined, by_service[slug]),
                      "reviews": _own_reviews(by_service[slug], conditions[slug]),
                      "filings": [f for f in combined.filings if f["service"] == slug]})
        separately += len(own.fields) if values is None else len(applied(own, values).asked)
    return BundleMeasure(questions_together=together, questions_separately=separately,
                         submissions_together=1 if members else 0, submissions_separately=len(members))


def _own_reviews(reviews: list[dict], member_when: dict | None) -> list[dict]:
    """A member's reviews as its own form has them: the member's condition, which bundle_schema
    combined in first (conditions.combine), taken off again."""
    own = []
    for review in reviews:
        entry = {key: value for key, value in review.items() if key != "when"}
        when = review.get("when")
        if member_when and when is not None:
            when = None if when == member_when else when["all"][1]
        if when:
            entry["when"] = when
        own.append(entry)
    return own


def _own_fields(combined: Schema, reviews: list[dict]) -> list[dict]:
    keys = {key for review in reviews for key in review["fields"]}
    return [spec for spec in combined.fields if spec["key"] in keys]
