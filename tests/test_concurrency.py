"""Concurrency on real PostgreSQL: officers deciding the same application at the same moment,
every task run twice and at once, and two beat processes scanning deadlines together.

Threads stand in for web and worker processes: each has its own database connection (closed
when it ends), and a Barrier releases them together. Nudges are recorded instead of sent, so
the tests can count them."""

import hashlib
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection, transaction

from approvals import workflow
from approvals.applicants import applicant_profile_update
from approvals.models import Application, ApplicationStatus, Notification, NotificationKind, Review, ReviewStatus
from approvals.notifications import notification_send_email
from approvals.permit_flow import permit_render
from approvals.sla import local_today, sla_scan
from approvals.tasks import notification_email_task, permit_render_task, route_application_task
from audit.models import Action, AuditEvent
from core import nudges
from departments.models import Department
from permits import rendering
from permits.models import Permit
from tests.concurrent import run_together, run_while_waited_on
from tests.factories import FIELDS, VALID_ANSWERS, officer, restaurant_service

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NO_DOCUMENT_FIELDS = [f for f in FIELDS if f[1] != "file"]


# --- Helpers ---------------------------------------------------------------------------------------


@pytest.fixture
def sent_nudges(monkeypatch):
    """Record every nudge sent after commit (task name, args) instead of publishing it."""
    sent = []
    lock = threading.Lock()

    def record(task, *args):
        with lock:
            sent.append((task, args))
        return True

    monkeypatch.setattr(nudges, "publish", record)
    return sent


def race_rounds(lanes: list[str], rounds: list[dict], timeout: float = 60) -> list[BaseException]:
    """One thread per lane (a department's officer). In each round every lane waits at a
    Barrier, then runs its call for that round (``rounds[i][lane]``, if any) at the same moment
    as the others. Returns the errors raised."""
    barrier = threading.Barrier(len(lanes))
    errors = []

    def lane(name):
        try:
            for calls in rounds:
                barrier.wait(timeout=timeout)
                if name in calls:
                    try:
                        calls[name]()
                    except Exception as exc:
                        errors.append(exc)
        except threading.BrokenBarrierError as exc:
            errors.append(exc)
        finally:
            # Past the last round every lane has left the barrier; before it, a lane that dies
            # must not leave the others waiting.
            barrier.abort()
            connection.close()

    threads = [threading.Thread(target=lane, args=(name,)) for name in lanes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout * 2)
    assert not any(t.is_alive() for t in threads), "a lane did not finish"
    return errors


def service_with(stages: dict[int, list[str]], slug: str, identity: tuple[str, ...] = ()):
    """A restaurant-like service without a document, with the given departments per stage (each
    shown ``identity`` of the applicant), and one officer and one supervisor per department."""
    keys = list(VALID_ANSWERS)
    service = restaurant_service(slug=slug, fields=NO_DOCUMENT_FIELDS, reviews=[
        (code, stage, 5, keys, list(identity)) for stage, codes in stages.items() for code in codes])
    people = {}
    for code in [c for codes in stages.values() for c in codes]:
        department = Department.objects.get(code=code)
        people[code] = officer(department)
        officer(department, role="supervisor")
    return service, people


def submit_quickly(service, applicant) -> Application:
    application = workflow.application_start(applicant=applicant, service=service, answers=VALID_ANSWERS)
    return workflow.application_submit(application_id=application.pk, actor=applicant)


def review_ids(applications) -> dict[int, dict[str, int]]:
    ids = {}
    for app_id, review_id, code in Review.objects.filter(application__in=applications).values_list(
            "application_id", "pk", "department__code"):
        ids.setdefault(app_id, {})[code] = review_id
    return ids


def approve(review_id, actor):
    return lambda: workflow.review_decide(review_id=review_id, actor=actor, decision="approve")


