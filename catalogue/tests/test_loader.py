import contextlib
import io
import shutil
from datetime import date

import pytest
from django.core.management import call_command, execute_from_command_line
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.dumper import catalogue_dump
from catalogue.loading.reader import CatalogueInvalid, catalogue_parse
from catalogue.models import Field, Holiday, Service, WorkCalendar
from departments.models import Department

from .conftest import BASE, DEMO, counts, state

pytestmark = pytest.mark.django_db

BASE_SUMMARY = """\
Departments: 3 created, 0 updated, 0 unchanged
Fields: 5 created, 0 updated, 0 unchanged
Services: 3 created, 0 updated, 0 unchanged
Department reviews: 5 created, 0 updated, 0 unchanged
Calendar: working weekdays changed, 2 holidays added, 0 removed
New versions published (3): open-a-restaurant v1, open-a-cafe v1, extend-opening-hours v1
"""

UNCHANGED_SUMMARY = """\
Departments: 0 created, 0 updated, 3 unchanged
Fields: 0 created, 0 updated, 5 unchanged
Services: 0 created, 0 updated, 3 unchanged
Department reviews: 0 created, 0 updated, 5 unchanged
Calendar: working weekdays unchanged, 0 holidays added, 0 removed
No new versions published: every service is unchanged.
"""


# -- valid catalogues ------------------------------------------------------------------------------


def test_load_creates_exact_rows(write, load):
    output = load(write("base.yaml", BASE))

    assert output == BASE_SUMMARY
    assert counts() == {"departments": 3, "fields": 5, "services": 3, "requirements": 5, "versions": 3,
                        "holidays": 2, "calendars": 1}
    assert WorkCalendar.objects.get().workdays == [0, 1, 2, 3, 4]
    assert list(Holiday.objects.values_list("date", flat=True)) == [date(2026, 10, 1), date(2026, 10, 2)]
    fire = Department.objects.get(code="fire")
    assert (fire.name, fire.email) == ({"en": "Fire and Rescue", "zh-hans": "消防救援"}, "")
    assert Department.objects.get(code="health").email == "health@example.gov"

    fields = list(Field.objects.order_by("position").values_list("key", "kind", "position", "required", "rules"))
    assert fields == [
        ("business_name", "text", 0, True, {"max_length": 120}),
        ("cuisine", "choice", 1, False, {"choices": [
            {"value": "chinese", "label": {"en": "Chinese", "zh-hans": "中餐"}},
            {"value": "western", "label": {"en": "Western", "zh-hans": "西餐"}},
        ]}),
        ("seats", "integer", 2, True, {"min": 1, "max": 500}),
        ("opening_date", "date", 3, False, {"min": "2026-01-01"}),
        ("floor_plan", "file", 4, True, {"accept": ["application/pdf", "image/png"], "max_size_mb": 10}),
    ]
    business_name = Field.objects.get(key="business_name")
    assert business_name.label == {"en": "Business name", "zh-hans": "商户名称"}
    assert business_name.help == {"en": "As it will appear on the permit"}
    assert business_name.section == {"en": "Your business", "zh-hans": "经营信息"}
    assert Field.objects.get(key="cuisine").help == {}

    assert list(Service.objects.values_list("slug", "position", "permit_valid_days")) == [
        ("open-a-restaurant", 0, 1095), ("open-a-cafe", 1, 365), ("extend-opening-hours", 2, 365),
    ]
    restaurant = Service.objects.get(slug="open-a-restaurant")
    assert restaurant.life_event == {"en": "Starting a business", "zh-hans": "企业开办"}
    assert restaurant.permit_title == {"en": "Restaurant operating permit", "zh-hans": "餐饮经营许可证"}
    assert restaurant.fee == {"en": "Free", "zh-hans": "免费"}
    assert Service.objects.get(slug="open-a-cafe").description == {}
    requirements = [
        (r.department.code, r.stage, r.sla_days, r.position, sorted(f.key for f in r.fields.all()))
        for r in restaurant.requirements.order_by("position")
    ]
    assert requirements == [
        ("registration", 1, 3, 0, ["business_name", "cuisine"]),
        ("health", 1, 5, 1, ["business_name", "floor_plan", "seats"]),
        ("fire", 2, 5, 2, ["floor_plan", "seats"]),
    ]
    # The service's fields are the union of its reviews' fields, each once, in dictionary order.
    schema = restaurant.current_version.schema
    assert [f["key"] for f in schema["fields"]] == ["business_name", "cuisine", "seats", "floor_plan"]
    assert restaurant.current_version.number == 1


def test_files_are_read_as_one_catalogue(write, load):
    # Services first, the departments and fields they use in later files.
    calendar_and_departments, rest = BASE.split("\nfields:\n")
    fields_part, services_part = rest.split("\nservices:\n")
    services = write("services.yaml", "services:\n" + services_part)
    fields = write("fields.yaml", "fields:\n" + fields_part)
    departments = write("departments.yaml", calendar_and_departments)

    assert load(services, fields, departments) == BASE_SUMMARY
    assert counts()["requirements"] == 5


def test_references_may_name_rows_loaded_earlier(write, load):
    dictionary, services = BASE.split("\nservices:\n")
    load(write("dictionary.yaml", dictionary))
    output = load(write("services.yaml", "services:\n" + services))

    assert "Services: 3 created, 0 updated, 0 unchanged" in output
    assert counts()["versions"] == 3


def test_loading_twice_changes_nothing(base, load):
    before = state()
    with CaptureQueriesContext(connection) as queries:
        output = load(base)

    assert output == UNCHANGED_SUMMARY
    assert state() == before
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []


