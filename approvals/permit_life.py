"""A permit's life with its holder after issue: reminders before it ends, and the holder's
cancellation. (Revocation and correction by staff are approvals.permit_flow's.)

Expiry needs no job: Permit.state computes it from the dates, in the portal's time zone, and a
cancellation is recorded with the day it takes effect, so it too shows from that local midnight.
The daily beat only sends the reminders.

Reminders: ``permit.reminder_days`` of the service (catalogue; 90, 30 and 7 calendar days before
the end by default). Each is a PermitReminder row, UNIQUE per permit and number of days, whose
insert claims the right to send it: two beats at once, or twice a day, send it once. A beat that
did not run for days catches up with the most recent reminder due only (a permit found 25 days
before its end gets the 30-day one, never the 90-day one as well), and no reminder of a window
that opened before the permit was valid. Only valid permits are reminded: revoked, superseded and
cancelled ones (even cancelled from a later day) are not, nor one being renewed or renewed.

Renewal: the holder starts a renewal (a draft application of kind renewal naming the permit) of a
valid permit, or of one ended no more than the service's ``permit.renew_grace_days`` ago. Its form
asks again only the service's ``permit.renewal_asks``; every other answer is carried from the
permit's application (files and certificates by reference: they stay on that application). At
submission only the departments whose review says ``reviews_renewals`` review it
(approvals.workflow.application_submit); none: it is approved at once. Its approval issues the
next permit of the series (permits.services.permit_create), and the renewed permit is superseded
from the day that one starts.

Amendment: the holder changes details of a valid permit (a draft application of kind amendment
naming it), answering again only the service's ``permit.amendable`` questions; the rest is carried
as for a renewal. Only the departments whose review names a changed answer in
``reviews_changes_of`` review it (approvals.follow_ons); a change nobody reviews (a phone number)
is approved at submission. Its approval issues the amended permit, the next of the series, valid
from that day to the old one's end, and the old one is superseded from that day. A permit has one
renewal or amendment in progress at a time (both replace it): each start refuses while the other
is in progress, under the permit's application lock."""

from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, Min, OuterRef
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import TokenActor, audit_record
from catalogue.models import REMINDER_DAYS_MAX
from core.errors import InvalidTransition, ValidationFailed
from departments.models import Department
from permits.models import Permit, PermitReminder, PermitState, PermitStatus

from .answers import clean_answers
from .events import engine_event
from .locks import lock_application
from .models import Application, ApplicationKind, ApplicationStatus, Notification, NotificationKind
from .notifications import departments_staff_ids, notifications_create, notify
from .permit_flow import reason_given
from .sla import local_today
from .transitions import status_move

# --- Reminders before the end --------------------------------------------------------------------


def reminder_due(permit: Permit, reminder_days, today: date) -> int | None:
    """The reminder due for ``permit`` on ``today``: the nearest number of days before its end
    that ``today`` is inside, unless that window opened before the permit was valid."""
    left = (permit.valid_until - today).days
    inside = [days for days in reminder_days if 0 <= left <= days]
    if not inside:
        return None
    days = min(inside)
    return days if permit.valid_until - timedelta(days=days) >= permit.valid_from else None


def permit_reminders_send(*, today: date | None = None) -> int:
    """Send the expiry reminders due ``today`` (default: today in the portal's time zone), each
    in its own transaction; returns how many were sent."""
    today = today or local_today()
    candidates = (
        Permit.objects.filter(status=PermitStatus.VALID, rendered_at__isnull=False, valid_until__gte=today,
                              valid_until__lte=today + timedelta(days=REMINDER_DAYS_MAX), superseded_from__isnull=True)
        .exclude(Exists(renewals_live().filter(renews=OuterRef("pk"))))  # being renewed: no reminder
        .annotate(reminded=Min("reminders__days"))
        .select_related("application__service").order_by("valid_until", "pk")
    )
    sent = 0
    for permit in candidates:
        days = reminder_due(permit, permit.application.service.reminder_days or [], today)
        if days is None or (permit.reminded is not None and permit.reminded <= days):
            continue  # nothing due, or this reminder (or a later one) was sent
        sent += _remind(permit, days, today)
    return sent


