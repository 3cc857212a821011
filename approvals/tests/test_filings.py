"""Record filing after approval in the engine: the approval that issues the permit tells each body
its version names, once, in the same transaction (their officers notified, each filing audited);
the body sees exactly what its filing lists; it acknowledges once."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction

from approvals import workflow
from approvals.filings import AlreadyAcknowledged, filing_acknowledge
from approvals.models import ApplicationStatus, Filing, Notification, NotificationKind
from approvals.need_to_know import filing_need_to_know
from approvals.notifications import build_email
from audit.models import Action, AuditEvent
from catalogue.models import FilingRequirement
from catalogue.schema import service_publish
from tests.filing_fixtures import approve

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 12, 7, 9, 30, tzinfo=ZoneInfo(settings.TIME_ZONE))


def filings_of(application):
    return list(Filing.objects.filter(application=application).select_related("department")
                .order_by("department__code"))


def test_the_approval_tells_each_body_once_in_its_own_transaction(told_submit, told_staff, time_machine):
    time_machine.move_to(MONDAY, tick=False)
    application = told_submit()
    for stage in (1, 2):
        assert not Filing.objects.exists()  # submitted, or a stage approved: no approval yet
        workflow.application_route(application_ids=[application.pk])
        for review in application.reviews.filter(stage=stage).select_related("department"):
            workflow.review_decide(review_id=review.pk, actor=told_staff[review.department.code], decision="approve")
    application.refresh_from_db()

    assert application.status == ApplicationStatus.APPROVED
    filings = filings_of(application)
    # Five working days after the approval: Tuesday to Friday, and Monday.
    assert [(f.department.code, f.created_at, f.acknowledge_by, f.acknowledged_at) for f in filings] == [
        ("statistics", application.decided_at, date(2026, 12, 14), None),
        ("subdistrict", application.decided_at, date(2026, 12, 14), None)]
    # Their officers are told (not the reviewing departments', not the supervisors).
    told = Notification.objects.filter(kind=NotificationKind.FILING_RECEIVED).order_by("recipient__email")
    assert [(n.recipient, n.application_id, n.params) for n in told] == [
        (told_staff["statistics"], application.pk, {"filing": filings[0].pk, "due_date": "2026-12-14"}),
        (told_staff["subdistrict"], application.pk, {"filing": filings[1].pk, "due_date": "2026-12-14"})]
    # Each on record, naming what the body is told (the questions and details, never an answer).
    events = AuditEvent.objects.filter(action=Action.FILING_CREATED).order_by("department_code")
    assert [(e.object_type, e.object_id, e.department_code, e.subject_id, e.actor_id, e.details) for e in events] == [
        ("filing", str(filings[0].pk), "statistics", application.applicant_id, None,
         {"fields": ["cuisine"], "acknowledge_by": "2026-12-14"}),
        ("filing", str(filings[1].pk), "subdistrict", application.applicant_id, None,
         {"fields": ["contact_phone", "business_name", "seats"], "identity": ["name", "phone"],
          "acknowledge_by": "2026-12-14"})]
    # In the approving transaction: the approval's own events come first, in the same insert.
    approved = AuditEvent.objects.get(action=Action.APPLICATION_APPROVED)
    assert {e.at for e in events} == {approved.at}


def test_the_mail_names_the_reference_never_the_person(approved, told_staff):
    notice = Notification.objects.get(kind=NotificationKind.FILING_RECEIVED, recipient=told_staff["subdistrict"])
    email = build_email(notice)
    filing = Filing.objects.get(application=approved, department__code="subdistrict")
    assert email.subject == f"[{approved.reference}] Approved application filed with your department"
    assert (f"Application {approved.reference} was approved, and your department is told of it by filing. Open the "
            f"filing to read it, and acknowledge it by {filing.acknowledge_by.isoformat()}.") in email.body
    assert f"/officer/filings/{filing.pk}/" in email.body
    assert approved.applicant.full_name not in email.body + email.subject


def test_a_rejection_tells_nobody(told_submit, told_staff):
    application = told_submit()
    workflow.application_route(application_ids=[application.pk])
    review = application.reviews.filter(stage=1).first()
    workflow.review_decide(review_id=review.pk, actor=told_staff[review.department.code], decision="reject",
                           reason="Not zoned for catering.")
    assert not Filing.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.FILING_CREATED).exists()


def test_an_application_keeps_the_filings_of_its_version(told_service, told_submit, told_staff):
    """An application started on a version naming two bodies tells both, even after one was taken
    off the service; one started on the next version tells the other alone."""
    requirements = FilingRequirement.objects.filter(service=told_service)
    kept = list(requirements.values_list("department__code", "identity"))
    before = told_submit()  # told to both bodies
    requirements.filter(department__code="statistics").delete()
    assert service_publish(service=told_service).number == 2
    told_service.refresh_from_db()
    after = told_submit()  # told to the sub-district office alone

    approve(before, told_staff)
    approve(after, told_staff)

    assert [f.department.code for f in filings_of(before)] == ["statistics", "subdistrict"]
    assert [f.department.code for f in filings_of(after)] == ["subdistrict"]
    assert kept == [("subdistrict", ["name", "phone"]), ("statistics", [])]


def test_the_unique_constraint_backs_exactly_once(approved):
    filing = Filing.objects.filter(application=approved).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Filing.objects.create(application=approved, department_id=filing.department_id, acknowledge_by=date(2026, 1, 1))


# --- Need to know ---------------------------------------------------------------------------------


def test_each_body_sees_exactly_what_its_filing_lists(approved):
    subdistrict, statistics = (Filing.objects.select_related("application__applicant", "department")
                               .get(application=approved, department__code=code) for code in ("subdistrict", "statistics"))
    view = filing_need_to_know(subdistrict)
    assert [(row["spec"]["key"], row["value"]) for row in view["rows"]] == [
        ("contact_phone", "+86 21 5555 0100"), ("business_name", "Golden Dragon"), ("seats", 40)]
    # The name and the phone of the profile: not the e-mail address, not the identity document number.
    assert [(row.attribute, row.value) for row in view["identity"]] == [
        ("full_name", "Wang Fang"), ("phone", "+86 138 0000 0000")]
    assert view["permit"] == approved.permits.get()
    view = filing_need_to_know(statistics)
    assert [(row["spec"]["key"], row["value"]) for row in view["rows"]] == [("cuisine", "chinese")]
    assert view["identity"] == []


# --- Acknowledging --------------------------------------------------------------------------------


def test_an_officer_of_the_department_acknowledges_once(approved, told_staff):
    filing = Filing.objects.get(application=approved, department__code="subdistrict")

    acknowledged = filing_acknowledge(filing_id=filing.pk, actor=told_staff["subdistrict"], ip="203.0.113.5")

    filing.refresh_from_db()
    assert (filing.acknowledged_at, filing.acknowledged_by) == (acknowledged.acknowledged_at, told_staff["subdistrict"])
    event = AuditEvent.objects.get(action=Action.FILING_ACKNOWLEDGED)
    assert (event.actor, event.object_type, event.object_id, event.department_code, event.subject_id, event.ip) == (
        told_staff["subdistrict"], "filing", str(filing.pk), "subdistrict", approved.applicant_id, "203.0.113.5")
    # Twice, by a supervisor too: a clear answer, nothing recorded.
    with pytest.raises(AlreadyAcknowledged, match=r"^This filing was already acknowledged on "):
        filing_acknowledge(filing_id=filing.pk, actor=told_staff["subdistrict_supervisor"])
    filing.refresh_from_db()
    assert filing.acknowledged_by == told_staff["subdistrict"]
    assert AuditEvent.objects.filter(action=Action.FILING_ACKNOWLEDGED).count() == 1


@pytest.mark.parametrize("who", ["statistics", "registration", "citizen"])
def test_anyone_else_finds_no_such_filing_and_changes_nothing(approved, told_staff, citizen, who):
    filing = Filing.objects.get(application=approved, department__code="subdistrict")
    actor = citizen if who == "citizen" else told_staff[who]
    with pytest.raises(Filing.DoesNotExist):
        filing_acknowledge(filing_id=filing.pk, actor=actor)
    filing.refresh_from_db()
    assert (filing.acknowledged_at, filing.acknowledged_by) == (None, None)
    assert not AuditEvent.objects.filter(action=Action.FILING_ACKNOWLEDGED).exists()


# --- The applicant's page --------------------------------------------------------------------------


def test_the_applicant_sees_which_bodies_were_told_and_whether_they_acknowledged(
        client, told_submit, told_staff, citizen):
    from django.urls import reverse

    application = told_submit()
    client.force_login(citizen)
    url = reverse("approvals:detail", args=[application.pk])
    assert "Told of your approval" not in client.get(url).content.decode()

    approve(application, told_staff)
    filing = Filing.objects.get(application=application, department__code="subdistrict")
    filing_acknowledge(filing_id=filing.pk, actor=told_staff["subdistrict"])
    response = client.get(url)

    page = " ".join(response.content.decode().split())
    local = filing.created_at.astimezone(ZoneInfo(settings.TIME_ZONE))
    day = f"{local.day} {local:%b %Y}"
    assert [(b.department.code, b.answers, b.identity) for b in response.context["told"]] == [
        ("statistics", [{"en": "Cuisine", "zh-hans": "cuisine"}], []),
        ("subdistrict", [{"en": "Contact phone", "zh-hans": "contact_phone"}, {"en": "Business name",
                                                                              "zh-hans": "business_name"},
                         {"en": "Seats", "zh-hans": "seats"}], ["Name", "Phone"])]
    assert f"<strong>Statistics Bureau</strong>: told on {day}, not acknowledged yet" in page
    assert f"<strong>Subdistrict Bureau</strong>: told on {day}, acknowledged on {day}" in page
    assert "Told: Contact phone, Business name, Seats, your name, your phone</div>" in page
    assert "Told: Cuisine</div>" in page
    # The department, never who in it.
    assert told_staff["subdistrict"].full_name not in page


def test_the_applicant_sees_who_read_and_acknowledged_their_filing(client, approved, told_staff, citizen):
    from django.urls import reverse

    from approvals.selectors import who_viewed_page

    filing = Filing.objects.get(application=approved, department__code="subdistrict")
    client.force_login(told_staff["subdistrict"])
    client.get(reverse("departments:filing", args=[filing.pk]))
    client.post(reverse("departments:filing_acknowledge", args=[filing.pk]))

    rows = [r for r in who_viewed_page(citizen).object_list if r.department == "Subdistrict Bureau"]
    assert [(r.staff_name, r.department, r.action, r.purpose, r.reference) for r in rows] == [
        (told_staff["subdistrict"].full_name, "Subdistrict Bureau", "Acknowledged being told of your approved application",
         "Being told of your approved application (filing after approval)", approved.reference),
        (told_staff["subdistrict"].full_name, "Subdistrict Bureau", "Read what it is told of your approved application",
         "Being told of your approved application (filing after approval)", approved.reference)]
