"""Conditions in catalogue files: fields, sections and reviews asked or made only sometimes,
loaded, frozen and dumped; every invalid condition reported with its file, path and reason."""


import pytest

from catalogue.dumper import catalogue_dump
from catalogue.models import Field, Requirement, Service

from .conftest import state

pytestmark = pytest.mark.django_db

# Pages in order: Your business, The site, Shop sign, Documents.
CATALOGUE = """\
departments:
  - {code: registration, name: {en: Registration, zh-hans: 登记}}
  - {code: fire, name: {en: Fire and Rescue Department, zh-hans: 消防救援大队}}
fields:
  - {key: business_name, kind: text, label: {en: Business name, zh-hans: 名称}, section: {en: Your business, zh-hans: 经营信息}}
  - {key: seats, kind: integer, label: {en: Number of seats, zh-hans: 座位数}, section: {en: Your business, zh-hans: 经营信息}}
  - key: cuisine
    kind: choice
    label: {en: Cuisine, zh-hans: 菜系}
    section: {en: Your business, zh-hans: 经营信息}
    choices: [{value: chinese, label: {en: Chinese, zh-hans: 中餐}}, {value: western, label: {en: Western, zh-hans: 西餐}}]
  - {key: opening_date, kind: date, label: {en: Opening date, zh-hans: 开业日期}, section: {en: Your business, zh-hans: 经营信息}}
  - {key: uses_gas, kind: boolean, label: {en: Uses gas for cooking, zh-hans: 使用燃气}, section: {en: The site, zh-hans: 场所}}
  - key: plans_sign
    kind: boolean
    label: {en: Will you put up a shop sign?, zh-hans: 是否设置店招？}
    section: {en: The site, zh-hans: 场所}
  - {key: sign_text, kind: text, label: {en: Text on the sign, zh-hans: 招牌文字}, section: {en: Shop sign, zh-hans: 店招}}
  - key: sign_lit
    kind: boolean
    label: {en: The sign is lit, zh-hans: 招牌有照明}
    section: {en: Shop sign, zh-hans: 店招}
    when: {seats: {gt: 10}}
  - {key: attendance, kind: integer, label: {en: Attendance, zh-hans: 人数}, section: {en: Your business, zh-hans: 经营信息}}
  - {key: escape_plan, kind: file, label: {en: Fire escape plan, zh-hans: 疏散图}, section: {en: Documents, zh-hans: 材料}}
services:
  - slug: restaurant
    name: {en: Open a restaurant, zh-hans: 开办餐饮店}
    life_event: {en: Starting a business, zh-hans: 企业开办}
    permit: {title: {en: Permit, zh-hans: 许可}, valid_days: 365}
    sections:
      - {title: {en: Shop sign}, when: {plans_sign: true}}
    reviews:
      - department: registration
        stage: 1
        sla_days: 3
        fields: [business_name, seats, cuisine, opening_date, uses_gas, plans_sign, sign_text, sign_lit]
      - department: fire
        stage: 2
        sla_days: 5
        fields: [seats, uses_gas, escape_plan]
        when: {any: [{seats: {gt: 50}}, {uses_gas: true}]}
        not_needed:
          en: "Fire safety review not needed: 50 seats or fewer and no gas cooking"
          zh-hans: 无需消防审核：座位不超过50个且不使用燃气
"""

FIRE_WHEN = "when: {any: [{seats: {gt: 50}}, {uses_gas: true}]}"


def test_conditions_are_loaded_and_frozen(write, load):
    load(write("c.yaml", CATALOGUE))

    assert Field.objects.get(key="sign_lit").when == {"seats": {"gt": 10}}
    assert Service.objects.get().sections == [{"title": {"en": "Shop sign"}, "when": {"plans_sign": True}}]
    fire = Requirement.objects.get(department__code="fire")
    assert fire.when == {"any": [{"seats": {"gt": 50}}, {"uses_gas": True}]}
    assert fire.not_needed == {"en": "Fire safety review not needed: 50 seats or fewer and no gas cooking",
                               "zh-hans": "无需消防审核：座位不超过50个且不使用燃气"}
    schema = Service.objects.get().current_version.schema
    when = {f["key"]: f.get("when") for f in schema["fields"]}
    assert when == {
        "business_name": None, "seats": None, "cuisine": None, "opening_date": None, "uses_gas": None,
        "plans_sign": None, "sign_text": {"plans_sign": True},
        "sign_lit": {"all": [{"plans_sign": True}, {"seats": {"gt": 10}}]}, "escape_plan": None}
    assert [(r["department"], r.get("when"), r.get("not_needed")) for r in schema["reviews"]] == [
        ("registration", None, None),
        ("fire", {"any": [{"seats": {"gt": 50}}, {"uses_gas": True}]}, fire.not_needed)]


