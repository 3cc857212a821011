from celery import shared_task

from . import webhooks
from .expiry import api_token_expiry_warn


@shared_task(ignore_result=True, soft_time_limit=20, time_limit=30)
def webhook_deliver_task(delivery_id: int):
    return webhooks.webhook_deliver(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def webhook_tick_task():
    return webhooks.webhook_tick()


@shared_task(ignore_result=True, soft_time_limit=240, time_limit=300)
def api_token_expiry_warn_task():
    return api_token_expiry_warn()