def count(nudges_sent, task) -> dict:
    result = {}
    for name, args in nudges_sent:
        if name == task.name:
            for key in args[0] if isinstance(args[0], list) else [args[0]]:
                result[key] = result.get(key, 0) + 1
    return result


# --- Fan-in: concurrent decisions ---------------------------------------------------------------


def test_concurrent_final_approvals_issue_exactly_one_permit_per_application(citizen, sent_nudges):
    """200 applications; the three final-stage departments of each approve at the same moment."""
    service, people = service_with({1: ["registration"], 2: ["health", "fire", "tax"]}, slug="race-final")
    applications = [submit_quickly(service, citizen) for _ in range(200)]
    ids = review_ids(applications)
    for application in applications:
        approve(ids[application.pk]["registration"], people["registration"])()
    assert Review.objects.filter(application__in=applications, stage=2, status=ReviewStatus.PENDING).count() == 600

    final = ["health", "fire", "tax"]
    rounds = [{code: approve(ids[a.pk][code], people[code]) for code in final} for a in applications]
    errors = race_rounds(final, rounds)
    assert errors == []

    statuses = dict(Application.objects.filter(pk__in=[a.pk for a in applications]).values_list("pk", "status"))
    assert set(statuses.values()) == {ApplicationStatus.APPROVED}, "some applications are stuck"
    assert Permit.objects.count() == 200
    assert sorted(Permit.objects.values_list("application_id", flat=True)) == sorted(statuses)
    assert Notification.objects.filter(kind=NotificationKind.APPROVED).count() == 200
    assert AuditEvent.objects.filter(action=Action.PERMIT_ISSUED).count() == 200
    # The permit is rendered once per application: one nudge, sent by the one fan-in.
    assert count(sent_nudges, permit_render_task) == dict.fromkeys(Permit.objects.values_list("pk", flat=True), 1)


def test_concurrent_last_approvals_of_a_stage_open_the_next_stage_once(citizen, sent_nudges):
    """Both stage-1 departments approve at the same moment, then both stage-2 departments."""
    service, people = service_with({1: ["registration", "health"], 2: ["fire", "tax"]}, slug="race-stages")
    applications = [submit_quickly(service, citizen) for _ in range(60)]
    ids = review_ids(applications)
    first, second = ["registration", "health"], ["fire", "tax"]
    assert race_rounds(first, [{code: approve(ids[a.pk][code], people[code]) for code in first}
                               for a in applications]) == []

    assert set(Application.objects.filter(pk__in=[a.pk for a in applications]).values_list("current_stage", flat=True)) == {2}
    stage_two = Review.objects.filter(application__in=applications, stage=2)
    assert set(stage_two.values_list("status", flat=True)) == {ReviewStatus.PENDING}
    # Opening a stage sends one routing nudge; the submission sent the other.
    assert count(sent_nudges, route_application_task) == {a.pk: 2 for a in applications}
    for application in applications:  # both stage-2 reviews opened by one transaction
        assert len(set(stage_two.filter(application=application).values_list("pending_since", flat=True))) == 1

    assert race_rounds(second, [{code: approve(ids[a.pk][code], people[code]) for code in second}
                               for a in applications]) == []
    assert set(Application.objects.filter(pk__in=[a.pk for a in applications]).values_list("status", flat=True)) == {
        ApplicationStatus.APPROVED}
    assert Permit.objects.count() == 60
    assert count(sent_nudges, route_application_task) == {a.pk: 2 for a in applications}


# --- Every task twice, and twice at once --------------------------------------------------------------


def routed_state(application):
    reviews = Review.objects.filter(application=application, stage=1)
    return {
        "routed": reviews.filter(routed_at__isnull=False).count(),
        "notifications": sorted(Notification.objects.filter(application=application, kind=NotificationKind.REVIEW_ROUTED)
                                .values_list("review_id", "recipient_id")),
        "audit": AuditEvent.objects.filter(application_id=application.pk, action=Action.REVIEW_ROUTED).count(),
        "due": sorted(reviews.values_list("due_date", flat=True)),
    }


