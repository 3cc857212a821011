"""Every file that holds a key or a secret is mode 0600, in a directory of mode 0700, from the
moment it exists (core.secret_files): under the usual umask (022) no file operation of the process
ever finds it readable by others, as a file written and then chmod'ed would be until the chmod.
The writers: the permits' signing key, the audit chain's keys, the checkpoints' signing key and
the checkpoints themselves, the development profile's secret key."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from audit.anchors import audit_anchor
from audit.keys import anchor_signer, chain_key_rotate, chain_keys
from audit.models import Action
from audit.services import Event, audit_record
from core.secret_files import append_private_file, create_private_file
from permits.signing import create_key_pair
from tests.file_modes import modes_of, modes_seen

ROOT = Path(__file__).resolve().parent.parent
PRIVATE, PRIVATE_DIRECTORY = {0o600}, {0o700}


def test_the_watch_sees_a_file_written_then_chmod_ed(tmp_path):
    secret = tmp_path / "keys" / "secret"
    with modes_seen(tmp_path) as seen:
        secret.parent.mkdir()
        secret.write_bytes(b"s3cret")
        secret.chmod(0o600)
    assert modes_of(seen, secret) == {0o644, 0o600}  # readable by everyone until the chmod


def test_a_new_private_file_is_never_readable_by_others(tmp_path):
    secret = tmp_path / "keys" / "secret"
    with modes_seen(tmp_path) as seen:
        assert create_private_file(secret, b"s3cret") is True
        assert create_private_file(secret, b"other") is False  # another process made it first
    assert (modes_of(seen, secret), seen[str(secret.parent)]) == (PRIVATE, PRIVATE_DIRECTORY)
    assert secret.read_bytes() == b"s3cret"
    assert sorted(p.name for p in secret.parent.iterdir()) == ["secret"]  # no temporary file left


def test_a_replaced_private_file_is_never_readable_by_others(tmp_path):
    from core.secret_files import replace_private_file

    secret = tmp_path / "keys" / "secret"
    secret.parent.mkdir(mode=0o700)
    secret.write_bytes(b"old")
    secret.chmod(0o600)
    with modes_seen(tmp_path) as seen:
        replace_private_file(secret, b"new")
    assert (modes_of(seen, secret), secret.read_bytes()) == (PRIVATE, b"new")
    assert sorted(p.name for p in secret.parent.iterdir()) == ["secret"]


def test_an_appended_private_file_is_never_readable_by_others(tmp_path):
    log = tmp_path / "anchors" / "checkpoints.jsonl"
    with modes_seen(tmp_path) as seen:
        append_private_file(log, b"one\n")
        append_private_file(log, b"two\n")
    assert (modes_of(seen, log), seen[str(log.parent)], log.read_bytes()) == (PRIVATE, PRIVATE_DIRECTORY,
                                                                             b"one\ntwo\n")


@pytest.mark.parametrize("force", [False, True])
def test_the_permits_signing_key(tmp_path, force):
    key, cert = tmp_path / "keys" / "permit-signing.key", tmp_path / "keys" / "permit-signing.crt"
    if force:
        assert create_key_pair(key_path=key, cert_path=cert, common_name="Earlier key")
        before = key.read_bytes()
    with modes_seen(tmp_path) as seen:
        assert create_key_pair(key_path=key, cert_path=cert, common_name="Permits", force=force)
    assert modes_of(seen, key) == PRIVATE
    assert seen[str(key.parent)] == PRIVATE_DIRECTORY
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    if force:
        assert key.read_bytes() != before
    assert cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")  # public: its mode is the umask's


@pytest.mark.django_db
def test_the_audit_trails_keys_and_checkpoints(tmp_path, settings):
    settings.AUDIT_CHAIN_KEYS_FILE = str(tmp_path / "keys" / "audit-chain.keys")
    settings.AUDIT_ANCHOR_KEY_FILE = str(tmp_path / "keys" / "audit-anchor.key")
    settings.AUDIT_ANCHOR_DIR = str(tmp_path / "anchors")
    audit_record(Event(action=Action.ACCESS_DENIED, object_type="url", object_id="/"))
    with modes_seen(tmp_path) as seen:
        chain_keys(create=True)
        chain_key_rotate()
        anchor_signer(create=True)
        assert audit_anchor(now=datetime(2026, 12, 7, 12, 0, tzinfo=UTC)) is not None
    checkpoints = tmp_path / "anchors" / "checkpoints-2026-12.jsonl"
    for path in (settings.AUDIT_CHAIN_KEYS_FILE, settings.AUDIT_ANCHOR_KEY_FILE, checkpoints):
        assert modes_of(seen, path) == PRIVATE, path
    assert (seen[str(tmp_path / "keys")], seen[str(tmp_path / "anchors")]) == (PRIVATE_DIRECTORY, PRIVATE_DIRECTORY)
    assert len(Path(settings.AUDIT_CHAIN_KEYS_FILE).read_text().splitlines()) == 2


WATCHED_SETTINGS = (
    "import json, sys; from tests.file_modes import modes_seen\n"
    "with modes_seen(sys.argv[1]) as seen:\n"
    "    import django; django.setup(); from django.conf import settings; key = settings.SECRET_KEY\n"
    "print(json.dumps({'key': key, 'modes': {path: sorted(modes) for path, modes in seen.items()}}))\n"
)


def test_the_development_profiles_secret_key(tmp_path):
    var = tmp_path / "var"
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL")}
    environment.update(DJANGO_SETTINGS_MODULE="portal.settings.dev", PORTAL_VAR_DIR=str(var))

    def started() -> dict:
        done = subprocess.run([sys.executable, "-c", WATCHED_SETTINGS, str(tmp_path)], cwd=ROOT, env=environment,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout)

    first, second = started(), started()
    assert first["modes"][str(var / "secret_key")] == [0o600]
    assert first["key"] == second["key"] == (var / "secret_key").read_text() and len(first["key"]) >= 50