def test_load_updates_in_place_and_never_deletes(base, write, load):
    changed = write("changed.yaml", """\
        departments:
          - code: fire
            name: {en: Fire Service, zh-hans: 消防救援}
        services:
          - slug: open-a-cafe
            name: {en: Open a cafe, zh-hans: 开办咖啡馆}
            life_event: {en: Starting a business, zh-hans: 企业开办}
            permit: {title: {en: Cafe permit, zh-hans: 咖啡馆许可证}, valid_days: 365}
            reviews:
              - {department: fire, stage: 1, sla_days: 4, fields: [seats]}
        """)
    output = load(changed)

    assert output == (
        "Departments: 0 created, 1 updated, 0 unchanged\n"
        "Fields: 0 created, 0 updated, 0 unchanged\n"
        "Services: 0 created, 1 updated, 0 unchanged\n"
        "Department reviews: 1 created, 0 updated, 0 unchanged, 1 removed\n"
        "New versions published (2): open-a-cafe v2, open-a-restaurant v2\n"
    )
    # Nothing missing from the file is deleted, except the cafe's review by health: a service's
    # reviews are exactly those listed for it.
    assert counts() == {"departments": 3, "fields": 5, "services": 3, "requirements": 5, "versions": 5,
                        "holidays": 2, "calendars": 1}
    cafe = Service.objects.get(slug="open-a-cafe")
    assert [(r.department.code, r.sla_days) for r in cafe.requirements.all()] == [("fire", 4)]
    assert Department.objects.get(code="fire").name == {"en": "Fire Service", "zh-hans": "消防救援"}
    # The cafe's position is its place in this load.
    assert cafe.position == 0


def test_rectify_days_are_stored_frozen_and_dumped(base, write, load):
    cafe = Service.objects.get(slug="open-a-cafe")
    assert (cafe.rectify_days, "rectify_days" in cafe.current_version.schema["service"]) == (5, False)
    load(write("rectify.yaml", """\
        services:
          - slug: open-a-cafe
            name: {en: Open a cafe, zh-hans: 开办咖啡馆}
            life_event: {en: Starting a business, zh-hans: 企业开办}
            permit: {title: {en: Cafe permit, zh-hans: 咖啡馆许可证}, valid_days: 365}
            rectify_days: 8
            reviews:
              - {department: health, stage: 1, sla_days: 4, fields: [seats]}
        """))
    cafe.refresh_from_db()
    assert (cafe.rectify_days, cafe.current_version.number, cafe.current_version.schema["service"]["rectify_days"]) == (
        8, 2, 8)
    assert "    rectify_days: 8\n" in catalogue_dump()


def test_reminder_days_and_cancellation_told_are_stored_and_dumped(base, write, load):
    cafe = Service.objects.get(slug="open-a-cafe")
    assert cafe.reminder_days == [90, 30, 7]
    assert "reminder_days" not in catalogue_dump()
    load(write("reminders.yaml", """\
        services:
          - slug: open-a-cafe
            name: {en: Open a cafe, zh-hans: 开办咖啡馆}
            life_event: {en: Starting a business, zh-hans: 企业开办}
            permit: {title: {en: Cafe permit, zh-hans: 咖啡馆许可证}, valid_days: 365, reminder_days: [7, 60]}
            reviews:
              - {department: health, stage: 1, sla_days: 4, fields: [seats], told_of_cancellation: true}
        """))
    cafe.refresh_from_db()
    assert cafe.reminder_days == [60, 7]
    assert [(r.department.code, r.told_of_cancellation) for r in cafe.requirements.all()] == [("health", True)]
    dump = catalogue_dump()
    assert "valid_days: 365, reminder_days: [60, 7]}" in dump
    assert "fields: [seats], told_of_cancellation: true}" in dump


def test_renewal_settings_are_stored_frozen_and_dumped(base, write, load):
    cafe = Service.objects.get(slug="open-a-cafe")
    assert (cafe.renewal_asks, cafe.renew_grace_days) == ([], 90)
    assert "renewal_asks" not in catalogue_dump() and "reviews_renewals" not in catalogue_dump()
    load(write("renewals.yaml", """\
        services:
          - slug: open-a-cafe
            name: {en: Open a cafe, zh-hans: 开办咖啡馆}
            life_event: {en: Starting a business, zh-hans: 企业开办}
            permit: {title: {en: Cafe permit, zh-hans: 咖啡馆许可证}, valid_days: 365, renewal_asks: [seats],
                     renew_grace_days: 30}
            reviews:
              - {department: health, stage: 1, sla_days: 4, fields: [seats], reviews_renewals: true}
        """))
    cafe.refresh_from_db()
    assert (cafe.renewal_asks, cafe.renew_grace_days) == (["seats"], 30)
    schema = cafe.current_version.schema
    assert schema["service"]["renewal_asks"] == ["seats"]
    assert [review.get("reviews_renewals") for review in schema["reviews"]] == [True]
    dump = catalogue_dump()
    assert "valid_days: 365, renewal_asks: [seats], renew_grace_days: 30}" in dump
    assert "fields: [seats], reviews_renewals: true}" in dump