def test_routing_twice_and_at_once_routes_each_review_once(submit, officers, sent_nudges):
    application = submit()
    assert route_application_task(application.pk) == 3
    once = routed_state(application)
    assert route_application_task(application.pk) == 0
    assert routed_state(application) == once
    assert once["routed"] == 3 and once["audit"] == 3
    expected = sorted((r.pk, officers[r.department.code].pk)
                      for r in Review.objects.filter(application=application, stage=1).select_related("department"))
    assert once["notifications"] == expected  # one per officer of each department

    other = submit()
    results = run_together(lambda: route_application_task(other.pk), lambda: route_application_task(other.pk))
    assert sum(results) == 3  # each review routed by exactly one of them
    state = routed_state(other)
    assert state["routed"] == 3 and state["audit"] == 3 and len(state["notifications"]) == 3
    assert len(set(state["notifications"])) == 3


def approved_application(submit_one, people):
    application = submit_one()
    for stage in (1, 2):
        for review in application.reviews.filter(stage=stage).select_related("department"):
            workflow.review_decide(review_id=review.pk, actor=people[review.department.code], decision="approve")
    return application


def permit_state(settings, application):
    permit = Permit.objects.get(application=application)
    files = sorted(str(p.relative_to(settings.MEDIA_ROOT)) for p in Path(settings.MEDIA_ROOT, "permits").glob(
        f"{permit.number}*"))
    content = Path(settings.MEDIA_ROOT, permit.file.name).read_bytes() if permit.file else b""
    return {
        "files": files,
        "file": permit.file.name,
        "digest_matches": hashlib.sha256(content).hexdigest() == permit.sha256,
        "status": Application.objects.get(pk=application.pk).status,
        "ready": Notification.objects.filter(application=application, kind=NotificationKind.PERMIT_READY).count(),
        "rendered_events": AuditEvent.objects.filter(application_id=application.pk, action=Action.PERMIT_RENDERED).count(),
    }


def expected_permit_state(application):
    number = Permit.objects.get(application=application).number
    return {"files": [f"permits/{number}.pdf"], "file": f"permits/{number}.pdf", "digest_matches": True,
            "status": ApplicationStatus.ISSUED, "ready": 1, "rendered_events": 1}


def test_routing_and_a_decision_on_the_same_application_do_not_deadlock(submit, officers, sent_nudges):
    """Routing locks review rows and inserts rows that point at the application (checked by
    PostgreSQL at commit); a decision locks the application, then waits for a review row. The
    application lock must not block those key checks, or the two deadlock."""
    application = submit()
    tax = Review.objects.get(application=application, department__code="tax")
    Review.objects.filter(application=application).update(routed_at=None)
    routed, release = threading.Event(), threading.Event()

    def route_and_hold():

        with transaction.atomic():
            count = workflow.application_route(application_ids=[application.pk])
            routed.set()
            release.wait(10)  # commit only once the decision is waiting on our review rows
        return count

    def decide_when_routed():
        routed.wait(10)
        threading.Timer(1.0, release.set).start()
        return workflow.review_decide(review_id=tax.pk, actor=officers["tax"], decision="approve")

    count, review = run_together(route_and_hold, decide_when_routed)
    assert count == 3
    assert review.status == ReviewStatus.APPROVED
    assert Review.objects.filter(application=application, routed_at__isnull=False).count() == 3


def test_permit_render_twice_and_at_once_makes_one_file_and_one_notice(submit, officers, settings, sent_nudges):
    application = approved_application(submit, officers)
    permit = Permit.objects.get(application=application)
    assert permit_render_task(permit.pk) == "rendered"
    assert permit_render_task(permit.pk) == "skipped"
    assert permit_state(settings, application) == expected_permit_state(application)

    other = approved_application(submit, officers)
    other_permit = Permit.objects.get(application=other)
    results = run_together(lambda: permit_render(permit_id=other_permit.pk), lambda: permit_render(permit_id=other_permit.pk))
    assert sorted(results) == ["rendered", "skipped"]
    assert permit_state(settings, other) == expected_permit_state(other)


