"""Complaints in the engine, with frozen time and exact dates.

Filed on Friday 2026-11-20 (no holidays in November or early December, Monday to Friday) with
COMPLAINT_ANSWER_DAYS = 10: the reminder goes out on working day 7, Tuesday 12-01; the answer is
due on working day 10, Friday 12-04; overdue from Monday 12-07."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail

from approvals import complaint_selectors, complaints
from approvals.complaint_links import LinkExpired, LinkInvalid, confirm_token
from approvals.complaint_mail import complaint_mail_send
from approvals.complaints import Grounds
from approvals.models import (
    Application,
    Complaint,
    ComplaintAbout,
    ComplaintAnswer,
    ComplaintCategory,
    ComplaintMail,
    ComplaintStatus,
    Notification,
    NotificationKind,
)
from approvals.notifications import notification_send_email
from audit.models import Action, AuditEvent
from core.errors import InvalidTransition, ValidationFailed
from departments.models import Department
from tests.complaint_fixtures import application_grounds
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(settings.TIME_ZONE))


@pytest.fixture
def on(time_machine):
    def _on(day: date, hour: int = 12):
        time_machine.move_to(at(day, hour), tick=False)

    return _on


@pytest.fixture
def filed(routed_application, citizen, office, on, settings):
    settings.COMPLAINT_ANSWER_DAYS = 10
    on(date(2026, 11, 20))
    return complaints.complaint_file(complainant=citizen, grounds=application_grounds(routed_application), ip="10.0.0.1")


def events(action, complaint) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_type="complaint", object_id=str(complaint.pk)))


def notified(kind) -> list[tuple[int, dict]]:
    return sorted((n.recipient_id, n.params) for n in Notification.objects.filter(kind=kind))


# --- Routing ------------------------------------------------------------------------------------------


def test_a_complaint_about_an_application_goes_to_the_departments_supervisor_with_a_working_day_clock(
        filed, officers, citizen, routed_application):
    filed.refresh_from_db()
    supervisor = officers["health_supervisor"]
    assert (filed.status, filed.handler_id, filed.handling_department.code) == ("open", supervisor.pk, "health")
    assert (filed.remind_on, filed.due_date) == (date(2026, 12, 1), date(2026, 12, 4))
    assert filed.reference == f"C-2026-{filed.pk:06d}"
    assert (filed.application_id, filed.department.code, filed.officer_id) == (routed_application.pk, "health", None)
    params = {"complaint": filed.pk, "reference": filed.reference, "due_date": "2026-12-04"}
    assert notified(NotificationKind.COMPLAINT_ASSIGNED) == [(supervisor.pk, params)]
    assert notified(NotificationKind.COMPLAINT_RECEIVED) == [(citizen.pk, params)]
    filed_event, = events(Action.COMPLAINT_FILED, filed)
    assert (filed_event.actor_id, filed_event.subject_id, filed_event.application_id, filed_event.ip) == (
        citizen.pk, citizen.pk, routed_application.pk, "10.0.0.1")
    assigned, = events(Action.COMPLAINT_ASSIGNED, filed)
    assert assigned.details == {"handler": supervisor.pk, "level": 1}


def test_the_remind_day_is_a_tuesday_after_a_weekend(filed):
    # 7 working days after Friday 11-20: 23, 24, 25, 26, 27, 30, 12-01.
    assert filed.remind_on == date(2026, 12, 1)


def test_a_complaint_about_a_department_as_a_whole_goes_to_the_supervising_office(citizen, office, officers):
    health = Department.objects.get(code="health")
    complaint = complaints.complaint_file(complainant=citizen, grounds=Grounds(
        about=ComplaintAbout.DEPARTMENT, category=ComplaintCategory.OTHER, department_id=health.pk,
        text="The department never answers its telephone."))
    assert (complaint.handling_department_id, complaint.handler_id) == (office.pk, office.supervisor.pk)


def test_a_complaint_about_a_departments_supervisor_goes_to_the_office_about_an_officer_to_the_supervisor(
        citizen, office, officers):
    health = Department.objects.get(code="health")
    supervisor, health_officer = officers["health_supervisor"], officers["health"]
    supervisor.full_name, health_officer.full_name = "Sun Li", "Ma Jun"
    supervisor.save(update_fields=["full_name"])
    health_officer.save(update_fields=["full_name"])

    def about(name):
        return complaints.complaint_file(complainant=citizen, grounds=Grounds(
            about=ComplaintAbout.OFFICER, category=ComplaintCategory.CONDUCT, department_id=health.pk,
            officer_name=name, text="The officer was rude to me at the counter."))

    of_supervisor, of_officer, of_nobody = about(" sun  li "), about("MA JUN"), about("Somebody Else")
    assert (of_supervisor.officer_id, of_supervisor.handler_id) == (supervisor.pk, office.supervisor.pk)
    assert (of_officer.officer_id, of_officer.handler_id) == (health_officer.pk, supervisor.pk)
    assert (of_nobody.officer_id, of_nobody.officer_name, of_nobody.handler_id) == (None, "Somebody Else", supervisor.pk)


def test_a_department_without_a_supervisor_sends_its_complaints_to_the_office(citizen, office, officers):
    officers["health_supervisor"].memberships.all().delete()
    health = Department.objects.get(code="health")
    complaint = complaints.complaint_file(complainant=citizen, grounds=Grounds(
        about=ComplaintAbout.OFFICER, category=ComplaintCategory.CONDUCT, department_id=health.pk,
        officer_name="Anyone", text="The officer was rude to me at the counter."))
    assert complaint.handler_id == office.supervisor.pk


def test_without_a_supervising_office_nothing_is_filed(citizen, officers):
    health = Department.objects.get(code="health")
    with pytest.raises(complaints.NoSupervisingOffice):
        complaints.complaint_file(complainant=citizen, grounds=Grounds(
            about=ComplaintAbout.DEPARTMENT, category=ComplaintCategory.OTHER, department_id=health.pk,
            text="The department never answers its telephone."))
    assert Complaint.objects.count() == 0


def test_another_citizens_application_is_not_found_and_nothing_is_written(routed_application, office):
    stranger = UserFactory(email="stranger@example.org")
    with pytest.raises(Application.DoesNotExist):
        complaints.complaint_file(complainant=stranger, grounds=application_grounds(routed_application))
    assert (Complaint.objects.count(), Notification.objects.filter(kind__startswith="complaint").count()) == (0, 0)


def test_bad_grounds_name_every_problem(citizen, office):
    with pytest.raises(ValidationFailed) as exc:
        complaints.complaint_file(complainant=citizen, grounds=Grounds(
            about=ComplaintAbout.OFFICER, category="nonsense", text="  too short  "))
    assert exc.value.errors == {
        "category": ["Choose the kind of complaint."],
        "text": ["Describe what happened in at least 20 characters."],
        "department_id": ["Choose the department your complaint is about."],
        "officer_name": ["Give the officer's name as you know it."],
    }
    assert Complaint.objects.count() == 0


# --- Reminders and escalation when overdue ------------------------------------------------------------------


def test_reminder_and_overdue_notice_each_go_once_on_their_day_with_two_beats(filed, officers, on):
    supervisor = officers["health_supervisor"]
    nothing = {"complaint_reminders": 0, "complaint_overdue": 0}
    on(date(2026, 11, 30))
    assert complaints.complaint_scan() == nothing
    on(date(2026, 12, 1))
    assert complaints.complaint_scan() == {"complaint_reminders": 1, "complaint_overdue": 0}
    assert complaints.complaint_scan() == nothing  # the second beat finds nothing left to claim
    on(date(2026, 12, 4))
    assert complaints.complaint_scan() == nothing  # due today: not overdue yet
    on(date(2026, 12, 7))
    assert complaints.complaint_scan() == {"complaint_reminders": 0, "complaint_overdue": 1}
    assert complaints.complaint_scan() == nothing
    assert [r for r, _p in notified(NotificationKind.COMPLAINT_REMINDER)] == [supervisor.pk]
    assert [r for r, _p in notified(NotificationKind.COMPLAINT_OVERDUE)] == [supervisor.pk]  # handler = supervisor
    overdue, = events(Action.COMPLAINT_OVERDUE, filed)
    assert (overdue.department_code, overdue.details) == ("health", {"level": 1})


def test_the_overdue_notice_goes_to_the_handler_and_every_supervisor(filed, officers, on):
    colleague = officers["health"]
    complaints.complaint_reassign(complaint_id=filed.pk, actor=officers["health_supervisor"], handler_id=colleague.pk)
    on(date(2026, 12, 7))
    assert complaints.complaint_scan() == {"complaint_reminders": 0, "complaint_overdue": 1}
    assert sorted(r for r, _p in notified(NotificationKind.COMPLAINT_OVERDUE)) == sorted(
        [colleague.pk, officers["health_supervisor"].pk])


def test_an_answered_complaint_is_neither_reminded_nor_overdue(filed, officers, on):
    complaints.complaint_answer(complaint_id=filed.pk, actor=officers["health_supervisor"],
                                text="We apologise: it is decided now.", upheld=True)
    on(date(2026, 12, 8))
    assert complaints.complaint_scan() == {"complaint_reminders": 0, "complaint_overdue": 0}


# --- Reassigning and answering ----------------------------------------------------------------------------


def test_a_supervisor_reassigns_to_a_colleague_never_elsewhere(filed, officers, office):
    supervisor = officers["health_supervisor"]
    with pytest.raises(ValidationFailed) as exc:
        complaints.complaint_reassign(complaint_id=filed.pk, actor=supervisor, handler_id=office.officer.pk)
    assert exc.value.errors == {"handler": ["Choose a colleague of the handling department."]}
    with pytest.raises(Complaint.DoesNotExist):  # an officer of another department
        complaints.complaint_reassign(complaint_id=filed.pk, actor=officers["tax"], handler_id=officers["tax"].pk)
    complaints.complaint_reassign(complaint_id=filed.pk, actor=supervisor, handler_id=officers["health"].pk, ip="10.0.0.2")
    filed.refresh_from_db()
    assert filed.handler_id == officers["health"].pk
    assert [e.details for e in events(Action.COMPLAINT_ASSIGNED, filed)] == [
        {"handler": supervisor.pk, "level": 1}, {"handler": officers["health"].pk}]


def test_an_answer_needs_text_and_the_handler(filed, officers):
    with pytest.raises(ValidationFailed) as exc:
        complaints.complaint_answer(complaint_id=filed.pk, actor=officers["health_supervisor"], text="   ", upheld=None)
    assert exc.value.errors == {"text": ["Write your answer to the complaint."],
                                "upheld": ["Say whether the complaint is upheld."]}
    with pytest.raises(Complaint.DoesNotExist):
        complaints.complaint_answer(complaint_id=filed.pk, actor=officers["tax_supervisor"], text="Not ours.",
                                    upheld=False)
    assert ComplaintAnswer.objects.count() == 0
    assert Complaint.objects.get(pk=filed.pk).status == ComplaintStatus.OPEN


# --- The verdict: escalation exactly once ------------------------------------------------------------------


def test_not_satisfied_escalates_once_to_the_office_whose_answer_closes_it(filed, officers, office, citizen, on):
    supervisor = officers["health_supervisor"]
    on(date(2026, 11, 25))
    complaints.complaint_answer(complaint_id=filed.pk, actor=supervisor, text="Your file was complete; it is decided.",
                                upheld=False)
    with pytest.raises(ValidationFailed) as exc:
        complaints.complaint_verdict(complaint_id=filed.pk, actor=citizen, satisfied=False, reason="  ")
    assert exc.value.errors == {"reason": ["Tell us why you are not satisfied with the answer."]}
    with pytest.raises(Complaint.DoesNotExist):
        complaints.complaint_verdict(complaint_id=filed.pk, actor=UserFactory(), satisfied=True)

    complaints.complaint_verdict(complaint_id=filed.pk, actor=citizen, satisfied=False, reason="It took five weeks.")
    filed.refresh_from_db()
    # Wednesday 11-25 + 10 working days: Wednesday 12-09.
    assert (filed.status, filed.handler_id, filed.handling_department_id, filed.due_date) == (
        "escalated", office.supervisor.pk, office.pk, date(2026, 12, 9))
    assert (filed.answered_in_time, filed.upheld) == (True, False)
    with pytest.raises(InvalidTransition):  # the verdict twice
        complaints.complaint_verdict(complaint_id=filed.pk, actor=citizen, satisfied=False, reason="Again.")
    with pytest.raises(Complaint.DoesNotExist):  # the department's handler no longer answers
        complaints.complaint_answer(complaint_id=filed.pk, actor=supervisor, text="More.", upheld=False)

    complaints.complaint_answer(complaint_id=filed.pk, actor=office.supervisor, text="The department was slow.",
                                upheld=True)
    complaints.complaint_verdict(complaint_id=filed.pk, actor=citizen, satisfied=False, reason="Still unhappy.")
    filed.refresh_from_db()
    assert (filed.status, filed.upheld, filed.handler_id) == ("closed", True, office.supervisor.pk)
    assert [(a.level, a.department_id, a.upheld, a.satisfied, a.verdict_reason) for a in filed.answers.all()] == [
        (1, filed.department_id, False, False, "It took five weeks."),
        (2, office.pk, True, False, "Still unhappy.")]
    assert len(events(Action.COMPLAINT_ESCALATED, filed)) == 1
    assert len(events(Action.COMPLAINT_VERDICT, filed)) == 2
    assert [r for r, _p in notified(NotificationKind.COMPLAINT_ESCALATED)] == [citizen.pk]
    assert [r for r, _p in notified(NotificationKind.COMPLAINT_ASSIGNED)] == sorted([supervisor.pk, office.supervisor.pk])
    with pytest.raises(InvalidTransition):
        complaints.complaint_verdict(complaint_id=filed.pk, actor=citizen, satisfied=True)


def mails_of(kind) -> list:
    """Sends the mail of each notification of this kind; returns the messages, in recipient order."""
    mail.outbox.clear()
    for n in Notification.objects.filter(kind=kind).order_by("recipient_id"):
        assert notification_send_email(notification_id=n.pk) == "sent"
    return list(mail.outbox)


def test_the_first_answerer_is_told_once_where_the_complaint_went(filed, officers, office, citizen, on, settings):
    settings.SITE_URL = "https://portal.example.gov"
    supervisor = officers["health_supervisor"]
    on(date(2026, 11, 25))
    complaints.complaint_answer(complaint_id=filed.pk, actor=supervisor, text="Your file was complete; it is decided.",
                                upheld=False)
    before = set(Notification.objects.values_list("pk", flat=True))
    complaints.complaint_verdict(complaint_id=filed.pk, actor=citizen, satisfied=False, reason="It took five weeks.")

    filed.refresh_from_db()
    params = {"complaint": filed.pk, "reference": filed.reference, "due_date": "2026-12-09"}
    made = Notification.objects.exclude(pk__in=before)
    assert sorted((n.recipient_id, n.kind, n.params) for n in made) == sorted([
        (supervisor.pk, NotificationKind.COMPLAINT_ESCALATED_FROM_YOU, params),
        (office.supervisor.pk, NotificationKind.COMPLAINT_ASSIGNED, params),
        (citizen.pk, NotificationKind.COMPLAINT_ESCALATED, params)])

    office_page = f"https://portal.example.gov/officer/complaints/{filed.pk}/"
    told, = mails_of(NotificationKind.COMPLAINT_ESCALATED_FROM_YOU)
    assert (told.to, told.subject) == ([supervisor.email],
                                       f"[{filed.reference}] A complaint you answered went to the supervising office")
    assert told.body == (
        f"Dear {supervisor.get_short_name()},\n\n"
        f"The complainant was not satisfied with your answer to complaint {filed.reference}: the supervising office "
        "now handles it and answers by 2026-12-09. You can still read the complaint and your answer.\n\n"
        f"{office_page}\n\n"
        "One-stop government service portal\n")
    # The complainant's and the office's mails say what they said before.
    to_citizen, = mails_of(NotificationKind.COMPLAINT_ESCALATED)
    assert (to_citizen.to, to_citizen.subject) == (
        [citizen.email], f"[{filed.reference}] Your complaint went to the supervising office")
    assert to_citizen.body == (
        f"Dear {citizen.get_short_name()},\n\n"
        f"You were not satisfied with the answer to complaint {filed.reference}: the supervising office now handles "
        "it and answers by 2026-12-09.\n\n"
        f"https://portal.example.gov/complaints/{filed.pk}/\n\n"
        "One-stop government service portal\n")
    to_office = [m for m in mails_of(NotificationKind.COMPLAINT_ASSIGNED) if m.to == [office.supervisor.email]]
    assert [(m.subject, m.body) for m in to_office] == [(
        f"[{filed.reference}] Complaint for you to answer",
        f"Dear {office.supervisor.get_short_name()},\n\n"
        f"Complaint {filed.reference} is yours to answer, by 2026-12-09.\n\n"
        f"{office_page}\n\n"
        "One-stop government service portal\n")]


def test_whoever_answers_again_at_the_office_is_told_only_as_its_handler(citizen, office, officers):
    """A complaint about a department as a whole is the office's from the start: its second answer is
    the same person's, who is told once, as the handler."""
    health = Department.objects.get(code="health")
    complaint = complaints.complaint_file(complainant=citizen, grounds=Grounds(
        about=ComplaintAbout.DEPARTMENT, category=ComplaintCategory.SLOW, department_id=health.pk,
        text="The queue at the counter took four hours."))
    complaints.complaint_answer(complaint_id=complaint.pk, actor=office.supervisor, text="We will add a counter.",
                                upheld=True)
    complaints.complaint_verdict(complaint_id=complaint.pk, actor=citizen, satisfied=False, reason="Not enough.")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.handler_id) == ("escalated", office.supervisor.pk)
    assert Notification.objects.filter(kind=NotificationKind.COMPLAINT_ESCALATED_FROM_YOU).count() == 0
    assert [r for r, _p in notified(NotificationKind.COMPLAINT_ASSIGNED)] == [office.supervisor.pk, office.supervisor.pk]


