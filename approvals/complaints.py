"""Complaints: every one handled by a named person by a working-day due date.

Routing (``complaint_route_target``), one rule:
    about a department as a whole, or about an officer who is a supervisor of the department
    concerned, or a department without a supervisor → the supervising office
    (``Department.is_supervising_office``); anything else → the department concerned.
    The handler is the handling department's first acting supervisor by name (then account id);
    an office without one gives it to its first officer by the same order. A supervisor of the
    handling department may hand it to a named colleague there, never to the officer concerned.

The clock: the handler answers within COMPLAINT_ANSWER_DAYS working days of the handling
department's calendar (approvals.sla), reminded on the day ``sla.reminder_day`` gives, and the
handler and the department's supervisors are told the first day after the due date. Both are
claimed by a conditional UPDATE of a column beat scans (``complaint_scan``), so each goes once.

The answer (text required; upheld or not) waits for the complainant's verdict: satisfied closes the
complaint; not satisfied, with a reason, sends it once to the supervising office, whose named
handler answers with a new clock (the one who gave the first answer is told where it went); a
verdict on that answer closes it either way.

A member of the public (no account) confirms their address first (approvals.complaint_links); until
then nothing is routed. Every step writes an audit event and tells the people concerned (a
signed-in complainant by notification, the public by the complaint's own outbox of mails)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import SERVICE_ACCOUNT_DOMAIN
from audit.models import Action
from audit.services import audit_record
from core.errors import InvalidTransition, NotAllowed, ValidationFailed, WorkflowError
from core.nudges import nudge_ids_on_commit
from departments.access import acting_supervisors, member_role, supervisor_memberships
from departments.models import Department, Membership, MembershipRole

from .complaint_links import LinkInvalid, confirmed_complaint_id
from .events import complaint_event
from .locks import lock_complaint
from .models import (
    COMPLAINT_ANSWER_MAX_LENGTH,
    COMPLAINT_OFFICER_NAME_MAX_LENGTH,
    COMPLAINT_OPEN,
    COMPLAINT_REASON_MAX_LENGTH,
    COMPLAINT_TEXT_MAX_LENGTH,
    COMPLAINT_TEXT_MIN_LENGTH,
    Application,
    ApplicationStatus,
    Complaint,
    ComplaintAbout,
    ComplaintAnswer,
    ComplaintCategory,
    ComplaintMail,
    ComplaintStatus,
    NotificationKind,
    Review,
)
from .notifications import department_staff_ids, notify
from .sla import local_date, local_today, reminder_day, sla_calendar
from .transitions import status_enter, status_move

OFFICE_LEVEL = 2
SCAN_BATCH = 1000
# A confirmation link that expired is kept a day longer, so a person who clicks it late is told it expired.
UNCONFIRMED_GRACE_HOURS = 24


class NoSupervisingOffice(WorkflowError):
    default_message = _("Complaints cannot be received just now: the supervising office is not set up. "
                        "Please try again later or contact the portal's help desk.")


# --- Routing and the clock -----------------------------------------------------------------------------


def supervising_office() -> Department | None:
    return Department.objects.filter(is_supervising_office=True).first()


def _people(memberships):
    # Service accounts (API tokens act as them) are members but never handle anything.
    return memberships.filter(user__is_active=True).exclude(user__email__endswith="@" + SERVICE_ACCOUNT_DOMAIN)


def named_handler_id(department_id: int) -> int | None:
    """The department's first acting supervisor by name (then id); None when it has none."""
    return (_people(acting_supervisors()).filter(department_id=department_id)
            .order_by("user__full_name", "user_id").values_list("user_id", flat=True).first())


def _office_handler_id(office: Department) -> int | None:
    return named_handler_id(office.pk) or (
        _people(Membership.objects.filter(department=office)).order_by("user__full_name", "user_id")
        .values_list("user_id", flat=True).first())


def _is_supervisor_of(user_id: int | None, department_id: int) -> bool:
    return user_id is not None and acting_supervisors().filter(user_id=user_id, department_id=department_id).exists()


def complaint_route_target(complaint: Complaint) -> tuple[Department, int]:
    """The handling department and the named handler's id (see the module's rule)."""
    supervisor = named_handler_id(complaint.department_id)
    to_office = (complaint.about == ComplaintAbout.DEPARTMENT or supervisor is None
                 or _is_supervisor_of(complaint.officer_id, complaint.department_id))
    if not to_office:
        return complaint.department, supervisor
    return _office_target()


