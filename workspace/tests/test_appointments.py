"""Appointments and advice in the workspace: publishing slots (a bad plan is a form error and adds
nothing), no-shows, the advice queue (overdue marked; one request or three cost the same queries),
answering, another department's request a 404, and the advice on the review page."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.advice import advice_answer, advice_request
from approvals.appointments import booking_make
from approvals.models import AdviceRequest, AppointmentSlot, BookingStatus
from approvals.workflow import application_start
from tests.appointment_fixtures import NOW
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def plan_data(department, **changes):
    data = {"department": department.pk, "service": "", "first_day": (NOW.date() + timedelta(days=1)).isoformat(),
            "last_day": (NOW.date() + timedelta(days=1)).isoformat(), "opens": "14:00", "closes": "16:00",
            "minutes": "60", "capacity": "3", "mode": "online", "video_link": "https://meet.example.gov/health",
            "address": ""}
    data.update(changes)
    return data


def test_a_supervisor_publishes_slots_from_the_appointments_page(client, officers, at_now):
    health = officers["health"].memberships.get().department
    client.force_login(officers["health_supervisor"])
    response = client.post(reverse("departments:slots_publish"), plan_data(health), follow=True)
    assert [str(m) for m in response.context["messages"]] == ["2 appointment slots published."]
    assert list(AppointmentSlot.objects.values_list("capacity", "mode", "video_link")) == [
        (3, "online", "https://meet.example.gov/health")] * 2


@pytest.mark.parametrize(("changes", "message"), [
    ({"first_day": "2026-03-01"}, "Slots cannot be published in the past: start today or later."),
    ({"closes": "13:00"}, "The closing time must be after the opening time."),
    ({"video_link": ""}, "Give the video link of an online appointment."),
])
def test_a_bad_plan_is_a_form_error_and_publishes_nothing(client, officers, at_now, changes, message):
    health = officers["health"].memberships.get().department
    client.force_login(officers["health_supervisor"])
    response = client.post(reverse("departments:slots_publish"), plan_data(health, **changes))
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [message]
    assert not AppointmentSlot.objects.exists()


def test_a_capacity_below_one_is_refused(client, officers, at_now):
    health = officers["health"].memberships.get().department
    client.force_login(officers["health_supervisor"])
    response = client.post(reverse("departments:slots_publish"), plan_data(health, capacity="0"))
    assert response.status_code == 400
    assert response.context["form"].errors["capacity"] == ["Ensure this value is greater than or equal to 1."]
    assert not AppointmentSlot.objects.exists()


def test_an_officer_sees_no_publish_form_and_cannot_publish(client, officers, at_now):
    health = officers["health"].memberships.get().department
    client.force_login(officers["health"])
    assert client.get(reverse("departments:appointments")).context["form"] is None
    client.post(reverse("departments:slots_publish"), plan_data(health))
    assert not AppointmentSlot.objects.exists()


def test_an_officer_records_a_no_show_after_the_start(client, officers, citizen, health_slots, at_now):
    booking = booking_make(citizen=citizen, slot_id=health_slots[0].pk)
    at_now.move_to(health_slots[0].starts_at + timedelta(minutes=15))
    client.force_login(officers["health"])
    page = client.get(reverse("departments:appointments"))
    assert reverse("departments:booking_no_show", args=[booking.pk]) in page.content.decode()
    response = client.post(reverse("departments:booking_no_show", args=[booking.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == ["The no-show is recorded."]
    booking.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW


def test_the_appointments_page_costs_the_same_queries_for_one_booking_or_three(client, officers, health_slots):
    client.force_login(officers["health"])
    url = reverse("departments:appointments")

    def measure():
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return queries

    booking_make(citizen=UserFactory(), slot_id=health_slots[0].pk)
    one = measure()
    booking_make(citizen=UserFactory(), slot_id=health_slots[1].pk)
    booking_make(citizen=UserFactory(), slot_id=health_slots[2].pk)
    three = measure()
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)


@pytest.fixture
def asked(restaurant, officers, at_now):
    def ask():
        citizen = UserFactory()
        draft = application_start(applicant=citizen, service=restaurant)
        return {r.department.code: r for r in advice_request(citizen=citizen, application_id=draft.pk)}
    return ask


def test_the_advice_queue_marks_overdue_and_costs_the_same_for_one_or_three(client, officers, asked, at_now):
    client.force_login(officers["health"])
    url = reverse("departments:advice_queue")

    def measure():
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        return response, queries

    first = asked()["health"]
    _, one = measure()
    asked(), asked()
    at_now.move_to(NOW + timedelta(days=9))  # past the 5 working days
    client.force_login(officers["health"])  # a staff session ends sooner than that
    response, three = measure()
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)
    assert [r.pk for r in response.context["requests"]][0] == first.pk
    assert response.content.decode().count("overdue</span>") == 3


def test_answering_advice_and_seeing_it_on_the_review_page(client, officers, asked, settings, tmp_path):
    from approvals.workflow import application_attach, application_save_answers, application_submit
    from tests.engine_fixtures import pdf_upload
    from tests.factories import VALID_ANSWERS

    settings.MEDIA_ROOT = str(tmp_path)
    health = asked()["health"]
    client.force_login(officers["health"])
    page = client.get(reverse("departments:advice", args=[health.pk]))
    assert page.status_code == 200
    response = client.post(reverse("departments:advice_answer", args=[health.pk]),
                           {"text": "A kitchen of 20 m² is enough."}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Your advice was sent to the citizen."]
    application = health.application
    citizen = application.applicant
    application_save_answers(application_id=application.pk, actor=citizen, data=dict(VALID_ANSWERS))
    application_attach(application_id=application.pk, actor=citizen, field_key="floor_plan", uploaded=pdf_upload())
    application_submit(application_id=application.pk, actor=citizen)
    review = application.reviews.get(department__code="fire")
    client.force_login(officers["fire"])
    page = client.get(reverse("departments:review", args=[review.pk]))
    assert [a.answer for a in page.context["advice"]] == ["A kitchen of 20 m² is enough."]
    assert "A kitchen of 20 m² is enough." in page.content.decode()


def test_another_departments_advice_request_is_a_404(client, officers, asked):
    health = asked()["health"]
    client.force_login(officers["fire"])
    assert client.get(reverse("departments:advice", args=[health.pk])).status_code == 404
    assert client.post(reverse("departments:advice_answer", args=[health.pk]), {"text": "x"}).status_code == 404
    assert AdviceRequest.objects.get(pk=health.pk).answered_at is None


def test_answered_advice_cannot_be_answered_again(client, officers, asked):
    health = asked()["health"]
    advice_answer(officer=officers["health"], advice_id=health.pk, text="Fine.")
    client.force_login(officers["health"])
    response = client.post(reverse("departments:advice_answer", args=[health.pk]), {"text": "Changed"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["This request was already answered."]
    assert AdviceRequest.objects.get(pk=health.pk).answer == "Fine."
    assert date(2026, 3, 9) == AdviceRequest.objects.get(pk=health.pk).due_date
