from celery import shared_task

from .media_sweep import media_sweep


@shared_task(ignore_result=True)
def media_sweep_task() -> int:
    return len(media_sweep())