def _office_target() -> tuple[Department, int]:
    office = supervising_office()
    handler = _office_handler_id(office) if office is not None else None
    if handler is None:
        raise NoSupervisingOffice()
    return office, handler


def complaint_clock(department_id: int, today: date) -> dict:
    """The due date and reminder day of an answer whose clock starts today (day 0, never counted)."""
    calendar, days = sla_calendar(department_id), settings.COMPLAINT_ANSWER_DAYS
    return {"due_date": calendar.add_working_days(today, days),
            "remind_on": calendar.add_working_days(today, reminder_day(days)),
            "reminded_at": None, "overdue_at": None}


def _assign(complaint: Complaint, department: Department, handler_id: int, *, now: datetime) -> None:
    complaint.handling_department, complaint.handler_id = department, handler_id
    for name, value in complaint_clock(department.pk, local_date(now)).items():
        setattr(complaint, name, value)


# --- Telling people ------------------------------------------------------------------------------------


def _params(complaint: Complaint, **extra) -> dict:
    return {"complaint": complaint.pk, "reference": complaint.reference,
            "due_date": complaint.due_date.isoformat() if complaint.due_date else "", **extra}


def _tell_handler(complaint: Complaint) -> None:
    notify(recipient_ids=[complaint.handler_id], kind=NotificationKind.COMPLAINT_ASSIGNED, params=_params(complaint))


def _tell_first_handler(complaint: Complaint, answer: ComplaintAnswer) -> None:
    """The person whose answer the complainant was not satisfied with learns where the complaint
    went (unless they handle it there too, and were told so as its handler)."""
    if answer.answered_by_id != complaint.handler_id:
        notify(recipient_ids=[answer.answered_by_id], kind=NotificationKind.COMPLAINT_ESCALATED_FROM_YOU,
               params=_params(complaint))


def _tell_complainant(complaint: Complaint, kind: str) -> None:
    """A signed-in complainant gets a notification; the public a mail from the complaint's outbox."""
    if complaint.complainant_id:
        notify(recipient_ids=[complaint.complainant_id], kind=kind, params=_params(complaint))
    else:
        complaint_mail_queue(complaint, kind)


def complaint_mail_queue(complaint: Complaint, kind: str) -> ComplaintMail:
    mail = ComplaintMail.objects.create(complaint=complaint, kind=kind)
    nudge_ids_on_commit("approvals.tasks.complaint_mail_task", [mail.pk])
    return mail


# --- Filing --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grounds:
    """What a complaint is about, as the form gives it."""

    about: str
    category: str
    text: str
    department_id: int | None = None
    application_id: int | None = None
    officer_name: str = ""


def _checked(grounds: Grounds, *, complainant) -> dict:
    """The complaint's fields from ``grounds``; ValidationFailed names each problem. Another
    citizen's application (or one not submitted) raises Application.DoesNotExist."""
    errors: dict[str, list] = {}
    if grounds.about not in ComplaintAbout.values:
        errors["about"] = [_("Choose what your complaint is about.")]
    if grounds.category not in ComplaintCategory.values:
        errors["category"] = [_("Choose the kind of complaint.")]
    text = (grounds.text or "").strip()
    if len(text) < COMPLAINT_TEXT_MIN_LENGTH:
        errors["text"] = [_("Describe what happened in at least %(min)s characters.") % {"min": COMPLAINT_TEXT_MIN_LENGTH}]
    elif len(text) > COMPLAINT_TEXT_MAX_LENGTH:
        errors["text"] = [_("Keep your complaint to %(max)s characters or fewer (it has %(count)s).")
                          % {"max": COMPLAINT_TEXT_MAX_LENGTH, "count": len(text)}]
    officer_name = " ".join((grounds.officer_name or "").split())
    if len(officer_name) > COMPLAINT_OFFICER_NAME_MAX_LENGTH:
        errors["officer_name"] = [_("Keep the officer's name to %(max)s characters or fewer.")
                                  % {"max": COMPLAINT_OFFICER_NAME_MAX_LENGTH}]
    fields = {"about": grounds.about, "category": grounds.category, "text": text, "officer_name": officer_name}
    if grounds.about == ComplaintAbout.APPLICATION:
        if complainant is None:
            errors["about"] = [_("Sign in to complain about one of your applications.")]
        else:
            fields.update(_application_grounds(grounds, complainant, errors))
    else:
        department = Department.objects.filter(pk=grounds.department_id).first() if grounds.department_id else None
        if department is None:
            errors["department_id"] = [_("Choose the department your complaint is about.")]
        fields["department"] = department
        if grounds.about == ComplaintAbout.OFFICER:
            if not officer_name:
                errors["officer_name"] = [_("Give the officer's name as you know it.")]
            elif department is not None:
                fields["officer_id"] = _officer_named(department.pk, officer_name)
    if errors:
        raise ValidationFailed(errors)
    return fields


