"""A change to what a service asks or who reviews it publishes version n+1 of exactly the
services affected; published versions never change."""

import pytest

from catalogue.models import Service, ServiceVersion
from catalogue.schema import service_publish

from .conftest import BASE

pytestmark = pytest.mark.django_db


def current_versions() -> dict[str, int]:
    return dict(Service.objects.values_list("slug", "current_version__number"))


def schemas() -> dict[int, dict]:
    return dict(ServiceVersion.objects.values_list("pk", "schema"))


def test_first_load_publishes_version_1(base):
    assert current_versions() == {"open-a-restaurant": 1, "open-a-cafe": 1, "extend-opening-hours": 1}
    schema = Service.objects.get(slug="open-a-cafe").current_version.schema
    assert schema == {
        "service": {
            "slug": "open-a-cafe",
            "name": {"en": "Open a cafe", "zh-hans": "开办咖啡馆"},
            "permit_title": {"en": "Cafe permit", "zh-hans": "咖啡馆许可证"},
            "permit_valid_days": 365,
        },
        "fields": [
            {"key": "business_name", "kind": "text", "label": {"en": "Business name", "zh-hans": "商户名称"},
             "help": {"en": "As it will appear on the permit"}, "section": {"en": "Your business", "zh-hans": "经营信息"},
             "required": True, "max_length": 120},
            {"key": "seats", "kind": "integer", "label": {"en": "Seats", "zh-hans": "座位数"}, "help": {},
             "section": {"en": "Your business", "zh-hans": "经营信息"}, "required": True, "min": 1, "max": 500},
        ],
        "reviews": [
            {"department": "health", "department_name": {"en": "Public Health Bureau", "zh-hans": "卫生健康局"},
             "stage": 1, "sla_days": 4, "fields": ["business_name", "seats"], "identity": []},
        ],
    }


CHANGES = {
    # a field's label; cuisine is asked by the restaurant only
    "field label": (
        [("{en: Cuisine, zh-hans: 菜系}", "{en: Type of cuisine, zh-hans: 菜系}")],
        {"open-a-restaurant": 2, "open-a-cafe": 1, "extend-opening-hours": 1},
    ),
    # a field every service asks
    "shared field": (
        [("required: true\n    max_length: 120", "required: true\n    max_length: 100")],
        {"open-a-restaurant": 2, "open-a-cafe": 2, "extend-opening-hours": 2},
    ),
    "requirement fields": (
        [("sla_days: 4, fields: [business_name, seats]", "sla_days: 4, fields: [business_name, seats, opening_date]")],
        {"open-a-restaurant": 1, "open-a-cafe": 2, "extend-opening-hours": 1},
    ),
    # what a department sees of the applicant's identity
    "requirement identity": (
        [("sla_days: 4, fields: [business_name, seats]", "sla_days: 4, fields: [business_name, seats], identity: [name]")],
        {"open-a-restaurant": 1, "open-a-cafe": 2, "extend-opening-hours": 1},
    ),
    "sla_days": (
        [("stage: 1, sla_days: 2,", "stage: 1, sla_days: 10,")],
        {"open-a-restaurant": 1, "open-a-cafe": 1, "extend-opening-hours": 2},
    ),
    "stage": (
        [("{department: fire, stage: 2,", "{department: fire, stage: 1,")],
        {"open-a-restaurant": 2, "open-a-cafe": 1, "extend-opening-hours": 1},
    ),
    "department name": (
        [("{en: Business Registration Office, zh-hans: 登记注册局}", "{en: Business Registration Bureau, zh-hans: 登记注册局}")],
        {"open-a-restaurant": 2, "open-a-cafe": 1, "extend-opening-hours": 2},
    ),
    "permit validity": (
        [("valid_days: 1095", "valid_days: 730")],
        {"open-a-restaurant": 2, "open-a-cafe": 1, "extend-opening-hours": 1},
    ),
    # Text that is not part of the form (fee, description, department email) publishes nothing.
    "fee and email": (
        [("fee: {en: Free, zh-hans: 免费}", "fee: {en: 100 yuan, zh-hans: 100元}"),
         ("email: health@example.gov", "email: public-health@example.gov")],
        {"open-a-restaurant": 1, "open-a-cafe": 1, "extend-opening-hours": 1},
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_versions_exactly_the_affected_services(base, write, load, change):
    replacements, expected = CHANGES[change]
    before = schemas()
    text = BASE
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)

    load(write("changed.yaml", text))

    assert current_versions() == expected
    assert ServiceVersion.objects.count() == 3 + sum(n - 1 for n in expected.values())
    # Existing versions keep their schema exactly.
    after = schemas()
    assert {pk: after[pk] for pk in before} == before
    # Loading the changed catalogue again publishes nothing more.
    load(write("changed.yaml", text))
    assert current_versions() == expected


def test_new_version_holds_the_new_form_and_the_old_one_the_old(base, write, load):
    restaurant = Service.objects.get(slug="open-a-restaurant")
    v1 = restaurant.current_version

    fire = "{department: fire, stage: 2, sla_days:"
    load(write("changed.yaml", BASE.replace(f"{fire} 5,", f"{fire} 8,")))

    restaurant.refresh_from_db()
    v2 = restaurant.current_version
    assert (v1.number, v2.number) == (1, 2)
    assert [r["sla_days"] for r in v2.schema["reviews"]] == [3, 5, 8]
    v1.refresh_from_db()
    assert [r["sla_days"] for r in v1.schema["reviews"]] == [3, 5, 5]
    assert list(restaurant.versions.order_by("number").values_list("number", flat=True)) == [1, 2]


def test_versions_are_numbered_in_sequence(base, write, load):
    for days in (6, 7, 8):
        load(write("changed.yaml", BASE.replace("sla_days: 4,", f"sla_days: {days},")))

    assert list(ServiceVersion.objects.filter(service__slug="open-a-cafe").order_by("number").values_list(
        "number", flat=True)) == [1, 2, 3, 4]
    assert current_versions()["open-a-cafe"] == 4
    assert current_versions()["open-a-restaurant"] == 1


def test_a_field_no_service_uses_publishes_nothing(base, write, load):
    def with_notes(label):
        field = f"  - {{key: notes, kind: textarea, label: {{en: {label}, zh-hans: 备注}}}}"
        return BASE.replace("\nservices:\n", f"\n{field}\nservices:\n")

    load(write("extra.yaml", with_notes("Notes")))
    output = load(write("extra.yaml", with_notes("Remarks")))

    assert "Fields: 0 created, 1 updated, 5 unchanged" in output
    assert output.splitlines()[-1] == "No new versions published: every service is unchanged."
    assert ServiceVersion.objects.count() == 3


def test_a_field_change_reaches_services_outside_the_loaded_files(base, write, load):
    # Only the dictionary is loaded; the cafe, defined elsewhere, still asks for the field.
    dictionary = BASE.split("\nservices:\n")[0].replace("{en: Seats, zh-hans: 座位数}", "{en: Number of seats, zh-hans: 座位数}")

    output = load(write("dictionary.yaml", dictionary))

    assert output.splitlines()[-1] == "New versions published (2): open-a-restaurant v2, open-a-cafe v2"
    assert current_versions() == {"open-a-restaurant": 2, "open-a-cafe": 2, "extend-opening-hours": 1}


def test_publish_without_a_change_returns_none(base):
    restaurant = Service.objects.get(slug="open-a-restaurant")

    assert service_publish(service=restaurant) is None
    assert ServiceVersion.objects.filter(service=restaurant).count() == 1
