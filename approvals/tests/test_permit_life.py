"""The holder's permit after issue (approvals.permit_life): expiry reminders, sent once each and
caught up after an outage, and the holder's cancellation with its refusals."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import formats, timezone

from approvals.models import Notification, NotificationKind
from approvals.notifications import notification_send_email
from approvals.permit_flow import permit_revoke
from approvals.permit_life import permit_cancel, permit_reminders_send
from audit.models import Action, AuditEvent
from catalogue.models import Requirement, Service
from core.errors import InvalidTransition, ValidationFailed
from permits.models import Permit, PermitReminder, PermitState, PermitStatus
from tests.concurrent import run_together
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=False)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def approve_all(application, officers) -> Permit:
    from approvals import workflow

    for stage in (1, 2):
        for review in application.reviews.filter(stage=stage).select_related("department"):
            workflow.review_decide(review_id=review.pk, actor=officers[review.department.code], decision="approve")
    return Permit.objects.get(application=application)


def produced(permit: Permit, *, valid_from: date | None = None, valid_until: date | None = None) -> Permit:
    """The permit as if its file were produced (the reminders and cancellation read only the row),
    with the given dates."""
    fields = {"rendered_at": timezone.now(), "file": f"permits/{permit.number}.pdf"}
    if valid_from:
        fields["valid_from"] = valid_from
    if valid_until:
        fields["valid_until"] = valid_until
    Permit.objects.filter(pk=permit.pk).update(**fields)
    permit.refresh_from_db()
    return permit


@pytest.fixture
def permit(submit, officers):
    return produced(approve_all(submit(), officers))


def at(day: date, hour: int = 8, minute: int = 30):
    """Travel to a local time of ``day`` in the portal's time zone."""
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI), tick=False)


def reminders_of(permit) -> list[tuple[int, date]]:
    return list(PermitReminder.objects.filter(permit=permit).order_by("-days").values_list("days", "sent_on"))


def daily_beats(first: date, last: date) -> list[tuple[date, int]]:
    """Run the beat once on each day from ``first`` to ``last``; the days something was sent."""
    sent, day = [], first
    while day <= last:
        with at(day):
            if count := permit_reminders_send():
                sent.append((day, count))
        day += timedelta(days=1)
    return sent


# --- Reminders ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("end", "weekend_day"), [
    (date(2027, 4, 5), (30, "Saturday")),  # 2027-03-06, 30 days before, is a Saturday
    (date(2027, 3, 14), (7, "Sunday")),  # 2027-03-07, 7 days before, is a Sunday
])
def test_reminders_are_sent_on_their_calendar_day_weekends_included(permit, citizen, end, weekend_day):
    produced(permit, valid_from=end - timedelta(days=1095), valid_until=end)
    days, weekday = weekend_day
    assert (end - timedelta(days=days)).strftime("%A") == weekday

    sent = daily_beats(end - timedelta(days=100), end + timedelta(days=3))

    expected = [end - timedelta(days=90), end - timedelta(days=30), end - timedelta(days=7)]
    assert sent == [(expected[0], 1), (expected[1], 1), (expected[2], 1)]
    assert reminders_of(permit) == [(90, expected[0]), (30, expected[1]), (7, expected[2])]
    notes = Notification.objects.filter(recipient=citizen, kind=NotificationKind.PERMIT_EXPIRING).order_by("pk")
    assert [n.params for n in notes] == [
        {"permit_number": permit.number, "days": d, "valid_until": end.isoformat()} for d in (90, 30, 7)]
    assert AuditEvent.objects.filter(action=Action.PERMIT_EXPIRY_REMINDED).count() == 3


def test_two_beats_on_one_day_send_a_reminder_once(permit, citizen):
    end = date(2027, 6, 30)
    produced(permit, valid_until=end)
    with at(end - timedelta(days=30)):
        assert (permit_reminders_send(), permit_reminders_send()) == (1, 0)
    assert reminders_of(permit) == [(30, end - timedelta(days=30))]
    assert Notification.objects.filter(kind=NotificationKind.PERMIT_EXPIRING).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_send_a_reminder_once(restaurant, citizen, officers, settings, tmp_path):
    from tests.engine_fixtures import submitted_application

    settings.MEDIA_ROOT = str(tmp_path / "media")
    end = date(2027, 6, 30)
    permit = produced(approve_all(submitted_application(restaurant, citizen), officers), valid_until=end)
    with at(end - timedelta(days=7)):
        results = run_together(permit_reminders_send, permit_reminders_send)
    assert sorted(results) == [0, 1]
    assert reminders_of(permit) == [(7, end - timedelta(days=7))]
    assert Notification.objects.filter(kind=NotificationKind.PERMIT_EXPIRING).count() == 1