def test_amendment_settings_are_stored_frozen_and_dumped(base, write, load):
    cafe = Service.objects.get(slug="open-a-cafe")
    assert cafe.amendable == [] and "amendable" not in catalogue_dump()
    load(write("amendments.yaml", """\
        services:
          - slug: open-a-cafe
            name: {en: Open a cafe, zh-hans: 开办咖啡馆}
            life_event: {en: Starting a business, zh-hans: 企业开办}
            permit: {title: {en: Cafe permit, zh-hans: 咖啡馆许可证}, valid_days: 365, amendable: [seats]}
            reviews:
              - {department: health, stage: 1, sla_days: 4, fields: [seats], reviews_changes_of: [seats]}
        """))
    cafe.refresh_from_db()
    assert cafe.amendable == ["seats"]
    assert list(cafe.requirements.values_list("reviews_changes_of", flat=True)) == [["seats"]]
    schema = cafe.current_version.schema
    assert schema["service"]["amendable"] == ["seats"]
    assert [review.get("reviews_changes_of") for review in schema["reviews"]] == [["seats"]]
    dump = catalogue_dump()
    assert "valid_days: 365, amendable: [seats]}" in dump
    assert "fields: [seats], reviews_changes_of: [seats]}" in dump


def test_calendar_replaces_workdays_and_holidays(base, write, load):
    output = load(write("calendar.yaml", """\
        calendar:
          workdays: [mon, tue, wed, thu, fri, sat]
          holidays: [2026-10-02, 2027-01-01]
        """))

    assert "Calendar: working weekdays changed, 1 holidays added, 1 removed" in output
    assert WorkCalendar.objects.get().workdays == [0, 1, 2, 3, 4, 5]
    assert list(Holiday.objects.values_list("date", flat=True)) == [date(2026, 10, 2), date(2027, 1, 1)]


def test_help_description_and_fee_may_be_english_only(write, load):
    text = BASE.replace("description: {en: Everything to open a restaurant., zh-hans: 开办餐饮店的全部手续。}",
                        "description: {en: Everything to open a restaurant.}").replace(
        "fee: {en: Free, zh-hans: 免费}", "fee: {en: Free}")
    load(write("base.yaml", text))

    restaurant = Service.objects.get(slug="open-a-restaurant")
    assert (restaurant.description, restaurant.fee) == ({"en": "Everything to open a restaurant."}, {"en": "Free"})


def test_parse_returns_plain_data(write):
    catalogue = catalogue_parse(paths=[write("base.yaml", BASE)])

    assert [d.code for d in catalogue.departments] == ["registration", "health", "fire"]
    assert [(f.key, f.position) for f in catalogue.fields][:2] == [("business_name", 0), ("cuisine", 1)]
    review = catalogue.services[0].reviews[2]
    assert (review.department, review.stage, review.sla_days, review.fields, review.position) == (
        "fire", 2, 5, ["floor_plan", "seats"], 2)
    assert catalogue.calendar.holidays == [date(2026, 10, 1), date(2026, 10, 2)]
    assert counts()["departments"] == 0


# -- the demo catalogue ----------------------------------------------------------------------------


def test_demo_catalogue_loads(load):
    output = load(DEMO)

    assert output == (
        "Certificate types: 7 created, 0 updated, 0 unchanged\n"
        "Departments: 9 created, 0 updated, 0 unchanged\n"
        "Registers: 3 created, 0 updated, 0 unchanged\n"
        "Fields: 39 created, 0 updated, 0 unchanged\n"
        "Services: 9 created, 0 updated, 0 unchanged\n"
        "Bundles: 2 created, 0 updated, 0 unchanged\n"
        "Department reviews: 23 created, 0 updated, 0 unchanged\n"
        "Filings after approval: 4 created, 0 updated, 0 unchanged\n"
        "Guide files: 10 stored or removed\n"
        "Finders: 1 created, 0 updated, 0 unchanged\n"
        "Calendar: working weekdays changed, 46 holidays added, 0 removed, 6 make-up working days added, 0 removed\n"
        "New versions published (9): open-a-restaurant v1, open-a-retail-shop v1, register-a-small-manufacturer v1, "
        "renovate-a-shop-front v1, host-a-public-event v1, outdoor-seating v1, register-a-business v1, "
        "food-operating-permit v1, fire-safety-check v1\n"
    )
    assert counts() == {"departments": 9, "fields": 39, "services": 9, "requirements": 23, "versions": 9,
                        "holidays": 46, "calendars": 1}
    assert list(Department.objects.values_list("code", flat=True)) == [
        "environment", "fire", "health", "planning", "police", "registration", "subdistrict", "tax", "urban"]
    assert {s.life_event["en"] for s in Service.objects.all()} == {
        "Starting a business", "Running a business", "Organising an event"}
    restaurant = Service.objects.get(slug="open-a-restaurant")
    assert [(r.department.code, r.stage) for r in restaurant.requirements.order_by("position")] == [
        ("registration", 1), ("health", 1), ("tax", 1), ("fire", 2)]
    assert len(restaurant.current_version.schema["fields"]) == 15
    # One key, one meaning: every field of the dictionary is used, most by more than one service.
    used = Field.objects.filter(requirements__isnull=False).distinct()
    assert used.count() == 39
    shared = [f.key for f in Field.objects.all() if f.requirements.values("service").distinct().count() > 1]
    assert len(shared) == 22
    # Every permit is a certificate type; outdoor seating asks for the restaurant's, which opening
    # a restaurant issues.
    assert dict(Service.objects.values_list("slug", "certificate_type__code")) == {
        "open-a-restaurant": "restaurant_operating_permit", "open-a-retail-shop": "retail_business_permit",
        "register-a-small-manufacturer": "small_manufacturer_certificate", "renovate-a-shop-front": "shop_sign_permit",
        "host-a-public-event": "public_event_safety_permit", "outdoor-seating": "outdoor_seating_permit",
        "register-a-business": "business_licence", "food-operating-permit": None, "fire-safety-check": None}
    seating = Service.objects.get(slug="outdoor-seating").current_version.schema
    assert [f["key"] for f in seating["fields"]] == [
        "business_name", "unified_social_credit_code", "company_registered_name", "company_registered_address",
        "site_address", "outdoor_area", "outdoor_seats", "restaurant_permit"]
    assert seating["fields"][-1]["certificate"] == {
        "type": "restaurant_operating_permit", "name": {"en": "Restaurant operating permit", "zh-hans": "餐饮经营许可证"},
        "issued_by": ["open-a-restaurant"]}
    assert [(r["department"], r["fields"]) for r in seating["reviews"]] == [
        ("urban", ["business_name", "unified_social_credit_code", "company_registered_name", "company_registered_address",
                   "site_address", "outdoor_area", "outdoor_seats", "restaurant_permit"]),
        ("planning", ["site_address", "outdoor_area"]),
    ]
    assert Holiday.objects.filter(date__year=2026).count() == 33
    assert Holiday.objects.filter(date__year=2027).count() == 13


