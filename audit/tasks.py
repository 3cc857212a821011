from celery import shared_task

from .chain import audit_seal


@shared_task(ignore_result=True)
def audit_seal_task():
    return audit_seal()
