"""The checks of conditions (catalogue.conditions) against the forms they decide: each problem
reported at the path of the part of the condition that has it (``services[0].reviews[3].when.any[0].seats``).

A field's own condition is checked once against the dictionary (its fields, kinds and choices);
then each service's form: its sections' and its reviews' conditions, and the order of its pages
(Schema.sections). A question's condition, and its section's, read only earlier pages; a review's
reads what the service asks; the reviews that alone need a question read only pages before that
question's, so that whether a page is asked never depends on itself or a later page; and at least
one review always applies. The loader and the admin both check with these functions.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext as _

from ..conditions import GROUPS, MAX_DEPTH, dependency_cycle, problems, referenced_keys
from ..schema import Schema

Report = Callable[[str, str], None]


def normalised(condition):
    """A condition as JSON stores it: a day written in YAML (2026-01-01) as ISO text, so that it is
    frozen and dumped as written; a time of day, which no answer has, as text the checks refuse."""
    if isinstance(condition, dict):
        return {key: normalised(value) for key, value in condition.items()}
    if isinstance(condition, list):
        return [normalised(value) for value in condition]
    if isinstance(condition, (date, datetime)):
        return condition.isoformat()
    return condition


def schema_field(row) -> dict:
    """A field of the dictionary (a catalogue.models.Field) as a form schema has it, for the
    conditions that read it."""
    return {"key": row.key, "kind": row.kind, "label": row.label, "section": row.section, "position": row.position,
            "when": row.when, **(row.rules or {})}


def _walk(condition, path: str, report: Report, leaf: Callable[[str, str, object], Iterable[str]],
          depth: int = 0) -> None:
    """Report the structural problems of ``condition`` where they are, and each field test's from
    ``leaf(key, test)`` at ``path.key``."""
    if (depth > MAX_DEPTH or not isinstance(condition, dict) or not condition
            or any(name in condition and len(condition) > 1 for name in (*GROUPS, "not"))):
        for message in problems(condition, {}, depth=depth):
            report(path, message)
        return
    if (group := next((g for g in GROUPS if g in condition), None)) is not None:
        parts = condition[group]
        if not isinstance(parts, list) or not parts:
            report(f"{path}.{group}", problems(condition, {})[0])
            return
        for i, part in enumerate(parts):
            _walk(part, f"{path}.{group}[{i}]", report, leaf, depth + 1)
    elif "not" in condition:
        _walk(condition["not"], f"{path}.not", report, leaf, depth + 1)
    else:
        for key, test in condition.items():
            for message in leaf(key, test):
                report(f"{path}.{key}", message)


def check_condition(condition, path: str, report: Report, fields_by_key: Mapping[str, dict], *,
                    skip: Iterable[str] = (), extra: Callable[[str], str | None] | None = None) -> None:
    """A condition against the fields it may read: known keys, operators fit for their kind,
    operands of their type and among their choices. ``skip``: keys defined but invalid (their own
    problems are reported); ``extra(key)``: a further problem of reading that field, or None."""
    skip = set(skip)

    def leaf(key, test):
        if key in skip:
            return []
        found = problems({key: test}, fields_by_key)
        if not found and extra is not None and (problem := extra(key)):
            found = [problem]
        return found

    _walk(condition, path, report, leaf)


def check_field_conditions(entries: list[tuple[Report, str, str, dict]], fields_by_key: Mapping[str, dict], *,
                           skip: Iterable[str] = ()) -> None:
    """The fields' own conditions, as (report, path of ``when``, field key, condition), against the
    dictionary; and no cycle among them (a field asked when another is, asked when the first is)."""
    for report, path, _key, condition in entries:
        check_condition(condition, path, report, fields_by_key, skip=skip)
    where = {key: (report, path) for report, path, key, _condition in entries}
    cycle = dependency_cycle({key: condition for _report, _path, key, condition in entries})
    if cycle:
        report, path = where[cycle[0]]
        report(path, _("the conditions of fields depend on each other in a cycle: %(cycle)s") % {
            "cycle": " → ".join(cycle)})


@dataclass(frozen=True)
class ReviewConditions:
    path: str  # of the review, e.g. services[0].reviews[3]
    fields: list[str]
    when: dict


@dataclass(frozen=True)
class SectionConditions:
    path: str  # of the section, e.g. services[0].sections[1]
    title: str  # English
    when: dict


def _pages(keys: Iterable[str], fields_by_key: Mapping[str, dict]) -> list[list[str]]:
    """The form's pages, as Schema.sections orders them: the keys of each, in form order."""
    specs = sorted((fields_by_key[key] for key in set(keys)), key=lambda spec: (spec.get("position", 0), spec["key"]))
    return [[spec["key"] for spec in specs_] for _title, specs_ in Schema({"fields": specs, "reviews": []}).sections()]


