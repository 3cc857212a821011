"""Batched nudges: routing and mail ids committed within the batch window leave as one message
per task (rendering: one per permit), published by the batcher thread, never by the request; inside a Celery task they go
at commit; a broker failure is swallowed and the reconciler catches up."""

import threading
import time

import pytest

from approvals import workflow
from approvals.models import Review, ReviewStatus
from approvals.tasks import notification_email_task, permit_render_task, route_application_task
from core import nudges
from portal.celery import app as celery_app

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published(monkeypatch, settings):
    """Every publish (task name, ids, publishing thread) instead of sending it; batching on."""
    settings.PORTAL_NUDGE_BATCH_SECONDS = 0.05
    sent, lock = [], threading.Lock()

    def record(task, *args):
        with lock:
            sent.append((task, args[0], threading.current_thread().name))
        return True

    monkeypatch.setattr(nudges, "publish", record)
    nudges.flush_nudges()
    yield sent
    nudges.flush_nudges()


def wait_until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def test_submissions_within_the_window_are_routed_by_few_messages(submit, published):
    applications = [submit() for _ in range(3)]
    expected = sorted(a.pk for a in applications)

    def routed_ids():
        return sorted(i for name, ids, _ in published if name == route_application_task.name for i in ids)

    assert wait_until(lambda: routed_ids() == expected)
    routes = [(ids, thread) for name, ids, thread in published if name == route_application_task.name]
    # Every id exactly once, all from the batcher thread, never from the submitting thread.
    assert {thread for _, thread in routes} == {"nudge-batcher"}
    assert len(routes) <= 3


def test_the_request_thread_never_publishes(submit, published):
    submit()
    assert [p for p in published if p[2] == threading.current_thread().name] == []
    assert wait_until(lambda: len(published) == 2)
    assert {(name, thread) for name, _ids, thread in published} == {
        (route_application_task.name, "nudge-batcher"), (notification_email_task.name, "nudge-batcher")}


@pytest.fixture
def batcher(monkeypatch, published):
    """A batcher of its own whose thread never flushes: the test flushes it."""
    batcher = nudges._Batcher()
    monkeypatch.setattr(batcher, "_run", lambda: None)
    monkeypatch.setattr(nudges, "_batcher", batcher)
    return batcher


def test_ids_of_many_commits_share_a_message_and_repeat_once(batcher, published):
    from django.db import transaction

    for ids in ([1, 2], [2, 3], [3]):
        with transaction.atomic():
            nudges.nudge_ids_on_commit(route_application_task.name, ids)
    assert published == []
    batcher.flush()
    assert published == [(route_application_task.name, [1, 2, 3], threading.current_thread().name)]
    batcher.flush()
    assert len(published) == 1


def test_one_per_message_ids_leave_one_message_each_from_the_batcher(batcher, published):
    from django.db import transaction


    for ids in ([5], [6], [5]):
        with transaction.atomic():
            nudges.nudge_ids_on_commit(permit_render_task.name, ids, one_per_message=True)
            nudges.nudge_ids_on_commit(route_application_task.name, ids)
    assert published == []
    batcher.flush()
    here = threading.current_thread().name
    assert sorted(published) == sorted([
        (permit_render_task.name, 5, here), (permit_render_task.name, 6, here),
        (route_application_task.name, [5, 6], here),
    ])


def test_a_final_flush_waits_for_the_flush_in_progress(batcher, monkeypatch):
    """A process that flushes before exiting must not return while the batch thread is still
    publishing ids it took from the buffer: they would die with the process."""
    from django.db import transaction

    entered, release, sent = threading.Event(), threading.Event(), []

    def slow(task, *args):
        entered.set()
        assert release.wait(5)
        sent.append(args[0])
        return True

    monkeypatch.setattr(nudges, "publish", slow)
    with transaction.atomic():
        nudges.nudge_ids_on_commit(route_application_task.name, [1])
    in_progress = threading.Thread(target=batcher.flush)
    in_progress.start()
    assert entered.wait(5)
    final = threading.Thread(target=batcher.flush)
    final.start()
    final.join(0.2)
    assert final.is_alive() and sent == []  # still waiting for the publish in progress
    release.set()
    final.join(5)
    in_progress.join(5)
    assert sent == [[1]]


def test_a_rolled_back_transaction_nudges_nothing(batcher, published):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        nudges.nudge_ids_on_commit(route_application_task.name, [7])
        raise RuntimeError
    batcher.flush()
    assert published == []


def test_more_ids_than_a_message_holds_are_split(batcher, published):
    from django.db import transaction

    with transaction.atomic():
        nudges.nudge_ids_on_commit(notification_email_task.name, range(nudges.BATCH_CHUNK + 1))
    batcher.flush()
    assert [len(ids) for _name, ids, _thread in published] == [nudges.BATCH_CHUNK, 1]


def test_inside_a_celery_task_nudges_go_at_commit(submit, published, officers):
    application = submit()
    nudges.flush_nudges()
    published.clear()
    # The routing task runs here with a request id, as in a worker: its mail nudge is not buffered.
    route_application_task.apply(args=([application.pk],))
    assert [(name, thread) for name, _ids, thread in published] == [
        (notification_email_task.name, threading.current_thread().name)]
    assert not Review.objects.filter(application=application, status=ReviewStatus.PENDING, routed_at__isnull=True).exists()


def test_a_broker_failure_in_the_batcher_is_swallowed(submit, monkeypatch, settings):
    settings.PORTAL_NUDGE_BATCH_SECONDS = 0.05
    calls = []

    def broken(*args, **kwargs):
        calls.append(args)
        raise ConnectionError("broker down")

    nudges.reset_backoff()
    monkeypatch.setattr(celery_app, "send_task", broken)
    application = submit()
    assert wait_until(lambda: len(calls) >= 1)
    nudges.flush_nudges()
    nudges.reset_backoff()
    # The batcher thread lives on, and the state waits for the reconciler.
    assert any(t.name == "nudge-batcher" and t.is_alive() for t in threading.enumerate())
    assert Review.objects.filter(application=application, status=ReviewStatus.PENDING, routed_at__isnull=True).count() == 3
    assert workflow.application_route(application_ids=[application.pk]) == 3
