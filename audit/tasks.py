import logging

from celery import shared_task
from django.db import transaction

from .anchors import audit_anchor
from .chain import audit_seal
from .services import chain_check_run

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def audit_seal_task():
    return audit_seal()


@shared_task(ignore_result=True)
def audit_anchor_task():
    """Beat asks every minute; a checkpoint is written once per period (audit.anchors)."""
    checkpoint = audit_anchor()
    return checkpoint.position if checkpoint else None


@shared_task(ignore_result=True)
def chain_check_task(check_id: int):
    """A slice of a chain check; a long chain continues in the next message (its progress is in the
    database, so a lost message only pauses it: the page sends the check again when it stalls)."""
    if chain_check_run(check_id=check_id) == "continue":
        chain_check_nudge(check_id)


def chain_check_nudge(check_id: int) -> None:
    """Send the check to a worker; a broker failure is logged, never raised (the check stays
    queued and the page sends it again once it counts as stalled)."""
    try:
        chain_check_task.apply_async(args=[check_id], retry=False)
    except Exception as exc:  # any broker failure
        log.warning("chain check %s not sent (%s); it is sent again when it stalls", check_id, exc)


def chain_check_nudge_on_commit(check_id: int) -> None:
    transaction.on_commit(lambda: chain_check_nudge(check_id))