def test_demo_catalogue_is_fully_translated(load):
    load(DEMO)

    for field in Field.objects.all():
        assert set(field.label) == {"en", "zh-hans"}, field.key
        assert set(field.section) == {"en", "zh-hans"}, field.key
        for choice in field.rules.get("choices", []):
            assert set(choice["label"]) == {"en", "zh-hans"}, field.key
    for service in Service.objects.all():
        for text in (service.name, service.life_event, service.description, service.fee, service.permit_title):
            assert set(text) == {"en", "zh-hans"}, service.slug


# -- invalid catalogues ----------------------------------------------------------------------------

SERVICE = """\
services:
  - slug: s
    name: {en: S, zh-hans: 服务}
    life_event: {en: Life, zh-hans: 生活}
    permit: {title: {en: Permit, zh-hans: 许可}, valid_days: 30}
    reviews:
      - {department: health, stage: 1, sla_days: 3, fields: [business_name]}
"""


def field(extra: str, kind: str = "text") -> str:
    return (
        "fields:\n  - key: f\n    kind: " + kind + "\n    label: {en: F, zh-hans: 字段}\n"
        + "".join(f"    {line}\n" for line in extra.splitlines())
    )


DATE_RULE_PROBLEM = (
    "must be a date written YYYY-MM-DD or a day relative to today: today, or today+N or today-N with N days (d), "
    "weeks (w), months (m) or years (y) up to 100 years, e.g. today+365d or today-18y; not ")

