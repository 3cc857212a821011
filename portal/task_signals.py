"""Celery's signals, for observability only (the domain flow never hangs on a signal):

- a task published while a request or another task runs carries its request id in the message's
  headers (``before_task_publish``), and the worker binds it while the task runs, so the task's log
  lines carry the id of the request that caused it;
- each finished task is timed and counted by final state, each exception counted by type, and a
  permit render that produced the file counts as a permit rendered (portal.metrics).

Connected by portal.celery, so every process that has the Celery app (web, worker, beat) has them."""

import time

from celery.signals import before_task_publish, task_failure, task_postrun, task_prerun

from core.request_id import accepted, bind, current_request_id, unbind

from .metrics import PERMITS_RENDERED, TASK_FAILURES, TASK_RUNTIME

HEADER = "request_id"
RENDER_TASK = "permits.tasks.permit_render_task"
_started: dict[str, tuple[float, object]] = {}  # task id → (start, request id token), in the process running it


@before_task_publish.connect(weak=False)
def _carry_request_id(headers=None, **kwargs):
    request_id = current_request_id()
    if request_id and headers is not None:
        headers[HEADER] = request_id


def _header(task) -> str:
    # Custom message headers reach the task's request as attributes.
    return accepted(getattr(task.request, HEADER, None) or "")


@task_prerun.connect(weak=False)
def _task_started(task_id=None, task=None, **kwargs):
    # A task run in the publishing process itself (eager) keeps the id of what runs it.
    _started[task_id] = (time.monotonic(), bind(_header(task) or current_request_id()))


@task_postrun.connect(weak=False)
def _task_finished(task_id=None, task=None, retval=None, state=None, **kwargs):
    started, token = _started.pop(task_id, (None, None))
    if started is not None:
        TASK_RUNTIME.labels(task=task.name, state=state or "UNKNOWN").observe(time.monotonic() - started)
    if task.name == RENDER_TASK and state == "SUCCESS" and retval == "rendered":
        PERMITS_RENDERED.inc()
    if token is not None:
        unbind(token)


@task_failure.connect(weak=False)
def _task_failed(sender=None, exception=None, **kwargs):
    TASK_FAILURES.labels(task=getattr(sender, "name", "unknown"), exception=type(exception).__name__).inc()
