"""Celery tasks: thin nudges that carry ids, re-read state and are safe to run twice."""

from celery import shared_task

from .appointments import booking_reminders_send
from .calendar_changes import calendar_changes_record
from .complaint_mail import complaint_mail_send
from .complaints import complaint_scan, complaints_unconfirmed_prune
from .follow_on_ends import follow_ons_lapse
from .notifications import notification_send_email, outbox_send_batch
from .opinion_deadlines import opinion_scan
from .permit_flow import permit_render
from .permit_life import permit_reminders_send
from .reconcile import reconcile
from .rectifications import rectification_scan
from .sharing import shares_expire
from .sla import sla_scan
from .workflow import application_route


@shared_task(ignore_result=True)
def route_application_task(application_ids: list[int] | int) -> int:
    ids = [application_ids] if isinstance(application_ids, int) else application_ids
    return application_route(application_ids=ids)


@shared_task(ignore_result=True)
def notification_email_task(notification_ids: list[int]) -> list[str]:
    return outbox_send_batch(lambda pk: notification_send_email(notification_id=pk), notification_ids)


@shared_task(ignore_result=True)
def sla_scan_task() -> dict:
    return {**sla_scan(), **opinion_scan(), **rectification_scan()}


@shared_task(ignore_result=True)
def permit_reminders_send_task() -> int:
    return permit_reminders_send()


@shared_task(ignore_result=True)
def follow_ons_lapse_task() -> int:
    return follow_ons_lapse()


@shared_task(ignore_result=True)
def complaint_scan_task() -> dict:
    return complaint_scan()


@shared_task(ignore_result=True)
def complaints_unconfirmed_prune_task() -> int:
    return complaints_unconfirmed_prune()


@shared_task(ignore_result=True)
def complaint_mail_task(mail_ids: list[int]) -> list[str]:
    return outbox_send_batch(lambda pk: complaint_mail_send(mail_id=pk), mail_ids)


@shared_task(ignore_result=True)
def calendar_changes_record_task(revisions: list[int] | None = None) -> int:
    # Every revision not recorded yet, whichever the nudge names (beat sends none).
    return calendar_changes_record()


@shared_task(ignore_result=True)
def reconcile_task() -> dict:
    return reconcile()


# Published under the name it had when it lived in the permits app: the routing of
# "permits.tasks.*" to the permits queue, and messages already queued, keep working.
@shared_task(name="permits.tasks.permit_render_task", ignore_result=True, soft_time_limit=60, time_limit=90)
def permit_render_task(permit_id: int) -> str:
    return permit_render(permit_id=permit_id)


@shared_task(ignore_result=True)
def shares_expire_task() -> int:
    return shares_expire()


@shared_task(ignore_result=True)
def appointment_reminders_send_task() -> int:
    return booking_reminders_send()