def test_satisfied_closes_it(filed, officers, citizen):
    complaints.complaint_answer(complaint_id=filed.pk, actor=officers["health_supervisor"], text="Decided today.",
                                upheld=True)
    complaints.complaint_verdict(complaint_id=filed.pk, actor=citizen, satisfied=True, reason="ignored")
    filed.refresh_from_db()
    assert (filed.status, filed.escalated_at, filed.answers.get().verdict_reason) == ("closed", None, "")


def test_an_answer_after_the_due_date_is_not_in_time(filed, officers, on):
    on(date(2026, 12, 7))
    complaints.complaint_answer(complaint_id=filed.pk, actor=officers["health_supervisor"], text="Late, sorry.",
                                upheld=True)
    assert Complaint.objects.get(pk=filed.pk).answered_in_time is False


# --- The public: confirmation by mail ----------------------------------------------------------------------


def public_grounds(department) -> Grounds:
    return Grounds(about=ComplaintAbout.DEPARTMENT, category=ComplaintCategory.SLOW, department_id=department.pk,
                   text="The queue at the counter took four hours.")


def test_a_public_complaint_waits_for_its_confirmation_then_is_routed_once(office, officers, on, mailoutbox):
    health = Department.objects.get(code="health")
    on(date(2026, 11, 20))
    complaint = complaints.complaint_file_public(name="Chen Jie", email="chen@example.net", grounds=public_grounds(health),
                                                 language="en")
    assert (complaint.status, complaint.reference, complaint.handler_id) == ("unconfirmed", None, None)
    confirm, = ComplaintMail.objects.filter(complaint=complaint)
    assert complaint_mail_send(mail_id=confirm.pk) == "sent"
    assert complaint_mail_send(mail_id=confirm.pk) == "skipped"
    message, = mailoutbox
    assert (message.to, message.subject) == (["chen@example.net"], "Confirm your complaint")
    token = confirm_token(complaint.pk)
    assert f"/complaints/confirm/{token}/" in message.body

    routed = complaints.complaint_confirm(token=token, ip="10.0.0.3")
    assert (routed.status, routed.handler_id, routed.due_date) == ("open", office.supervisor.pk, date(2026, 12, 4))
    with pytest.raises(InvalidTransition):
        complaints.complaint_confirm(token=token)
    received = ComplaintMail.objects.filter(complaint=complaint).exclude(pk=confirm.pk).get()
    assert received.kind == NotificationKind.COMPLAINT_RECEIVED
    assert complaint_mail_send(mail_id=received.pk) == "sent"
    assert f"[{routed.reference}] Complaint received" == mailoutbox[1].subject
    assert "/complaints/follow/" in mailoutbox[1].body
    assert len(events(Action.COMPLAINT_FILED, complaint)) == 1