def test_a_day_in_a_condition_is_frozen_as_written(write, load):
    load(write("c.yaml", CATALOGUE.replace(FIRE_WHEN, "when: {opening_date: {gte: 2027-01-01}}")))

    assert Requirement.objects.get(department__code="fire").when == {"opening_date": {"gte": "2027-01-01"}}


def test_conditions_round_trip_through_the_dump(write, load, tmp_path):
    load(write("c.yaml", CATALOGUE))
    dump = catalogue_dump()
    assert "    sections:\n      - {title: {en: Shop sign}, when: {plans_sign: true}}\n" in dump
    assert ("fields: [seats, uses_gas, escape_plan], when: {any: [{seats: {gt: 50}}, {uses_gas: true}]}, "
            "not_needed: {en: 'Fire safety review not needed: 50 seats or fewer and no gas cooking', "
            "zh-hans: 无需消防审核：座位不超过50个且不使用燃气}}\n") in dump
    assert "    when: {seats: {gt: 10}}\n" in dump
    before = state()

    output = load(write("dump.yaml", dump))

    assert output.splitlines()[-1] == "No new versions published: every service is unchanged."
    assert state() == before
    assert catalogue_dump() == dump


def test_changing_a_condition_publishes_a_new_version(write, load):
    load(write("c.yaml", CATALOGUE))

    output = load(write("c2.yaml", CATALOGUE.replace("{gt: 50}", "{gt: 80}")))

    assert output.splitlines()[-1] == "New versions published (1): restaurant v2"
    assert Service.objects.get().current_version.schema["reviews"][1]["when"] == {
        "any": [{"seats": {"gt": 80}}, {"uses_gas": True}]}


def review(when: str) -> str:
    return CATALOGUE.replace(FIRE_WHEN, when)


