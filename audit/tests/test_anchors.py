"""Checkpoints outside the database: once per period the chain's head is signed and appended to a
file the database cannot write, exactly once however many beats ask; verify_audit holds the chain
against them and names the positions rewritten or removed, including a chain hashed again from
its first link, which the keys alone cannot tell."""

import base64
import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command

from audit.anchors import audit_anchor, checkpoints_read
from audit.chain import audit_seal
from audit.keys import anchor_signer, fingerprint
from audit.models import AuditAnchor, AuditEvent, ChainCheck, ChainCheckStatus
from audit.services import chain_check_run, chain_check_start
from audit.tasks import audit_anchor_task
from tests.celery_worker import *  # noqa: F403  (the fixtures celery_queue and start_worker)
from tests.celery_worker import wait_for
from tests.concurrent import run_while_waited_on

from .test_chain import bypassing_triggers, record
from .test_keys import rehash_plainly

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 12, 7, 12, 0, 5, tzinfo=UTC)


@pytest.fixture
def signing_key(tmp_path, settings):
    settings.AUDIT_ANCHOR_KEY_FILE = str(tmp_path / "keys" / "audit-anchor.key")
    return tmp_path / "keys" / "audit-anchor.key"


def lines(anchor_dir, month="2026-12") -> list[dict]:
    return [json.loads(line) for line in (anchor_dir / f"checkpoints-{month}.jsonl").read_text().splitlines()]


def verify() -> str:
    """verify_audit's verdict: what it prints when the chain holds, its error when it does not."""
    out = StringIO()
    try:
        call_command("verify_audit", "--no-seal", stdout=out)
    except CommandError as error:
        return str(error)
    return out.getvalue().strip()


def test_a_checkpoint_is_signed_and_appended_once_per_period(anchor_dir, signing_key):
    record(3)
    checkpoint = audit_anchor(now=NOON)
    head = AuditEvent.objects.get(seq=3)
    signer = anchor_signer()
    [line] = lines(anchor_dir)
    assert line == {"position": 3, "head": head.hash, "key_id": head.key_id, "at": "2026-12-07T12:00:05+00:00",
                    "signer": signer.fingerprint, "signature": line["signature"]}
    signer.key.public_key().verify(base64.b64decode(line["signature"]), checkpoint.payload())
    assert (anchor_dir / "checkpoints-2026-12.jsonl").stat().st_mode & 0o777 == 0o600
    assert anchor_dir.stat().st_mode & 0o777 == 0o700
    assert signing_key.stat().st_mode & 0o777 == 0o600
    note = AuditAnchor.objects.get()
    assert (note.period, note.position, note.head, note.file, note.time_stamped) == (
        datetime(2026, 12, 7, 12, tzinfo=UTC), 3, head.hash, "checkpoints-2026-12.jsonl", False)

    record(2)
    assert audit_anchor(now=NOON + timedelta(minutes=50)) is None  # the same hour: already anchored
    assert audit_anchor(now=NOON + timedelta(hours=1)).position == 5
    assert [line["position"] for line in lines(anchor_dir)] == [3, 5]
    assert verify() == (f"OK: 5 events verified, 0 not yet sealed; 2 checkpoints in {anchor_dir} hold, "
                        f"the last at position 5 (2026-12-07T13:00:05+00:00).")


def test_nothing_sealed_nothing_anchored(anchor_dir, signing_key):
    assert audit_anchor(now=NOON) is None
    assert not anchor_dir.exists() and not AuditAnchor.objects.exists()


@pytest.mark.postgres
def test_two_beats_at_once_write_one_checkpoint(transactional_db, anchor_dir, signing_key):
    record(4)
    written = []
    errors = run_while_waited_on(lambda: written.append(audit_anchor(now=NOON)),
                                 lambda: written.append(audit_anchor(now=NOON + timedelta(seconds=30))))
    assert errors == []
    assert [c.position if c else None for c in written] == [4, None]
    assert [line["position"] for line in lines(anchor_dir)] == [4] and AuditAnchor.objects.count() == 1


@pytest.mark.postgres
def test_verify_audit_names_the_range_rewritten_after_a_checkpoint(anchor_dir, signing_key):
    record(10)
    audit_anchor(now=NOON)
    record(5)
    audit_anchor(now=NOON + timedelta(hours=1))
    record(3)
    audit_seal()
    victim = AuditEvent.objects.get(seq=12)
    with bypassing_triggers():
        AuditEvent.objects.filter(seq__in=[12, 13]).update(purpose="curiosity")
    rehash_plainly(start=12, drop_key=True)

    assert verify() == (f"BROKEN at position 12 (event id {victim.pk}): no key where every link must be keyed; "
                        f"11 events before it verified.\nRewritten or removed: positions 12-18.")


