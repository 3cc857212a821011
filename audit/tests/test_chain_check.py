"""The auditor checks the chain from the page: the same steps as verify_audit, run by a Celery
task batch by batch with its progress in the database, one check at a time, resumed when its task
is lost, the result kept; nobody but auditors and administrators may start or follow it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit import services
from audit.chain import audit_seal, audit_verify
from audit.models import Action, AuditEvent, ChainCheck, ChainCheckStatus
from audit.services import chain_check_run, chain_check_start
from tests.celery_worker import *  # noqa: F403  (the fixtures celery_queue and start_worker)
from tests.celery_worker import wait_for
from tests.concurrent import run_together
from tests.factories import UserFactory

from .test_chain import record, tamper

pytestmark = pytest.mark.django_db
CHECK, PROGRESS = reverse("audit:check"), reverse("audit:check_progress")


@pytest.fixture
def nudged(monkeypatch):
    """The checks the pages send to a worker (a real worker: the last test)."""
    sent = []
    monkeypatch.setattr("audit.views.chain_check_nudge_on_commit", sent.append)
    return sent


def page(client, url=CHECK) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def run_to_the_end(check_id: int, *, batch: int) -> int:
    runs = 1
    while chain_check_run(check_id=check_id, seconds=0, batch=batch) == "continue":
        runs += 1
    return runs


def test_a_check_runs_in_batches_the_page_shows_each_state_and_keeps_the_result(client, auditor, nudged):
    record(24)  # and the auditor's sign-in
    body = page(client)
    assert "No check has been run from this page yet." in body and "Check the whole chain now" in body
    assert "data-poll" not in body

    assert client.post(CHECK).url == CHECK
    check = ChainCheck.objects.get()
    assert (check.status, check.requested_by, nudged) == (ChainCheckStatus.QUEUED, auditor, [check.pk])
    body = page(client)
    assert "A check asked for by Qian Li at " in body and "is waiting for a worker to start it." in body
    assert f'data-poll="{PROGRESS}"' in body and "Show the progress now" in body
    assert "Check the whole chain now" not in body

    # A second request while it is under way shows the same check, and sends nothing more.
    client.post(CHECK)
    assert list(ChainCheck.objects.values_list("pk", flat=True)) == [check.pk] and nudged == [check.pk]
    requests = AuditEvent.objects.filter(action=Action.CHAIN_CHECK_REQUESTED, actor=auditor).order_by("id")
    assert [(e.object_id, e.details) for e in requests] == [(str(check.pk), {}), (str(check.pk), {"joined": True})]

    assert chain_check_run(check_id=check.pk, seconds=0, batch=10) == "continue"
    total = AuditEvent.objects.count()  # the task sealed everything first, as verify_audit does
    assert total == 27 and not AuditEvent.objects.filter(seq__isnull=True).exists()
    check.refresh_from_db()
    assert (check.status, check.total, check.checked, check.next_position) == (ChainCheckStatus.RUNNING, 27, 10, 11)
    progress = page(client, PROGRESS)
    assert "Checking the chain: 10 of 27 events verified (37 %)." in progress
    assert '<progress class="w-100" max="100" value="37"' in progress and f'data-poll="{PROGRESS}"' in progress

    assert run_to_the_end(check.pk, batch=10) == 2
    check.refresh_from_db()
    assert (check.status, check.active, check.checked, check.unsealed) == (ChainCheckStatus.INTACT, False, 27, 0)
    body = page(client, PROGRESS)
    assert "Intact: all 27 events of the chain verified." in body and "data-poll" not in body
    assert "Check the whole chain now" in body and "Asked for by Qian Li; checked from " in body
    assert chain_check_run(check_id=check.pk) == "finished"  # a late duplicate of the task changes nothing


@pytest.mark.postgres
def test_a_broken_link_is_named_as_verify_audit_names_it_and_the_result_is_kept(client, auditor, nudged):
    events = record(12)
    audit_seal()
    victim = AuditEvent.objects.get(pk=events[5].pk)
    tamper(victim.pk, purpose="curiosity")
    check, fresh = chain_check_start(actor=auditor)
    assert fresh
    run_to_the_end(check.pk, batch=4)  # the break lies inside the second batch
    check.refresh_from_db()
    expected = audit_verify()
    assert (check.status, check.broken_position, check.broken_event_id, check.checked, check.reason_code) == (
        ChainCheckStatus.BROKEN, expected.broken_position, expected.broken_event_id, expected.checked, "content")
    assert (check.broken_position, check.broken_event_id, check.checked) == (victim.seq, victim.pk, 5)
    body = page(client)
    assert (f"Broken at position {victim.seq} (event id {victim.pk}): the event&#x27;s content does not match its hash. "
            f"The 5 events before it verified.") in body
    assert f'href="{reverse("audit:log")}?before={victim.pk + 1}"' in body
    # A later intact check does not erase it: every check stays on record.
    assert ChainCheck.objects.filter(status=ChainCheckStatus.BROKEN).count() == 1


def test_a_run_resumes_from_the_stored_position_and_a_copy_that_lost_the_race_stops(auditor, monkeypatch):
    record(30)
    check, _fresh = chain_check_start(actor=auditor)
    assert chain_check_run(check_id=check.pk, seconds=0, batch=10) == "continue"
    assert chain_check_run(check_id=check.pk, seconds=0, batch=10) == "continue"
    assert ChainCheck.objects.get(pk=check.pk).checked == 20  # resumed at position 11, not restarted
    real = services.audit_verify_batch

    def other_copy_first(state, **kwargs):
        step = real(state, **kwargs)  # a redelivered copy of the task stores the same step a moment sooner
        ChainCheck.objects.filter(pk=check.pk).update(checked=step.checked, next_position=step.next_position)
        return step

    monkeypatch.setattr(services, "audit_verify_batch", other_copy_first)
    assert chain_check_run(check_id=check.pk, seconds=0, batch=10) == "taken"
    check.refresh_from_db()
    assert (check.checked, check.status, check.active) == (30, ChainCheckStatus.RUNNING, True)


def test_a_stalled_check_is_sent_again_once(client, auditor, nudged):
    record(3)
    check, _fresh = chain_check_start(actor=auditor)
    ChainCheck.objects.filter(pk=check.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    page(client)
    page(client, PROGRESS)
    assert nudged == [check.pk]  # the first look sent it again; the second found it fresh
    assert run_to_the_end(check.pk, batch=100) == 1
    assert ChainCheck.objects.get().status == ChainCheckStatus.INTACT


@pytest.mark.postgres
def test_two_requests_at_once_start_one_check(transactional_db):
    record(2)
    first, second = UserFactory(email="a@example.gov", role=Role.AUDITOR), UserFactory(email="b@example.gov",
                                                                                        role=Role.ADMIN)
    results = run_together(lambda: chain_check_start(actor=first), lambda: chain_check_start(actor=second))
    assert ChainCheck.objects.count() == 1
    assert {check.pk for check, _fresh in results} == {ChainCheck.objects.get().pk}
    assert sorted(fresh for _check, fresh in results) == [False, True]


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.OFFICER, Role.SUPERVISOR, Role.MANAGER])
def test_only_auditors_and_admins_check_the_chain(client, nudged, role):
    user = UserFactory(email=f"{role}@example.gov", role=role)
    client.force_login(user)
    assert client.get(CHECK).status_code == 404
    assert client.post(CHECK).status_code == 404
    assert client.get(PROGRESS).status_code == 404
    assert not ChainCheck.objects.exists() and nudged == []
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=user).count() == 3
    assert not AuditEvent.objects.filter(action=Action.CHAIN_CHECK_REQUESTED).exists()
    client.force_login(UserFactory(email="admin@example.gov", role=Role.ADMIN))
    assert client.get(CHECK).status_code == 200


def test_the_log_page_links_to_the_check(client, auditor):
    assert f'<a href="{CHECK}">Check the whole chain for a broken link</a>' in page(client, reverse("audit:log"))


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_check_started_from_the_page(client, auditor, start_worker):
    record(39)  # and the auditor's sign-in
    start_worker(concurrency=1)
    assert client.post(CHECK).status_code == 302

    def finished():
        check = ChainCheck.objects.get()
        return check if not check.active else None

    check = wait_for(finished, timeout=60, what="the worker to finish the chain check")
    assert (check.status, check.checked, check.total) == (ChainCheckStatus.INTACT, 41, 41)
    assert "Intact: all 41 events of the chain verified." in page(client)
