"""The condition language: evaluation, checks for the catalogue's author, and its wording."""

import pytest
from django.utils import translation

from catalogue.conditions import combine, dependency_cycle, describe, evaluate, problems, referenced_keys, why_not

FIELDS = {
    "seating_capacity": {"key": "seating_capacity", "kind": "integer", "label": {"en": "Number of seats", "zh-hans": "座位数"}},
    "floor_area": {"key": "floor_area", "kind": "decimal", "label": {"en": "Floor area (m²)"}},
    "uses_gas": {"key": "uses_gas", "kind": "boolean", "label": {"en": "Uses gas for cooking", "zh-hans": "使用燃气"}},
    "cuisine": {"key": "cuisine", "kind": "choice", "label": {"en": "Cuisine"},
                "choices": [{"value": "noodles", "label": {"en": "Noodles"}}, {"value": "hotpot", "label": {"en": "Hotpot"}}]},
    "goods": {"key": "goods", "kind": "multichoice", "label": {"en": "Goods sold"},
              "choices": [{"value": "food", "label": {"en": "Food"}}, {"value": "alcohol", "label": {"en": "Alcohol"}},
                          {"value": "tobacco", "label": {"en": "Tobacco"}}]},
    "opening_date": {"key": "opening_date", "kind": "date", "label": {"en": "Opening date"}},
    "sign_text": {"key": "sign_text", "kind": "text", "label": {"en": "Sign text"}},
    "floor_plan": {"key": "floor_plan", "kind": "file", "label": {"en": "Floor plan"}},
}
FIRE = {"any": [{"seating_capacity": {"gt": 50}}, {"uses_gas": True}]}


@pytest.mark.parametrize(("answers", "expected"), [
    ({"seating_capacity": 20, "uses_gas": False}, False),
    ({"seating_capacity": 50, "uses_gas": False}, False),
    ({"seating_capacity": 51, "uses_gas": False}, True),
    ({"seating_capacity": 20, "uses_gas": True}, True),
    ({}, False),
])
def test_any_of_two_tests(answers, expected):
    assert evaluate(FIRE, answers, FIELDS) is expected


def test_no_condition_always_holds():
    assert evaluate(None, {}, FIELDS) is True
    assert evaluate({}, {}, FIELDS) is True


@pytest.mark.parametrize(("condition", "answers", "expected"), [
    ({"cuisine": "hotpot"}, {"cuisine": "hotpot"}, True),
    ({"cuisine": {"ne": "hotpot"}}, {"cuisine": "noodles"}, True),
    ({"cuisine": {"ne": "hotpot"}}, {}, True),
    ({"cuisine": {"in": ["noodles", "hotpot"]}}, {"cuisine": "noodles"}, True),
    ({"cuisine": {"in": ["hotpot"]}}, {"cuisine": "noodles"}, False),
    ({"goods": {"contains": "alcohol"}}, {"goods": ["food", "alcohol"]}, True),
    ({"goods": {"contains": "alcohol"}}, {"goods": ["food"]}, False),
    ({"goods": {"in": ["alcohol", "tobacco"]}}, {"goods": ["tobacco"]}, True),
    ({"goods": {"in": ["alcohol", "tobacco"]}}, {"goods": []}, False),
    ({"floor_area": {"gte": "80.5"}}, {"floor_area": "80.50"}, True),
    ({"floor_area": {"lt": 80}}, {"floor_area": "79.99"}, True),
    ({"opening_date": {"gt": "2027-01-01"}}, {"opening_date": "2027-01-02"}, True),
    ({"opening_date": {"lte": "2027-01-01"}}, {"opening_date": "2027-01-02"}, False),
    ({"sign_text": {"is_set": True}}, {"sign_text": "Noodle House"}, True),
    ({"sign_text": {"is_set": True}}, {"sign_text": ""}, False),
    ({"sign_text": {"is_set": False}}, {}, True),
    ({"floor_plan": {"is_set": True}}, {"floor_plan": True}, True),
    ({"not": {"uses_gas": True}}, {"uses_gas": False}, True),
    ({"uses_gas": False}, {"uses_gas": False}, True),
    ({"uses_gas": False}, {}, False),
    ({"seating_capacity": {"gt": 10, "lte": 50}}, {"seating_capacity": 50}, True),
    ({"seating_capacity": {"gt": 10, "lte": 50}}, {"seating_capacity": 51}, False),
    ({"all": [{"seating_capacity": {"gt": 10}}, {"cuisine": "hotpot"}]}, {"seating_capacity": 11, "cuisine": "noodles"}, False),
    ({"seating_capacity": 0}, {"seating_capacity": 0}, True),
    ({"unknown": 1}, {"unknown": 1}, False),
    ({"seating_capacity": {"gt": 5}}, {"seating_capacity": "many"}, False),
])
def test_operators(condition, answers, expected):
    assert evaluate(condition, answers, FIELDS) is expected


