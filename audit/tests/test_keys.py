"""The chain is keyed: each link is an HMAC under a key kept outside the database and names that
key, so rows rewritten and hashed again with plain SHA-256 (all that someone with the database
alone can do) no longer verify. Keys rotate; links sealed before the chain was keyed verify still,
but only where they can stand."""

import base64
import hashlib
import hmac
import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audit import keys as audit_keys
from audit.chain import GENESIS, audit_seal, audit_verify, canonical
from audit.keys import AuditKeyError, anchor_signer, chain_key_rotate, chain_keys
from audit.models import AuditEvent

from .test_chain import bypassing_triggers, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def key_file(tmp_path, settings):
    settings.AUDIT_CHAIN_KEYS_FILE = str(tmp_path / "keys" / "audit-chain.keys")
    settings.AUDIT_ANCHOR_KEY_FILE = str(tmp_path / "keys" / "audit-anchor.key")
    return tmp_path / "keys" / "audit-chain.keys"


def secrets_by_id(path) -> dict[str, bytes]:
    return {line.split()[0]: base64.b64decode(line.split()[1]) for line in path.read_text().splitlines()}


def rehash_plainly(*, start: int, drop_key: bool, end: int | None = None) -> None:
    """What someone with the database but not the key does after editing rows: compute the links
    from ``start`` (to ``end``) again with the only hash they can, plain SHA-256, each naming the one
    before."""
    links = AuditEvent.objects.filter(seq__gte=start).order_by("seq")
    if end is not None:
        links = links.filter(seq__lte=end)
    with bypassing_triggers():
        prev = AuditEvent.objects.get(seq=start - 1).hash if start > 1 else GENESIS
        for event in links:
            event.prev_hash = prev
            event.key_id = "" if drop_key else event.key_id
            event.hash = prev = hashlib.sha256(prev.encode() + canonical(event)).hexdigest()
            AuditEvent.objects.filter(pk=event.pk).update(prev_hash=event.prev_hash, hash=event.hash,
                                                          key_id=event.key_id)


def test_the_key_file_is_private_from_the_start(key_file):
    old_umask = os.umask(0)  # whatever the process's umask, nothing is ever readable by others
    try:
        assert audit_seal() == 0
    finally:
        os.umask(old_umask)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.parent.stat().st_mode & 0o777 == 0o700
    [(key_id, secret)] = secrets_by_id(key_file).items()
    assert len(secret) == 32 and chain_keys().current == (key_id, secret)


def test_each_link_is_an_hmac_under_the_key_it_names_and_rotation_keeps_old_links(key_file):
    record(3)
    audit_seal()
    first = chain_keys().current[0]
    call_command("audit_keys", "--rotate", stdout=(out := StringIO()))
    second = chain_keys().current[0]
    assert out.getvalue().splitlines()[0] == f"Chain keys: {key_file} (2 keys; new links are sealed with {second})."
    record(2)
    audit_seal()

    secrets = secrets_by_id(key_file)
    links = list(AuditEvent.objects.order_by("seq"))
    assert [e.key_id for e in links] == [first] * 3 + [second] * 2 and second != first
    prev = GENESIS
    for event in links:
        message = prev.encode() + canonical(event)
        assert event.hash == hmac.new(secrets[event.key_id], message, hashlib.sha256).hexdigest()
        prev = event.hash
    assert audit_verify().ok


@pytest.mark.postgres
@pytest.mark.parametrize("drop_key, reason", [
    (False, "event content does not match its hash"),
    (True, "no key where every link must be keyed"),
])
def test_rows_rewritten_and_hashed_again_with_sha256_are_caught(key_file, drop_key, reason):
    record(8)
    audit_seal()
    victim = AuditEvent.objects.get(seq=5)
    with bypassing_triggers():
        AuditEvent.objects.filter(pk=victim.pk).update(purpose="curiosity", details={"note": "edited"})
    rehash_plainly(start=5, drop_key=drop_key)

    with pytest.raises(CommandError) as error:
        call_command("verify_audit", "--no-seal", stdout=StringIO())
    assert str(error.value).startswith(f"BROKEN at position 5 (event id {victim.pk}): {reason}; "
                                       f"4 events before it verified.")


