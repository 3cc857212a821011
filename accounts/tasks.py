from celery import shared_task

from .throttling import sign_in_records_prune


@shared_task(ignore_result=True)
def sign_in_records_prune_task():
    return sign_in_records_prune()