INVALID = [
    # (file text, expected problems after "<file>: ")
    ("fields:\n  - key: a\n   kind: text\n",
     ["line 3, column 4: invalid YAML: did not find expected '-' indicator (while parsing a block collection)"]),
    ("fields: key: a\n", ["line 1, column 12: invalid YAML: mapping values are not allowed in this context"]),
    ("fields:\n  - key: a\n    key: b\n",
     ["line 3, column 5: invalid YAML: found duplicate key 'key' (while constructing a mapping)"]),
    ("- just a list\n", ["must be a mapping with any of the keys calendar, certificate_types, departments, registers, fields, "
                        "services, bundles, finders"]),
    ("colour: red\n",
     ["colour: unknown top-level key (expected one of calendar, certificate_types, departments, registers, fields, "
      "services, bundles, finders)"]),
    ("departments: {code: x}\n", ["departments: must be a list"]),
    ("departments:\n  - {code: tax, name: {en: Tax, zh-hans: 税务}, colour: red}\n",
     ["departments[0].colour: unknown key (expected one of code, name, email, calendar, address, opening_hours, "
      "phone)"]),
    ("departments:\n  - {code: Tax Office, name: {en: Tax, zh-hans: 税务}}\n",
     ["departments[0].code: 'Tax Office' is not a valid department code (use [a-z0-9_-]+)"]),
    ("departments:\n  - {code: tax, name: {en: Tax, zh-hans: 税务}, email: tax-at-example}\n",
     ["departments[0].email: 'tax-at-example' is not a valid email address"]),
    ("departments:\n  - {code: tax, name: {en: Tax}}\n", ["departments[0].name: missing zh-hans translation"]),
    ("departments:\n  - {code: tax, name: {zh-hans: 税务}}\n", ["departments[0].name: missing en translation"]),
    ("departments:\n  - {code: tax, name: Tax}\n",
     ["departments[0].name: must be translations, e.g. {en: ..., zh-hans: ...}"]),
    ("departments:\n  - {code: tax, name: {en: Tax, zh-hans: '', fr: Impôts}}\n",
     ["departments[0].name.zh-hans: must be non-empty text",
      "departments[0].name.fr: unknown language (expected one of en, zh-hans)"]),
    ("departments:\n  - {name: {en: Tax, zh-hans: 税务}}\n", ["departments[0].code: is required"]),
    ("departments:\n  - {code: health, name: {en: Health, zh-hans: 卫生}}\n  - {code: health, name: {en: H, zh-hans: 卫}}\n",
     ["departments[1].code: duplicate department 'health' (first defined at {file}: departments[0].code)"]),
    (field("", kind="texty"),
     ["fields[0].kind: unknown kind 'texty' (expected one of text, textarea, integer, decimal, date, email, phone, "
      "choice, multichoice, boolean, file)"]),
    ("fields:\n  - {key: Business-Name, kind: text, label: {en: B, zh-hans: 名}}\n",
     ["fields[0].key: 'Business-Name' is not a valid field key (use [a-z0-9_]+)"]),
    ("fields:\n  - {key: f, kind: text, label: {en: F}}\n", ["fields[0].label: missing zh-hans translation"]),
    (field("section: {en: Documents}"), ["fields[0].section: missing zh-hans translation"]),
    (field("help: {zh-hans: 帮助}"), ["fields[0].help: missing en translation"]),
    (field("colour: red"),
     ["fields[0].colour: unknown key (expected one of key, kind, label, help, section, required, max_length, format, min, "
      "max, choices, accept, max_size_mb, register, certificate, when)"]),
    (field("required: yes please"), ["fields[0].required: must be true or false, not 'yes please'"]),
    (field("max_length: 0"), ["fields[0].max_length: must be a whole number greater than 0, not 0"]),
    (field("max_length: 12.5"), ["fields[0].max_length: must be a whole number greater than 0, not 12.5"]),
    (field("min: 1"), ["fields[0].min: is not allowed for kind text"]),
    (field("min: 1.5", kind="integer"), ["fields[0].min: must be a whole number, not 1.5"]),
    (field("max: lots", kind="decimal"), ["fields[0].max: must be a number, not 'lots'"]),
    (field("min: 10\nmax: 2", kind="integer"), ["fields[0].min: must not be greater than max"]),
    (field("min: 2026-02-30", kind="date"), ["fields[0].min: " + DATE_RULE_PROBLEM + "'2026-02-30'"]),
    (field("max: tomorrow", kind="date"), ["fields[0].max: " + DATE_RULE_PROBLEM + "'tomorrow'"]),
    (field("min: 2026-12-01\nmax: 2026-01-01", kind="date"), ["fields[0].min: must not be greater than max"]),
    (field("", kind="choice"), ["fields[0].choices: is required for kind choice"]),
    (field("choices: []", kind="multichoice"), ["fields[0].choices: must not be empty"]),
    (field("choices: [{value: a, label: {en: A}}, {value: a, label: {en: A, zh-hans: 甲}}]", kind="choice"),
     ["fields[0].choices[0].label: missing zh-hans translation", "fields[0].choices[1].value: duplicate choice 'a'"]),
    (field("choices: [{value: a, label: {en: A, zh-hans: 甲}}]"), ["fields[0].choices: is not allowed for kind text"]),
    (field("accept: [application/pdf]"), ["fields[0].accept: is not allowed for kind text"]),
    (field("accept: [pdf]\nmax_size_mb: 0", kind="file"),
     ["fields[0].accept[0]: 'pdf' is not a MIME type such as application/pdf",
      "fields[0].max_size_mb: must be a number greater than 0, not 0"]),
    ("calendar: {workdays: [mon, funday, mon]}\n",
     ["calendar.workdays[1]: unknown weekday 'funday' (expected one of mon, tue, wed, thu, fri, sat, sun)",
      "calendar.workdays[2]: mon is listed twice"]),
    ("calendar: {workdays: [], holidays: [2026-10-01, 2026-02-30, 2026-10-01]}\n",
     ["calendar.workdays: must not be empty", "calendar.holidays[1]: must be a date written YYYY-MM-DD, not '2026-02-30'",
      "calendar.holidays[2]: 2026-10-01 is listed twice"]),
    (SERVICE.replace("department: health", "department: fyre"),
     ["services[0].reviews[0].department: unknown department 'fyre'"]),
    (SERVICE.replace("[business_name]", "[business_name, flor_plan]"),
     ["services[0].reviews[0].fields[1]: unknown field 'flor_plan'"]),
    (SERVICE.replace("sla_days: 3", "sla_days: 0"),
     ["services[0].reviews[0].sla_days: must be a whole number greater than 0, not 0"]),
    (SERVICE.replace("stage: 1", "stage: first"),
     ["services[0].reviews[0].stage: must be a whole number greater than 0, not 'first'"]),
    (SERVICE.replace("sla_days: 3", "sla_days: 40000"), ["services[0].reviews[0].sla_days: must be at most 32767"]),
    (SERVICE.replace("valid_days: 30", "valid_days: -1"),
     ["services[0].permit.valid_days: must be a whole number greater than 0, not -1"]),
    (SERVICE.replace("{en: Permit, zh-hans: 许可}", "{en: Permit}"), ["services[0].permit.title: missing zh-hans translation"]),
    (SERVICE.replace("{en: Life, zh-hans: 生活}", "{zh-hans: 生活}"), ["services[0].life_event: missing en translation"]),
    (SERVICE.replace("    name: {en: S, zh-hans: 服务}\n", ""), ["services[0].name: is required"]),
    (SERVICE.replace("slug: s", "slug: Open a shop"),
     ["services[0].slug: 'Open a shop' is not a valid service slug (use [a-z0-9_-]+)"]),
    (SERVICE + SERVICE.replace("services:\n", ""),
     ["services[1].slug: duplicate service 's' (first defined at {file}: services[0].slug)"]),
    (SERVICE.replace("    reviews:\n      - {department: health, stage: 1, sla_days: 3, fields: [business_name]}\n",
                     "    reviews: []\n"), ["services[0].reviews: must not be empty"]),
    (SERVICE + "      - {department: fire, stage: 3, sla_days: 3, fields: [seats]}\n",
     ["services[0].reviews: stages must start at 1 and have no gaps, found 1, 3"]),
    (SERVICE + "      - {department: health, stage: 2, sla_days: 3, fields: [seats, seats]}\n",
     ["services[0].reviews[1].fields[1]: field 'seats' is listed twice",
      "services[0].reviews[1].department: department 'health' already reviews this service (reviews[0])"]),
    (SERVICE.replace("sla_days: 3, ", "sla_days: 3, colour: red, "),
     ["services[0].reviews[0].colour: unknown key (expected one of department, stage, sla_days, fields, identity, when, "
      "not_needed, told_of_cancellation, reviews_renewals, reviews_changes_of)"]),
    (SERVICE.replace("sla_days: 3, ", "sla_days: 3, told_of_cancellation: yes please, "),
     ["services[0].reviews[0].told_of_cancellation: must be true or false, not 'yes please'"]),
    *[(SERVICE.replace("valid_days: 30}", f"valid_days: 30, reminder_days: {value}}}"), [
        f"services[0].permit.reminder_days{where}: {message}"]) for value, where, message in (
        ("7", "", "must be a list"),
        ("[7, 0]", "[1]", "must be a whole number of days from 1 to 365, not 0"),
        ("[400]", "[0]", "must be a whole number of days from 1 to 365, not 400"),
        ("[seven]", "[0]", "must be a whole number of days from 1 to 365, not 'seven'"),
        ("[7, 7]", "[1]", "7 days is listed twice"),
        ("[1, 2, 3, 4, 5, 6]", "", "give at most 5 reminders, not 6"),
        ("[30, 7]", "", "a reminder 30 days before the end of a permit valid for 30 days would be sent as soon as it "
                        "is issued: give fewer days"),
    )],
    (SERVICE.replace("valid_days: 30}", "valid_days: 30, fee: 5}"),
     ["services[0].permit.fee: unknown key (expected one of title, valid_days, certificate_type, reminder_days, "
      "renewal_asks, renew_grace_days, amendable)"]),
    (SERVICE.replace("valid_days: 30}", "valid_days: 30, renewal_asks: [business_name, colour, business_name]}"), [
        "services[0].permit.renewal_asks[1]: must be a question of the service's form (a field one of its reviews "
        "lists), not 'colour'",
        "services[0].permit.renewal_asks[2]: business_name is listed twice"]),
    (SERVICE.replace("valid_days: 30}", "valid_days: 30, renewal_asks: seats}"),
     ["services[0].permit.renewal_asks: must be a list"]),
    (SERVICE.replace("valid_days: 30}", "valid_days: 30, amendable: [business_name, colour, business_name]}"), [
        "services[0].permit.amendable[1]: must be a question of the service's form (a field one of its reviews "
        "lists), not 'colour'",
        "services[0].permit.amendable[2]: business_name is listed twice"]),
    (SERVICE.replace("sla_days: 3, ", "sla_days: 3, reviews_changes_of: [business_name], "),
     ["services[0].reviews[0].reviews_changes_of[0]: must be a question the holder may change (the service's "
      "permit.amendable), not 'business_name'"]),
    (SERVICE.replace("valid_days: 30}", "valid_days: 30, amendable: [business_name, seats]}")
     + "      - {department: fire, stage: 1, sla_days: 3, fields: [seats], reviews_changes_of: [seats, business_name, seats]}\n",
     ["services[0].reviews[1].reviews_changes_of[1]: business_name is not among the fields this department reviews: "
      "it cannot review a change of it",
      "services[0].reviews[1].reviews_changes_of[2]: seats is listed twice"]),
    (SERVICE.replace("sla_days: 3, ", "sla_days: 3, reviews_changes_of: business_name, "),
     ["services[0].reviews[0].reviews_changes_of: must be a list"]),
    *[(SERVICE.replace("valid_days: 30}", f"valid_days: 30, renew_grace_days: {value}}}"),
       [f"services[0].permit.renew_grace_days: must be a whole number of days from 0 to 3650, not {shown}"])
      for value, shown in (("-1", "-1"), ("3651", "3651"), ("soon", "'soon'"))],
    (SERVICE.replace("sla_days: 3, ", "sla_days: 3, reviews_renewals: 1, "),
     ["services[0].reviews[0].reviews_renewals: must be true or false, not 1"]),
    *[(SERVICE.replace("    reviews:\n", f"    rectify_days: {value}\n    reviews:\n", 1),
       [f"services[0].rectify_days: must be a whole number of working days from 1 to 15, not {shown}"])
      for value, shown in (("0", "0"), ("16", "16"), ("two", "'two'"), ("2.5", "2.5"), ("true", "True"))],
]


