"""Rectifying a bad rating (好差评 整改). A rating of LOW_RATING_MAX or less opens, in the rating's
transaction, one case per department that took a decision on the application
(ratings.reviewed_by). Each case has a named owner (``owners_of``), who writes what the department
did about it by a deadline in working days of the department's calendar: the service's
``rectify_days`` (catalogue, frozen in the application's version), counted as review deadlines are
(approvals.sla). The applicant is then asked to rate the service once more; the first rating is
kept as it was.

The beat SLA scan reminds the owner once before the deadline and, once it has passed, escalates
once to the department's supervisors and the managers: each claimed by a conditional UPDATE of
its own column, so a second scan, or two at once, send nothing more."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from audit.models import Action
from audit.services import Event, audit_record
from core.errors import InvalidTransition, NotAllowed, ValidationFailed
from departments.models import Membership, MembershipRole

from .events import engine_event
from .locks import lock_rectification
from .models import (
    RECTIFICATION_ACCOUNT_MAX_LENGTH,
    RECTIFICATION_ACCOUNT_MIN_LENGTH,
    Application,
    Notification,
    NotificationKind,
    Rating,
    Rectification,
    RectificationStatus,
    Review,
)
from .notifications import department_staff_ids, notifications_create, notify
from .rating_rules import rating_checked
from .rectification_selectors import may_handle, may_reassign
from .sla import SCAN_BATCH, local_today, reminder_day, sla_calendars
from .transitions import status_enter, status_move


def owners_of(department_ids) -> dict[int, int | None]:
    """Who owns a department's rectification cases: its supervisor of longest standing (the
    earliest membership of an active account whose role is supervisor); a department without one,
    its officer of longest standing; without staff, nobody (None) until a supervisor takes it."""
    candidates: dict[int, list[tuple[int, int]]] = {}
    for department_id, user_id, membership_role, user_role in (
        Membership.objects.people().filter(department_id__in=department_ids)
        .order_by("pk").values_list("department_id", "user_id", "role", "user__role")
    ):
        rank = 0 if (membership_role, user_role) == (MembershipRole.SUPERVISOR, Role.SUPERVISOR) else 1
        candidates.setdefault(department_id, []).append((rank, user_id))
    return {d: min(candidates[d], key=lambda c: c[0])[1] if d in candidates else None for d in department_ids}


def rectifications_open(*, application: Application, rating: Rating, reviews: list[Review]) -> list[Event]:
    """One case per department that decided ``reviews``, each owner told; returns the audit events
    for the caller's transaction (rating_give, under the application's row lock)."""
    if not reviews:
        return []
    codes = {review.department_id: review.department.code for review in reviews}
    department_ids = list(codes)
    calendars, today, days = sla_calendars(), local_today(), application.schema.rectify_days
    owners = owners_of(department_ids)
    cases = Rectification.objects.bulk_create([
        status_enter(Rectification(
            rating=rating, application=application, department_id=department_id, owner_id=owners[department_id],
            due_date=calendars.of(department_id).add_working_days(today, days),
            remind_on=calendars.of(department_id).add_working_days(today, reminder_day(days)),
        ), RectificationStatus.OPEN)
        for department_id in department_ids])
    notifications_create([
        Notification(recipient_id=case.owner_id, kind=NotificationKind.RECTIFICATION_ASSIGNED, application=application,
                     params={"rectification": case.pk, "due_date": case.due_date.isoformat(), "score": rating.score})
        for case in cases if case.owner_id])
    return [engine_event(Action.RECTIFICATION_OPENED, application, obj=case, department_code=codes[case.department_id],
                         owner=case.owner_id, due_date=case.due_date.isoformat(), score=rating.score)
            for case in cases]


def _handled(rectification_id: int, actor) -> Rectification:
    """The case locked, for its owner or a supervisor of its department; anyone else finds none."""
    case = lock_rectification(rectification_id)
    if not may_handle(case, actor):
        raise Rectification.DoesNotExist
    return case


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


@transaction.atomic
def rectification_reassign(*, rectification_id: int, actor, owner_id: int, ip: str | None = None) -> Rectification:
    """A supervisor of the department gives an open case to a named colleague there."""
    case = _handled(rectification_id, actor)
    if not may_reassign(case, actor):
        raise NotAllowed(_("Only a supervisor of the department can give this case to someone else."))
    if not case.is_open:
        raise InvalidTransition(_("This case was rectified on %(when)s: it has no one to give it to any more.")
                                % {"when": _when(case.closed_at)})
    colleague = (Membership.objects.people().filter(department_id=case.department_id, user_id=owner_id)
                 .select_related("user").first())
    if colleague is None:
        raise ValidationFailed({"owner": [_("Choose a colleague of this department.")]})
    if owner_id == case.owner_id:
        raise ValidationFailed({"owner": [_("%(name)s owns this case already.") % {"name": colleague.user.full_name}]})
    previous, case.owner_id = case.owner_id, owner_id
    case.save(update_fields=["owner"])
    notify(recipient_ids=[owner_id], kind=NotificationKind.RECTIFICATION_ASSIGNED, application=case.application,
           params={"rectification": case.pk, "due_date": case.due_date.isoformat(), "score": case.rating.score})
    audit_record(engine_event(Action.RECTIFICATION_REASSIGNED, case.application, obj=case, actor=actor, ip=ip,
                              department_code=case.department.code, previous_owner=previous, owner=owner_id))
    return case


def _account_checked(account: str) -> str:
    account = (account or "").strip()
    if not account:
        raise ValidationFailed({"account": [_("Write what your department did about the rating before you close the "
                                              "case: the applicant reads it.")]})
    if len(account) < RECTIFICATION_ACCOUNT_MIN_LENGTH:
        raise ValidationFailed({"account": [
            _("Say what was done in at least %(min)s characters (it has %(count)s).")
            % {"min": RECTIFICATION_ACCOUNT_MIN_LENGTH, "count": len(account)}]})
    if len(account) > RECTIFICATION_ACCOUNT_MAX_LENGTH:
        raise ValidationFailed({"account": [
            _("Keep the account to %(max)s characters or fewer (it has %(count)s).")
            % {"max": RECTIFICATION_ACCOUNT_MAX_LENGTH, "count": len(account)}]})
    return account


@transaction.atomic
def rectification_close(*, rectification_id: int, actor, account: str, ip: str | None = None) -> Rectification:
    """The owner (or a supervisor of the department) writes what was done, once; the applicant is
    asked to rate the service again."""
    case = _handled(rectification_id, actor)
    if not case.is_open:
        raise InvalidTransition(_("This case was already rectified on %(when)s; the account written then stands.")
                                % {"when": _when(case.closed_at)})
    account = _account_checked(account)
    status_move(case, RectificationStatus.CLOSED)
    case.account, case.closed_at, case.closed_by = account, timezone.now(), actor
    case.save(update_fields=["status", "account", "closed_at", "closed_by"])
    notify(recipient_ids=[case.application.applicant_id], kind=NotificationKind.RECTIFICATION_CLOSED,
           application=case.application, params={"rectification": case.pk, "department": case.department.name})
    audit_record(engine_event(Action.RECTIFICATION_CLOSED, case.application, obj=case, actor=actor, ip=ip,
                              department_code=case.department.code, in_time=case.closed_in_time(),
                              characters=len(account)))
    return case


@transaction.atomic
def rectification_follow_up(*, rectification_id: int, application_id: int, actor, score: int, comment: str = "",
                            ip: str | None = None) -> Rectification:
    """The applicant rates the service again after the department's account, once per case."""
    case = lock_rectification(rectification_id)
    if case.application_id != application_id or case.application.applicant_id != getattr(actor, "pk", None):
        raise Rectification.DoesNotExist  # another person's case does not exist for them
    if case.status == RectificationStatus.OPEN:
        raise InvalidTransition(_("The department has not written what it did yet; you can rate again once it has."))
    if case.status == RectificationStatus.FOLLOWED_UP:
        raise InvalidTransition(_("You have already rated the service after this rectification."))
    comment = rating_checked(score, comment)
    status_move(case, RectificationStatus.FOLLOWED_UP)
    case.follow_up_score, case.follow_up_comment, case.follow_up_at = score, comment, timezone.now()
    case.save(update_fields=["status", "follow_up_score", "follow_up_comment", "follow_up_at"])
    audit_record(engine_event(Action.RECTIFICATION_FOLLOWED_UP, case.application, obj=case, actor=actor, ip=ip,
                              department_code=case.department.code, score=score, first_score=case.rating.score))
    return case