def _application_grounds(grounds: Grounds, complainant, errors: dict) -> dict:
    application = Application.objects.filter(pk=grounds.application_id, applicant=complainant).exclude(
        status=ApplicationStatus.DRAFT).first() if grounds.application_id else None
    if application is None:
        raise Application.DoesNotExist
    review = (Review.objects.filter(application=application, department_id=grounds.department_id)
              .select_related("department").first() if grounds.department_id else None)
    if review is None:
        errors["department_id"] = [_("Choose the department of your application your complaint is about.")]
        return {"application": application}
    # The officer whose handling is complained of: who decided, or else who holds the review.
    return {"application": application, "department": review.department,
            "officer_id": review.decided_by_id or review.assignee_id}


def _officer_named(department_id: int, name: str) -> int | None:
    """The one active member of the department of exactly this name (case aside), else None."""
    ids = list(_people(Membership.objects.filter(department_id=department_id, user__full_name__iexact=name))
               .values_list("user_id", flat=True)[:2])
    return ids[0] if len(ids) == 1 else None


def _referenced(complaint: Complaint, now: datetime) -> None:
    complaint.reference = f"C-{local_date(now).year}-{complaint.pk:06d}"


def _route(complaint: Complaint, *, now: datetime, ip=None, actor=None) -> None:
    """Give a complaint being received its reference, handler and clock; audit and tell."""
    department, handler_id = complaint_route_target(complaint)
    _assign(complaint, department, handler_id, now=now)
    complaint.filed_at = now
    _referenced(complaint, now)
    complaint.save()
    audit_record(
        complaint_event(Action.COMPLAINT_FILED, complaint, actor=actor, ip=ip, department_code=complaint.department.code,
                        about=complaint.about, category=complaint.category),
        complaint_event(Action.COMPLAINT_ASSIGNED, complaint, department_code=department.code,
                        handler=handler_id, level=1),
    )
    _tell_handler(complaint)
    _tell_complainant(complaint, NotificationKind.COMPLAINT_RECEIVED)


@transaction.atomic
def complaint_file(*, complainant, grounds: Grounds, ip: str | None = None) -> Complaint:
    """A signed-in citizen's complaint, routed at once."""
    fields = _checked(grounds, complainant=complainant)
    now = timezone.now()
    complaint = status_enter(Complaint(complainant=complainant, language=complainant.language or "", created_at=now,
                                       **fields), ComplaintStatus.OPEN)
    complaint.save()
    _route(complaint, now=now, ip=ip, actor=complainant)
    return complaint


@transaction.atomic
def complaint_file_public(*, name: str, email: str, grounds: Grounds, language: str, ip: str | None = None) -> Complaint:
    """A member of the public's complaint: kept unconfirmed, and the confirmation link mailed."""
    if grounds.about == ComplaintAbout.APPLICATION:
        raise ValidationFailed({"about": [_("Sign in to complain about one of your applications.")]})
    fields = _checked(grounds, complainant=None)
    email = (email or "").strip()
    if not email:
        raise ValidationFailed({"email": [_("Give your e-mail address: we send the link to confirm it there.")]})
    complaint = status_enter(Complaint(contact_name=" ".join((name or "").split())[:150], contact_email=email,
                                       language=language, **fields), ComplaintStatus.UNCONFIRMED)
    complaint.save()
    complaint_mail_queue(complaint, "complaint_confirm")
    return complaint


@transaction.atomic
def complaint_confirm(*, token: str, ip: str | None = None) -> Complaint:
    """Route the complaint a confirmation link names (LinkExpired, LinkInvalid from the link; a
    link used before: InvalidTransition)."""
    try:
        complaint = lock_complaint(confirmed_complaint_id(token))
    except Complaint.DoesNotExist:
        raise LinkInvalid from None
    if complaint.status != ComplaintStatus.UNCONFIRMED:
        raise InvalidTransition(_("This link was used already: your complaint was received. "
                                  "Follow it with the link in the mail that confirmed it."))
    status_move(complaint, ComplaintStatus.OPEN)
    _route(complaint, now=timezone.now(), ip=ip)
    return complaint