@pytest.mark.postgres
def test_links_sealed_before_the_chain_was_keyed_verify_where_they_stand(key_file):
    # Three links as the chain was sealed before it had keys (key id "", plain SHA-256) ...
    prev = GENESIS
    for position, event in enumerate(record(3), 1):
        event.seq, event.prev_hash = position, prev
        event.hash = prev = hashlib.sha256(prev.encode() + canonical(event)).hexdigest()
        AuditEvent.objects.filter(pk=event.pk).update(seq=event.seq, prev_hash=event.prev_hash, hash=event.hash)
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {""}
    # ... then keyed links after them.
    record(2)
    assert audit_seal() == 2
    assert list(AuditEvent.objects.order_by("seq").values_list("key_id", flat=True)) == ["", "", "", *[
        chain_keys().current[0]] * 2]
    assert audit_verify().ok

    # The old links can be rewritten and hashed again among themselves, but the first keyed link
    # names the hash the last of them had. (Hashing every link again, plainly, to the end leaves no
    # keyed link behind to tell: the checkpoints outside the database catch that, test_anchors.)
    with bypassing_triggers():
        AuditEvent.objects.filter(seq=2).update(purpose="curiosity")
    rehash_plainly(start=2, end=3, drop_key=True)
    result = audit_verify()
    assert (result.ok, result.broken_position, result.reason) == (False, 4, "previous hash does not match")


@pytest.mark.postgres
def test_a_link_naming_an_unknown_key_is_reported(key_file):
    record(2)
    audit_seal()
    with bypassing_triggers():
        AuditEvent.objects.filter(seq=2).update(key_id="k-elsewhere")
    result = audit_verify()
    assert (result.ok, result.broken_position, result.reason) == (
        False, 2, "sealed with a chain key that is not configured")


def test_without_a_provisioned_key_nothing_is_sealed_and_the_error_says_why(key_file, settings):
    settings.AUDIT_KEYS_AUTOCREATE = False
    record(2)
    with pytest.raises(AuditKeyError) as error:
        audit_seal()
    assert str(error.value) == (f"The audit chain key file {key_file} is missing: create it with `manage.py "
                                f"audit_keys` or point AUDIT_CHAIN_KEYS_FILE at the provisioned one.")
    assert AuditEvent.objects.filter(seq__isnull=True).count() == 2
    call_command("audit_keys", stdout=(out := StringIO()))
    signer = anchor_signer(create=False)
    assert out.getvalue().splitlines() == [
        f"Chain keys: {key_file} (1 key; new links are sealed with {chain_keys().current[0]}).",
        f"Checkpoint signing key: {signer.path} (Ed25519, fingerprint {signer.fingerprint})."]
    assert signer.path.stat().st_mode & 0o777 == 0o600
    assert audit_seal() == 2


@pytest.mark.parametrize("content, message", [
    ("k1\n", "line 1: expected '<key id> <secret in base64>', the id of letters, digits, '.', '_' and '-' (at most 40)."),
    ("# keys\nk1 !!not-base64!!\n", "line 2: the secret is not base64."),
    ("k1 c2hvcnQ=\n", "line 1: the secret has 5 bytes; at least 16 are needed."),
    (f"k1 {'A' * 44}\nk1 {'B' * 44}\n", "line 2: the key id k1 appears twice."),
    ("\n", "holds no key."),
])
def test_a_bad_key_file_gets_a_clear_message(key_file, content, message):
    key_file.parent.mkdir()
    key_file.write_text(content)
    with pytest.raises(CommandError) as error:
        call_command("audit_keys", stdout=StringIO())
    where = f"{key_file}, " if message.startswith("line") else f"{key_file} "
    assert str(error.value) == where + message


def test_a_rotation_appends_to_a_file_written_by_hand(key_file):
    key_file.parent.mkdir(mode=0o700)
    key_file.write_text(f"k-by-hand {'A' * 44}")  # no newline at the end
    key_file.chmod(0o600)
    new = chain_key_rotate()
    assert list(secrets_by_id(key_file)) == ["k-by-hand", new] and chain_keys().current[0] == new
    assert audit_keys.KEY_ID.fullmatch(new)