def test_after_a_forty_day_outage_the_missed_reminder_is_sent_once(permit):
    end = date(2027, 6, 30)
    produced(permit, valid_until=end)
    assert daily_beats(end - timedelta(days=95), end - timedelta(days=50)) == [(end - timedelta(days=90), 1)]
    # No beat for 40 days (D-49 … D-10): the 30-day reminder was missed.
    sent = daily_beats(end - timedelta(days=9), end)
    assert sent == [(end - timedelta(days=9), 1), (end - timedelta(days=7), 1)]
    assert reminders_of(permit) == [(90, end - timedelta(days=90)), (30, end - timedelta(days=9)),
                                    (7, end - timedelta(days=7))]


def test_an_outage_over_two_reminders_sends_only_the_most_recent(permit):
    end = date(2027, 6, 30)
    produced(permit, valid_until=end)
    assert daily_beats(end - timedelta(days=95), end - timedelta(days=95)) == []
    # Back after 75 days, 20 days before the end: the 30-day reminder, not the 90-day one too.
    assert daily_beats(end - timedelta(days=20), end - timedelta(days=8)) == [(end - timedelta(days=20), 1)]
    assert reminders_of(permit) == [(30, end - timedelta(days=20))]
    assert daily_beats(end - timedelta(days=7), end + timedelta(days=2)) == [(end - timedelta(days=7), 1)]


def test_the_services_own_reminder_days_and_none(permit, restaurant):
    end = date(2027, 6, 30)
    produced(permit, valid_until=end)
    Service.objects.filter(pk=restaurant.pk).update(reminder_days=[14])
    assert daily_beats(end - timedelta(days=100), end) == [(end - timedelta(days=14), 1)]
    Service.objects.filter(pk=restaurant.pk).update(reminder_days=[])
    PermitReminder.objects.all().delete()
    assert daily_beats(end - timedelta(days=100), end) == []


def test_no_reminder_of_a_window_that_opened_before_the_permit_was_valid(permit):
    end = date(2027, 6, 30)
    produced(permit, valid_from=end - timedelta(days=20), valid_until=end)
    assert daily_beats(end - timedelta(days=20), end) == [(end - timedelta(days=7), 1)]


@pytest.mark.parametrize("how", ["revoked", "superseded", "cancelled later", "not produced"])
def test_no_reminder_for_a_permit_that_is_not_valid(submit, officers, how):
    end = date(2027, 6, 30)
    permit = approve_all(submit(), officers)
    if how != "not produced":
        produced(permit, valid_until=end)
    else:
        Permit.objects.filter(pk=permit.pk).update(valid_until=end)
    if how == "revoked":
        permit_revoke(permit_id=permit.pk, actor=officers["health_supervisor"], reason="Closed by order.")
    elif how == "superseded":
        Permit.objects.filter(pk=permit.pk).update(status=PermitStatus.SUPERSEDED, superseded_at=timezone.now())
    elif how == "cancelled later":
        with at(end - timedelta(days=40)):
            permit_cancel(permit_id=permit.pk, actor=permit.application.applicant, reason="Closing the shop.",
                          cancelled_from=end - timedelta(days=3))
    assert daily_beats(end - timedelta(days=31), end) == []
    assert not PermitReminder.objects.exists()


def test_the_reminder_mail_names_the_permit_its_end_and_links_to_the_application(permit, citizen, settings):
    settings.SITE_URL = "https://portal.example.gov"
    end = date(2027, 6, 30)
    produced(permit, valid_until=end)
    with at(end - timedelta(days=30)):
        permit_reminders_send()
    notification = Notification.objects.get(kind=NotificationKind.PERMIT_EXPIRING)
    mail.outbox.clear()
    assert notification_send_email(notification_id=notification.pk) == "sent"
    message = mail.outbox[0]
    assert message.to == ["wang.fang@example.org"]
    assert message.subject.endswith("Your permit ends soon")
    assert (f"Your permit {permit.number} (application {permit.application.reference}) ends on 2027-06-30, in 30 days "
            "or less. To go on without a gap, renew it before then: the renewed permit starts the day after.") in message.body
    # The link opens the renewal's page, whose button starts it: following a link changes nothing.
    assert f"Renew your permit: https://portal.example.gov/applications/{permit.application_id}/permit/renew/" in message.body
    assert f'href="https://portal.example.gov/applications/{permit.application_id}/permit/renew/"' in (
        message.alternatives[0][0])


# --- Expiry at the local midnight --------------------------------------------------------------