def complaints_unconfirmed_prune(*, now: datetime | None = None) -> int:
    """Forget the public's complaints whose address was never confirmed, a day after their link
    expired: never routed and never read, they only hold a stranger's address. Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.COMPLAINT_CONFIRM_HOURS + UNCONFIRMED_GRACE_HOURS)
    _deleted, per_model = Complaint.objects.filter(status=ComplaintStatus.UNCONFIRMED, created_at__lt=cutoff).delete()
    return per_model.get(Complaint._meta.label, 0)


# --- Handling ------------------------------------------------------------------------------------------


def _handling(complaint_id: int, actor) -> Complaint:
    """The locked open complaint the actor handles; anyone else's is a 404 (DoesNotExist)."""
    complaint = lock_complaint(complaint_id)
    if complaint.handler_id != getattr(actor, "pk", None) or member_role(actor, complaint.handling_department_id) is None:
        raise Complaint.DoesNotExist
    return complaint


@transaction.atomic
def complaint_reassign(*, complaint_id: int, actor, handler_id: int, ip: str | None = None) -> Complaint:
    """A supervisor of the handling department hands the complaint to a named colleague there."""
    complaint = lock_complaint(complaint_id)
    if not supervisor_memberships(actor).filter(department_id=complaint.handling_department_id).exists():
        if complaint.handler_id != getattr(actor, "pk", None):
            raise Complaint.DoesNotExist
        raise NotAllowed(_("Only a supervisor of the handling department can hand a complaint to someone else."))
    if complaint.status not in COMPLAINT_OPEN:
        raise InvalidTransition(_("This complaint is answered: it can no longer change hands."))
    if handler_id == complaint.officer_id:
        raise ValidationFailed({"handler": [_("The officer the complaint is about cannot handle it.")]})
    if not _people(Membership.objects.filter(department_id=complaint.handling_department_id, user_id=handler_id)).exists():
        raise ValidationFailed({"handler": [_("Choose a colleague of the handling department.")]})
    if handler_id == complaint.handler_id:
        return complaint
    complaint.handler_id = handler_id
    complaint.save(update_fields=["handler"])
    audit_record(complaint_event(Action.COMPLAINT_ASSIGNED, complaint, actor=actor, ip=ip, handler=handler_id,
                                 department_code=complaint.handling_department.code))
    _tell_handler(complaint)
    return complaint


def _level(complaint: Complaint) -> int:
    return OFFICE_LEVEL if complaint.escalated_at else 1


@transaction.atomic
def complaint_answer(*, complaint_id: int, actor, text: str, upheld: bool | None,
                     ip: str | None = None) -> ComplaintAnswer:
    """The handler's written answer: the complaint waits for the complainant's verdict."""
    complaint = _handling(complaint_id, actor)
    if complaint.status not in COMPLAINT_OPEN:
        raise InvalidTransition(_("This complaint is answered already."))
    text = (text or "").strip()
    errors = {}
    if not text:
        errors["text"] = [_("Write your answer to the complaint.")]
    elif len(text) > COMPLAINT_ANSWER_MAX_LENGTH:
        errors["text"] = [_("Keep the answer to %(max)s characters or fewer (it has %(count)s).")
                          % {"max": COMPLAINT_ANSWER_MAX_LENGTH, "count": len(text)}]
    if not isinstance(upheld, bool):
        errors["upheld"] = [_("Say whether the complaint is upheld.")]
    if errors:
        raise ValidationFailed(errors)
    now = timezone.now()
    level = _level(complaint)
    answer = ComplaintAnswer.objects.create(complaint=complaint, level=level, department=complaint.handling_department,
                                            answered_by=actor, text=text, upheld=upheld, answered_at=now)
    status_move(complaint, ComplaintStatus.ANSWERED)
    complaint.upheld = upheld
    if level == 1:
        complaint.answered_in_time = local_today() <= complaint.due_date
    complaint.save(update_fields=["status", "upheld", "answered_in_time"])
    audit_record(complaint_event(Action.COMPLAINT_ANSWERED, complaint, actor=actor, ip=ip, level=level,
                                 department_code=complaint.handling_department.code, upheld=upheld))
    _tell_complainant(complaint, NotificationKind.COMPLAINT_ANSWERED)
    return answer


