"""What conditions cost the form: a 90-question form of 9 pages with 12 reviews, 8 of them
conditional, and 30 questions asked only under a condition of their own, against the same form
without conditions. Needs no database.

    .venv/bin/python bench/conditions.py [RUNS]

Measures, median over RUNS (default 200) after a warm-up:
- what applies (catalogue.applicability.applied) to a complete set of answers;
- checking every answer of the form as submit does (approvals.answers.complete_answers: what
  applies, then each question asked against its rules);
- drawing one page of 10 questions (citizen.forms.SchemaForm through crispy-forms' template).
Prints one line of JSON: {"conditional": {...}, "plain": {...}} in milliseconds."""

import json
import os
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.test")
django.setup()

from django.template import Context, Template  # noqa: E402
from django.utils import translation  # noqa: E402

from approvals.answers import complete_answers  # noqa: E402
from catalogue.applicability import applied  # noqa: E402
from catalogue.schema import Schema  # noqa: E402
from citizen.forms import SchemaForm  # noqa: E402

PAGES, PER_PAGE, REVIEWS = 9, 10, 12
KINDS = ("text", "integer", "choice", "boolean", "decimal", "multichoice", "date", "text", "integer", "choice")
CHOICES = [{"value": v, "label": {"en": v.title(), "zh-hans": v}} for v in ("small", "medium", "large")]


def _field(page: int, slot: int) -> dict:
    kind = KINDS[slot]
    spec = {"key": f"q{page}_{slot}", "kind": kind, "label": {"en": f"Question {page}.{slot}", "zh-hans": f"问题{page}.{slot}"},
            "help": {}, "section": {"en": f"Page {page}", "zh-hans": f"第{page}页"}, "required": slot % 3 == 0}
    if kind in ("choice", "multichoice"):
        spec["choices"] = CHOICES
    if kind == "integer":
        spec.update(min=0, max=100000)
    if kind == "text":
        spec["max_length"] = 200
    return spec


def schema(conditional: bool) -> Schema:
    fields = [_field(page, slot) for page in range(PAGES) for slot in range(PER_PAGE)]
    if conditional:
        # Questions 5–9 of pages 1–6 (30 in all) are asked only when the page before says so.
        for spec in fields:
            page, slot = (int(x) for x in spec["key"][1:].split("_"))
            if 1 <= page <= 6 and slot >= 5:
                spec["when"] = {"any": [{f"q{page - 1}_1": {"gt": 10}}, {f"q{page - 1}_3": True}]}
    reviews = []
    for number in range(REVIEWS):
        keys = [spec["key"] for spec in fields[number * 7:number * 7 + 14]]
        review = {"department": f"d{number}", "department_name": {"en": f"Department {number}"}, "stage": 1 + number % 2,
                  "sla_days": 5, "fields": keys, "identity": []}
        if conditional and number % 3:
            review["when"] = {"all": [{"q0_1": {"gte": number * 5}}, {"not": {"q0_2": {"in": ["small"]}}}]}
        reviews.append(review)
    return Schema({"service": {"slug": "bench", "name": {"en": "Bench"}}, "fields": fields, "reviews": reviews})


def answers(form: Schema) -> tuple[dict, dict]:
    """Complete answers as stored, and as a browser posts them."""
    stored, posted = {}, {}
    for spec in form.fields:
        value = {"text": "Long Street 1", "integer": 42, "choice": "medium", "boolean": True, "decimal": "12.5",
                 "multichoice": ["small", "large"], "date": "2027-03-01"}[spec["kind"]]
        stored[spec["key"]] = value
        posted[spec["key"]] = ("true" if value else "false") if value is True else value
    return stored, posted


def median_ms(run, runs: int) -> float:
    for _ in range(10):
        run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 3)


PAGE = Template("{% load crispy_forms_tags %}{% crispy form %}")


def measure(conditional: bool, runs: int) -> dict:
    form = schema(conditional)
    stored, posted = answers(form)
    page = form.sections()[3][1]

    def check():
        return complete_answers(form, posted, ())

    def draw():
        return PAGE.render(Context({"form": SchemaForm(specs=page, answers=stored)}))

    result = {
        "applies_ms": median_ms(lambda: applied(form, stored), runs),
        "check_all_answers_ms": median_ms(check, runs),
        "draw_one_page_ms": median_ms(draw, runs),
    }
    result["asked"] = len(applied(form, stored).asked)
    result["reviews_applying"] = len(applied(form, stored).reviews)
    return result


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with translation.override("en"):
        print(json.dumps({"conditional": measure(True, runs), "plain": measure(False, runs)}))


if __name__ == "__main__":
    main()
