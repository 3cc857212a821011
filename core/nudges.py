"""Sending Celery nudges after commit, without ever making a request wait on the broker.

A nudge only speeds things up: the state it refers to is already committed, and the
reconciler (approvals.reconcile) sends it again if it is lost. So a publish failure is
logged and swallowed, and for a short while after one, further publishes are skipped
instead of each waiting for its own timeout.

Nudges sent often (routing, mail, rendering) are batched: after commit the ids join a
per-process buffer that a background thread publishes every PORTAL_NUDGE_BATCH_SECONDS (1 s at
most): one message per task for everything committed meanwhile, or one per id for rendering,
which should spread over the worker's processes. A request then never talks to the broker at
all, and one routing or mail task serves many transactions (a publish costs about 1.2 ms of
CPU here; under load the batch is what lets routing keep up with submissions). Inside a Celery
task, or with the setting at 0, they are published at commit instead. A buffer lost with its
process is found by the reconciler, like any lost nudge. A batched message carries the request
ids (core.request_id) of the transactions whose ids it holds, so their log lines meet the task's.

A task is named, never imported ("approvals.tasks.route_application_task"): the module that
sends a nudge does not depend on the module that handles it."""

import atexit
import contextlib
import logging
import os
import threading
import time

from celery import current_app, current_task
from django.conf import settings
from django.db import transaction

from .request_id import bound, current_request_id, joined

log = logging.getLogger(__name__)

BROKER_BACKOFF_SECONDS = 10.0
BATCH_CHUNK = 500  # ids per message
MAX_BATCH_SECONDS = 1.0
_broker_down_until = 0.0


def publish(task: str, *args) -> bool:
    """Publish the task named ``task`` now; True when the broker took it."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        log.info("nudge %s%r skipped: broker recently unavailable", task, args)
        return False
    try:
        current_app.send_task(task, args=args, retry=False)
        return True
    except Exception as exc:  # any broker failure: the reconciler will catch up
        _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        log.warning("nudge %s%r not sent (%s); the reconciler will resend it", task, args, exc)
        return False


def nudge_ids_on_commit(task: str, ids, *, one_per_message: bool = False) -> None:
    """Nudge the task named ``task`` with ``ids`` after commit, batched with the other
    transactions' ids. With ``one_per_message`` each id goes out on its own, for work that should
    spread over a worker's processes (rendering), still sent by the batch thread, not by the
    request."""
    ids = list(ids)
    if ids:
        transaction.on_commit(lambda: _batcher.add(task, ids, one_per_message=one_per_message))


def _in_celery_task() -> bool:
    return bool(current_task and current_task.request.id)


def _publish_ids(task, ids: list, one_per_message: bool, origins: dict | None = None) -> None:
    """``origins``: the request id each id was committed under, for a batch published by the
    thread (a direct publish runs in the request's own context already)."""
    origins = origins or {}
    if one_per_message:
        for pk in ids:
            with bound(origins.get(pk, "")) if origins else contextlib.nullcontext():
                publish(task, pk)
        return
    for start in range(0, len(ids), BATCH_CHUNK):
        chunk = ids[start:start + BATCH_CHUNK]
        with bound(joined(origins.get(pk) for pk in chunk)) if origins else contextlib.nullcontext():
            publish(task, chunk)


class _Batcher:
    def __init__(self):
        self.pid = None
        self.start_lock = threading.Lock()

    def _start(self):
        # Per process: a forked child (gunicorn, Celery, simulate) starts its own buffer and thread.
        self.pid, self.lock, self.pending, self.origins = os.getpid(), threading.Lock(), {}, {}
        # Held for a whole flush: a process flushing before it exits waits for the thread's
        # flush in progress, whose ids would otherwise die with the process.
        self.flush_lock = threading.Lock()
        threading.Thread(target=self._run, name="nudge-batcher", daemon=True).start()

    def add(self, task, ids, *, one_per_message: bool = False) -> None:
        interval = settings.PORTAL_NUDGE_BATCH_SECONDS
        if interval <= 0 or _in_celery_task():
            # A worker's process may be recycled right after its task: no buffer there.
            _publish_ids(task, ids, one_per_message)
            return
        if self.pid != os.getpid():
            with self.start_lock:
                if self.pid != os.getpid():
                    self._start()
        request_id = current_request_id()
        with self.lock:
            self.pending.setdefault((task, one_per_message), []).extend(ids)
            if request_id:
                self.origins.setdefault((task, one_per_message), {}).update(dict.fromkeys(ids, request_id))

    def flush(self) -> None:
        if self.pid != os.getpid():
            return
        with self.flush_lock:
            with self.lock:
                pending, self.pending = self.pending, {}
                origins, self.origins = self.origins, {}
            for (task, one_per_message), ids in pending.items():
                _publish_ids(task, list(dict.fromkeys(ids)), one_per_message, origins.get((task, one_per_message)))

    def _run(self):
        while True:
            time.sleep(min(settings.PORTAL_NUDGE_BATCH_SECONDS, MAX_BATCH_SECONDS) or MAX_BATCH_SECONDS)
            try:
                self.flush()
            except Exception:  # the thread must live on; the reconciler covers what was lost
                log.exception("nudge batch not sent")


_batcher = _Batcher()
flush_nudges = _batcher.flush
atexit.register(flush_nudges)


def reset_backoff() -> None:
    global _broker_down_until
    _broker_down_until = 0.0
