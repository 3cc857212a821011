"""The catalogue through the Django admin, as a superuser: changes publish new versions,
versions are read-only, and the admin checks text and rules as catalogue files are checked."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from audit.models import Action, AuditEvent
from catalogue.models import Field, Holiday, Requirement, Service, ServiceVersion, WorkCalendar
from departments.models import Department, Membership

from .conftest import counts, state

pytestmark = pytest.mark.django_db


def form_data(response) -> dict:
    """The POST data a browser would send back for an admin change form, unchanged."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()  # already as the widget renders it: JSON text, primary keys
            if value is True:
                data[form.add_prefix(name)] = "on"
            elif value is not None and value is not False:
                data[form.add_prefix(name)] = value
    return data


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def versions() -> dict[str, int]:
    return dict(Service.objects.values_list("slug", "current_version__number"))


def inline_index(data, prefix, department):
    return next(i for i in range(int(data[f"{prefix}-TOTAL_FORMS"])) if data[f"{prefix}-{i}-department"] == department.pk)


@pytest.mark.parametrize("model", [Department, Field, Service, ServiceVersion, WorkCalendar, Holiday])
def test_changelists_and_change_pages_open(base, admin_client, model):
    response = admin_client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    assert response.status_code == 200

    response = admin_client.get(change_url(model.objects.order_by("pk").first()))
    assert response.status_code == 200


@pytest.mark.parametrize("model", [Department, Field, Service, Holiday])
def test_add_pages_open(base, admin_client, model):
    response = admin_client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add"))
    assert response.status_code == 200


def test_service_versions_are_read_only(base, admin_client):
    version = ServiceVersion.objects.get(service__slug="open-a-cafe")
    before = state()

    page = admin_client.get(change_url(version))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert "咖啡馆许可证".encode() in page.content  # the schema is shown
    assert admin_client.get(reverse("admin:catalogue_serviceversion_add")).status_code == 403
    assert admin_client.post(change_url(version), {"number": 7}).status_code == 403
    assert admin_client.post(reverse("admin:catalogue_serviceversion_delete", args=[version.pk]),
                             {"post": "yes"}).status_code == 403
    assert state() == before


def test_saving_a_service_unchanged_publishes_nothing(base, admin_client):
    cafe = Service.objects.get(slug="open-a-cafe")
    data = form_data(admin_client.get(change_url(cafe)))

    response = admin_client.post(change_url(cafe), data)

    assert response.status_code == 302
    assert versions() == {"open-a-restaurant": 1, "open-a-cafe": 1, "extend-opening-hours": 1}


def test_changing_sla_days_in_the_requirement_inline_publishes_a_version(base, admin_client):
    restaurant = Service.objects.get(slug="open-a-restaurant")
    data = form_data(admin_client.get(change_url(restaurant)))
    fire = inline_index(data, "requirements", Department.objects.get(code="fire"))
    data[f"requirements-{fire}-sla_days"] = 9

    response = admin_client.post(change_url(restaurant), data, follow=True)

    assert response.redirect_chain[-1][1] == 302
    assert "New versions published: open-a-restaurant v2" in response.content.decode()
    assert versions() == {"open-a-restaurant": 2, "open-a-cafe": 1, "extend-opening-hours": 1}
    restaurant.refresh_from_db()
    assert [r["sla_days"] for r in restaurant.current_version.schema["reviews"]] == [3, 5, 9]
    assert ServiceVersion.objects.get(service=restaurant, number=1).schema["reviews"][2]["sla_days"] == 5


def test_changing_a_requirements_fields_in_the_admin_publishes_a_version(base, admin_client):
    cafe = Service.objects.get(slug="open-a-cafe")
    data = form_data(admin_client.get(change_url(cafe)))
    data["requirements-0-fields"] = [Field.objects.get(key=k).pk for k in ("business_name", "seats", "opening_date")]

    assert admin_client.post(change_url(cafe), data).status_code == 302

    cafe.refresh_from_db()
    assert versions()["open-a-cafe"] == 2
    assert cafe.current_version.schema["reviews"][0]["fields"] == ["business_name", "seats", "opening_date"]


