"""Filings after approval in the catalogue: the bodies told of a service's approvals without
reviewing them, listed per service (``filings``), checked at load time like reviews (every problem
at its file and path, nothing changed), frozen into each version, dumped back and edited in the
admin."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from catalogue.dumper import catalogue_dump
from catalogue.models import FilingRequirement, Service, ServiceVersion
from catalogue.schema import Schema
from departments.models import Department

from .conftest import BASE, DEMO, state

pytestmark = pytest.mark.django_db

SUBDISTRICT = """\
  - code: subdistrict
    name: {en: Sub-district office, zh-hans: 街道办事处}
"""
FIRE_REVIEW = "      - {department: fire, stage: 2, sla_days: 5, fields: [floor_plan, seats]}\n"


def with_filings(*lines: str, base: str = BASE) -> str:
    """BASE with the sub-district office, and the restaurant's filings written as ``lines``."""
    text = base.replace("\nfields:\n", "\n" + SUBDISTRICT + "fields:\n", 1)
    return text.replace(FIRE_REVIEW, FIRE_REVIEW + "    filings:\n" + "".join(f"      - {line}\n" for line in lines), 1)


TOLD = with_filings("{department: subdistrict, fields: [seats, business_name], identity: [name]}")


def test_filings_are_loaded_frozen_into_the_version_and_read_from_the_schema(write, load):
    output = load(write("catalogue.yaml", TOLD))

    assert "Filings after approval: 1 created, 0 updated, 0 unchanged\n" in output
    filing = FilingRequirement.objects.get()
    assert (filing.service.slug, filing.department.code, filing.identity) == ("open-a-restaurant", "subdistrict", ["name"])
    # Stored and frozen in the dictionary's order, as a review's fields are.
    assert sorted(filing.fields.values_list("key", flat=True)) == ["business_name", "seats"]
    restaurant = Service.objects.get(slug="open-a-restaurant")
    assert restaurant.current_version.schema["filings"] == [{
        "department": "subdistrict", "department_name": {"en": "Sub-district office", "zh-hans": "街道办事处"},
        "fields": ["business_name", "seats"], "identity": ["name"]}]
    schema = Schema(restaurant.current_version.schema)
    assert schema.filing_fields("subdistrict") == ["business_name", "seats"]
    assert schema.filing_identity("subdistrict") == ["name"]
    assert schema.filing_fields("health") == [] and schema.filing_identity("health") == []
    # A service without filings has none, and its schema no key for them.
    cafe = Service.objects.get(slug="open-a-cafe")
    assert "filings" not in cafe.current_version.schema
    assert Schema(cafe.current_version.schema).filings == []


def test_a_service_without_filings_keeps_its_version(base, load):
    """The schema holds ``filings`` only when there are some: loading the same catalogue again
    after the upgrade publishes nothing."""
    assert load(base).splitlines()[-1] == "No new versions published: every service is unchanged."
    assert "Filings" not in load(base)


def test_a_filing_published_changes_the_version_and_the_old_one_keeps_none(base, write, load):
    restaurant = Service.objects.get(slug="open-a-restaurant")
    v1 = restaurant.current_version

    output = load(write("told.yaml", TOLD))

    restaurant.refresh_from_db()
    assert restaurant.current_version.number == 2
    assert "New versions published (1): open-a-restaurant v2" in output
    assert "filings" not in ServiceVersion.objects.get(pk=v1.pk).schema
    # Taken out again: the next version has none, the previous keeps its filing.
    output = load(base)
    restaurant.refresh_from_db()
    assert restaurant.current_version.number == 3
    assert "Filings after approval: 0 created, 0 updated, 0 unchanged, 1 removed" in output
    assert FilingRequirement.objects.count() == 0
    assert ServiceVersion.objects.get(service=restaurant, number=2).schema["filings"][0]["department"] == "subdistrict"


def test_a_changed_filing_is_updated_and_loading_twice_changes_nothing(write, load):
    load(write("told.yaml", TOLD))
    changed = write("changed.yaml", with_filings("{department: subdistrict, fields: [seats]}"))

    assert "Filings after approval: 0 created, 1 updated, 0 unchanged\n" in load(changed)
    before = state()
    assert "Filings after approval: 0 created, 0 updated, 1 unchanged\n" in load(changed)
    assert state() == before
    assert Service.objects.get(slug="open-a-restaurant").current_version.schema["filings"][0]["identity"] == []


def test_renaming_a_department_told_by_filing_publishes_the_services_it_is_told_of(write, load):
    load(write("told.yaml", TOLD))

    load(write("renamed.yaml", TOLD.replace("{en: Sub-district office, zh-hans: 街道办事处}",
                                            "{en: Street office, zh-hans: 街道办}")))

    restaurant = Service.objects.get(slug="open-a-restaurant")
    assert restaurant.current_version.number == 2
    assert restaurant.current_version.schema["filings"][0]["department_name"]["en"] == "Street office"