@pytest.mark.parametrize(("text", "expected"), INVALID, ids=range(len(INVALID)))
def test_invalid_file_is_reported_and_changes_nothing(base, write, load_errors, text, expected):
    before = state()
    bad = write("bad.yaml", text)

    lines = load_errors(bad)

    assert lines == [f"{bad}: {line.replace('{file}', str(bad))}" for line in expected]
    assert state() == before


@pytest.mark.parametrize(("text", "expected"), [
    ("fields: key: a\n", ["line 1, column 12: invalid YAML: mapping values are not allowed in this context"]),
    (SERVICE.replace("department: health", "department: fyre"), ["services[0].reviews[0].department: unknown department 'fyre'"]),
    (SERVICE.replace("valid_days: 30", "valid_days: 0"),
     ["services[0].permit.valid_days: must be a whole number greater than 0, not 0"]),
], ids=["syntax", "department", "number"])
def test_error_in_second_file_changes_nothing(base, write, load_errors, text, expected):
    before = state()
    # The first file alone would update a label, add a department and publish new versions.
    first = write("first.yaml", BASE.replace("Business name", "Name of the business") + (
        "  - slug: new-service\n    name: {en: New, zh-hans: 新}\n    life_event: {en: L, zh-hans: 事}\n"
        "    permit: {title: {en: P, zh-hans: 证}, valid_days: 1}\n"
        "    reviews: [{department: fire, stage: 1, sla_days: 1, fields: [seats]}]\n"
    ))
    bad = write("bad.yaml", text)

    lines = load_errors(first, bad)

    assert lines == [f"{bad}: {line}" for line in expected]
    assert state() == before