# --- The scan: a reminder before the deadline, an escalation after it ---------------------------------


@dataclass(frozen=True)
class Notice:
    kind: str
    stamp: str  # the case's column recording that it was sent
    reached: Callable[[date], Q]
    escalation: bool = False


NOTICES = {
    # An overdue case is escalated instead of a late reminder.
    "rectification_reminders": Notice(NotificationKind.RECTIFICATION_DUE, "reminded_at",
                                      lambda today: Q(remind_on__lte=today, due_date__gte=today)),
    "rectification_escalations": Notice(NotificationKind.RECTIFICATION_OVERDUE, "escalated_at",
                                        lambda today: Q(due_date__lt=today), escalation=True),
}


def _unsent(notice: Notice, today: date) -> Q:
    return Q(status=RectificationStatus.OPEN, **{f"{notice.stamp}__isnull": True}) & notice.reached(today)


def rectification_scan(*, today: date | None = None) -> dict[str, int]:
    """Send the reminders and escalations due today; returns how many of each were sent."""
    today, now = today or local_today(), timezone.now()
    result = {}
    for name, notice in NOTICES.items():
        ids = list(Rectification.objects.filter(_unsent(notice, today)).order_by("pk")
                   .values_list("pk", flat=True)[:SCAN_BATCH])
        result[name] = sum(_send(notice=notice, rectification_id=pk, today=today, now=now) for pk in ids)
    return result


def managers_ids() -> list[int]:
    return list(get_user_model().objects.filter(is_active=True, role=Role.MANAGER).order_by("pk")
                .values_list("pk", flat=True))


def _send(*, notice: Notice, rectification_id: int, today: date, now: datetime) -> bool:
    """Claim one case's notice and send it; False when another scan claimed it or the case was
    closed meanwhile (closing holds the row, so the claim waits for it and then matches nothing)."""
    with transaction.atomic():
        if not Rectification.objects.filter(_unsent(notice, today), pk=rectification_id).update(**{notice.stamp: now}):
            return False
        case = Rectification.objects.select_related("application", "department").get(pk=rectification_id)
        recipients = [case.owner_id]
        if notice.escalation:
            recipients += [*department_staff_ids(case.department_id, role=MembershipRole.SUPERVISOR), *managers_ids()]
        notify(recipient_ids=recipients, kind=notice.kind, application=case.application,
               params={"rectification": case.pk, "due_date": case.due_date.isoformat()})
        if notice.escalation:
            audit_record(engine_event(Action.RECTIFICATION_ESCALATED, case.application, obj=case,
                                      department_code=case.department.code, due_date=case.due_date.isoformat()))
    return True