def check_form_conditions(*, path: str, report: Report, fields_by_key: Mapping[str, dict],
                          reviews: list[ReviewConditions], sections: list[SectionConditions],
                          filed: Iterable[str] = (), skip: Iterable[str] = ()) -> None:
    """One service's form: its sections' conditions (``path.sections``), its reviews'
    (``path.reviews``) and its fields' own (reported where a review lists the field), against the
    order of its pages. ``filed``: the keys a filing needs (always asked)."""
    skip = set(skip)
    asked = [key for review in reviews for key in review.fields if key in fields_by_key]
    pages = _pages(asked, fields_by_key)
    page_of = {key: i for i, page in enumerate(pages) for key in page}
    before = [set().union(*pages[:i]) for i in range(len(pages))]
    page_by_title = {(fields_by_key[page[0]].get("section") or {}).get("en"): i for i, page in enumerate(pages)}

    def not_earlier(page: int):
        return lambda key: None if key in before[page] else _(
            "field %(key)r is not asked on an earlier page of this service's form") % {"key": key}

    for section in sections:
        page = page_by_title.get(section.title)
        if page is None:
            report(f"{section.path}.title", _("no field of this service's form is in the section %(title)r") % {
                "title": section.title})
            continue
        check_condition(section.when, f"{section.path}.when", report, fields_by_key, skip=skip,
                        extra=not_earlier(page))

    # A field's own condition, checked against the dictionary on its own, here against the pages
    # before its own: reported where the service first lists the field.
    listed = {}
    for review in reviews:
        for j, key in enumerate(review.fields):
            listed.setdefault(key, f"{review.path}.fields[{j}]")
    for key in dict.fromkeys(asked):
        condition = fields_by_key[key].get("when")
        for read in referenced_keys(condition):
            if read in fields_by_key and read not in before[page_of[key]]:
                report(listed[key], _(
                    "%(field)s is asked only when its condition holds, and it reads %(key)s, which this service's "
                    "form does not ask on an earlier page") % {"field": key, "key": read})

    form = set(asked)

    def in_form(key):
        return None if key in form else _("field %(key)r is not asked by this service's form (list it in a "
                                          "review's fields)") % {"key": key}

    for review in reviews:
        if review.when:
            check_condition(review.when, f"{review.path}.when", report, fields_by_key, skip=skip, extra=in_form)
    if reviews and all(review.when for review in reviews):
        report(f"{path}.reviews", _("every review of this service has a condition: at least one must always apply"))
        return  # the root of the problems the order of pages would show next

    # The reviews that alone need a question decide whether it is asked: they read earlier pages only.
    filed = set(filed)
    reported = set()
    for key in dict.fromkeys(asked):
        needing = [review for review in reviews if key in review.fields]
        if key in filed or not all(review.when for review in needing):
            continue
        for review in needing:
            for read in referenced_keys(review.when):
                if read in form and read not in before[page_of[key]] and (review.path, read) not in reported:
                    reported.add((review.path, read))
                    report(f"{review.path}.when", _(
                        "reads %(read)s, which is not on a page before that of %(field)s, a question only reviews "
                        "with a condition need: whether %(field)s is asked would depend on its own page or a later "
                        "one (list %(field)s in a review without a condition, or move %(read)s to an earlier "
                        "page)") % {"read": read, "field": key})
