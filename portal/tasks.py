from celery import shared_task

from .media_sweep import media_sweep
from .retention import retention_purge


@shared_task(ignore_result=True)
def media_sweep_task() -> int:
    return len(media_sweep())


@shared_task(ignore_result=True, soft_time_limit=3300, time_limit=3500)
def retention_purge_task() -> dict:
    return retention_purge()