@pytest.mark.postgres
def test_a_chain_hashed_again_from_its_first_link_fails_at_the_checkpoints(anchor_dir, signing_key):
    record(6)
    audit_anchor(now=NOON)
    record(2)
    audit_seal()
    with bypassing_triggers():
        AuditEvent.objects.filter(seq=3).update(purpose="curiosity")
    rehash_plainly(start=1, drop_key=True)  # no keyed link left to tell
    victim = AuditEvent.objects.get(seq=6)
    assert verify() == (f"BROKEN at position 6 (event id {victim.pk}): does not match the checkpoint written outside "
                        f"the database; 5 events before it verified.\nRewritten or removed: positions 1-8.")

    # The check from the auditor's page holds the chain against the same checkpoints.
    check, _fresh = chain_check_start(actor=None)
    assert chain_check_run(check_id=check.pk) == "finished"
    check.refresh_from_db()
    assert (check.status, check.broken_position, check.reason_code) == (ChainCheckStatus.BROKEN, 6, "checkpoint")


@pytest.mark.postgres
def test_events_removed_after_the_last_checkpoint_are_missed(client, auditor, anchor_dir, signing_key):
    record(5)  # after the auditor's sign-in (position 1): positions 2-6
    audit_anchor(now=NOON)
    with bypassing_triggers():
        AuditEvent.objects.filter(seq__gte=4).delete()
    assert verify() == ("BROKEN at position 4 (no event there): missing position 4; 3 events before it verified.\n"
                        "Rewritten or removed: positions 4-6.")
    # From the page: the request for the check is sealed at position 4 first, and position 5 is missing.
    check, _fresh = chain_check_start(actor=auditor)
    chain_check_run(check_id=check.pk)
    body = client.get("/audit/check/").content.decode()
    assert ("Broken at position 5, where a checkpoint written outside the database names an event that is gone: "
            "position 5 is missing. The 4 events before it verified.") in body
    assert ChainCheck.objects.get(pk=check.pk).broken_event_id is None


def test_a_forged_edited_or_garbled_checkpoint_line_fails_verification(anchor_dir, signing_key):
    record(2)
    audit_anchor(now=NOON)
    [line] = lines(anchor_dir)
    stranger = Ed25519PrivateKey.generate()
    forged = {**line, "signer": fingerprint(stranger.public_key())}
    edited = {**line, "position": 1}
    with (anchor_dir / "checkpoints-2026-12.jsonl").open("a") as file:
        for text in (json.dumps(forged), json.dumps(edited), "{not json"):
            file.write(text + "\n")
    assert verify() == (
        f"Checkpoint checkpoints-2026-12.jsonl, line 2: signed with the key {forged['signer']}, which is not trusted.\n"
        "Checkpoint checkpoints-2026-12.jsonl, line 3: the signature does not verify.\n"
        "Checkpoint checkpoints-2026-12.jsonl, line 4: not a checkpoint (unreadable JSON or a field missing).")


def test_checkpoints_signed_with_an_earlier_key_verify_when_it_is_trusted(anchor_dir, signing_key, settings, tmp_path):
    record(2)
    audit_anchor(now=NOON)
    earlier = anchor_signer().key.public_key().public_bytes(serialization.Encoding.PEM,
                                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_key.unlink()  # a new signing key from now on
    record(1)
    audit_anchor(now=NOON + timedelta(hours=1))
    assert verify().startswith("Checkpoint checkpoints-2026-12.jsonl, line 1: signed with the key ")
    (tmp_path / "earlier.pub").write_bytes(earlier)
    settings.AUDIT_ANCHOR_TRUSTED_KEYS = [str(tmp_path / "earlier.pub")]
    assert len(checkpoints_read().checkpoints) == 2
    assert verify().startswith("OK: 3 events verified, 0 not yet sealed; 2 checkpoints in ")


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_beats_job_runs_in_a_real_worker_as_the_application_role(anchor_dir, start_worker, settings):
    assert settings.CELERY_BEAT_SCHEDULE["audit-anchor"] == {"task": "audit.tasks.audit_anchor_task", "schedule": 60.0}
    record(3)
    start_worker(concurrency=1)
    audit_anchor_task.apply_async()
    note = wait_for(AuditAnchor.objects.first, timeout=60, what="the worker to write the checkpoint")
    assert [line["position"] for line in lines(anchor_dir, f"{note.written_at:%Y-%m}")] == [3] == [note.position]
    assert verify().startswith("OK: 3 events verified, 0 not yet sealed; 1 checkpoint in ")