def test_an_expired_or_forged_confirmation_link_routes_nothing(office, officers, on):
    health = Department.objects.get(code="health")
    on(date(2026, 11, 20))
    complaint = complaints.complaint_file_public(name="", email="chen@example.net", grounds=public_grounds(health),
                                                 language="en")
    token = confirm_token(complaint.pk)
    on(date(2026, 11, 23))  # 72 hours later, past COMPLAINT_CONFIRM_HOURS (48)
    with pytest.raises(LinkExpired):
        complaints.complaint_confirm(token=token)
    with pytest.raises(LinkInvalid):
        complaints.complaint_confirm(token=token[:-2] + "xx")
    assert Complaint.objects.get(pk=complaint.pk).status == ComplaintStatus.UNCONFIRMED


def test_a_complaint_never_confirmed_is_forgotten_a_day_after_its_link_expired(office, officers, on):
    """Never routed and never read, it only holds a stranger's address: the daily prune deletes it
    with its mail; a confirmed one, and one whose link still works, stay."""
    health = Department.objects.get(code="health")
    on(date(2026, 11, 20), hour=9)
    forgotten = complaints.complaint_file_public(name="", email="chen@example.net", grounds=public_grounds(health),
                                                 language="en")
    confirmed = complaints.complaint_file_public(name="", email="li@example.net", grounds=public_grounds(health),
                                                 language="en")
    complaints.complaint_confirm(token=confirm_token(confirmed.pk))
    on(date(2026, 11, 23), hour=8)  # 71 hours: the link expired 23 hours ago
    waiting = complaints.complaint_file_public(name="", email="wang@example.net", grounds=public_grounds(health),
                                               language="en")
    assert complaints.complaints_unconfirmed_prune() == 0
    on(date(2026, 11, 23), hour=10)  # 73 hours
    assert complaints.complaints_unconfirmed_prune() == 1
    assert complaints.complaints_unconfirmed_prune() == 0
    assert sorted(Complaint.objects.values_list("pk", flat=True)) == sorted([confirmed.pk, waiting.pk])
    assert not ComplaintMail.objects.filter(complaint_id=forgotten.pk).exists()


