"""The review page: need to know, the SLA clock, internal notes, history, decisions, audit."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from approvals import consultation, sharing, workflow
from approvals.models import InternalNote, ReviewStatus
from approvals.sla import local_today
from audit.models import Action, AuditEvent
from departments.models import Department, StandardReason
from tests.factories import officer
from workspace import selectors

pytestmark = pytest.mark.django_db


def review_of(application, code):
    return application.reviews.select_related("department").get(department__code=code)


def page(client, review):
    response = client.get(reverse("departments:review", args=[review.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_no_identity_and_only_the_departments_fields(client, application, officers):
    review = review_of(application, "health")
    client.force_login(officers["health"])
    html = page(client, review)
    # Health's requirement lists none of the applicant's identity (test_need_to_know.py).
    for text in ["Wang Fang", "wang.fang@example.org", "+86 138 0000 0000", "110101199001011234"]:
        assert text not in html
    assert "Golden Dragon" in html and "plan.pdf" in html  # business_name, floor_plan: health's
    assert "1 Harbour Road" not in html  # site_address: fire only
    assert "Cuisine" not in html  # registration only


def test_labels_follow_the_officers_language(client, application, officers):
    review = review_of(application, "registration")
    client.force_login(officers["registration"])
    html = client.get(reverse("departments:review", args=[review.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<dt class="col-sm-4">business_name</dt>' in html
    assert '<dt class="col-sm-4">Business name</dt>' not in html


def test_other_departments_status_and_conditions(client, application, officers):
    tax = review_of(application, "tax")
    workflow.review_decide(review_id=tax.pk, actor=officers["tax"], decision="approve", conditions="File monthly returns")
    client.force_login(officers["health"])
    html = page(client, review_of(application, "health"))
    assert "Tax Bureau" in html and "File monthly returns" in html


def test_sla_clock_cards_pause_and_extension(client, application, officers):
    review = review_of(application, "health")
    client.force_login(officers["health"])
    html = page(client, review)
    assert date_format(review.due_date, "SHORT_DATE_FORMAT") in html
    assert date_format(review.remind_on, "SHORT_DATE_FORMAT") in html
    assert "Yellow card" not in html
    review.yellow_at = timezone.now()
    review.save(update_fields=["yellow_at"])
    assert "Yellow card" in page(client, review)
    review.red_at = timezone.now()
    review.save(update_fields=["red_at"])
    assert "Red card" in page(client, review)

    client.force_login(officers["health_supervisor"])
    new_due = review.due_date + timedelta(days=10)
    response = client.post(reverse("departments:extend", args=[review.pk]),
                           {"extend-due_date": new_due.isoformat(), "extend-reason": "Site visit needed"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.due_date == new_due and review.extension_reason == "Site visit needed"
    assert "Site visit needed" in page(client, review)

    workflow.review_decide(review_id=review.pk, actor=officers["health"], decision="correction",
                           correction_fields=["seats"], message="How many seats exactly?")
    html = page(client, review)
    assert "waiting on the applicant" in html and date_format(local_today(), "SHORT_DATE_FORMAT") in html


def test_extend_form_only_for_supervisors_and_validated(client, application, officers):
    review = review_of(application, "health")
    client.force_login(officers["health"])
    assert 'name="extend-reason"' not in page(client, review)
    url = reverse("departments:extend", args=[review.pk])
    response = client.post(url, {"extend-due_date": (review.due_date + timedelta(days=3)).isoformat(),
                                 "extend-reason": "x"})
    assert response.status_code == 403
    client.force_login(officers["health_supervisor"])
    assert 'name="extend-reason"' in page(client, review)
    response = client.post(url, {"extend-due_date": review.due_date.isoformat(), "extend-reason": "later"})
    assert response.status_code == 400  # not later than the current due date
    before = review.due_date
    review.refresh_from_db()
    assert review.due_date == before and review.extension_reason == ""


def test_internal_notes_stay_in_the_department(client, application, officers, citizen):
    review = review_of(application, "health")
    client.force_login(officers["health"])
    response = client.post(reverse("departments:note_add", args=[review.pk]), {"body": "Check the kitchen exhaust"})
    assert response.status_code == 302
    note = InternalNote.objects.get()
    assert note.review == review and note.author == officers["health"]
    assert "Check the kitchen exhaust" in page(client, review)
    client.force_login(officers["health_supervisor"])
    assert "Check the kitchen exhaust" in page(client, review)

    client.force_login(officers["tax"])
    assert "Check the kitchen exhaust" not in page(client, review_of(application, "tax"))
    assert client.post(reverse("departments:note_add", args=[review.pk]), {"body": "sneaky"}).status_code == 404
    client.force_login(citizen)
    html = client.get(reverse("approvals:detail", args=[application.pk])).content.decode()
    assert "Check the kitchen exhaust" not in html
    assert InternalNote.objects.count() == 1


def test_note_is_validated(client, application, officers):
    review = review_of(application, "health")
    client.force_login(officers["health"])
    url = reverse("departments:note_add", args=[review.pk])
    assert client.post(url, {"body": "   "}).status_code == 400
    assert client.post(url, {"body": "x" * 4001}).status_code == 400
    assert not InternalNote.objects.exists()


def test_history_shows_transitions_and_own_views_only(client, application, officers):
    client.force_login(officers["tax"])
    page(client, review_of(application, "tax"))  # tax views: not health's business
    workflow.review_decide(review_id=review_of(application, "tax").pk, actor=officers["tax"], decision="approve")
    client.force_login(officers["health"])
    review = review_of(application, "health")
    page(client, review)
    history = list(selectors.application_history(review))
    actions = [(e.action, e.department_code) for e in history]
    assert (Action.APPLICATION_SUBMITTED, "") in actions
    assert (Action.REVIEW_APPROVED, "tax") in actions
    assert (Action.REVIEW_VIEWED, "health") in actions
    assert (Action.REVIEW_VIEWED, "tax") not in actions
    html = page(client, review)
    assert "Review approved" in html and "Application submitted" in html


def test_the_page_shows_the_latest_history_and_links_to_the_rest(client, application, officers, monkeypatch):
    monkeypatch.setattr(selectors, "HISTORY_SHOWN", 3)
    review = review_of(application, "health")
    client.force_login(officers["health"])
    for _ in range(3):
        page(client, review)  # three views, after the submission's events
    response = client.get(reverse("departments:review", args=[review.pk]))
    everything = [e.pk for e in selectors.application_history(review)]  # including this page's own view
    assert len(everything) > 3
    assert [e.pk for e in response.context["history"]] == everything[-3:]
    assert response.context["history_earlier"] is True
    assert 'href="?history=all#history"' in response.content.decode()
    full = client.get(reverse("departments:review", args=[review.pk]), {"history": "all"})
    assert [e.pk for e in full.context["history"]] == [e.pk for e in selectors.application_history(review)]
    assert full.context["history_earlier"] is False and 'href="?history=all#history"' not in full.content.decode()


def test_views_and_downloads_are_audited_with_a_purpose(client, application, officers):
    review = review_of(application, "health")
    client.force_login(officers["health"])
    html = page(client, review)
    event = AuditEvent.objects.get(action=Action.REVIEW_VIEWED)
    assert (event.purpose, event.actor, event.department_code, event.subject_id) == (
        "review", officers["health"], "health", application.applicant_id)
    attachment = application.attachments.get()
    assert reverse("departments:attachment", args=[review.pk, attachment.pk]) in html
    response = client.get(reverse("departments:attachment", args=[review.pk, attachment.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=Action.ATTACHMENT_VIEWED)
    assert (event.purpose, event.object_id) == ("download", str(attachment.pk))
    # The registration department does not get the floor plan.
    client.force_login(officers["registration"])
    registration = review_of(application, "registration")
    response = client.get(reverse("departments:attachment", args=[registration.pk, attachment.pk]))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action=Action.ATTACHMENT_VIEWED).count() == 1
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=officers["registration"]).exists()


def test_reject_combines_standard_reason_and_details(client, application, officers, citizen):
    health = review_of(application, "health")
    reason = StandardReason.objects.create(department=health.department, position=1,
                                           text={"en": "The floor plan is unreadable", "zh-hans": "平面图无法辨认"})
    StandardReason.objects.create(department=health.department, position=2, active=False,
                                  text={"en": "Retired reason", "zh-hans": "停用"})
    other = StandardReason.objects.create(department=review_of(application, "tax").department,
                                          text={"en": "Tax reason", "zh-hans": "税务"})
    client.force_login(officers["health"])
    html = page(client, health)
    assert "The floor plan is unreadable" in html
    assert "Retired reason" not in html and "Tax reason" not in html
    url = reverse("departments:decide", args=[health.pk])
    # Another department's reason is not a choice; nor is rejecting without any reason.
    assert client.post(url, {"decision": "reject", "standard_reason": other.pk, "version": health.version}).status_code == 400
    assert client.post(url, {"decision": "reject", "standard_reason": "", "version": health.version}).status_code == 400
    health.refresh_from_db()
    assert health.status == ReviewStatus.PENDING

    citizen.language = "zh-hans"
    citizen.save(update_fields=["language"])
    response = client.post(url, {"decision": "reject", "standard_reason": reason.pk, "reason": "Page 2 is blank.",
                                 "version": health.version, "confirm": "1"})
    assert response.status_code == 302
    health.refresh_from_db()
    assert health.status == ReviewStatus.REJECTED
    assert health.reason == "平面图无法辨认\nPage 2 is blank."  # in the applicant's language


def test_stale_version_is_a_clear_conflict_and_no_double_decision(client, application, officers):
    review = review_of(application, "health")
    stale = review.version
    client.force_login(officers["health"])
    workflow.review_claim(review_id=review.pk, actor=officers["health_supervisor"])
    response = client.post(reverse("departments:decide", args=[review.pk]),
                           {"decision": "approve", "version": stale, "confirm": "1"}, follow=True)
    assert "Your decision was not recorded" in response.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.IN_PROGRESS and review.decided_at is None

    client.force_login(officers["health_supervisor"])
    url = reverse("departments:decide", args=[review.pk])
    assert client.post(url, {"decision": "approve", "version": review.version, "confirm": "1"}).status_code == 302
    review.refresh_from_db()
    decided_version = review.version
    # The same form posted again (double click, second tab) does not decide twice.
    response = client.post(url, {"decision": "reject", "reason": "no", "version": decided_version - 1, "confirm": "1"},
                           follow=True)
    assert "Your decision was not recorded" in response.content.decode()
    response = client.post(url, {"decision": "reject", "reason": "no", "version": decided_version, "confirm": "1"},
                           follow=True)
    assert "Your decision was not recorded" in response.content.decode()
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED and review.version == decided_version
    assert AuditEvent.objects.filter(action__in=[Action.REVIEW_APPROVED, Action.REVIEW_REJECTED]).count() == 1


def snapshot(application):
    return (
        list(application.reviews.order_by("pk").values()),
        list(InternalNote.objects.values()),
        list(AuditEvent.objects.exclude(action__in=[Action.ACCESS_DENIED, Action.REVIEW_VIEWED]).values_list("pk", flat=True)),
    )


def test_tampered_posts_change_nothing(client, application, officers):
    health, tax = review_of(application, "health"), review_of(application, "tax")
    client.force_login(officers["health"])
    before = snapshot(application)
    url = reverse("departments:decide", args=[health.pk])
    # A decision outside the choices.
    assert client.post(url, {"decision": "promote", "version": health.version}).status_code == 400
    # A correction naming a field the department does not own.
    response = client.post(url, {"decision": "correction", "correction_fields": ["site_address"], "message": "x",
                                 "version": health.version})
    assert response.status_code == 400
    # Another department's review in the URL, with that review's version.
    response = client.post(reverse("departments:decide", args=[tax.pk]), {"decision": "approve", "version": tax.version})
    assert response.status_code == 404
    # A version that is not this review's.
    response = client.post(url, {"decision": "approve", "version": health.version + 7, "confirm": "1"})
    assert response.status_code == 302
    # A version that is not a number.
    assert client.post(url, {"decision": "approve", "version": "latest"}).status_code == 400
    assert snapshot(application) == before


def test_review_page_query_count_is_constant(client, application, officers, citizen):
    """One of each list on the page (notes, messages, reasons, shares, history, other departments'
    conditions) costs the same statements as three of each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext


    health, supervisor = review_of(application, "health"), officers["health_supervisor"]
    others = Department.objects.exclude(code="health").order_by("code")

    def add_one(n):
        InternalNote.objects.create(review=health, author=officers["health"], body=f"Note {n}")
        consultation.message_send_by_department(review_id=health.pk, actor=officers["health"], body=f"Question {n}")
        consultation.message_send_by_citizen(application_id=application.pk, actor=citizen,
                                             department_id=health.department_id, body=f"Answer {n}")
        StandardReason.objects.create(department=health.department, text={"en": f"Reason {n}"}, position=n)
        sharing.application_share(review_id=health.pk, actor=supervisor, department_id=others[n].pk, days=2,
                                  reason=f"Opinion {n}")

    def count():
        page(client, health)  # the first open of a session also writes it
        with CaptureQueriesContext(connection) as queries:
            page(client, health)
        return queries

    client.force_login(supervisor)
    add_one(0)
    one = count()
    add_one(1)
    add_one(2)
    workflow.review_decide(review_id=review_of(application, "tax").pk, actor=officers["tax"], decision="approve",
                           conditions="File monthly returns")
    three = count()
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)


def test_release_is_offered_to_the_holder_and_to_a_supervisor_not_to_another_officer(client, application, officers):
    review = review_of(application, "health")
    workflow.review_claim(review_id=review.pk, actor=officers["health"])
    release = reverse("departments:release", args=[review.pk])
    offered = {}
    for who in ("health", "health_supervisor"):
        client.force_login(officers[who])
        offered[who] = f'action="{release}"' in page(client, review)
    client.force_login(officer(review.department, email="second.health@example.gov"))
    html = page(client, review)
    offered["another officer"] = f'action="{release}"' in html
    assert offered == {"health": True, "health_supervisor": True, "another officer": False}
    assert 'id="decision-title"' in html and reverse("departments:decide", args=[review.pk]) not in html