def test_a_permit_expires_at_the_local_midnight_after_its_last_day(permit):
    end = date(2027, 6, 30)
    produced(permit, valid_until=end)
    with at(end, 23, 59):
        assert permit.state() == PermitState.VALID
    with at(end + timedelta(days=1), 0, 0):
        assert permit.state() == PermitState.EXPIRED


# --- Cancellation -------------------------------------------------------------------------------


@pytest.fixture
def told(restaurant):
    Requirement.objects.filter(service=restaurant, department__code="registration").update(told_of_cancellation=True)


def test_the_holder_cancels_from_today(permit, citizen, officers, told):
    with at(date(2027, 1, 15), 10):
        permit_cancel(permit_id=permit.pk, actor=citizen, reason="  Closing   the shop. ", cancelled_from=date(2027, 1, 15))
        permit.refresh_from_db()
        assert permit.state() == PermitState.CANCELLED
    assert (permit.status, permit.cancelled_from, permit.cancellation_reason, permit.cancelled_by) == (
        PermitStatus.CANCELLED, date(2027, 1, 15), "Closing the shop.", citizen)
    assert permit.cancelled_at == datetime(2027, 1, 15, 10, 30, tzinfo=SHANGHAI)
    # The officers of the department told, as a filing tells them; no other department.
    notes = Notification.objects.filter(kind=NotificationKind.PERMIT_CANCELLED)
    assert [(n.recipient_id, n.application_id, n.params) for n in notes] == [
        (officers["registration"].pk, permit.application_id,
         {"permit_number": permit.number, "cancelled_from": "2027-01-15"})]
    events = AuditEvent.objects.filter(action__in=[Action.PERMIT_CANCELLED, Action.PERMIT_CANCELLATION_TOLD]).order_by("pk")
    assert [(e.action, e.department_code, e.actor_id, e.details) for e in events] == [
        (Action.PERMIT_CANCELLED, "", citizen.pk,
         {"number": permit.number, "cancelled_from": "2027-01-15", "reason": "Closing the shop."}),
        (Action.PERMIT_CANCELLATION_TOLD, "registration", citizen.pk,
         {"number": permit.number, "cancelled_from": "2027-01-15"}),
    ]


def test_a_cancellation_from_a_later_day_leaves_it_valid_until_then(permit, citizen):
    with at(date(2027, 1, 15)):
        permit_cancel(permit_id=permit.pk, actor=citizen, reason="Closing the shop.", cancelled_from=date(2027, 2, 1))
    permit.refresh_from_db()
    assert permit.state(date(2027, 1, 31)) == PermitState.VALID
    assert permit.state(date(2027, 2, 1)) == PermitState.CANCELLED
    with at(date(2027, 1, 31), 23, 59):
        assert permit.state() == PermitState.VALID
    with at(date(2027, 2, 1), 0, 0):
        assert permit.state() == PermitState.CANCELLED
    # Nobody is told: the restaurant's catalogue names no department for it here.
    assert not Notification.objects.filter(kind=NotificationKind.PERMIT_CANCELLED).exists()


def unchanged(permit):
    permit.refresh_from_db()
    assert (permit.status, permit.cancelled_from, permit.cancellation_reason) == (PermitStatus.VALID, None, "")
    assert not AuditEvent.objects.filter(action=Action.PERMIT_CANCELLED).exists()
    assert not Notification.objects.filter(kind=NotificationKind.PERMIT_CANCELLED).exists()


@pytest.mark.parametrize(("reason", "cancelled_from", "errors"), [
    ("", date(2027, 1, 15), {"reason": ["Give the reason."]}),
    ("   ", date(2027, 1, 15), {"reason": ["Give the reason."]}),
    ("x" * 1001, date(2027, 1, 15), {"reason": ["Keep the reason under 1000 characters."]}),
    ("Closing.", date(2027, 1, 14), {"cancelled_from": ["The date cannot be in the past: give today or a later day."]}),
    ("Closing.", date(2028, 1, 16), {"cancelled_from": ["Give a date no later than 15 Jan 2028."]}),
    ("Closing.", None, {"cancelled_from": ["Enter the date the cancellation takes effect."]}),
], ids=["empty", "blank", "too long", "past", "too far ahead", "no date"])
def test_bad_input_is_refused_and_nothing_is_written(permit, citizen, told, reason, cancelled_from, errors):
    with at(date(2027, 1, 15)), pytest.raises(ValidationFailed) as refused:
        permit_cancel(permit_id=permit.pk, actor=citizen, reason=reason, cancelled_from=cancelled_from)
    assert refused.value.errors == errors
    unchanged(permit)


