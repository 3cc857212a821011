"""Celery tasks of the officer workspace: thin, idempotent."""

from celery import shared_task

from .sharing import shares_expire


@shared_task(ignore_result=True)
def shares_expire_task() -> int:
    return shares_expire()
