"""The ``finders:`` section of a catalogue file: loaded, reloaded unchanged, dumped back, and each
bad entry reported at its file and path with nothing changed."""

import pytest

from catalogue.dumper import catalogue_dump
from catalogue.tests.conftest import BASE
from finder.models import Finder, FinderQuestion, FinderService

pytestmark = pytest.mark.django_db

FINDER = """\
finders:
  - slug: open-a-restaurant
    title: {en: Open a restaurant, zh-hans: 开办餐饮店}
    life_event: {en: Starting a business, zh-hans: 企业开办}
    intro: {en: A few questions about your restaurant., zh-hans: 关于您餐饮店的几个问题。}
    questions: [cuisine, seats]
    services:
      - {service: open-a-restaurant}
      - {service: open-a-cafe, when: {cuisine: western}, because: {en: You will serve western food., zh-hans: 您将经营西餐。}}
"""


def rows():
    return (list(Finder.objects.values_list("slug", "title", "life_event", "position")),
            list(FinderQuestion.objects.values_list("finder__slug", "field__key", "position")),
            list(FinderService.objects.values_list("finder__slug", "service__slug", "when", "because", "position")))


def test_a_finder_loads_reloads_unchanged_and_dumps_back(write, load):
    path = write("base.yaml", BASE + FINDER)

    assert "Finders: 1 created, 0 updated, 0 unchanged\n" in load(path)
    assert rows() == (
        [("open-a-restaurant", {"en": "Open a restaurant", "zh-hans": "开办餐饮店"},
          {"en": "Starting a business", "zh-hans": "企业开办"}, 0)],
        [("open-a-restaurant", "cuisine", 0), ("open-a-restaurant", "seats", 1)],
        [("open-a-restaurant", "open-a-restaurant", {}, {}, 0),
         ("open-a-restaurant", "open-a-cafe", {"cuisine": "western"},
          {"en": "You will serve western food.", "zh-hans": "您将经营西餐。"}, 1)],
    )
    assert "Finders: 0 created, 0 updated, 1 unchanged\n" in load(path)

    dumped = catalogue_dump()
    assert dumped.endswith(
        "finders:\n"
        "  - slug: open-a-restaurant\n"
        "    title: {en: Open a restaurant, zh-hans: 开办餐饮店}\n"
        "    life_event: {en: Starting a business, zh-hans: 企业开办}\n"
        "    intro: {en: A few questions about your restaurant., zh-hans: 关于您餐饮店的几个问题。}\n"
        "    questions: [cuisine, seats]\n"
        "    services:\n"
        "      - {service: open-a-restaurant}\n"
        "      - {service: open-a-cafe, when: {cuisine: western}, because: {en: You will serve western food., "
        "zh-hans: 您将经营西餐。}}\n")
    again = write("dumped.yaml", dumped)
    assert "Finders: 0 created, 0 updated, 1 unchanged\n" in load(again)
    assert catalogue_dump() == dumped


def test_a_changed_question_list_updates_the_finder(write, load):
    load(write("base.yaml", BASE + FINDER))

    output = load(write("changed.yaml", BASE + FINDER.replace("[cuisine, seats]", "[seats, cuisine]")))

    assert "Finders: 0 created, 1 updated, 0 unchanged\n" in output
    assert rows()[1] == [("open-a-restaurant", "seats", 0), ("open-a-restaurant", "cuisine", 1)]


KINDS = "choice, multichoice, boolean, integer, decimal"
INVALID = [
    (FINDER.replace("[cuisine, seats]", "[cuisine, colour]"), ["finders[0].questions[1]: unknown field 'colour'"]),
    (FINDER.replace("[cuisine, seats]", "[cuisine, business_name]"),
     [f"finders[0].questions[1]: field 'business_name' is of kind text: a finder asks only {KINDS} questions, whose "
      "answers say nothing about a person (they travel in a link)"]),
    (FINDER.replace("[cuisine, seats]", "[opening_date]").replace(", when: {cuisine: western}", ""),
     [f"finders[0].questions[0]: field 'opening_date' is of kind date: a finder asks only {KINDS} questions, whose "
      "answers say nothing about a person (they travel in a link)"]),
    (FINDER.replace("[cuisine, seats]", "[seats, floor_plan]").replace(", when: {cuisine: western}", ""),
     [f"finders[0].questions[1]: field 'floor_plan' is of kind file: a finder asks only {KINDS} questions, whose "
      "answers say nothing about a person (they travel in a link)"]),
    (FINDER.replace("[cuisine, seats]", "[seats, seats]").replace(", when: {cuisine: western}", ""),
     ["finders[0].questions[1]: field 'seats' is listed twice"]),
    (FINDER.replace("service: open-a-cafe", "service: open-a-bakery"),
     ["finders[0].services[1].service: unknown service 'open-a-bakery'"]),
    (FINDER.replace("service: open-a-cafe", "service: open-a-restaurant"),
     ["finders[0].services[1].service: service 'open-a-restaurant' is listed twice"]),
    (FINDER.replace("{cuisine: western}", "{cuisine: thai}"),
     ["finders[0].services[1].when: field 'cuisine': 'thai' is not one of its choices (chinese, western)"]),
    (FINDER.replace("{cuisine: western}", "{floor_plan: {is_set: true}}"),
     ["finders[0].services[1].when: field 'floor_plan' is not one of the finder's questions"]),
    (FINDER.replace("{cuisine: western}", "{seats: {gt: many}}"),
     ["finders[0].services[1].when: field 'seats': 'many' is not a whole number"]),
    (FINDER.replace(", zh-hans: 您将经营西餐。", ""), ["finders[0].services[1].because: missing zh-hans translation"]),
    (FINDER.replace("    questions: [cuisine, seats]\n", ""),
     ["finders[0].questions: is required",
      "finders[0].services[1].when: field 'cuisine' is not one of the finder's questions"]),
    (FINDER.replace("slug: open-a-restaurant", "slug: Open A Restaurant"),
     ["finders[0].slug: 'Open A Restaurant' is not a valid slug (use [a-z0-9_-]+)"]),
    (FINDER.replace("    questions:", "    colour: red\n    questions:"),
     ["finders[0].colour: unknown key (expected one of slug, title, life_event, intro, questions, services)"]),
    (FINDER.replace("      - {service: open-a-restaurant}\n", "      - open-a-restaurant\n"),
     ["finders[0].services[0]: must be a mapping of keys to values"]),
    (FINDER + FINDER.replace("finders:\n", ""),
     ["finders[1].slug: duplicate finder 'open-a-restaurant' (first defined at finders[0])"]),
    ("finders: {slug: x}\n", ["finders: must be a list"]),
]


@pytest.mark.parametrize(("text", "expected"), INVALID, ids=range(len(INVALID)))
def test_a_bad_finder_is_reported_at_its_path_and_changes_nothing(write, load_errors, text, expected):
    bad = write("bad.yaml", BASE + text)

    assert load_errors(bad) == [f"{bad}: {line}" for line in expected]
    assert Finder.objects.count() == 0


def test_a_finder_may_name_fields_and_services_loaded_before(write, load):
    load(write("base.yaml", BASE))

    assert "Finders: 1 created, 0 updated, 0 unchanged\n" in load(write("finders.yaml", FINDER))
