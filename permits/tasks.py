from celery import shared_task

from .services import permit_render


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90)
def permit_render_task(permit_id: int) -> str:
    return permit_render(permit_id=permit_id)
