"""RFC 3161 time-stamps on checkpoints, against a real time-stamping authority run here: OpenSSL's
(`openssl ts -reply`) behind a small HTTP server, with a root and a TSA certificate made for the
test. No service configured: nothing is asked; a service that does not answer: the checkpoint is
written signed, without a time-stamp."""

import base64
import json
import shutil
import socket
import subprocess
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from rfc3161_client import decode_timestamp_response

from audit.anchors import audit_anchor, checkpoints_read
from audit.models import AuditAnchor
from tests.services import require_tool

from .test_anchors import NOON, lines, verify
from .test_chain import record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _openssl():
    require_tool(shutil.which("openssl") is not None, "the openssl command (the time-stamping authority) is required")


def _certificate(subject: str, key, issuer: x509.Certificate | None, issuer_key, *, tsa: bool) -> x509.Certificate:
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer.subject if issuer else name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=not tsa, path_length=None), critical=True))
    if tsa:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def tsa(tmp_path):
    """A time-stamping authority on a free local port; returns its URL and root certificate file."""
    directory = tmp_path / "tsa"
    directory.mkdir()
    root_key, tsa_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = _certificate("Test root", root_key, None, root_key, tsa=False)
    (directory / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (directory / "tsa.crt").write_bytes(
        _certificate("Test TSA", tsa_key, root, root_key, tsa=True).public_bytes(serialization.Encoding.PEM))
    (directory / "tsa.key").write_bytes(tsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (directory / "serial").write_text("01\n")
    (directory / "tsa.cnf").write_text(f"""[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {directory}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
certs = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.4146.2.3
other_policies = 1.3.6.1.4.1.4146.2.4
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")

    class Authority(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the name http.server calls)
            query, reply = directory / f"{uuid.uuid4().hex}.tsq", directory / f"{uuid.uuid4().hex}.tsr"
            query.write_bytes(self.rfile.read(int(self.headers["Content-Length"])))
            subprocess.run(["openssl", "ts", "-reply", "-config", str(directory / "tsa.cnf"), "-queryfile", str(query),
                            "-out", str(reply)], check=True, capture_output=True)
            body = reply.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Authority)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tsa", directory / "root.pem"
    server.shutdown()
    server.server_close()


@pytest.fixture
def signing_key(tmp_path, settings):
    settings.AUDIT_ANCHOR_KEY_FILE = str(tmp_path / "keys" / "audit-anchor.key")


def test_with_no_service_configured_no_time_stamp_is_asked(anchor_dir, signing_key, settings):
    assert settings.AUDIT_ANCHOR_TSA_URL == ""
    record(1)
    audit_anchor(now=NOON)
    assert "tsa" not in lines(anchor_dir)[0] and not AuditAnchor.objects.get().time_stamped


def test_a_checkpoint_is_time_stamped_and_the_token_checked(anchor_dir, signing_key, settings, tsa):
    url, root = tsa
    settings.AUDIT_ANCHOR_TSA_URL, settings.AUDIT_ANCHOR_TSA_ROOTS = url, [str(root)]
    record(2)
    checkpoint = audit_anchor(now=NOON)
    [line] = lines(anchor_dir)
    response = decode_timestamp_response(base64.b64decode(line["tsa"]))
    assert abs(response.tst_info.gen_time - datetime.now(UTC)) < timedelta(minutes=1)
    assert AuditAnchor.objects.get().time_stamped
    assert checkpoints_read().checkpoints == [checkpoint]
    assert verify().startswith("OK: 2 events verified, 0 not yet sealed; 1 checkpoint in ")

    # A token taken over other bytes, swapped in, does not verify.
    record(1)
    audit_anchor(now=NOON + timedelta(hours=1))
    path = anchor_dir / "checkpoints-2026-12.jsonl"
    first, second = path.read_text().splitlines()
    swapped = {**json.loads(first), "tsa": json.loads(second)["tsa"]}
    path.write_text(json.dumps(swapped) + "\n" + second + "\n")
    assert verify() == "Checkpoint checkpoints-2026-12.jsonl, line 1: the time-stamp does not verify."


def test_a_service_that_does_not_answer_leaves_the_checkpoint_signed(anchor_dir, signing_key, settings, caplog):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.AUDIT_ANCHOR_TSA_URL = f"http://127.0.0.1:{port}/tsa"
    record(1)
    assert audit_anchor(now=NOON).position == 1
    assert "tsa" not in lines(anchor_dir)[0]
    assert f"checkpoint not time-stamped by http://127.0.0.1:{port}/tsa" in caplog.text
    assert verify().startswith("OK: 1 events verified")