def test_permit_render_after_a_crash_replaces_the_half_written_file(submit, officers, settings, sent_nudges):
    application = approved_application(submit, officers)
    permit = Permit.objects.get(application=application)
    # A worker died after claiming the permit and writing part of the file.
    Path(settings.MEDIA_ROOT, "permits").mkdir(parents=True, exist_ok=True)
    Path(settings.MEDIA_ROOT, f"permits/{permit.number}.pdf").write_bytes(b"%PDF-1.7 truncated")
    Permit.objects.filter(pk=permit.pk).update(
        render_claimed_at=permit.issued_at - timedelta(seconds=settings.PORTAL_RECONCILE_AFTER_SECONDS + 1))
    assert permit_render(permit_id=permit.pk) == "rendered"
    assert permit_state(settings, application) == expected_permit_state(application)


def test_permit_render_overtaken_after_its_claim_went_stale_leaves_the_winners_file(
        submit, officers, settings, sent_nudges, monkeypatch):
    """A render slower than the claim lifetime is started again by the reconciler; the two
    finish in either order, and the file on disk is the one the permit row describes."""

    application = approved_application(submit, officers)
    permit = Permit.objects.get(application=application)
    real_render = rendering.render_permit_pdf
    slow_started, slow_may_finish = threading.Event(), threading.Event()

    def render(p):
        # Each render is unique (as a signed or time-stamped PDF is): the file tells whose it is.
        pdf = real_render(p) + f"\n% {threading.current_thread().name}\n".encode()
        if threading.current_thread().name == "slow":
            slow_started.set()
            assert slow_may_finish.wait(60)
        return pdf

    monkeypatch.setattr(rendering, "render_permit_pdf", render)
    results = {}

    def slow():
        try:
            results["slow"] = permit_render(permit_id=permit.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=slow, name="slow")
    thread.start()
    assert slow_started.wait(60)
    # The claim has gone stale: the reconciler's resend starts a second render, which wins.
    Permit.objects.filter(pk=permit.pk).update(
        render_claimed_at=permit.issued_at - timedelta(seconds=settings.PORTAL_RECONCILE_AFTER_SECONDS + 1))
    results["fast"] = permit_render(permit_id=permit.pk)
    slow_may_finish.set()
    thread.join(60)
    assert results == {"fast": "rendered", "slow": "skipped"}
    assert permit_state(settings, application) == expected_permit_state(application)


def test_email_task_twice_and_at_once_sends_each_mail_once(submit, officers, sent_nudges):
    application = submit()
    route_application_task(application.pk)
    ids = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
    assert len(ids) == 4  # submitted + one per routed review
    mail.outbox.clear()
    assert notification_email_task(ids) == ["sent"] * 4
    assert notification_email_task(ids) == ["skipped"] * 4
    assert len(mail.outbox) == 4

    other = submit()
    route_application_task(other.pk)
    other_ids = list(Notification.objects.filter(application=other).order_by("pk").values_list("pk", flat=True))
    mail.outbox.clear()
    results = run_together(*[lambda: notification_email_task(other_ids)] * 3)
    assert sorted(r for result in results for r in result) == ["sent"] * 4 + ["skipped"] * 8
    assert len(mail.outbox) == 4
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        Notification.objects.filter(pk__in=other_ids).values_list("recipient__email", flat=True))
    # And one notification, sent by many at once.
    single = Notification.objects.create(recipient=officers["fire"], kind=NotificationKind.REVIEW_REMINDER,
                                         application=other)
    mail.outbox.clear()
    results = run_together(*[lambda: notification_send_email(notification_id=single.pk)] * 4)
    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert len(mail.outbox) == 1