def test_a_date_after_the_permits_end_is_refused(permit, citizen):
    produced(permit, valid_until=date(2027, 3, 1))
    with at(date(2027, 1, 15)), pytest.raises(ValidationFailed) as refused:
        permit_cancel(permit_id=permit.pk, actor=citizen, reason="Closing.", cancelled_from=date(2027, 3, 2))
    assert refused.value.errors == {"cancelled_from": ["Give a date no later than 1 Mar 2027."]}
    unchanged(permit)


def test_someone_elses_permit_does_not_exist_for_them(permit, officers):
    other = UserFactory(email="li.lei@example.org")
    for actor in (other, officers["health_supervisor"]):
        with pytest.raises(Permit.DoesNotExist):
            permit_cancel(permit_id=permit.pk, actor=actor, reason="Closing.", cancelled_from=timezone.localdate())
    unchanged(permit)


@pytest.mark.parametrize(("how", "message"), [
    ("revoked", "Only a valid permit can be cancelled; this one is revoked."),
    ("cancelled", "This permit is already cancelled from {later}."),
    ("expired", "Only a valid permit can be cancelled; this one is expired."),
    ("not produced", "The permit's file is still being produced. Try again in a moment."),
])
def test_a_permit_that_is_not_valid_cannot_be_cancelled(submit, officers, citizen, how, message):
    permit = approve_all(submit(), officers)
    today = timezone.localdate()
    if how != "not produced":
        produced(permit)
    if how == "revoked":
        permit_revoke(permit_id=permit.pk, actor=officers["health_supervisor"], reason="Closed by order.")
    elif how == "cancelled":  # from a later day: still valid today, but cancelled already
        permit_cancel(permit_id=permit.pk, actor=citizen, reason="Closing.", cancelled_from=today + timedelta(days=5))
    elif how == "expired":
        produced(permit, valid_until=today - timedelta(days=1))
    before = AuditEvent.objects.filter(action=Action.PERMIT_CANCELLED).count()
    with pytest.raises(InvalidTransition) as refused:
        permit_cancel(permit_id=permit.pk, actor=citizen, reason="Again.", cancelled_from=today + timedelta(days=1))
    assert refused.value.message == message.format(later=formats.date_format(today + timedelta(days=5), "SHORT_DATE_FORMAT"))
    assert AuditEvent.objects.filter(action=Action.PERMIT_CANCELLED).count() == before


def test_a_cancelled_permit_leaves_the_wallets_valid_list_from_its_day(permit, citizen, restaurant):
    from approvals.answers import long_date
    from approvals.evidence import lapse_reason
    from catalogue.models import CertificateType
    from certificates.models import Certificate
    from certificates.selectors import held_valid
    from certificates.services import certificate_of_permit

    kind = CertificateType.objects.create(code="restaurant_operating_permit", name={"en": "Restaurant permit"})
    Service.objects.filter(pk=restaurant.pk).update(certificate_type=kind)
    certificate = certificate_of_permit(permit)
    today = timezone.localdate()
    permit_cancel(permit_id=permit.pk, actor=citizen, reason="Closing.", cancelled_from=today + timedelta(days=2))
    assert [c.number for c in held_valid(citizen, kind.code, today + timedelta(days=1))] == [permit.number]
    assert held_valid(citizen, kind.code, today + timedelta(days=2)) == []
    # A form that named it as a document says why it no longer answers.
    certificate = Certificate.objects.select_related("permit").get(pk=certificate.pk)
    assert certificate.state(today + timedelta(days=2)) == "cancelled"
    assert lapse_reason(certificate, today + timedelta(days=2)) == (
        f"its holder cancelled it from {long_date(today + timedelta(days=2))}")


@pytest.mark.django_db(transaction=True)
def test_two_cancellations_at_once_record_one(restaurant, citizen, officers, settings, tmp_path):
    from tests.engine_fixtures import submitted_application

    settings.MEDIA_ROOT = str(tmp_path / "media")
    permit = produced(approve_all(submitted_application(restaurant, citizen), officers))
    today = timezone.localdate()

    def cancel(day):
        def call():
            try:
                return permit_cancel(permit_id=permit.pk, actor=citizen, reason="Closing.",
                                     cancelled_from=day).cancelled_from
            except InvalidTransition as refused:
                return refused.message
        return call

    results = run_together(cancel(today), cancel(today + timedelta(days=1)))
    permit.refresh_from_db()
    assert permit.cancelled_from in results
    [refusal] = [r for r in results if r != permit.cancelled_from]
    assert refusal == f"This permit is already cancelled from {formats.date_format(permit.cancelled_from, 'SHORT_DATE_FORMAT')}."
    assert AuditEvent.objects.filter(action=Action.PERMIT_CANCELLED).count() == 1