FIRE = "services[0].reviews[1]"
INVALID = [
    # (file text, expected problems after "<file>: ")
    (review("when: {any: [{sets: {gt: 50}}, {uses_gas: true}]}"), [f"{FIRE}.when.any[0].sets: unknown field 'sets'"]),
    (review("when: {cuisine: {gt: 3}}"), [f"{FIRE}.when.cuisine: field 'cuisine' (choice) cannot be tested with 'gt'"]),
    (review("when: {seats: {above: 50}}"),
     [f"{FIRE}.when.seats: field 'seats': unknown operator 'above' (one of contains, eq, gt, gte, in, is_set, lt, lte, "
      "ne)"]),
    (review("when: {seats: {gt: fifty}}"), [f"{FIRE}.when.seats: field 'seats': 'fifty' is not a whole number"]),
    (review("when: {not: {uses_gas: 'yes'}}"), [f"{FIRE}.when.not.uses_gas: field 'uses_gas': 'yes' is not true or false"]),
    (review("when: {cuisine: {in: [chinese, thai]}}"),
     [f"{FIRE}.when.cuisine: field 'cuisine': 'thai' is not one of its choices (chinese, western)"]),
    (review("when: {cuisine: {in: []}}"), [f"{FIRE}.when.cuisine: field 'cuisine': 'in' takes a non-empty list of values"]),
    (review("when: {opening_date: {gt: 2026-13-01}}"),
     [f"{FIRE}.when.opening_date: field 'opening_date': '2026-13-01' is not a date (YYYY-MM-DD)"]),
    (review("when: {plans_sign: {is_set: maybe}}"), [f"{FIRE}.when.plans_sign: field 'plans_sign': is_set takes true or false"]),
    (review("when: {any: []}"), [f"{FIRE}.when.any: 'any' takes a non-empty list of conditions"]),
    (review("when: {all: {seats: 1}}"), [f"{FIRE}.when.all: 'all' takes a non-empty list of conditions"]),
    (review("when: {any: [{seats: 1}], uses_gas: true}"), [f"{FIRE}.when: 'any' must be the only key of its mapping"]),
    (review("when: seats > 50"), [f"{FIRE}.when: a condition is a mapping of field keys to tests, or one of all, any, not"]),
    (review("when: {any: [{seats: 1}, []]}"),
     [f"{FIRE}.when.any[1]: a condition is a mapping of field keys to tests, or one of all, any, not"]),
    (review("when: " + "{not: " * 9 + "{seats: 1}" + "}" * 9),
     [f"{FIRE}.when" + ".not" * 9 + ": nested more than 8 levels deep"]),
    # A review reads what the service asks.
    (review("when: {attendance: {gt: 100}}"),
     [f"{FIRE}.when.attendance: field 'attendance' is not asked by this service's form (list it in a review's fields)"]),
    # The reviews that alone need a question read pages before it: the escape plan is on the last
    # page; uses_gas, which only the fire review lists now, is on the page the condition reads.
    (CATALOGUE.replace("opening_date, uses_gas, plans_sign", "opening_date, plans_sign"),
     [f"{FIRE}.when: reads uses_gas, which is not on a page before that of uses_gas, a question only reviews with a "
      "condition need: whether uses_gas is asked would depend on its own page or a later one (list uses_gas in a "
      "review without a condition, or move uses_gas to an earlier page)"]),
    # At least one review always applies.
    (CATALOGUE.replace("        sla_days: 3\n", "        sla_days: 3\n        when: {seats: {gt: 0}}\n"),
     ["services[0].reviews: every review of this service has a condition: at least one must always apply"]),
    (review(FIRE_WHEN + "\n        colour: red"),
     [f"{FIRE}.colour: unknown key (expected one of department, stage, sla_days, fields, identity, when, not_needed, "
      "told_of_cancellation, reviews_renewals, reviews_changes_of)"]),
    (CATALOGUE.replace("        " + FIRE_WHEN + "\n", ""),
     [f"{FIRE}.not_needed: says why the review is not needed when its condition does not hold: give the condition "
      "(when) too"]),
    (CATALOGUE.replace("          zh-hans: 无需消防审核：座位不超过50个且不使用燃气\n", ""),
     [f"{FIRE}.not_needed: missing zh-hans translation"]),
    # A field's own condition: against the dictionary, then each service's pages.
    (CATALOGUE.replace("when: {seats: {gt: 10}}", "when: {sign_txt: {is_set: true}}"),
     ["fields[7].when.sign_txt: unknown field 'sign_txt'"]),
    (CATALOGUE.replace("when: {seats: {gt: 10}}", "when: {cuisine: {gt: 3}}"),
     ["fields[7].when.cuisine: field 'cuisine' (choice) cannot be tested with 'gt'"]),
    (CATALOGUE.replace("when: {seats: {gt: 10}}", "when: {escape_plan: {is_set: true}}"),
     ["services[0].reviews[0].fields[7]: sign_lit is asked only when its condition holds, and it reads escape_plan, "
      "which this service's form does not ask on an earlier page"]),
    (CATALOGUE.replace("when: {seats: {gt: 10}}", "when: {sign_lit: true}"),
     ["fields[7].when: the conditions of fields depend on each other in a cycle: sign_lit → sign_lit",
      "services[0].reviews[0].fields[7]: sign_lit is asked only when its condition holds, and it reads sign_lit, "
      "which this service's form does not ask on an earlier page"]),
    (CATALOGUE.replace("section: {en: The site, zh-hans: 场所}}\n  - key: plans_sign",
                       "section: {en: The site, zh-hans: 场所}, when: {attendance: 1}}\n  - key: plans_sign")
     .replace("section: {en: Your business, zh-hans: 经营信息}}\n  - {key: escape_plan",
              "section: {en: Your business, zh-hans: 经营信息}, when: {uses_gas: false}}\n  - {key: escape_plan"),
     ["fields[4].when: the conditions of fields depend on each other in a cycle: uses_gas → attendance → uses_gas",
      "services[0].reviews[0].fields[4]: uses_gas is asked only when its condition holds, and it reads attendance, "
      "which this service's form does not ask on an earlier page"]),
    # Sections: a section of the form, read only earlier pages.
    (CATALOGUE.replace("{title: {en: Shop sign}", "{title: {en: Shop signs}"),
     ["services[0].sections[0].title: no field of this service's form is in the section 'Shop signs'"]),
    (CATALOGUE.replace("when: {plans_sign: true}}", "when: {sign_text: {is_set: true}}}"),
     ["services[0].sections[0].when.sign_text: field 'sign_text' is not asked on an earlier page of this service's form"]),
    (CATALOGUE.replace("when: {plans_sign: true}}", "when: {plans_sign: 1}}"),
     ["services[0].sections[0].when.plans_sign: field 'plans_sign': 1 is not true or false"]),
    (CATALOGUE.replace(", when: {plans_sign: true}}", "}"), ["services[0].sections[0].when: is required"]),
    (CATALOGUE.replace("      - {title: {en: Shop sign}, when: {plans_sign: true}}\n",
                       "      - {title: {en: Shop sign}, when: {plans_sign: true}}\n"
                       "      - {title: {en: Shop sign, zh-hans: 店招}, when: {plans_sign: true}, note: x}\n"),
     ["services[0].sections[1].note: unknown key (expected one of title, when)",
      "services[0].sections[1].title: section 'Shop sign' is listed twice (sections[0])"]),
    (CATALOGUE.replace("sections:\n      - {title: {en: Shop sign}, when: {plans_sign: true}}", "sections: {en: Shop sign}"),
     ["services[0].sections: must be a list"]),
]


