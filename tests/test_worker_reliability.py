"""The engine's reliability promises, checked through real parts: PostgreSQL, Redis and real
`celery -A portal worker` processes (tests.celery_worker).

- every nudge delivered several times, some at once, leaves the same state as one delivery;
- a broker that accepts connections and never answers does not hold up a submission, and once
  it is back the reconciler gets every review routed;
- a worker killed with SIGKILL mid-work loses nothing: a fresh worker and the reconciler bring
  every application to its final state, with no duplicate permit or notification."""

import hashlib
import time
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from approvals import workflow
from approvals.models import (
    Application,
    ApplicationStatus,
    EmailStatus,
    Notification,
    NotificationKind,
    Review,
    ReviewStatus,
)
from approvals.tasks import notification_email_task, permit_render_task, route_application_task
from audit.models import Action, AuditEvent
from core.nudges import publish, reset_backoff
from permits.models import Permit
from portal.celery import app
from tests.celery_worker import *  # noqa: F403  (the fixtures celery_queue and start_worker)
from tests.celery_worker import (
    HungBroker,
    broker_idle,
    mails_in,
    publishing_to,
    reconcile_now,
    redeliver_unacked,
    redis_client,
    unacked,
    wait_for,
)
from tests.engine_fixtures import filled_in_through_the_web, pdf_upload
from tests.services import redis_url

pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def approve_everything(application, people):
    for stage in sorted(set(application.reviews.values_list("stage", flat=True))):
        for review in application.reviews.filter(stage=stage).select_related("department"):
            workflow.review_decide(review_id=review.pk, actor=people[review.department.code], decision="approve")


def stage_one_routed(applications) -> bool:
    return not Review.objects.filter(application__in=applications, stage=1, routed_at__isnull=True).exists()


def idle_twice(queue: str, unacked_left: int = 0) -> bool:
    """The queue is empty and nothing is being worked on, twice in a row (a message moves from
    the queue to the unacknowledged set in two steps)."""
    if not broker_idle(queue, unacked_left=unacked_left):
        return False
    time.sleep(0.3)
    return broker_idle(queue, unacked_left=unacked_left)


def permit_files() -> set[str]:
    """The names of the stored permit files, wherever the storage keeps them."""
    try:
        return {f"permits/{name}" for name in default_storage.listdir("permits")[1]}
    except FileNotFoundError:
        return set()


def assert_permits_intact(settings, applications):
    """One current permit per application, its file the one stored, its digest the file's."""
    permits = list(Permit.objects.filter(application__in=applications))
    assert sorted(p.application_id for p in permits) == sorted(a.pk for a in applications)
    assert permit_files() == {p.file.name for p in permits}
    for permit in permits:
        with permit.file.open("rb") as stored:
            content = stored.read()
        assert content.startswith(b"%PDF"), permit.number
        assert hashlib.sha256(content).hexdigest() == permit.sha256, permit.number


def counts_by(queryset, field) -> dict:
    result = {}
    for value in queryset.values_list(field, flat=True):
        result[value] = result.get(value, 0) + 1
    return result


def state_summary(applications=None) -> str:
    apps = Application.objects.all() if applications is None else Application.objects.filter(pk__in=[a.pk for a in applications])
    return (
        f"applications: {counts_by(apps, 'status')}\n"
        f"unrouted pending reviews: {Review.objects.filter(status=ReviewStatus.PENDING, routed_at__isnull=True).count()}\n"
        f"permits unrendered: {Permit.objects.filter(rendered_at__isnull=True).count()}\n"
        f"emails: {counts_by(Notification.objects.all(), 'email_status')}"
    )