# --- Two beat processes at once -------------------------------------------------------------------


def test_two_sla_scans_at_once_escalate_each_review_once(submit, officers, sent_nudges):
    applications = [submit() for _ in range(12)]
    for application in applications:
        route_application_task(application.pk)
    today = local_today()
    reviews = list(Review.objects.filter(application__in=applications, stage=1).order_by("pk"))
    reminder, yellow, red = reviews[0::3], reviews[1::3], reviews[2::3]
    Review.objects.filter(pk__in=[r.pk for r in reminder]).update(
        remind_on=today - timedelta(days=1), due_date=today + timedelta(days=2), red_on=today + timedelta(days=9))
    Review.objects.filter(pk__in=[r.pk for r in yellow]).update(
        remind_on=today - timedelta(days=9), due_date=today - timedelta(days=2), red_on=today + timedelta(days=5))
    Review.objects.filter(pk__in=[r.pk for r in red]).update(
        remind_on=today - timedelta(days=20), due_date=today - timedelta(days=12), red_on=today - timedelta(days=1))
    Notification.objects.all().delete()

    results = run_together(sla_scan, sla_scan)
    assert sla_scan() == {"reminders": 0, "yellow": 0, "red": 0}  # a third scan finds nothing left

    totals = {key: sum(r[key] for r in results) for key in ("reminders", "yellow", "red")}
    assert totals == {"reminders": len(reminder), "yellow": len(yellow) + len(red), "red": len(red)}

    def per_review(kind):
        found = {}
        for review_id, recipient_id in Notification.objects.filter(kind=kind).values_list("review_id", "recipient_id"):
            found.setdefault(review_id, []).append(recipient_id)
        return found

    supervisors = {code: officers[f"{code}_supervisor"].pk for code in ("registration", "health", "tax")}
    codes = dict(Review.objects.filter(pk__in=[r.pk for r in reviews]).values_list("pk", "department__code"))
    assert per_review(NotificationKind.REVIEW_REMINDER) == {r.pk: [officers[codes[r.pk]].pk] for r in reminder}
    assert per_review(NotificationKind.REVIEW_YELLOW) == {r.pk: [supervisors[codes[r.pk]]] for r in yellow + red}
    assert per_review(NotificationKind.REVIEW_RED) == {r.pk: [supervisors[codes[r.pk]]] for r in red}
    cards = {}
    for object_id, details in AuditEvent.objects.filter(action=Action.REVIEW_ESCALATED).values_list("object_id", "details"):
        cards.setdefault((int(object_id), details["card"]), 0)
        cards[(int(object_id), details["card"])] += 1
    assert cards == {**{(r.pk, "yellow"): 1 for r in yellow + red}, **{(r.pk, "red"): 1 for r in red}}
    stamped = Review.objects.filter(pk__in=[r.pk for r in reviews])
    assert stamped.filter(yellow_at__isnull=False).count() == len(yellow) + len(red)
    assert stamped.filter(red_at__isnull=False).count() == len(red)


# --- A rename while the applicant submits -----------------------------------------------------------


def test_a_submission_waits_for_a_rename_in_flight_and_its_reviews_carry_the_new_name(citizen, sent_nudges):
    """The rename has saved the name but not committed when the applicant submits: the
    submission waits for it and copies the new name onto the reviews."""

    service, _ = service_with({1: ["registration", "health"]}, slug="rename-race", identity=("name",))
    application = workflow.application_start(applicant=citizen, service=service, answers=VALID_ANSWERS)
    errors = run_while_waited_on(
        lambda: applicant_profile_update(user=citizen, full_name="Zhou Renamed"),
        lambda: workflow.application_submit(application_id=application.pk, actor=citizen),
    )
    assert errors == []
    assert sorted(Review.objects.filter(application=application).values_list("applicant_name", flat=True)) == [
        "Zhou Renamed", "Zhou Renamed"]
