"""Celery tasks: thin nudges that carry ids, re-read state and are safe to run twice."""

from celery import shared_task

from .notifications import notification_send_email
from .reconcile import reconcile
from .sharing import shares_expire
from .sla import sla_scan
from .workflow import application_route


@shared_task(ignore_result=True)
def route_application_task(application_ids: list[int] | int) -> int:
    ids = [application_ids] if isinstance(application_ids, int) else application_ids
    return application_route(application_ids=ids)


@shared_task(ignore_result=True)
def notification_email_task(notification_ids: list[int]) -> list[str]:
    return [notification_send_email(notification_id=pk) for pk in notification_ids]


@shared_task(ignore_result=True)
def sla_scan_task() -> dict:
    return sla_scan()


@shared_task(ignore_result=True)
def reconcile_task() -> dict:
    return reconcile()


@shared_task(ignore_result=True)
def shares_expire_task() -> int:
    return shares_expire()