def _remind(permit: Permit, days: int, today: date) -> bool:
    """Claim the reminder by inserting its row, then tell the holder in the same transaction;
    False when another run claimed it first (it waits on the UNIQUE index, then fails)."""
    try:
        with transaction.atomic():
            PermitReminder.objects.create(permit=permit, days=days, sent_on=today)
            if Permit.objects.filter(pk=permit.pk, status=PermitStatus.VALID).exists():  # not cancelled meanwhile
                application = permit.application
                notify(recipient_ids=[application.applicant_id], kind=NotificationKind.PERMIT_EXPIRING,
                       application=application, params={"permit_number": permit.number, "days": days,
                                                        "valid_until": permit.valid_until.isoformat()})
                audit_record(engine_event(Action.PERMIT_EXPIRY_REMINDED, application, obj=permit,
                                          number=permit.number, days=days))
                return True
            transaction.set_rollback(True)
            return False
    except IntegrityError:
        return False


# --- The holder's cancellation ---------------------------------------------------------------------


def cancellation_latest(today: date) -> date:
    """The latest day a cancellation may take effect from, asked ``today``."""
    return today + timedelta(days=settings.PERMIT_CANCEL_AHEAD_DAYS)


def cancellation_date_checked(permit: Permit, cancelled_from, today: date) -> date:
    """The day a cancellation of ``permit`` asked ``today`` takes effect, checked (ValidationFailed)."""
    if not isinstance(cancelled_from, date):
        raise ValidationFailed({"cancelled_from": [_("Enter the date the cancellation takes effect.")]})
    if cancelled_from < today:
        raise ValidationFailed({"cancelled_from": [_("The date cannot be in the past: give today or a later day.")]})
    latest = min(cancellation_latest(today), permit.valid_until)
    if cancelled_from > latest:
        raise ValidationFailed({"cancelled_from": [_("Give a date no later than %(date)s.") % {
            "date": formats.date_format(latest, "SHORT_DATE_FORMAT")}]})
    return cancelled_from


def _holders_permit(permit_id: int, actor) -> tuple[Permit, Application]:
    """The actor's own permit, under its application's row lock; anyone else's does not exist
    for them (Permit.DoesNotExist, answered as not found)."""
    application_id = (Permit.objects.filter(pk=permit_id, application__applicant=actor)
                      .values_list("application_id", flat=True).first())
    if application_id is None:
        raise Permit.DoesNotExist
    application = lock_application(application_id)
    permit = Permit.objects.get(pk=permit_id)
    permit.application = application
    return permit, application


def _told_of_cancellation(permit: Permit, application: Application) -> list[Department]:
    """The departments the catalogue says are told when this permit is cancelled (each once): of
    its service, or of every service a combined permit stands for."""
    if permit.bundle_application_id:
        services = Application.objects.filter(bundle_application_id=permit.bundle_application_id).values("service_id")
    else:
        services = [application.service_id]
    return list(Department.objects.filter(requirements__service_id__in=services,
                                          requirements__told_of_cancellation=True).distinct().order_by("code"))


@transaction.atomic
def permit_cancel(*, permit_id: int, actor, reason: str, cancelled_from, ip: str | None = None,
                  via: TokenActor | None = None) -> Permit:
    """The holder gives up a valid permit from ``cancelled_from`` (today, or a later day up to
    PERMIT_CANCEL_AHEAD_DAYS ahead and no later than its end). It stays valid until that day;
    from then on verification, the wallet and the API say it was cancelled by its holder. The
    departments the catalogue names are told (notifications to their staff, and an audit event
    each, which their webhooks deliver). Nothing follows a cancellation: it cannot be undone."""
    permit, application = _holders_permit(permit_id, actor)
    today = local_today()
    state = permit.state(today)
    if permit.status == PermitStatus.CANCELLED:
        raise InvalidTransition(_("This permit is already cancelled from %(date)s.") % {
            "date": formats.date_format(permit.cancelled_from, "SHORT_DATE_FORMAT")})
    if state == PermitState.PENDING:
        raise InvalidTransition(_("The permit's file is still being produced. Try again in a moment."))
    if permit.status != PermitStatus.VALID or state != PermitState.VALID:
        raise InvalidTransition(_("Only a valid permit can be cancelled; this one is %(state)s.") % {
            "state": PermitState(state).label.lower()})
    if (_follow_ons_live(ApplicationKind.RENEWAL).filter(renews=permit, status__in=_IN_PROGRESS).exists()
            or amendments_live().filter(amends=permit, status__in=_IN_PROGRESS).exists()):
        raise InvalidTransition(_("A renewal or an amendment of this permit is in progress: withdraw it before you "
                                  "cancel the permit."))
    reason = reason_given(reason)
    cancelled_from = cancellation_date_checked(permit, cancelled_from, today)
    status_move(permit, PermitStatus.CANCELLED)
    permit.cancelled_at, permit.cancelled_from, permit.cancellation_reason, permit.cancelled_by = (
        timezone.now(), cancelled_from, reason, actor)
    permit.save(update_fields=["status", "cancelled_at", "cancelled_from", "cancellation_reason", "cancelled_by"])
    told = _told_of_cancellation(permit, application)
    staff = departments_staff_ids([d.pk for d in told])
    params = {"permit_number": permit.number, "cancelled_from": cancelled_from.isoformat()}
    notifications_create([
        Notification(recipient_id=recipient, kind=NotificationKind.PERMIT_CANCELLED, application=application,
                     params=params)
        for recipient in dict.fromkeys(pk for d in told for pk in staff.get(d.pk, []))])
    audit_record(
        engine_event(Action.PERMIT_CANCELLED, application, obj=permit, actor=actor, via=via, ip=ip,
                     number=permit.number, cancelled_from=cancelled_from.isoformat(), reason=reason),
        *[engine_event(Action.PERMIT_CANCELLATION_TOLD, application, obj=permit, actor=actor, via=via, ip=ip,
                       department_code=d.code, number=permit.number,
                       cancelled_from=cancelled_from.isoformat()) for d in told],
    )
    return permit