def test_adding_a_review_in_a_new_stage_publishes_a_version(base, admin_client):
    cafe = Service.objects.get(slug="open-a-cafe")
    data = form_data(admin_client.get(change_url(cafe)))
    data.update({
        "requirements-TOTAL_FORMS": 2,
        "requirements-1-department": Department.objects.get(code="fire").pk,
        "requirements-1-stage": 2, "requirements-1-sla_days": 3, "requirements-1-position": 1,
        "requirements-1-fields": [Field.objects.get(key="floor_plan").pk],
        "requirements-1-service": cafe.pk,
    })

    assert admin_client.post(change_url(cafe), data).status_code == 302

    assert versions()["open-a-cafe"] == 2
    assert Requirement.objects.filter(service=cafe).count() == 2


def test_a_stage_gap_is_refused(base, admin_client):
    cafe = Service.objects.get(slug="open-a-cafe")
    data = form_data(admin_client.get(change_url(cafe)))
    data["requirements-0-stage"] = 2
    before = state()

    response = admin_client.post(change_url(cafe), data)

    assert response.status_code == 200
    assert "Stages must start at 1 and have no gaps, found 2." in response.content.decode()
    assert state() == before


def test_a_missing_translation_is_refused(base, admin_client):
    cafe = Service.objects.get(slug="open-a-cafe")
    data = form_data(admin_client.get(change_url(cafe)))
    data["life_event"] = '{"en": "Starting a business"}'
    before = state()

    response = admin_client.post(change_url(cafe), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["life_event"] == ["missing zh-hans translation"]
    assert state() == before


def test_changing_a_field_publishes_every_service_using_it(base, admin_client):
    seats = Field.objects.get(key="seats")
    data = form_data(admin_client.get(change_url(seats)))
    data["label"] = '{"en": "Number of seats", "zh-hans": "座位数"}'

    response = admin_client.post(change_url(seats), data, follow=True)

    assert "New versions published: open-a-restaurant v2, open-a-cafe v2" in response.content.decode()
    assert versions() == {"open-a-restaurant": 2, "open-a-cafe": 2, "extend-opening-hours": 1}
    cafe = Service.objects.get(slug="open-a-cafe")
    assert cafe.current_version.schema["fields"][1]["label"] == {"en": "Number of seats", "zh-hans": "座位数"}


def test_changing_a_field_rule_publishes_and_stores_the_rule(base, admin_client):
    opening = Field.objects.get(key="opening_date")
    data = form_data(admin_client.get(change_url(opening)))
    data["rules"] = '{"min": "2026-01-01", "max": "2027-12-31"}'

    assert admin_client.post(change_url(opening), data).status_code == 302

    opening.refresh_from_db()
    assert opening.rules == {"min": "2026-01-01", "max": "2027-12-31"}
    assert versions() == {"open-a-restaurant": 1, "open-a-cafe": 1, "extend-opening-hours": 2}


@pytest.mark.parametrize(("rules", "error"), [
    ('{"accept": ["application/pdf"]}', "accept: is not allowed for kind integer"),
    ('{"min": 10, "max": 1}', "min: must not be greater than max"),
    ('{"colour": "red"}', "unknown rule colour (expected one of max_length, format, min, max, choices, accept, max_size_mb)"),
])
def test_invalid_field_rules_are_refused(base, admin_client, rules, error):
    seats = Field.objects.get(key="seats")
    data = form_data(admin_client.get(change_url(seats)))
    data["rules"] = rules
    before = state()

    response = admin_client.post(change_url(seats), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["rules"] == [error]
    assert state() == before


def test_deleting_a_field_publishes_the_services_that_used_it(base, admin_client):
    cuisine = Field.objects.get(key="cuisine")

    response = admin_client.post(reverse("admin:catalogue_field_delete", args=[cuisine.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert versions() == {"open-a-restaurant": 2, "open-a-cafe": 1, "extend-opening-hours": 1}


def test_department_with_memberships_and_a_renamed_department_publishes(base, admin_client):
    officer = get_user_model().objects.create_user(email="officer@example.gov", password="correct-horse-battery")
    health = Department.objects.get(code="health")
    data = form_data(admin_client.get(change_url(health)))
    data.update({
        "name": '{"en": "Health Commission", "zh-hans": "卫生健康委员会"}',
        "memberships-TOTAL_FORMS": 1, "memberships-0-user": officer.pk, "memberships-0-role": "officer",
        "memberships-0-department": health.pk,
    })

    assert admin_client.post(change_url(health), data).status_code == 302

    assert list(Membership.objects.values_list("user__email", "department__code", "role")) == [
        ("officer@example.gov", "health", "officer")]
    assert versions() == {"open-a-restaurant": 2, "open-a-cafe": 2, "extend-opening-hours": 1}


def test_work_calendar_is_edited_with_weekday_boxes(base, admin_client):
    calendar = WorkCalendar.objects.get()
    assert admin_client.get(change_url(calendar)).content.decode().count(" checked") == 5

    response = admin_client.post(change_url(calendar), {"workdays": ["5", "0", "1"]})

    assert response.status_code == 302
    calendar.refresh_from_db()
    assert calendar.workdays == [0, 1, 5]
    # One calendar only: no second one can be added, and it cannot be deleted.
    assert admin_client.get(reverse("admin:catalogue_workcalendar_add")).status_code == 403
    assert admin_client.post(reverse("admin:catalogue_workcalendar_delete", args=[calendar.pk]),
                             {"post": "yes"}).status_code == 403


def test_adding_a_holiday(base, admin_client):
    response = admin_client.post(reverse("admin:catalogue_holiday_add"), {"date": "2026-12-25"})

    assert response.status_code == 302
    assert counts()["holidays"] == 3


def test_membership_changes_in_the_department_admin_are_audited(base, admin_client):
    users = get_user_model().objects
    admin = users.get(email="admin@example.gov")
    health, fire = Department.objects.get(code="health"), Department.objects.get(code="fire")
    moved = users.create_user(email="moved@example.gov", password="correct-horse-battery", role="officer")
    joining = users.create_user(email="joining@example.gov", password="correct-horse-battery", role="supervisor")
    Membership.objects.create(user=moved, department=health, role="officer")
    Membership.objects.create(user=moved, department=fire, role="officer")
    data = form_data(admin_client.get(change_url(health)))
    data.update({"memberships-0-role": "supervisor", "memberships-TOTAL_FORMS": 2, "memberships-1-user": joining.pk,
                 "memberships-1-role": "supervisor", "memberships-1-department": health.pk})

    assert admin_client.post(change_url(health), data, REMOTE_ADDR="192.0.2.4").status_code == 302

    common = {"action": Action.MEMBERSHIP_CHANGED, "actor_id": admin.pk, "object_type": "user", "subject_id": None,
              "department_code": "health", "ip": "192.0.2.4"}
    assert membership_events() == [
        {**common, "object_id": str(moved.pk),
         "details": {"before": {"fire": "officer", "health": "officer"}, "after": {"fire": "officer", "health": "supervisor"}}},
        {**common, "object_id": str(joining.pk), "details": {"before": {}, "after": {"health": "supervisor"}}},
    ]

    # Deleting a department ends its memberships: audited too.
    parks = Department.objects.create(code="parks", name={"en": "Parks", "zh-hans": "公园"})
    Membership.objects.create(user=joining, department=parks, role="supervisor")
    response = admin_client.post(reverse("admin:departments_department_delete", args=[parks.pk]), {"post": "yes"},
                                 REMOTE_ADDR="192.0.2.4")
    assert response.status_code == 302
    assert membership_events()[2:] == [{
        **common, "department_code": "parks", "object_id": str(joining.pk),
        "details": {"before": {"health": "supervisor", "parks": "supervisor"}, "after": {"health": "supervisor"}}}]


def membership_events():
    return list(AuditEvent.objects.filter(action=Action.MEMBERSHIP_CHANGED).order_by("id").values(
        "action", "actor_id", "object_type", "object_id", "subject_id", "department_code", "ip", "details"))