def test_every_nudge_delivered_three_times_leaves_the_state_of_one(submit, officers, start_worker, celery_queue,
                                                                   settings, tmp_path):
    mail_dir = tmp_path / "mail"
    start_worker(mail_dir=mail_dir)
    to_route = submit()
    to_issue = submit()
    approve_everything(to_issue, officers)  # each commit has already sent its nudges once
    permit = Permit.objects.get(application=to_issue)
    for _ in range(2):
        for application in (to_route, to_issue):
            publish(route_application_task.name, application.pk)
        publish(permit_render_task.name, permit.pk)

    def settled():
        return (stage_one_routed([to_route]) and Application.objects.get(pk=to_issue.pk).status == ApplicationStatus.ISSUED
                and idle_twice(celery_queue))

    wait_for(settled, timeout=60, what="routing and rendering", details=state_summary)
    ids = list(Notification.objects.values_list("pk", flat=True))
    for _ in range(2):
        publish(notification_email_task.name, ids)
    wait_for(lambda: not Notification.objects.exclude(email_status=EmailStatus.SENT).exists() and idle_twice(celery_queue),
             timeout=60, what="every email sent", details=state_summary)

    routed = Review.objects.filter(application=to_route, stage=1)
    assert routed.count() == 3 and not routed.filter(routed_at__isnull=True).exists()
    assert Notification.objects.filter(application=to_route, kind=NotificationKind.REVIEW_ROUTED).count() == 3
    assert AuditEvent.objects.filter(application_id=to_route.pk, action=Action.REVIEW_ROUTED).count() == 3
    assert max(counts_by(Notification.objects.filter(kind=NotificationKind.REVIEW_ROUTED), "review_id").values()) == 1

    assert_permits_intact(settings, [to_issue])
    assert Notification.objects.filter(application=to_issue, kind=NotificationKind.PERMIT_READY).count() == 1
    assert AuditEvent.objects.filter(application_id=to_issue.pk, action=Action.PERMIT_RENDERED).count() == 1
    permit.refresh_from_db()
    assert permit.render_attempts == 1

    # One mail per notification, although each was asked for three times.
    assert mails_in(mail_dir) == len(ids) == Notification.objects.count()


def test_hung_broker_never_holds_up_a_submission_and_the_reconciler_catches_up(
        client, restaurant, citizen, officers, start_worker, celery_queue, settings, tmp_path):

    settings.MEDIA_ROOT = str(tmp_path / "media")
    options = app.conf.broker_transport_options or {}
    assert options.get("socket_timeout"), (
        "the Redis broker has no socket timeout: run with CELERY_BROKER_URL=redis://… so the settings set one")
    broker = HungBroker(redis_url())
    try:
        with publishing_to(broker_url=broker.url, queue=celery_queue):
            # Through the web: the whole journey, timing the submission that publishes the nudges.
            by_web = filled_in_through_the_web(client, restaurant, citizen)
            started = time.monotonic()
            response = client.post(reverse("approvals:check", args=[by_web.pk]), {"declaration": "yes"})
            web_seconds = time.monotonic() - started
            assert response.status_code == 302 and response.url == reverse("approvals:submitted", args=[by_web.pk])
            assert broker.accepted >= 1, "the submission never tried the broker"
            assert web_seconds < 2.0, f"web submission took {web_seconds:.2f}s with the broker hung"

            # Through the workflow, with the publish back-off cleared so this one waits on the broker too.
            reset_backoff()
            application = workflow.application_start(applicant=citizen, service=restaurant)
            workflow.application_save_answers(application_id=application.pk, actor=citizen, data={
                "business_name": "Jade Garden", "cuisine": "chinese", "seats": "12", "site_address": "2 Harbour Road"})
            workflow.application_attach(application_id=application.pk, actor=citizen, field_key="floor_plan",
                                        uploaded=pdf_upload())
            started = time.monotonic()
            workflow.application_submit(application_id=application.pk, actor=citizen)
            direct_seconds = time.monotonic() - started
            assert direct_seconds < 2.0, f"application_submit took {direct_seconds:.2f}s with the broker hung"

            submitted = [by_web, application]
            assert Application.objects.filter(pk__in=[a.pk for a in submitted], status=ApplicationStatus.IN_REVIEW).count() == 2
            assert not Review.objects.filter(application__in=submitted, routed_at__isnull=False).exists()
            assert redis_client().llen(celery_queue) == 0  # nothing got through

            # The broker comes back (same address: this process's pools must recover by themselves);
            # a worker starts, and the beat reconciler resends what the outage swallowed.
            broker.recover()
            start_worker()
            wait_for(lambda: stage_one_routed(submitted), between=reconcile_now, every=1.0, timeout=60,
                     what="the reconciler to get every stage-1 review routed", details=state_summary)
    finally:
        broker.close()

    reviews = Review.objects.filter(application__in=submitted, stage=1)
    assert reviews.count() == 6
    assert counts_by(Notification.objects.filter(kind=NotificationKind.REVIEW_ROUTED), "review_id") == {
        r.pk: 1 for r in reviews}
    print(f"\nhung broker: web submit {web_seconds:.2f}s, workflow submit {direct_seconds:.2f}s")