# --- Renewal ---------------------------------------------------------------------------------------


def renewals_live():
    """Renewals in progress or done: a withdrawn or refused renewal does not count (the holder may
    try again); at most one other per permit (a partial UNIQUE constraint)."""
    return _follow_ons_live(ApplicationKind.RENEWAL)


def _follow_ons_live(kind: str):
    return Application.objects.filter(kind=kind).exclude(status__in=[ApplicationStatus.WITHDRAWN,
                                                                     ApplicationStatus.REJECTED])


# A follow-on in these is still open: starting another returns it, or waits for it.
_IN_PROGRESS = (ApplicationStatus.DRAFT, ApplicationStatus.AWAITING_PAYMENT, ApplicationStatus.IN_REVIEW,
                ApplicationStatus.NEEDS_CORRECTION)


def _other_in_progress(permit: Permit, kind: str) -> str | None:
    """Why a follow-on of ``kind`` cannot start while the other kind is in progress, or None."""
    if kind == ApplicationKind.RENEWAL:
        if _follow_ons_live(ApplicationKind.AMENDMENT).filter(amends=permit, status__in=_IN_PROGRESS).exists():
            return _("An amendment of this permit is in progress: renew it once the amended permit is issued, or "
                     "withdraw the amendment.")
    elif renewals_live().filter(renews=permit, status__in=_IN_PROGRESS).exists():
        return _("A renewal of this permit is in progress: change its details once the renewed permit is issued, or "
                 "withdraw the renewal.")
    return None


def renewable_until(permit: Permit, grace_days: int) -> date:
    """The last day ``permit`` may be renewed: its end plus the service's grace."""
    return permit.valid_until + timedelta(days=grace_days)


def renewal_refusal(permit: Permit, grace_days: int, today: date) -> str | None:
    """Why ``permit`` cannot be renewed ``today`` (in the reader's language), or None."""
    state = permit.state(today)
    if permit.superseded_from:
        if Application.objects.filter(permits__replaces=permit, kind=ApplicationKind.AMENDMENT).exists():
            return _("This permit is replaced by its amended permit: renew that one.")
        return _("This permit is already renewed.")
    if permit.status == PermitStatus.CANCELLED:
        return _("A permit its holder cancelled cannot be renewed. Apply for a new permit instead.")
    if state == PermitState.PENDING:
        return _("The permit's file is still being produced. Try again in a moment.")
    if permit.bundle_application_id:
        return _("A combined permit is renewed by applying for its permits again.")
    if state == PermitState.EXPIRED and today > renewable_until(permit, grace_days):
        return _("This permit ended on %(end)s and could be renewed until %(last)s. Apply for a new permit "
                 "instead.") % {"end": formats.date_format(permit.valid_until, "SHORT_DATE_FORMAT"),
                                "last": formats.date_format(renewable_until(permit, grace_days), "SHORT_DATE_FORMAT")}
    if state not in (PermitState.VALID, PermitState.EXPIRED):
        return _("Only a valid permit can be renewed; this one is %(state)s.") % {
            "state": PermitState(state).label.lower()}
    return None


def renewable(permit: Permit, service, today: date) -> bool:
    """Whether the holder is offered to renew ``permit`` of ``service`` on ``today``."""
    return renewal_refusal(permit, service.renew_grace_days, today) is None