@pytest.mark.parametrize(("condition", "asked_before", "expected"), [
    (FIRE, None, []),
    ({"seats": {"gt": 5}}, None, ["unknown field 'seats'"]),
    ({"seating_capacity": {"gt": "fifty"}}, None, ["field 'seating_capacity': 'fifty' is not a whole number"]),
    ({"seating_capacity": {"gt": 5.5}}, None, ["field 'seating_capacity': 5.5 is not a whole number"]),
    ({"seating_capacity": {"about": 5}}, None,
     ["field 'seating_capacity': unknown operator 'about' (one of contains, eq, gt, gte, in, is_set, lt, lte, ne)"]),
    ({"uses_gas": {"gt": True}}, None, ["field 'uses_gas' (boolean) cannot be tested with 'gt'"]),
    ({"uses_gas": "yes"}, None, ["field 'uses_gas': 'yes' is not true or false"]),
    ({"cuisine": "pizza"}, None, ["field 'cuisine': 'pizza' is not one of its choices (noodles, hotpot)"]),
    ({"cuisine": {"in": []}}, None, ["field 'cuisine': 'in' takes a non-empty list of values"]),
    ({"goods": {"contains": "guns"}}, None, ["field 'goods': 'guns' is not one of its choices (food, alcohol, tobacco)"]),
    ({"opening_date": {"gt": "next week"}}, None, ["field 'opening_date': 'next week' is not a date (YYYY-MM-DD)"]),
    ({"floor_plan": {"eq": "x"}}, None, ["field 'floor_plan' (file) cannot be tested with 'eq'"]),
    ({"sign_text": {"is_set": "yes"}}, None, ["field 'sign_text': is_set takes true or false"]),
    ({"any": []}, None, ["'any' takes a non-empty list of conditions"]),
    ({"any": [FIRE], "seating_capacity": 5}, None, ["'any' must be the only key of its mapping"]),
    ([1, 2], None, ["a condition is a mapping of field keys to tests, or one of all, any, not"]),
    ({"not": {"uses_gas": True}}, {"seating_capacity"}, ["field 'uses_gas' is not asked on an earlier page"]),
    ({"seating_capacity": {"gt": 1}}, {"seating_capacity"}, []),
])
def test_problems(condition, asked_before, expected):
    assert problems(condition, FIELDS, asked_before=asked_before) == expected


def test_too_deep_a_condition_is_refused():
    condition = {"seating_capacity": 1}
    for _ in range(10):
        condition = {"not": condition}
    assert problems(condition, FIELDS) == ["nested more than 8 levels deep"]


def test_referenced_keys_and_cycles():
    assert referenced_keys({"all": [FIRE, {"not": {"cuisine": "hotpot"}}, {"uses_gas": False}]}) == [
        "seating_capacity", "uses_gas", "cuisine"]
    assert dependency_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": None}) is None
    assert dependency_cycle({"a": {"b": 1}, "b": {"c": 1}, "c": {"any": [{"a": 2}]}}) == ["a", "b", "c", "a"]
    assert dependency_cycle({"a": {"a": 1}}) == ["a", "a"]


def test_combine():
    assert combine(None, None) is None
    assert combine({"uses_gas": True}, None) == {"uses_gas": True}
    assert combine({"uses_gas": True}, FIRE) == {"all": [{"uses_gas": True}, FIRE]}


def test_wording_in_english():
    with translation.override("en"):
        assert describe(FIRE, FIELDS) == "Number of seats is more than 50 or Uses gas for cooking: yes"
        assert describe(FIRE, FIELDS, negated=True) == "Number of seats is 50 or less and Uses gas for cooking: no"
        assert describe({"all": [FIRE, {"cuisine": {"in": ["noodles", "hotpot"]}}]}, FIELDS) == (
            "(Number of seats is more than 50 or Uses gas for cooking: yes) and Cuisine is one of Noodles, Hotpot")
        assert describe({"goods": {"contains": "alcohol"}}, FIELDS) == "Goods sold includes Alcohol"
        assert describe({"sign_text": {"is_set": True}}, FIELDS, negated=True) == "Sign text is not answered"
        assert describe({"opening_date": {"lt": "2027-01-01"}}, FIELDS) == "Opening date is before 2027-01-01"


def test_why_not_names_only_what_failed():
    with translation.override("en"):
        assert why_not(FIRE, {"seating_capacity": 20, "uses_gas": False}, FIELDS) == (
            "Number of seats is 50 or less and Uses gas for cooking: no")
        both = {"all": [{"seating_capacity": {"gt": 10}}, {"uses_gas": True}]}
        assert why_not(both, {"seating_capacity": 20, "uses_gas": False}, FIELDS) == "Uses gas for cooking: no"
        assert why_not(FIRE, {"seating_capacity": 80}, FIELDS) == ""


def test_wording_in_chinese():
    with translation.override("zh-hans"):
        assert describe(FIRE, FIELDS, negated=True) == "座位数不超过50且使用燃气：否"


@pytest.mark.django_db
def test_a_schema_freezes_the_conditions_and_a_service_without_any_has_none():
    from tests.factories import restaurant_service

    plain = restaurant_service(slug="plain")
    assert all("when" not in f for f in plain.current_version.schema["fields"])
    assert all("when" not in r for r in plain.current_version.schema["reviews"])

    service = restaurant_service(slug="conditional", review_when={"fire": {"seats": {"gt": 50}}})
    fire = next(r for r in service.current_version.schema["reviews"] if r["department"] == "fire")
    assert fire["when"] == {"seats": {"gt": 50}}
    assert "not_needed" not in fire