def test_duplicates_across_files_are_reported(write, load_errors):
    first = write("first.yaml", BASE)
    second = write("second.yaml", """\
        departments:
          - {code: fire, name: {en: Fire, zh-hans: 消防}}
        fields:
          - {key: seats, kind: integer, label: {en: Seats, zh-hans: 座位}}
        services:
          - slug: open-a-cafe
            name: {en: Cafe, zh-hans: 咖啡馆}
            life_event: {en: Life, zh-hans: 生活}
            permit: {title: {en: Permit, zh-hans: 许可}, valid_days: 30}
            reviews: [{department: fire, stage: 1, sla_days: 3, fields: [seats]}]
        calendar: {workdays: [mon]}
        """)

    assert load_errors(first, second) == [
        f"{second}: calendar: the calendar is already defined in {first}",
        f"{second}: departments[0].code: duplicate department 'fire' (first defined at {first}: departments[2].code)",
        f"{second}: fields[0].key: duplicate field 'seats' (first defined at {first}: fields[2].key)",
        f"{second}: services[0].slug: duplicate service 'open-a-cafe' (first defined at {first}: services[1].slug)",
    ]
    assert counts()["departments"] == 0


def test_every_error_in_every_file_is_reported(write, load_errors, tmp_path):
    first = write("first.yaml", """\
        departments:
          - {code: Fire, name: {en: Fire}}
        fields:
          - {key: seats, kind: integer, label: {en: Seats, zh-hans: 座位}, max_length: 3}
        """)
    second = write("second.yaml", """\
        services:
          - slug: s
            name: {en: S, zh-hans: 服务}
            life_event: {en: L}
            permit: {title: {en: P, zh-hans: 证}, valid_days: 0}
            reviews:
              - {department: fyre, stage: 1, sla_days: x, fields: [seats, nope]}
              - {department: fire, stage: 3, sla_days: 2, fields: [seats]}
        """)
    missing = tmp_path / "missing.yaml"

    assert load_errors(first, second, missing) == [
        f"{first}: departments[0].code: 'Fire' is not a valid department code (use [a-z0-9_-]+)",
        f"{first}: departments[0].name: missing zh-hans translation",
        f"{first}: fields[0].max_length: is not allowed for kind integer",
        f"{second}: services[0].life_event: missing zh-hans translation",
        f"{second}: services[0].permit.valid_days: must be a whole number greater than 0, not 0",
        f"{second}: services[0].reviews[0].sla_days: must be a whole number greater than 0, not 'x'",
        f"{second}: services[0].reviews: stages must start at 1 and have no gaps, found 1, 3",
        f"{second}: services[0].reviews[0].department: unknown department 'fyre'",
        f"{second}: services[0].reviews[0].fields[1]: unknown field 'nope'",
        f"{second}: services[0].reviews[1].department: unknown department 'fire'",
        f"{missing}: file not found",
    ]


def test_unreadable_files_are_reported(tmp_path, load_errors):
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00")

    assert load_errors(tmp_path, binary) == [
        f"{tmp_path}: is a directory, not a catalogue file",
        f"{binary}: is not UTF-8 text",
    ]


def test_command_exits_non_zero_without_traceback(write, db):
    bad = write("bad.yaml", "services:\n  - slug: s\n   name: x\n")
    err = io.StringIO()

    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as excinfo:
        execute_from_command_line(["manage.py", "load_catalogue", str(bad)])

    assert excinfo.value.code == 1
    assert err.getvalue() == (
        f"{bad}: line 3, column 4: invalid YAML: did not find expected '-' indicator (while parsing a block collection)\n"
        "CommandError: 1 error in the catalogue; nothing was changed.\n"
    )
    assert "Traceback" not in err.getvalue()


def test_parse_raises_with_every_problem(write):
    with pytest.raises(CatalogueInvalid) as excinfo:
        catalogue_parse(paths=[write("bad.yaml", "colour: red\nshape: round\n")])

    assert [(p.path, p.message[:22]) for p in excinfo.value.problems] == [
        ("colour", "unknown top-level key "), ("shape", "unknown top-level key ")]


# -- dumping ---------------------------------------------------------------------------------------