def test_worker_killed_mid_work_loses_nothing_and_duplicates_nothing(submit, officers, start_worker, celery_queue,
                                                                    settings, tmp_path):
    mail_dir = tmp_path / "mail"
    # Forty applications with their nudges committed to the queue before any worker runs: three
    # in four fully approved (permits to render), the rest only submitted (reviews to route).
    to_issue, to_route = [], []
    for n in range(40):
        application = submit()
        if n % 4 == 3:
            to_route.append(application)
        else:
            approve_everything(application, officers)
            to_issue.append(application)
    assert Permit.objects.count() == 30

    doomed = start_worker(name="doomed", mail_dir=mail_dir, concurrency=2)
    wait_for(lambda: Permit.objects.filter(rendered_at__isnull=False).count() >= 5, timeout=90,
             every=0.05, what="the first worker to render five permits", details=doomed.log)
    doomed.kill()
    rendered_at_kill = Permit.objects.filter(rendered_at__isnull=False).count()
    in_flight = Permit.objects.filter(rendered_at__isnull=True, render_claimed_at__isnull=False).count()
    waiting, taken_down = redis_client().llen(celery_queue), unacked(celery_queue)
    assert rendered_at_kill < 30, "the worker finished everything before it was killed: nothing was tested"

    started = time.monotonic()
    start_worker(name="fresh", mail_dir=mail_dir, concurrency=2)

    def done():
        return (
            Application.objects.filter(pk__in=[a.pk for a in to_issue], status=ApplicationStatus.ISSUED).count() == 30
            and stage_one_routed(to_route)
            and not Notification.objects.exclude(email_status=EmailStatus.SENT).exists()
            # The killed worker's unacknowledged messages stay in Redis until the visibility timeout.
            and idle_twice(celery_queue, unacked_left=taken_down)
        )

    wait_for(done, between=reconcile_now, every=2.0, timeout=120,
             what="a fresh worker and the reconciler to finish everything", details=state_summary)
    recovery_seconds = time.monotonic() - started
    assert_final_state(settings, mail_dir, to_issue, to_route)
    mails = mails_in(mail_dir)

    # An hour later Redis hands the killed worker's messages out again: they change nothing.
    redelivered = redeliver_unacked(celery_queue)
    wait_for(lambda: idle_twice(celery_queue), timeout=60, what="the redelivered messages to be processed",
             details=state_summary)
    assert_final_state(settings, mail_dir, to_issue, to_route)
    assert mails_in(mail_dir) == mails
    print(f"\nkill -9: {rendered_at_kill}/30 rendered and {in_flight} renders in flight at the kill, {waiting} "
          f"messages queued and {taken_down} taken down with the worker (redelivered later: {redelivered}); "
          f"recovered in {recovery_seconds:.1f}s; {mails} mails for {Notification.objects.count()} notifications")