@pytest.mark.parametrize(("text", "expected"), INVALID, ids=range(len(INVALID)))
def test_invalid_condition_is_reported_and_changes_nothing(write, load_errors, text, expected):
    before = state()
    bad = write("bad.yaml", text)

    assert load_errors(bad) == [f"{bad}: {line}" for line in expected]
    assert state() == before


def service(slug: str, reviews: str) -> str:
    """A catalogue file of one service of the fields loaded from CATALOGUE, with these reviews."""
    return (f"services:\n  - slug: {slug}\n    name: {{en: Gas, zh-hans: 燃气}}\n"
            "    life_event: {en: Running a business, zh-hans: 企业经营}\n"
            f"    permit: {{title: {{en: P, zh-hans: 证}}, valid_days: 1}}\n    reviews:\n{reviews}")


def test_conditions_may_read_fields_loaded_before(write, load, load_errors):
    load(write("c.yaml", CATALOGUE))
    # Another file: a service of fields loaded before, its fire review made under a condition.
    load(write("more.yaml", service("gas", (
        "      - {department: registration, stage: 1, sla_days: 1, fields: [seats, uses_gas]}\n"
        "      - {department: fire, stage: 1, sla_days: 1, fields: [escape_plan], when: {uses_gas: true}}\n"))))
    assert Service.objects.get(slug="gas").current_version.schema["reviews"][1]["when"] == {"uses_gas": True}

    wrong = write("wrong.yaml", service("gas2", (
        "      - {department: fire, stage: 1, sla_days: 1, fields: [sign_lit], when: {cuisine: western}}\n")))
    assert load_errors(wrong) == [
        f"{wrong}: services[0].reviews[0].fields[0]: sign_lit is asked only when its condition holds, and it reads "
        "seats, which this service's form does not ask on an earlier page",
        f"{wrong}: services[0].reviews[0].when.cuisine: field 'cuisine' is not asked by this service's form (list it in "
        "a review's fields)",
        f"{wrong}: services[0].reviews: every review of this service has a condition: at least one must always apply",
    ]


def test_a_field_redefined_must_suit_the_services_loaded_before(write, load, load_errors):
    load(write("c.yaml", CATALOGUE))
    before = state()
    # The field alone in a file: first in the dictionary's order now (with business_name), so its
    # page comes second, before the site's.
    bad = write("field.yaml", """\
        fields:
          - key: escape_plan
            kind: file
            label: {en: Fire escape plan, zh-hans: 疏散图}
            section: {en: Documents, zh-hans: 材料}
            when: {uses_gas: true}
        """)

    assert load_errors(bad) == [
        f"{bad}: fields[0]: restaurant, loaded before: reviews[1].fields[2]: escape_plan is asked only when its "
        "condition holds, and it reads uses_gas, which this service's form does not ask on an earlier page",
        f"{bad}: fields[0]: restaurant, loaded before: reviews[1].when: reads uses_gas, which is not on a page before "
        "that of escape_plan, a question only reviews with a condition need: whether escape_plan is asked would depend "
        "on its own page or a later one (list escape_plan in a review without a condition, or move uses_gas to an "
        "earlier page)",
    ]
    assert state() == before
