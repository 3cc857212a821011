"""Pre-application advice: a citizen sends a draft (its answers and files so far) to the
departments that review its service, before submitting it. Each department answers in writing by
its own due date (its ``advice_days`` working days, or ADVICE_DAYS); the advice stays with the
application, where the citizen reads it and the officers find it when the application arrives."""

from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import audit_record
from catalogue.models import Requirement
from core.errors import InvalidTransition, NotAllowed, WorkflowError
from departments.access import member_role
from departments.models import Department, MembershipRole

from .events import engine_event
from .locks import lock_advice_request, lock_application
from .models import AdviceRequest, Application, ApplicationStatus, Attachment, Notification, NotificationKind
from .notifications import departments_staff_ids, notifications_create
from .sla import local_today, sla_calendar

QUESTION_MAX_LENGTH = 2000
ANSWER_MAX_LENGTH = 4000


def advice_due_date(department: Department, asked_on: date) -> date:
    days = department.advice_days or settings.ADVICE_DAYS
    return sla_calendar(department.pk).add_working_days(asked_on, days)


def advice_departments(application: Application) -> list[Department]:
    """The departments that review the application's service."""
    ids = Requirement.objects.filter(service_id=application.service_id).values("department_id")
    return list(Department.objects.filter(pk__in=ids).order_by("code"))


@transaction.atomic
def advice_request(*, citizen, application_id: int, question: str = "", ip: str | None = None) -> list[AdviceRequest]:
    """Send the citizen's draft to every department of its service for advice. Refused while any
    department has not answered an earlier request of this draft: nothing is sent then."""
    application = lock_application(application_id)
    if application.applicant_id != citizen.pk:
        raise Application.DoesNotExist
    if application.status != ApplicationStatus.DRAFT:
        raise InvalidTransition(_("Advice can be asked for a draft only, before it is submitted."))
    question = question.strip()
    if len(question) > QUESTION_MAX_LENGTH:
        raise WorkflowError(_("Keep your question under %(n)d characters.") % {"n": QUESTION_MAX_LENGTH})
    if AdviceRequest.objects.filter(application_id=application.pk, answered_at__isnull=True).exists():
        raise InvalidTransition(_("You already asked for advice on this draft. You can ask again once every "
                                  "department has answered."))
    departments = advice_departments(application)
    if not departments:
        raise InvalidTransition(_("No department reviews this service yet."))
    files = list(Attachment.objects.filter(application_id=application.pk).order_by("pk").values_list("pk", flat=True))
    today = local_today()
    try:
        with transaction.atomic():
            rows = AdviceRequest.objects.bulk_create([
                AdviceRequest(application_id=application.pk, department=d, question=question,
                              answers=application.answers, attachment_ids=files, due_date=advice_due_date(d, today))
                for d in departments
            ])
    except IntegrityError:  # another request of the same draft committed first
        raise InvalidTransition(_("You already asked for advice on this draft.")) from None
    audit_record(*[engine_event(Action.ADVICE_REQUESTED, application, obj=row, actor=citizen, ip=ip,
                                department_code=row.department.code, due_date=row.due_date.isoformat(),
                                files=len(files)) for row in rows])
    staff = departments_staff_ids([d.pk for d in departments])
    notifications_create([
        Notification(recipient_id=user_id, kind=NotificationKind.ADVICE_REQUESTED, application_id=application.pk,
                     params={"advice": row.pk, "due_date": row.due_date.isoformat()})
        for row in rows for user_id in staff.get(row.department_id, [])
    ])
    return rows


def _staff_advice(officer, advice_id: int, *, lock: bool = False) -> AdviceRequest:
    if lock:
        advice = lock_advice_request(advice_id)
    else:
        advice = AdviceRequest.objects.select_related("application", "department").filter(pk=advice_id).first()
    if advice is None or member_role(officer, advice.department_id) not in (MembershipRole.OFFICER,
                                                                           MembershipRole.SUPERVISOR):
        raise AdviceRequest.DoesNotExist
    return advice


@transaction.atomic
def advice_view(*, officer, advice_id: int, ip: str | None = None) -> AdviceRequest:
    """An officer of the department asked opens the draft sent for advice (on record, as any
    read of a citizen's data by staff)."""
    advice = _staff_advice(officer, advice_id)
    audit_record(engine_event(Action.ADVICE_VIEWED, advice.application, obj=advice, actor=officer, ip=ip,
                              department_code=advice.department.code, purpose="advice"))
    return advice


@transaction.atomic
def advice_answer(*, officer, advice_id: int, text: str, ip: str | None = None) -> AdviceRequest:
    """Write the department's advice, once; the citizen is told."""
    text = text.strip()
    if not text:
        raise WorkflowError(_("Write your advice."))
    if len(text) > ANSWER_MAX_LENGTH:
        raise WorkflowError(_("Keep the advice under %(n)d characters.") % {"n": ANSWER_MAX_LENGTH})
    advice = _staff_advice(officer, advice_id, lock=True)
    if not advice.is_open:
        raise NotAllowed(_("This request was already answered."))
    advice.answer, advice.answered_at, advice.answered_by = text, timezone.now(), officer
    advice.save(update_fields=["answer", "answered_at", "answered_by"])
    audit_record(engine_event(Action.ADVICE_GIVEN, advice.application, obj=advice, actor=officer, ip=ip,
                              department_code=advice.department.code, purpose="advice",
                              on_time=local_today() <= advice.due_date))
    notifications_create([Notification(recipient_id=advice.application.applicant_id,
                                       kind=NotificationKind.ADVICE_GIVEN, application=advice.application,
                                       params={"department": advice.department.code})])
    return advice
