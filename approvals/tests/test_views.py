"""The minimal loop through the web: a citizen applies, officers decide, the citizen
downloads the permit."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.formats import date_format

from approvals import workflow
from approvals.models import Application, ApplicationStatus, NotificationKind, ReviewStatus
from approvals.notifications import notify
from approvals.permit_flow import permit_render
from approvals.sla import local_today, sla_calendar
from audit.models import Action, AuditEvent
from permits.models import Permit
from tests.engine_fixtures import pdf_upload
from tests.factories import UserFactory, restaurant_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def fill_and_submit(client, restaurant):
    response = client.post(reverse("approvals:start", args=[restaurant.slug]))
    application = Application.objects.latest("pk")
    assert response.url == reverse("approvals:edit", args=[application.pk, 1])
    pages = {
        1: {"business_name": "Golden Dragon", "cuisine": "chinese", "seats": "40", "opening_date": ""},
        2: {"site_address": "1 Harbour Road"},
        3: {"floor_plan": pdf_upload()},
    }
    for step, data in pages.items():
        response = client.post(reverse("approvals:edit", args=[application.pk, step]), data)
        assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == reverse("approvals:check", args=[application.pk])
    response = client.post(reverse("approvals:check", args=[application.pk]), {})
    assert response.status_code == 400
    assert "Confirm that your answers are true and complete." in response.content.decode()
    response = client.post(reverse("approvals:check", args=[application.pk]), {"declaration": "yes"})
    assert response.url == reverse("approvals:submitted", args=[application.pk])
    application.refresh_from_db()
    return application


def test_apply_decide_download(client, restaurant, citizen, officers, media):
    client.force_login(citizen)
    application = fill_and_submit(client, restaurant)
    assert application.status == ApplicationStatus.IN_REVIEW
    page = client.get(reverse("approvals:submitted", args=[application.pk])).content.decode()
    assert application.reference in page

    for code in ["registration", "health", "tax", "fire"]:
        client.force_login(officers[code])
        review = application.reviews.get(department__code=code)
        response = client.get(reverse("departments:review", args=[review.pk]))
        assert response.status_code == 200
        response = client.post(reverse("departments:decide", args=[review.pk]),
                               {"decision": "approve", "version": review.version, "conditions": f"{code} ok",
                                "confirm": "1"})
        assert response.status_code == 302
    permit = Permit.objects.get(application=application)
    assert permit_render(permit_id=permit.pk) == "rendered"

    client.force_login(citizen)
    response = client.get(reverse("permits:download", args=[permit.number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ISSUED
    assert AuditEvent.objects.filter(action=Action.REVIEW_VIEWED, application_id=application.pk).count() == 4


def test_officer_sees_only_department_fields(client, submit, officers):
    application = submit()
    review = application.reviews.get(department__code="registration")
    client.force_login(officers["registration"])
    page = client.get(reverse("departments:review", args=[review.pk])).content.decode()
    assert "Golden Dragon" in page  # business_name: registration's field
    assert "1 Harbour Road" not in page  # site_address: fire's field only
    assert "plan.pdf" not in page  # floor_plan: not registration's


def test_other_department_and_citizens_get_404(client, submit, officers):
    application = submit()
    review = application.reviews.get(department__code="health")
    client.force_login(officers["tax"])
    assert client.get(reverse("departments:review", args=[review.pk])).status_code == 404
    response = client.post(reverse("departments:decide", args=[review.pk]), {"decision": "approve", "version": 0})
    assert response.status_code == 404
    stranger = UserFactory(email="stranger@example.org")
    client.force_login(stranger)
    assert client.get(reverse("approvals:detail", args=[application.pk])).status_code == 404
    assert client.get(reverse("departments:queue")).status_code == 404
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING


def test_tampered_decision_is_refused(client, submit, officers):
    application = submit()
    review = application.reviews.get(department__code="registration")
    client.force_login(officers["registration"])
    url = reverse("departments:decide", args=[review.pk])
    assert client.post(url, {"decision": "promote", "version": review.version}).status_code == 400
    response = client.post(url, {"decision": "correction", "correction_fields": ["site_address"], "message": "x",
                                 "version": review.version})
    assert response.status_code == 400
    review.refresh_from_db()
    assert review.status == ReviewStatus.PENDING


def test_my_applications_query_count_is_constant(client, submit, citizen):
    submit()
    client.force_login(citizen)
    client.get(reverse("approvals:my_applications"))  # the first request of a session also writes it
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("approvals:my_applications")).status_code == 200
    submit()
    submit()
    with CaptureQueriesContext(connection) as three:
        assert client.get(reverse("approvals:my_applications")).status_code == 200
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)


def test_queue_query_count_is_constant(client, submit, officers):
    submit()
    client.force_login(officers["health"])
    client.get(reverse("departments:queue"))  # the first request of a session also writes it
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("departments:queue")).status_code == 200
    submit()
    submit()
    with CaptureQueriesContext(connection) as three:
        page = client.get(reverse("departments:queue"))
    assert page.content.decode().count("A-") >= 3
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)


def test_the_notifications_pages_button_marks_them_read(client, submit, citizen):
    submit()
    client.force_login(citizen)
    home = client.get(reverse("home")).content.decode()
    assert '1<span class="visually-hidden"> unread</span>' in home
    page = client.get(reverse("approvals:notifications")).content.decode()
    assert "Application received" in page
    assert citizen.notifications.filter(read_at__isnull=True).count() == 1  # opening it reads nothing
    newest = citizen.notifications.latest("pk").pk
    assert client.post(reverse("approvals:notifications_read"), {"up_to": newest}).status_code == 302
    assert citizen.notifications.filter(read_at__isnull=True).count() == 0
    assert "unread</span>" not in client.get(reverse("home")).content.decode()


# --- The combined form ----------------------------------------------------------------------------


def test_step_indicator_back_link_and_save_for_later(client, restaurant, citizen):
    client.force_login(citizen)
    client.post(reverse("approvals:start", args=[restaurant.slug]))
    application = Application.objects.get(applicant=citizen)
    page = client.get(reverse("approvals:edit", args=[application.pk, 2])).content.decode()
    assert "Step 2 of 4" in page
    assert page.count('aria-current="step"') == 1
    assert '<li class="current" aria-current="step">' in page
    assert "<h1>The site</h1>" in page
    assert f'class="back-link" href="{reverse("approvals:edit", args=[application.pk, 1])}"' in page

    response = client.post(reverse("approvals:edit", args=[application.pk, 2]),
                           {"site_address": "1 Harbour Road", "save_later": "1"})
    assert response.url == reverse("approvals:my_applications")
    application.refresh_from_db()
    assert application.answers == {"site_address": "1 Harbour Road"}
    page = client.get(response.url).content.decode()
    assert "Your answers are saved." in page
    assert reverse("approvals:resume", args=[application.pk]) in page  # the draft, to resume


def test_invalid_answer_is_not_saved_and_is_linked_from_the_error_summary(client, restaurant, citizen):
    client.force_login(citizen)
    client.post(reverse("approvals:start", args=[restaurant.slug]))
    application = Application.objects.get(applicant=citizen)
    response = client.post(reverse("approvals:edit", args=[application.pk, 1]), {"business_name": "X", "seats": "many"})
    assert response.status_code == 400
    assert '<a href="#id_seats">' in response.content.decode()
    application.refresh_from_db()
    assert application.answers == {}


def test_change_link_returns_to_check_your_answers(client, restaurant, citizen):
    client.force_login(citizen)
    client.post(reverse("approvals:start", args=[restaurant.slug]))
    application = Application.objects.get(applicant=citizen)
    page = client.get(reverse("approvals:check", args=[application.pk])).content.decode()
    change = f'{reverse("approvals:edit", args=[application.pk, 2])}?return=check#id_site_address'
    assert f'href="{change}">Change<span class="visually-hidden"> Site address</span>' in page
    assert "Step 4 of 4" in page
    response = client.post(change.split("#")[0], {"site_address": "2 Harbour Road"})
    assert response.url == reverse("approvals:check", args=[application.pk])


def test_check_answers_lists_answers_and_files_and_links_errors(client, restaurant, citizen, media):
    client.force_login(citizen)
    client.post(reverse("approvals:start", args=[restaurant.slug]))
    application = Application.objects.get(applicant=citizen)
    client.post(reverse("approvals:edit", args=[application.pk, 1]), {"business_name": "Golden Dragon", "cuisine": "chinese"})
    client.post(reverse("approvals:edit", args=[application.pk, 3]), {"floor_plan": pdf_upload("plan.pdf")})
    page = client.get(reverse("approvals:check", args=[application.pk])).content.decode()
    assert "Golden Dragon" in page and "Chinese" in page and "plan.pdf" in page
    assert '<label class="form-check-label" for="declaration">' in page

    response = client.post(reverse("approvals:check", args=[application.pk]), {"declaration": "yes"})
    assert response.status_code == 400
    page = response.content.decode()
    # Missing required answers link to their question, on its page of the form.
    assert f'href="{reverse("approvals:edit", args=[application.pk, 1])}?return=check#id_seats"' in page
    assert f'href="{reverse("approvals:edit", args=[application.pk, 2])}?return=check#id_site_address"' in page
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT

    response = client.post(reverse("approvals:check", args=[application.pk]), {})
    assert '<a href="#declaration">' in response.content.decode()


def test_double_submit_gives_one_application_and_the_confirmation(client, restaurant, citizen, media):
    client.force_login(citizen)
    application = fill_and_submit(client, restaurant)
    response = client.post(reverse("approvals:check", args=[application.pk]), {"declaration": "yes"})
    assert response.status_code == 302
    assert response.url == reverse("approvals:submitted", args=[application.pk])
    assert application.reviews.count() == 4
    assert AuditEvent.objects.filter(action=Action.APPLICATION_SUBMITTED, application_id=application.pk).count() == 1


def test_submit_racing_another_request_lands_on_the_confirmation(client, restaurant, citizen, media, monkeypatch):

    client.force_login(citizen)
    client.post(reverse("approvals:start", args=[restaurant.slug]))
    application = Application.objects.get(applicant=citizen)
    client.post(reverse("approvals:edit", args=[application.pk, 1]), {"business_name": "A", "cuisine": "chinese", "seats": "4"})
    client.post(reverse("approvals:edit", args=[application.pk, 2]), {"site_address": "1 Harbour Road"})
    client.post(reverse("approvals:edit", args=[application.pk, 3]), {"floor_plan": pdf_upload()})
    real = workflow.application_submit

    def other_request_first(**kwargs):
        real(**kwargs)  # the other click commits first; ours then finds it submitted
        return real(**kwargs)

    monkeypatch.setattr(workflow, "application_submit", other_request_first)
    response = client.post(reverse("approvals:check", args=[application.pk]), {"declaration": "yes"})
    assert response.url == reverse("approvals:submitted", args=[application.pk])
    assert AuditEvent.objects.filter(action=Action.APPLICATION_SUBMITTED, application_id=application.pk).count() == 1


def test_confirmation_lists_stages_and_expected_date(client, restaurant, citizen, media):

    client.force_login(citizen)
    application = fill_and_submit(client, restaurant)
    page = client.get(reverse("approvals:submitted", args=[application.pk])).content.decode()
    assert application.reference in page
    assert "Stage 1" in page and "Stage 2" in page
    for name in ("Registration Bureau", "Health Bureau", "Tax Bureau", "Fire Bureau"):
        assert name in page
    first = sla_calendar().add_working_days(local_today(), 5)  # health, the longest of stage 1
    final = sla_calendar().add_working_days(first, 5)  # then fire
    assert f"<strong>{date_format(first, 'SHORT_DATE_FORMAT')}</strong>" in page
    assert f"<strong>{date_format(final, 'SHORT_DATE_FORMAT')}</strong>" in page
    assert reverse("approvals:receipt", args=[application.pk]) in page


def test_confirmation_uses_due_dates_once_routed(client, submit, citizen):

    application = submit()
    workflow.application_route(application_ids=[application.pk])
    due = max(r.due_date for r in application.reviews.filter(stage=1))
    client.force_login(citizen)
    page = client.get(reverse("approvals:submitted", args=[application.pk])).content.decode()
    assert f"<strong>{date_format(due, 'SHORT_DATE_FORMAT')}</strong>" in page


def test_receipt_is_a_pdf_for_the_applicant_only(client, submit, citizen, restaurant):
    application = submit()
    client.force_login(citizen)
    response = client.get(reverse("approvals:receipt", args=[application.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'{application.reference}-receipt.pdf' in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")

    draft = Application.objects.create(applicant=citizen, service=restaurant, service_version=restaurant.current_version)
    assert client.get(reverse("approvals:receipt", args=[draft.pk])).status_code == 404
    client.force_login(UserFactory(email="stranger@example.org"))
    assert client.get(reverse("approvals:receipt", args=[application.pk])).status_code == 404


# --- Following applications -----------------------------------------------------------------------


def test_my_applications_groups_by_what_the_citizen_must_do(client, submit, citizen, restaurant, officers):

    draft = workflow.application_start(applicant=citizen, service=restaurant)
    in_review = submit()
    correction = submit()
    review = correction.reviews.get(department__code="registration")
    workflow.review_decide(review_id=review.pk, actor=officers["registration"], decision="correction",
                           correction_fields=["business_name"], message="Spell it as registered.")
    withdrawn = submit()
    workflow.application_withdraw(application_id=withdrawn.pk, actor=citizen)
    client.force_login(citizen)
    page = client.get(reverse("approvals:my_applications")).content.decode()
    sections = {}
    for name in ("action", "drafts", "review", "finished"):
        start = page.index(f'id="group-{name}"')
        sections[name] = page[start:page.index("</section>", start)]
    assert correction.reference in sections["action"]
    assert reverse("approvals:resume", args=[draft.pk]) in sections["drafts"]
    assert in_review.reference in sections["review"]
    assert withdrawn.reference in sections["finished"]
    assert page.index('id="group-action"') < page.index('id="group-drafts"') < page.index('id="group-review"')


def _application_with(service, citizen, *, files: int, notifications: int):

    application = workflow.application_start(applicant=citizen, service=service, answers={"business_name": "Golden Dragon"})
    for n in range(files):
        workflow.application_attach(application_id=application.pk, actor=citizen, field_key="floor_plan",
                                    uploaded=pdf_upload(f"plan{n}.pdf"))
    application = workflow.application_submit(application_id=application.pk, actor=citizen)
    workflow.application_route(application_ids=[application.pk])
    for _n in range(notifications - 1):  # submitting notified once
        notify(recipient_ids=[citizen.pk], kind=NotificationKind.CORRECTION_REQUESTED, application=application,
               params={"message": "Check the plan."})
    return application


def test_application_page_query_count_is_constant(client, citizen, media):

    one = restaurant_service(slug="one-department", reviews=[("registration", 1, 3, ["business_name", "floor_plan"])])
    three = restaurant_service(slug="three-departments", reviews=[
        ("registration", 1, 3, ["business_name", "floor_plan"]), ("health", 1, 5, ["business_name"]),
        ("fire", 2, 5, ["floor_plan"]),
    ])
    small = _application_with(one, citizen, files=1, notifications=1)
    large = _application_with(three, citizen, files=3, notifications=3)
    client.force_login(citizen)
    client.get(reverse("approvals:detail", args=[small.pk]))  # the first request of a session also writes it
    with CaptureQueriesContext(connection) as n1:
        assert client.get(reverse("approvals:detail", args=[small.pk])).status_code == 200
    with CaptureQueriesContext(connection) as n3:
        page = client.get(reverse("approvals:detail", args=[large.pk])).content.decode()
    assert page.count('class="timeline-item') == 3
    assert page.count("plan2.pdf") == 1
    assert page.count("Check the plan.") == 2
    assert len(n3) == len(n1), "\n".join(q["sql"] for q in n3.captured_queries)


def test_application_page_shows_timeline_correction_and_permit(client, submit, citizen, officers):

    application = submit()
    workflow.application_route(application_ids=[application.pk])
    review = application.reviews.get(department__code="health")
    workflow.review_decide(review_id=review.pk, actor=officers["health"], decision="correction",
                           correction_fields=["seats", "floor_plan"], message="Count the outdoor seats too.")
    tax = application.reviews.get(department__code="tax")
    workflow.review_decide(review_id=tax.pk, actor=officers["tax"], decision="approve", conditions="File monthly.")
    client.force_login(citizen)
    page = client.get(reverse("approvals:detail", args=[application.pk])).content.decode()
    assert "Count the outdoor seats too." in page
    assert "To correct: Seats, Floor plan" in page
    assert "File monthly." in page
    assert "Decision due" in page
    assert reverse("approvals:correct", args=[application.pk]) in page
    assert "Correction requested" in page  # the notification


def test_correction_page_asks_only_what_was_requested(client, submit, citizen, officers):

    application = submit()
    review = application.reviews.get(department__code="health")
    workflow.review_decide(review_id=review.pk, actor=officers["health"], decision="correction",
                           correction_fields=["seats"], message="Count the outdoor seats too.")
    client.force_login(citizen)
    page = client.get(reverse("approvals:correct", args=[application.pk])).content.decode()
    assert 'name="seats"' in page
    assert 'name="business_name"' not in page and 'name="floor_plan"' not in page
    # Only the requested answer changes, whatever else is posted.
    response = client.post(reverse("approvals:correct", args=[application.pk]),
                           {"seats": "60", "business_name": "Tampered"})
    assert response.url == reverse("approvals:detail", args=[application.pk])
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_REVIEW
    assert application.answers["seats"] == 60
    assert application.answers["business_name"] == "Golden Dragon"


def test_no_editing_after_submit(client, submit, citizen):
    application = submit()
    before = dict(application.answers)
    client.force_login(citizen)
    for step in (1, 2, 3):
        response = client.post(reverse("approvals:edit", args=[application.pk, step]),
                               {"business_name": "Changed", "site_address": "Elsewhere", "floor_plan": pdf_upload()})
        assert response.url == reverse("approvals:detail", args=[application.pk])
    response = client.post(reverse("approvals:correct", args=[application.pk]), {"business_name": "Changed"})
    assert response.url == reverse("approvals:detail", args=[application.pk])
    attachment = application.attachments.get()
    response = client.post(reverse("approvals:attachment_remove", args=[application.pk, attachment.pk]))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.answers == before
    assert application.attachments.count() == 1


def test_remove_an_attachment_from_a_draft(client, restaurant, citizen, media):
    client.force_login(citizen)
    client.post(reverse("approvals:start", args=[restaurant.slug]))
    application = Application.objects.get(applicant=citizen)
    client.post(reverse("approvals:edit", args=[application.pk, 3]), {"floor_plan": pdf_upload("wrong.pdf")})
    attachment = application.attachments.get()
    page = client.get(reverse("approvals:edit", args=[application.pk, 3])).content.decode()
    assert f'form="remove-file-{attachment.pk}"' in page and f'id="remove-file-{attachment.pk}"' in page
    response = client.post(reverse("approvals:attachment_remove", args=[application.pk, attachment.pk]))
    assert response.url == reverse("approvals:edit", args=[application.pk, 3])
    assert not application.attachments.exists()


def test_withdraw_asks_for_confirmation(client, submit, citizen):
    application = submit()
    client.force_login(citizen)
    page = client.get(reverse("approvals:withdraw", args=[application.pk])).content.decode()
    assert f"Withdraw {application.reference}?" in page
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_REVIEW
    response = client.post(reverse("approvals:withdraw", args=[application.pk]))
    assert response.url == reverse("approvals:detail", args=[application.pk])
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert "Withdraw the application" not in client.get(response.url).content.decode()


def test_another_citizens_urls_are_404_and_change_nothing(client, submit, restaurant, citizen, officers):

    application = submit()
    draft = workflow.application_start(applicant=citizen, service=restaurant, answers={"business_name": "Mine"})
    attachment = application.attachments.get()
    client.force_login(UserFactory(email="stranger@example.org"))
    for name, args in [
        ("detail", [application.pk]), ("edit", [draft.pk, 1]), ("check", [draft.pk]), ("submitted", [application.pk]),
        ("receipt", [application.pk]), ("correct", [application.pk]), ("withdraw", [application.pk]),
        ("attachment", [application.pk, attachment.pk]), ("detail", [draft.pk]),
    ]:
        assert client.get(reverse(f"approvals:{name}", args=args)).status_code == 404, name
    for name, args, data in [
        ("edit", [draft.pk, 1], {"business_name": "Theirs"}), ("check", [draft.pk], {"declaration": "yes"}),
        ("withdraw", [application.pk], {}), ("attachment_remove", [application.pk, attachment.pk], {}),
        ("correct", [application.pk], {"seats": "1"}),
    ]:
        assert client.post(reverse(f"approvals:{name}", args=args), data).status_code == 404, name
    draft.refresh_from_db()
    application.refresh_from_db()
    assert draft.answers == {"business_name": "Mine"} and draft.status == ApplicationStatus.DRAFT
    assert application.status == ApplicationStatus.IN_REVIEW and application.attachments.count() == 1

    # The permit too, once issued.
    for code in ("registration", "health", "tax", "fire"):
        review = application.reviews.get(department__code=code)
        workflow.review_decide(review_id=review.pk, actor=officers[code], decision="approve")
    permit = Permit.objects.get(application=application)
    permit_render(permit_id=permit.pk)
    assert client.get(reverse("permits:download", args=[permit.number])).status_code == 404

    # Every refused request is on record: 9 reads, 5 writes and the permit, by the stranger.
    denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED).order_by("pk")
    assert denied.count() == 15
    assert set(denied.values_list("actor_label", flat=True)) == {"stranger@example.org"}
    assert denied.last().object_type == "permit"
    assert denied.last().details == {"path": reverse("permits:download", args=[permit.number])}


def test_start_needs_a_citizen_and_a_post(client, restaurant, officers):
    url = reverse("approvals:start", args=[restaurant.slug])
    response = client.post(url)
    assert response.status_code == 302 and reverse("accounts:login") in response.url
    client.force_login(UserFactory(email="someone@example.org"))
    assert client.get(url).url == reverse("service_detail", args=[restaurant.slug])
    client.force_login(officers["health"])
    assert client.post(url).status_code == 404
    assert not Application.objects.exists()