def test_filings_are_dumped_and_load_dump_load_is_a_fixed_point(write, load, tmp_path):
    load(write("told.yaml", TOLD))
    dumped = catalogue_dump()
    assert ("    filings:\n"
            "      - {department: subdistrict, fields: [business_name, seats], identity: [name]}\n") in dumped
    first = tmp_path / "first.yaml"
    call_command("dump_catalogue", "--output", str(first), stderr=io.StringIO())
    before = state()

    output = load(first)

    assert output.splitlines()[-1] == "No new versions published: every service is unchanged."
    assert state() == before


@pytest.mark.parametrize(("lines", "expected"), [
    (["{department: subdistirct, fields: [seats]}"],
     ["services[0].filings[0].department: unknown department 'subdistirct'"]),
    (["{department: health, fields: [seats]}"],
     ["services[0].filings[0].department: department 'health' reviews this service (reviews[1]): a department that "
      "reviews is not also told by filing"]),
    (["{department: subdistrict, fields: [seats]}", "{department: subdistrict, fields: [business_name]}"],
     ["services[0].filings[1].department: department 'subdistrict' is already told of this service's approvals "
      "(filings[0])"]),
    (["{department: subdistrict, fields: [seats, opening_date]}"],
     ["services[0].filings[0].fields[1]: field 'opening_date' is not in the service's form: a filing passes on "
      "answers the form asks for (list opening_date in a review's fields)"]),
    (["{department: subdistrict, fields: [floor_plan]}"],
     ["services[0].filings[0].fields[0]: 'floor_plan' is a file: a filing passes on answers, not documents"]),
    (["{department: subdistrict, fields: [seats, seats]}"],
     ["services[0].filings[0].fields[1]: field 'seats' is listed twice"]),
    (["{department: subdistrict, identity: [name, passport]}"],
     ["services[0].filings[0].identity[1]: unknown identity detail 'passport' (expected one of name, email, phone, "
      "id_number)"]),
    (["{department: subdistrict, identity: [phone]}"],
     ["services[0].filings[0].identity[0]: phone is shown only where the service's form asks for contact_phone: "
      "list contact_phone in a review's fields"]),
    (["{department: subdistrict, stage: 1}"],
     ["services[0].filings[0].stage: unknown key (expected one of department, fields, identity)"]),
    (["{fields: [seats]}"], ["services[0].filings[0].department: is required"]),
    (["subdistrict"], ["services[0].filings[0]: must be a mapping of keys to values"]),
], ids=["unknown department", "reviews it", "twice", "not in the form", "a file", "field twice", "unknown identity",
        "identity not asked", "unknown key", "no department", "not a mapping"])
def test_a_bad_filing_is_reported_at_its_path_and_changes_nothing(base, write, load_errors, lines, expected):
    before = state()
    bad = write("bad.yaml", with_filings(*lines))

    assert load_errors(bad) == [f"{bad}: {line}" for line in expected]
    assert state() == before


def test_filings_not_a_list_is_reported(base, write, load_errors):
    bad = write("bad.yaml", BASE.replace(FIRE_REVIEW, FIRE_REVIEW + "    filings: subdistrict\n"))
    assert load_errors(bad) == [f"{bad}: services[0].filings: must be a list"]


def test_a_filing_may_name_a_department_and_a_field_of_another_file_or_of_the_database(base, write, load):
    """References are checked against the whole catalogue, as a review's are: the department of
    another file, a field loaded before (a file kept in the database is refused all the same)."""
    departments = write("departments.yaml", "departments:\n" + SUBDISTRICT)
    services = write("services.yaml", "services:\n" + TOLD.split("services:\n", 1)[1])
    load(departments, services)
    assert FilingRequirement.objects.get().department.code == "subdistrict"


def test_a_file_of_the_database_is_refused_in_a_filing(base, write, load_errors):
    departments = write("departments.yaml", "departments:\n" + SUBDISTRICT)
    services = write("services.yaml", "services:\n" + with_filings(
        "{department: subdistrict, fields: [floor_plan]}").split("services:\n", 1)[1])

    assert load_errors(departments, services) == [
        f"{services}: services[0].filings[0].fields[0]: 'floor_plan' is a file: a filing passes on answers, not "
        "documents"]


# --- The admin ----------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser(email="admin@example.gov", password="correct-horse-battery")
    client.force_login(user)
    return client


