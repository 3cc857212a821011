from celery import shared_task

from .stats import stats_consume


@shared_task(ignore_result=True, acks_late=True)
def stats_consume_task():
    return stats_consume()