BASE_DUMP = """\
calendar:
  workdays: [mon, tue, wed, thu, fri]
  holidays:
    - 2026-10-01
    - 2026-10-02

departments:
  - code: fire
    name: {en: Fire and Rescue, zh-hans: 消防救援}
  - code: health
    name: {en: Public Health Bureau, zh-hans: 卫生健康局}
    email: health@example.gov
  - code: registration
    name: {en: Business Registration Office, zh-hans: 登记注册局}
    email: registration@example.gov

fields:
  - key: business_name
    kind: text
    label: {en: Business name, zh-hans: 商户名称}
    help: {en: As it will appear on the permit}
    section: {en: Your business, zh-hans: 经营信息}
    required: true
    max_length: 120
  - key: cuisine
    kind: choice
    label: {en: Cuisine, zh-hans: 菜系}
    section: {en: Your business, zh-hans: 经营信息}
    required: false
    choices:
      - {value: chinese, label: {en: Chinese, zh-hans: 中餐}}
      - {value: western, label: {en: Western, zh-hans: 西餐}}
  - key: seats
    kind: integer
    label: {en: Seats, zh-hans: 座位数}
    section: {en: Your business, zh-hans: 经营信息}
    required: true
    min: 1
    max: 500
  - key: opening_date
    kind: date
    label: {en: Opening date, zh-hans: 开业日期}
    section: {en: Your business, zh-hans: 经营信息}
    required: false
    min: 2026-01-01
  - key: floor_plan
    kind: file
    label: {en: Floor plan, zh-hans: 平面图}
    section: {en: Documents, zh-hans: 材料}
    required: true
    accept: [application/pdf, image/png]
    max_size_mb: 10

services:
  - slug: open-a-restaurant
    name: {en: Open a restaurant, zh-hans: 开办餐饮店}
    life_event: {en: Starting a business, zh-hans: 企业开办}
    description: {en: Everything to open a restaurant., zh-hans: 开办餐饮店的全部手续。}
    fee: {en: Free, zh-hans: 免费}
    permit: {title: {en: Restaurant operating permit, zh-hans: 餐饮经营许可证}, valid_days: 1095}
    reviews:
      - {department: registration, stage: 1, sla_days: 3, fields: [business_name, cuisine]}
      - {department: health, stage: 1, sla_days: 5, fields: [business_name, seats, floor_plan]}
      - {department: fire, stage: 2, sla_days: 5, fields: [seats, floor_plan]}
  - slug: open-a-cafe
    name: {en: Open a cafe, zh-hans: 开办咖啡馆}
    life_event: {en: Starting a business, zh-hans: 企业开办}
    permit: {title: {en: Cafe permit, zh-hans: 咖啡馆许可证}, valid_days: 365}
    reviews:
      - {department: health, stage: 1, sla_days: 4, fields: [business_name, seats]}
  - slug: extend-opening-hours
    name: {en: Extend opening hours, zh-hans: 延长营业时间}
    life_event: {en: Running a business, zh-hans: 企业经营}
    permit: {title: {en: Late opening permit, zh-hans: 延时营业许可}, valid_days: 365}
    reviews:
      - {department: registration, stage: 1, sla_days: 2, fields: [business_name, opening_date]}
"""


def test_dump_writes_the_catalogue_format(base):
    out = io.StringIO()
    call_command("dump_catalogue", stdout=out)

    assert out.getvalue() == BASE_DUMP


def test_dump_to_file(base, tmp_path):
    target = tmp_path / "dump.yaml"
    err = io.StringIO()
    call_command("dump_catalogue", "--output", str(target), stderr=err)

    assert target.read_text(encoding="utf-8") == BASE_DUMP
    assert err.getvalue() == f"Catalogue written to {target}\n"


def test_dump_of_an_empty_catalogue_is_empty(db):
    assert catalogue_dump() == ""


@pytest.mark.parametrize("source", ["base", "demo"])
def test_load_dump_load_is_a_fixed_point(source, write, load, tmp_path):
    load(write("base.yaml", BASE) if source == "base" else DEMO)
    for template in [*DEMO.parent.glob("*.pdf"), *DEMO.parent.glob("*.docx")]:  # the guides' files
        shutil.copy(template, tmp_path)
    first = tmp_path / "first.yaml"
    call_command("dump_catalogue", "--output", str(first), stderr=io.StringIO())
    before = state()

    output = load(first)
    second = catalogue_dump()

    lines = [line for line in output.splitlines() if not line.startswith(("Registers: ", "Bundles: "))]
    if source == "demo":
        assert lines.pop(0) == "Certificate types: 0 created, 0 updated, 7 unchanged"
        assert "Bundles: 0 created, 0 updated, 2 unchanged" in output
    assert lines[:4] == [
        f"{name}: 0 created, 0 updated, {counts} unchanged"
        for name, counts in zip(["Departments", "Fields", "Services", "Department reviews"], before[0].values(), strict=False)
    ]
    assert output.splitlines()[-1] == "No new versions published: every service is unchanged."
    assert state() == before
    assert second == first.read_text(encoding="utf-8")


def test_dump_keeps_long_and_multiline_text_readable(base, load, write):
    long_text = "A very long description of the service that will not fit on one line with its translation at all."
    load(write("long.yaml", BASE.replace(
        "description: {en: Everything to open a restaurant., zh-hans: 开办餐饮店的全部手续。}",
        f"description:\n      en: {long_text}\n      zh-hans: |\n        第一行\n        第二行",
    )))
    dump = catalogue_dump()

    assert f"    description:\n      en: {long_text}\n      zh-hans: |-\n        第一行\n        第二行\n" in dump
    assert Service.objects.get(slug="open-a-restaurant").description == {"en": long_text, "zh-hans": "第一行\n第二行"}
    before = state()
    path = write("dump.yaml", dump)
    load(path)
    assert state() == before


def test_problems_are_listed_in_the_order_of_the_files(write, load_errors):
    first = write("first.yaml", SERVICE.replace("department: health", "department: fyre"))
    second = write("second.yaml", "colour: red\n")

    assert load_errors(first, second) == [
        f"{first}: services[0].reviews[0].department: unknown department 'fyre'",
        f"{first}: services[0].reviews[0].fields[0]: unknown field 'business_name'",
        f"{second}: colour: unknown top-level key (expected one of calendar, certificate_types, departments, registers, "
        "fields, services, bundles, finders)",
    ]