def test_the_public_cannot_complain_about_an_application(office, routed_application):
    with pytest.raises(ValidationFailed) as exc:
        complaints.complaint_file_public(name="", email="chen@example.net", language="en",
                                         grounds=application_grounds(routed_application))
    assert exc.value.errors == {"about": ["Sign in to complain about one of your applications."]}


# --- Figures ----------------------------------------------------------------------------------------------


def test_figures_by_month_and_upheld_by_officer(filed, officers, office, citizen, on, routed_application):
    supervisor, health_officer = officers["health_supervisor"], officers["health"]
    complaints.complaint_answer(complaint_id=filed.pk, actor=supervisor, text="Sorry.", upheld=True)
    health = Department.objects.get(code="health")
    health_officer.full_name = "Ma Jun"
    health_officer.save(update_fields=["full_name"])
    on(date(2026, 12, 2))
    conduct = complaints.complaint_file(complainant=citizen, grounds=Grounds(
        about=ComplaintAbout.OFFICER, category=ComplaintCategory.CONDUCT, department_id=health.pk, officer_name="Ma Jun",
        text="The officer was rude to me at the counter."))
    on(date(2026, 12, 21))
    complaints.complaint_answer(complaint_id=conduct.pk, actor=supervisor, text="He apologises.", upheld=True)
    assert complaint_selectors.complaints_by_month(months=[date(2026, 11, 1), date(2026, 12, 1)]) == [
        {"department_id": health.pk, "month": date(2026, 11, 1), "received": 1, "answered_in_time": 1, "upheld": 1},
        {"department_id": health.pk, "month": date(2026, 12, 1), "received": 1, "answered_in_time": 0, "upheld": 1},
    ]
    assert complaint_selectors.complaints_by_month(months=1) == [
        {"department_id": health.pk, "month": date(2026, 12, 1), "received": 1, "answered_in_time": 0, "upheld": 1}]
    assert complaint_selectors.complaints_by_month(months=2, service_ids=[routed_application.service_id]) == [
        {"department_id": health.pk, "month": date(2026, 11, 1), "received": 1, "answered_in_time": 1, "upheld": 1}]
    assert complaint_selectors.complaints_by_month(months=2, department_ids=[office.pk]) == []
    # Per service, and per department and service: only the complaint about an application counts.
    service_id = routed_application.service_id
    assert complaint_selectors.complaints_by_month(months=2, by="service") == [
        {"service_id": service_id, "month": date(2026, 11, 1), "received": 1, "answered_in_time": 1, "upheld": 1}]
    assert complaint_selectors.complaints_by_month(months=2, by="pair") == [
        {"department_id": health.pk, "service_id": service_id, "month": date(2026, 11, 1), "received": 1,
         "answered_in_time": 1, "upheld": 1}]
    assert complaint_selectors.complaints_upheld_by_officer(department_id=health.pk) == {health_officer.pk: 1}
    assert complaint_selectors.complaints_upheld_by_officer(
        department_id=health.pk, start=at(date(2026, 11, 1), 0), end=at(date(2026, 12, 1), 0)) == {}
    assert complaint_selectors.department_complaint_counts(today=date(2026, 12, 21)) == {}
