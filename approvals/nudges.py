"""Sending Celery nudges after commit, without ever making a request wait on the broker.

A nudge only speeds things up: the state it refers to is already committed, and the
reconciler (approvals.reconcile) sends it again if it is lost. So a publish failure is
logged and swallowed, and for a short while after one, further publishes are skipped
instead of each waiting for its own timeout."""

import logging
import time

from django.db import transaction

log = logging.getLogger(__name__)

BROKER_BACKOFF_SECONDS = 10.0
_broker_down_until = 0.0


def publish(task, *args) -> bool:
    """Publish now; True when the broker took it."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        log.info("nudge %s%r skipped: broker recently unavailable", task.name, args)
        return False
    try:
        task.apply_async(args=args, retry=False)
        return True
    except Exception as exc:  # any broker failure: the reconciler will catch up
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        log.warning("nudge %s%r not sent (%s); the reconciler will resend it", task.name, args, exc)
        return False


def nudge_on_commit(task, *args) -> None:
    transaction.on_commit(lambda: publish(task, *args))


def reset_backoff() -> None:
    global _broker_down_until
    _broker_down_until = 0.0