@transaction.atomic
def permit_renew_start(*, permit_id: int, actor, ip: str | None = None, via: TokenActor | None = None) -> Application:
    """The holder starts renewing their permit: a draft application of the same service (its
    current version), of kind renewal naming the permit, with the permit's application's answers
    that the current form still accepts. A renewal already in progress is returned instead, so a
    second click (or a mail link followed twice) makes one draft; the partial UNIQUE constraint on
    ``renews`` is the backstop. Anyone else's permit does not exist for them (Permit.DoesNotExist)."""
    permit, application = _holders_permit(permit_id, actor)
    live = renewals_live().filter(renews=permit).first()
    if live is not None and live.status in _IN_PROGRESS:
        return live
    service = application.service
    if refusal := (renewal_refusal(permit, service.renew_grace_days, local_today())
                   or _other_in_progress(permit, ApplicationKind.RENEWAL)):
        raise InvalidTransition(refusal)
    renewal = _follow_on_draft(permit, application, actor, kind=ApplicationKind.RENEWAL, renews=permit)
    audit_record(
        engine_event(Action.APPLICATION_CREATED, renewal, actor=actor, via=via, ip=ip, fields=sorted(renewal.answers),
                     renews=permit.number),
        engine_event(Action.PERMIT_RENEWAL_STARTED, application, obj=permit, actor=actor, via=via, ip=ip,
                     number=permit.number, renewal=renewal.pk),
    )
    return renewal


def _follow_on_draft(permit: Permit, application: Application, actor, **kind) -> Application:
    """The draft of a renewal or an amendment of ``permit`` (``kind``: its kind and the field naming
    the permit), of the service's current version, with the answers of the permit's application
    that the current form still accepts (a refused one is asked again)."""
    service = application.service
    if not service.is_active or service.current_version_id is None:
        raise InvalidTransition(_("This service is not open for applications."))
    draft = Application(applicant=actor, service=service, service_version_id=service.current_version_id, **kind)
    schema = draft.schema
    carried = {key: value for key, value in application.answers.items()
               if key in schema.fields_by_key and key not in schema.file_keys}
    draft.answers, _errors = clean_answers(schema, carried, keys=set(carried), partial=True)
    draft.save()
    return draft


# --- Amendment -------------------------------------------------------------------------------------


def amendments_live():
    """Amendments in progress or done (a withdrawn or refused one does not count: the holder may
    try again); at most one other per permit (a partial UNIQUE constraint)."""
    return _follow_ons_live(ApplicationKind.AMENDMENT)


def amendment_refusal(permit: Permit, service, today: date) -> str | None:
    """Why the holder cannot change details of ``permit`` of ``service`` ``today``, or None."""
    state = permit.state(today)
    if permit.superseded_from:
        return _("This permit is already replaced by a renewed or amended one: change the details of that one.")
    if permit.status == PermitStatus.CANCELLED:
        return _("A permit its holder cancelled cannot be changed.")
    if state == PermitState.PENDING:
        return _("The permit's file is still being produced. Try again in a moment.")
    if permit.bundle_application_id:
        return _("A combined permit is changed by applying for its permits again.")
    if state != PermitState.VALID:
        return _("Only a valid permit can be changed; this one is %(state)s.") % {
            "state": PermitState(state).label.lower()}
    if not service.amendable:
        return _("The details of this service's permits cannot be changed online. Contact the department that "
                 "issued it.")
    return None


def amendable(permit: Permit, service, today: date) -> bool:
    """Whether the holder is offered to change details of ``permit`` of ``service`` on ``today``."""
    return amendment_refusal(permit, service, today) is None


@transaction.atomic
def permit_amend_start(*, permit_id: int, actor, ip: str | None = None, via: TokenActor | None = None) -> Application:
    """The holder starts changing details of their valid permit: a draft application of kind
    amendment naming the permit, carrying every answer of the permit's application; its form asks
    only the service's amendable questions. An amendment already in progress is returned instead
    (the partial UNIQUE constraint on ``amends`` is the backstop). Anyone else's permit does not
    exist for them (Permit.DoesNotExist)."""
    permit, application = _holders_permit(permit_id, actor)
    live = amendments_live().filter(amends=permit).first()
    if live is not None and live.status in _IN_PROGRESS:
        return live
    if refusal := (amendment_refusal(permit, application.service, local_today())
                   or _other_in_progress(permit, ApplicationKind.AMENDMENT)):
        raise InvalidTransition(refusal)
    amendment = _follow_on_draft(permit, application, actor, kind=ApplicationKind.AMENDMENT, amends=permit)
    audit_record(
        engine_event(Action.APPLICATION_CREATED, amendment, actor=actor, via=via, ip=ip,
                     fields=sorted(amendment.answers), amends=permit.number),
        engine_event(Action.PERMIT_AMENDMENT_STARTED, application, obj=permit, actor=actor, via=via, ip=ip,
                     number=permit.number, amendment=amendment.pk),
    )
    return amendment