def assert_final_state(settings, mail_dir, to_issue, to_route):
    assert counts_by(Application.objects.all(), "status") == {ApplicationStatus.ISSUED: len(to_issue),
                                                              ApplicationStatus.IN_REVIEW: len(to_route)}
    assert_permits_intact(settings, to_issue)
    for kind in (NotificationKind.APPROVED, NotificationKind.PERMIT_READY):
        assert counts_by(Notification.objects.filter(kind=kind), "application_id") == {a.pk: 1 for a in to_issue}, kind
    for action in (Action.PERMIT_ISSUED, Action.PERMIT_RENDERED):
        assert counts_by(AuditEvent.objects.filter(action=action), "application_id") == {a.pk: 1 for a in to_issue}
    routed_reviews = Review.objects.filter(application__in=to_route, stage=1)
    assert counts_by(Notification.objects.filter(kind=NotificationKind.REVIEW_ROUTED, application__in=to_route),
                     "review_id") == {r.pk: 1 for r in routed_reviews}
    assert max(counts_by(Notification.objects.filter(kind=NotificationKind.REVIEW_ROUTED), "review_id").values()) == 1
    assert not Notification.objects.exclude(email_status=EmailStatus.SENT).exists()
    # Mail is at-least-once: a process killed between sending and recording can send one again.
    sent = Notification.objects.count()
    assert sent <= mails_in(mail_dir) <= sent + 2


def test_batched_nudges_route_and_mail_everything_through_a_real_worker(submit, officers, start_worker, celery_queue,
                                                                          settings, tmp_path):
    settings.PORTAL_NUDGE_BATCH_SECONDS = 0.05
    mail_dir = tmp_path / "mail"
    start_worker(mail_dir=mail_dir)
    applications = [submit() for _ in range(12)]
    approve_everything(applications[0], officers)

    def settled():
        return (stage_one_routed(applications)
                and Application.objects.get(pk=applications[0].pk).status == ApplicationStatus.ISSUED
                and not Notification.objects.exclude(email_status=EmailStatus.SENT).exists()
                and idle_twice(celery_queue))

    wait_for(settled, timeout=60, what="batched routing and mail", details=state_summary)
    assert Review.objects.filter(application__in=applications[1:], stage=1, routed_at__isnull=False).count() == 33
    assert max(counts_by(Notification.objects.filter(kind=NotificationKind.REVIEW_ROUTED), "review_id").values()) == 1
    assert mails_in(mail_dir) == Notification.objects.count()


@pytest.mark.s3
def test_workers_on_disks_of_their_own_render_permits_into_the_shared_bucket(submit, officers, citizen, start_worker,
                                                                             celery_queue, s3_storage, settings,
                                                                             tmp_path, client):
    """Two workers standing for two hosts (each its own MEDIA_ROOT, the bucket's S3_* variables from
    the environment) render the permits; the web side (this process) serves them from the bucket,
    and no file reaches any local disk."""
    disks = [tmp_path / "host-a", tmp_path / "host-b"]
    for n, disk in enumerate(disks):
        start_worker(name=f"host{n}", media_root=disk)
    applications = [submit() for _ in range(6)]
    for application in applications:
        approve_everything(application, officers)

    def issued():
        return Application.objects.filter(pk__in=[a.pk for a in applications], status=ApplicationStatus.ISSUED).count() == 6

    wait_for(issued, timeout=90, what="both workers to render six permits into the bucket", details=state_summary)
    assert_permits_intact(settings, applications)
    client.force_login(citizen)
    for permit in Permit.objects.filter(application__in=applications):
        response = client.get(reverse("permits:download", args=[permit.number]))
        assert response.status_code == 200
        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == permit.sha256
    for disk in (*disks, settings.MEDIA_ROOT):
        assert [p for p in Path(disk).rglob("*") if p.is_file()] == [], disk