def cafe_form(cafe, subdistrict, **filing) -> dict:
    requirement = cafe.requirements.get()
    return {
        "slug": "open-a-cafe", "name": '{"en": "Open a cafe", "zh-hans": "开办咖啡馆"}',
        "life_event": '{"en": "Starting a business", "zh-hans": "企业开办"}', "description": "{}", "synonyms": "{}",
        "fee": "{}", "permit_title": '{"en": "Cafe permit", "zh-hans": "咖啡馆许可证"}', "permit_valid_days": 365,
        "rectify_days": 5, "renew_grace_days": 90, "position": cafe.position, "is_active": "on",
        "requirements-TOTAL_FORMS": 1, "requirements-INITIAL_FORMS": 1, "requirements-MIN_NUM_FORMS": 0,
        "requirements-MAX_NUM_FORMS": 1000, "requirements-0-id": requirement.pk, "requirements-0-service": cafe.pk,
        "requirements-0-department": requirement.department_id, "requirements-0-stage": 1,
        "requirements-0-sla_days": 4, "requirements-0-position": 0,
        "requirements-0-fields": list(requirement.fields.values_list("pk", flat=True)),
        "requirements-0-identity": [],
        "filing_requirements-TOTAL_FORMS": 1, "filing_requirements-INITIAL_FORMS": 0,
        "filing_requirements-MIN_NUM_FORMS": 0, "filing_requirements-MAX_NUM_FORMS": 1000,
        "filing_requirements-0-department": subdistrict.pk, "filing_requirements-0-position": 0,
        **{f"filing_requirements-0-{name}": value for name, value in filing.items()},
    }


def test_the_admin_adds_a_filing_checked_as_catalogue_files_are_and_publishes(base, admin_client):
    cafe = Service.objects.get(slug="open-a-cafe")
    subdistrict = Department.objects.create(code="subdistrict", name={"en": "Sub-district office", "zh-hans": "街道办事处"})
    health = Department.objects.get(code="health")
    url = reverse("admin:catalogue_service_change", args=[cafe.pk])
    seats = cafe.requirements.get().fields.get(key="seats")
    opening = Service.objects.get(slug="extend-opening-hours").requirements.get().fields.get(key="opening_date")

    def errors(data):
        response = admin_client.post(url, data)
        assert response.status_code == 200
        return response.context["inline_admin_formsets"][1].formset.forms[0].errors

    # A department that reviews the cafe, a field its form does not ask, a detail it does not ask.
    assert errors({**cafe_form(cafe, subdistrict, fields=[seats.pk]),
                   "filing_requirements-0-department": health.pk})["department"] == [
        "Public Health Bureau reviews this service: a department that reviews is not also told by filing."]
    assert errors(cafe_form(cafe, subdistrict, fields=[opening.pk]))["fields"] == [
        "Not in the service's form: opening_date. List them in a review's fields first."]
    assert errors(cafe_form(cafe, subdistrict, identity=["phone"]))["identity"] == [
        "phone is shown only where the service's form asks for contact_phone: list contact_phone in a review's fields"]
    cafe.refresh_from_db()
    assert cafe.current_version.number == 1 and not FilingRequirement.objects.exists()

    assert admin_client.post(url, cafe_form(cafe, subdistrict, fields=[seats.pk], identity=["email", "name"])
                             ).status_code == 302

    cafe.refresh_from_db()
    assert cafe.current_version.number == 2
    assert cafe.current_version.schema["filings"] == [{
        "department": "subdistrict", "department_name": {"en": "Sub-district office", "zh-hans": "街道办事处"},
        "fields": ["seats"], "identity": ["name", "email"]}]


def test_the_admin_offers_no_file_to_a_filing(base, admin_client):
    cafe = Service.objects.get(slug="open-a-cafe")
    html = admin_client.get(reverse("admin:catalogue_service_change", args=[cafe.pk])).content.decode()
    assert "filing_requirements-TOTAL_FORMS" in html
    form = admin_client.get(reverse("admin:catalogue_service_change", args=[cafe.pk])).context[
        "inline_admin_formsets"][1].formset.empty_form
    assert "floor_plan" not in set(form.fields["fields"].queryset.values_list("key", flat=True))


# --- The demo ----------------------------------------------------------------------------------------


def test_the_demo_tells_the_sub_district_office_of_businesses_and_events(load):
    load(DEMO)

    told = {(f.service.slug, f.department.code): (sorted(f.fields.values_list("key", flat=True)), f.identity)
            for f in FilingRequirement.objects.select_related("service", "department")}
    assert told == {
        ("open-a-restaurant", "subdistrict"): (
            ["business_name", "opening_date", "seating_capacity", "site_address"], ["name", "phone"]),
        ("open-a-retail-shop", "subdistrict"): (
            ["business_name", "opening_date", "retail_categories", "site_address"], ["name", "phone"]),
        ("register-a-small-manufacturer", "subdistrict"): (["business_name", "products", "site_address"],
                                                           ["name", "phone"]),
        ("host-a-public-event", "subdistrict"): (
            ["event_date", "event_name", "event_venue", "expected_attendance"], ["name", "phone"]),
    }
    # The sub-district office reviews nothing: it is told.
    assert not Department.objects.get(code="subdistrict").requirements.exists()