@transaction.atomic
def complaint_verdict(*, complaint_id: int, actor, satisfied: bool | None, reason: str = "",
                      ip: str | None = None) -> Complaint:
    """The complainant's verdict on the last answer (``actor`` None: the public, whose link the
    view checked). Not satisfied with the department's answer sends it to the supervising office;
    any verdict on the office's answer closes it."""
    complaint = lock_complaint(complaint_id)
    if complaint.complainant_id != getattr(actor, "pk", None):
        raise Complaint.DoesNotExist
    answer = complaint.answers.order_by("-level").first()
    if complaint.status != ComplaintStatus.ANSWERED or answer is None or answer.verdict_at is not None:
        raise InvalidTransition(_("You have already given your verdict on this answer."))
    reason = (reason or "").strip()
    if not isinstance(satisfied, bool):
        raise ValidationFailed({"satisfied": [_("Say whether you are satisfied with the answer.")]})
    if not satisfied and not reason:
        raise ValidationFailed({"reason": [_("Tell us why you are not satisfied with the answer.")]})
    if len(reason) > COMPLAINT_REASON_MAX_LENGTH:
        raise ValidationFailed({"reason": [_("Keep your reason to %(max)s characters or fewer (it has %(count)s).")
                                           % {"max": COMPLAINT_REASON_MAX_LENGTH, "count": len(reason)}]})
    now = timezone.now()
    answer.satisfied, answer.verdict_reason, answer.verdict_at = satisfied, reason if not satisfied else "", now
    answer.save(update_fields=["satisfied", "verdict_reason", "verdict_at"])
    events = [complaint_event(Action.COMPLAINT_VERDICT, complaint, actor=actor, ip=ip, level=answer.level,
                              satisfied=satisfied)]
    if satisfied or answer.level == OFFICE_LEVEL:
        status_move(complaint, ComplaintStatus.CLOSED)
        complaint.closed_at = now
        complaint.save(update_fields=["status", "closed_at"])
    else:
        office, handler_id = _office_target()
        status_move(complaint, ComplaintStatus.ESCALATED)
        _assign(complaint, office, handler_id, now=now)
        complaint.escalated_at = now
        complaint.save()
        events.append(complaint_event(Action.COMPLAINT_ESCALATED, complaint, actor=actor, ip=ip,
                                      department_code=office.code, handler=handler_id, level=OFFICE_LEVEL))
        _tell_handler(complaint)
        _tell_first_handler(complaint, answer)
        _tell_complainant(complaint, NotificationKind.COMPLAINT_ESCALATED)
    audit_record(*events)
    return complaint


# --- The scan ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Milestone:
    kind: str
    stamp: str
    reached: Callable[[date], Q]
    overdue: bool = False


MILESTONES = {
    "reminders": Milestone(NotificationKind.COMPLAINT_REMINDER, "reminded_at",
                           lambda today: Q(remind_on__lte=today, due_date__gte=today)),
    "overdue": Milestone(NotificationKind.COMPLAINT_OVERDUE, "overdue_at", lambda today: Q(due_date__lt=today),
                         overdue=True),
}


def _unsent(milestone: Milestone, today: date) -> Q:
    return Q(status__in=COMPLAINT_OPEN, **{f"{milestone.stamp}__isnull": True}) & milestone.reached(today)


def complaint_scan(*, today: date | None = None) -> dict[str, int]:
    """Send the complaints' reminders and overdue notices due today; returns how many of each."""
    today = today or local_today()
    now = timezone.now()
    sent = {}
    for name, milestone in MILESTONES.items():
        ids = list(Complaint.objects.filter(_unsent(milestone, today)).order_by("pk")
                   .values_list("pk", flat=True)[:SCAN_BATCH])
        sent[f"complaint_{name}"] = sum(_fire(milestone=milestone, complaint_id=pk, today=today, now=now) for pk in ids)
    return sent


def _fire(*, milestone: Milestone, complaint_id: int, today: date, now: datetime) -> bool:
    with transaction.atomic():
        # The claim: a second beat's UPDATE of this row waits for our commit, then matches nothing.
        if not Complaint.objects.filter(_unsent(milestone, today), pk=complaint_id).update(**{milestone.stamp: now}):
            return False
        complaint = Complaint.objects.select_related("handling_department").get(pk=complaint_id)
        recipients = [complaint.handler_id]
        if milestone.overdue:
            recipients += department_staff_ids(complaint.handling_department_id, role=MembershipRole.SUPERVISOR)
            audit_record(complaint_event(Action.COMPLAINT_OVERDUE, complaint, level=_level(complaint),
                                         department_code=complaint.handling_department.code))
        notify(recipient_ids=recipients, kind=milestone.kind, params=_params(complaint))
    return True
