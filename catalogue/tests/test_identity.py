"""Which details of the applicant's identity each department's review shows: listed per review
(``identity``), checked like the rest of a catalogue file, frozen into each version, dumped back
and edited in the admin."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from catalogue.dumper import catalogue_dump
from catalogue.models import Requirement, Service, ServiceVersion
from catalogue.schema import Schema

from .conftest import BASE, DEMO, state

pytestmark = pytest.mark.django_db

REGISTRATION = "{department: registration, stage: 1, sla_days: 3, fields: [business_name, cuisine]}"
# The restaurant's form asks for a contact phone; registration sees the name and e-mail address
# as well, fire the name from its stage on, health nothing.
PHONE_FIELD = """\
  - key: contact_phone
    kind: phone
    label: {en: Contact phone, zh-hans: 联系电话}
    section: {en: Your business, zh-hans: 经营信息}
"""
WITH_IDENTITY = BASE.replace("\nservices:\n", "\n" + PHONE_FIELD + "services:\n").replace(
    REGISTRATION,
    "{department: registration, stage: 1, sla_days: 3, fields: [business_name, cuisine, contact_phone], "
    "identity: [email, name, phone]}",
).replace(
    "{department: fire, stage: 2, sla_days: 5, fields: [floor_plan, seats]}",
    "{department: fire, stage: 2, sla_days: 5, fields: [floor_plan, seats], identity: [name]}",
)


def requirement(slug, code):
    return Requirement.objects.get(service__slug=slug, department__code=code)


def test_identity_is_loaded_in_a_fixed_order_and_frozen_into_the_version(write, load):
    load(write("catalogue.yaml", WITH_IDENTITY))

    restaurant = Service.objects.get(slug="open-a-restaurant")
    assert requirement("open-a-restaurant", "registration").identity == ["name", "email", "phone"]
    assert requirement("open-a-restaurant", "health").identity == []
    assert requirement("open-a-restaurant", "fire").identity == ["name"]
    reviews = restaurant.current_version.schema["reviews"]
    assert [(r["department"], r["identity"]) for r in reviews] == [
        ("registration", ["name", "email", "phone"]), ("health", []), ("fire", ["name"])]
    schema = Schema(restaurant.current_version.schema)
    assert schema.department_identity("registration") == ["name", "email", "phone"]
    assert schema.department_identity("health") == []
    assert schema.department_identity("police") == []  # a department that does not review the service


def test_a_version_published_before_identity_lists_shows_none(db):
    old = {"service": {}, "fields": [{"key": "contact_phone", "kind": "phone"}],
           "reviews": [{"department": "tax", "stage": 1, "sla_days": 2, "fields": ["contact_phone"]}]}
    assert Schema(old).department_identity("tax") == []


def test_a_profile_detail_is_shown_only_where_the_form_asks_for_it(db):
    """A phone or an identity document number comes from the applicant's profile: a department
    listing it sees it only in a service whose form asks for it (contact_phone, id_number)."""
    schema = Schema({"service": {}, "fields": [{"key": "business_name", "kind": "text"}],
                     "reviews": [{"department": "tax", "stage": 1, "sla_days": 2, "fields": ["business_name"],
                                  "identity": ["name", "email", "phone", "id_number"]}]})
    assert schema.department_identity("tax") == ["name", "email"]


def test_identity_is_dumped_in_the_review_and_load_dump_load_is_a_fixed_point(write, load, tmp_path):
    load(write("catalogue.yaml", WITH_IDENTITY))
    dumped = catalogue_dump()
    assert ("      - {department: registration, stage: 1, sla_days: 3, fields: [business_name, cuisine, contact_phone], "
            "identity: [name, email, phone]}\n") in dumped
    assert "      - {department: health, stage: 1, sla_days: 5, fields: [business_name, seats, floor_plan]}\n" in dumped
    first = tmp_path / "first.yaml"
    call_command("dump_catalogue", "--output", str(first), stderr=io.StringIO())
    before = state()

    output = load(first)

    assert output.splitlines()[-1] == "No new versions published: every service is unchanged."
    assert state() == before


def test_changing_what_a_department_sees_publishes_a_new_version(base, write, load):
    restaurant = Service.objects.get(slug="open-a-restaurant")
    v1 = restaurant.current_version

    load(write("changed.yaml", BASE.replace(REGISTRATION, REGISTRATION[:-1] + ", identity: [name]}")))

    restaurant.refresh_from_db()
    assert restaurant.current_version.number == 2
    assert restaurant.current_version.schema["reviews"][0]["identity"] == ["name"]
    assert ServiceVersion.objects.get(pk=v1.pk).schema["reviews"][0]["identity"] == []
    assert Service.objects.get(slug="open-a-cafe").current_version.number == 1


@pytest.mark.parametrize(("identity", "expected"), [
    ("[name, passport]", ["services[0].reviews[0].identity[1]: unknown identity detail 'passport' "
                          "(expected one of name, email, phone, id_number)"]),
    ("[name, name]", ["services[0].reviews[0].identity[1]: identity detail 'name' is listed twice"]),
    ("name", ["services[0].reviews[0].identity: must be a list"]),
    ("[phone, id_number]", [
        "services[0].reviews[0].identity[0]: phone is shown only where the service's form asks for "
        "contact_phone: list contact_phone in a review's fields",
        "services[0].reviews[0].identity[1]: id_number is shown only where the service's form asks for "
        "id_number: list id_number in a review's fields"]),
], ids=["unknown", "twice", "not a list", "not asked"])
def test_a_bad_identity_list_is_reported_and_changes_nothing(base, write, load_errors, identity, expected):
    before = state()
    bad = write("bad.yaml", BASE.replace(REGISTRATION, REGISTRATION[:-1] + f", identity: {identity}}}"))

    assert load_errors(bad) == [f"{bad}: {line}" for line in expected]
    assert state() == before


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser(email="admin@example.gov", password="correct-horse-battery")
    client.force_login(user)
    return client


def test_the_admin_edits_a_reviews_identity_and_publishes(base, admin_client):
    cafe = Service.objects.get(slug="open-a-cafe")
    url = reverse("admin:catalogue_service_change", args=[cafe.pk])
    html = admin_client.get(url).content.decode()
    for detail in ("name", "email", "phone", "id_number"):
        assert f'name="requirements-0-identity" value="{detail}"' in html
    requirement_row = cafe.requirements.get()
    data = {
        "slug": "open-a-cafe", "name": '{"en": "Open a cafe", "zh-hans": "开办咖啡馆"}',
        "life_event": '{"en": "Starting a business", "zh-hans": "企业开办"}', "description": "{}", "synonyms": "{}",
        "fee": "{}", "permit_title": '{"en": "Cafe permit", "zh-hans": "咖啡馆许可证"}', "permit_valid_days": 365,
        "rectify_days": 5, "renew_grace_days": 90, "position": cafe.position, "is_active": "on",
        "requirements-TOTAL_FORMS": 1, "requirements-INITIAL_FORMS": 1, "requirements-MIN_NUM_FORMS": 0,
        "requirements-MAX_NUM_FORMS": 1000, "requirements-0-id": requirement_row.pk, "requirements-0-service": cafe.pk,
        "requirements-0-department": requirement_row.department_id, "requirements-0-stage": 1,
        "requirements-0-sla_days": 4, "requirements-0-position": 0,
        "requirements-0-fields": list(requirement_row.fields.values_list("pk", flat=True)),
        "requirements-0-identity": ["email", "name"],
        "filing_requirements-TOTAL_FORMS": 0, "filing_requirements-INITIAL_FORMS": 0,
        "filing_requirements-MIN_NUM_FORMS": 0, "filing_requirements-MAX_NUM_FORMS": 1000,
    }

    assert admin_client.post(url, data).status_code == 302

    cafe.refresh_from_db()
    assert cafe.current_version.number == 2
    assert cafe.current_version.schema["reviews"][0]["identity"] == ["name", "email"]
    # A detail the cafe's form does not ask for is refused, with the reason at the inline.
    response = admin_client.post(url, {**data, "requirements-0-identity": ["phone"]})
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.forms[0].errors["identity"] == [
        "phone is shown only where the service's form asks for contact_phone: list contact_phone in a review's "
        "fields"]
    cafe.refresh_from_db()
    assert cafe.current_version.number == 2


def test_the_demo_catalogue_shows_identity_only_to_the_departments_that_need_it(load):
    load(DEMO)

    listed = {(r.service.slug, r.department.code): r.identity
              for r in Requirement.objects.select_related("service", "department") if r.identity}
    assert listed == {
        ("open-a-restaurant", "registration"): ["name", "email"],
        ("open-a-restaurant", "tax"): ["name", "email", "phone"],
        ("open-a-retail-shop", "registration"): ["name", "email"],
        ("open-a-retail-shop", "tax"): ["name", "email", "phone"],
        ("open-a-retail-shop", "urban"): ["name"],
        ("register-a-business", "registration"): ["name", "email"],
        ("register-a-business", "tax"): ["name", "email", "phone"],
        ("register-a-small-manufacturer", "registration"): ["name", "email"],
        ("register-a-small-manufacturer", "tax"): ["name", "email", "phone"],
        ("renovate-a-shop-front", "urban"): ["name"],
        ("host-a-public-event", "police"): ["name", "email", "phone"],
        ("outdoor-seating", "urban"): ["name"],
    }
    assert Requirement.objects.count() == 23  # the inspections (health, fire, environment, planning) see none
