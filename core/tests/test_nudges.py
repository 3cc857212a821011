"""Nudges name the task they send: nothing imports a task module to publish it."""

import threading
from unittest import mock

from celery import current_app

from core import nudges
from portal.celery import app as portal_app


def test_publish_sends_the_task_by_name_without_retrying():
    nudges.reset_backoff()
    with mock.patch.object(current_app, "send_task") as send_task:
        assert nudges.publish("approvals.tasks.route_application_task", [3, 4]) is True
    send_task.assert_called_once_with("approvals.tasks.route_application_task", args=([3, 4],), retry=False)


def test_a_broker_failure_is_swallowed_and_later_publishes_wait_for_the_backoff():
    nudges.reset_backoff()
    with mock.patch.object(current_app, "send_task", side_effect=OSError("broker down")) as send_task:
        assert nudges.publish("permits.tasks.permit_render_task", 7) is False
        assert nudges.publish("permits.tasks.permit_render_task", 8) is False
    assert send_task.call_count == 1
    nudges.reset_backoff()


def test_every_name_the_portal_publishes_is_a_registered_task():
    names = {"approvals.tasks.route_application_task", "approvals.tasks.notification_email_task",
             "permits.tasks.permit_render_task", "api.tasks.webhook_deliver_task"}
    current_app.loader.import_default_modules()
    assert names <= set(current_app.tasks)


def test_a_nudge_sent_from_another_thread_goes_through_the_portals_celery_app():
    # Officers' requests, the nudge batcher and the simulator publish from threads of their own.
    nudges.reset_backoff()
    results = []
    with mock.patch.object(portal_app, "send_task") as send_task:
        thread = threading.Thread(target=lambda: results.append(nudges.publish("permits.tasks.permit_render_task", 9)))
        thread.start()
        thread.join()
    assert results == [True]
    send_task.assert_called_once_with("permits.tasks.permit_render_task", args=(9,), retry=False)
