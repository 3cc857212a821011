"""Checkpoints: the head of the audit chain anchored outside the database.

Once per period (AUDIT_ANCHOR_SECONDS; beat's ``audit-anchor`` asks every minute) ``audit_anchor``
seals what is pending and appends a checkpoint (position, head hash, the head's chain key id and
the time) signed with the Ed25519 key of AUDIT_ANCHOR_KEY_FILE, as one JSON line of
``checkpoints-YYYY-MM.jsonl`` in AUDIT_ANCHOR_DIR, opened O_APPEND|O_CREAT with mode 0600. The
database role cannot write there; production mounts the directory append-only (``chattr +a``) or
ships each line off-host. With AUDIT_ANCHOR_TSA_URL the line also carries an RFC 3161 time-stamp
token over the same bytes the signature covers.

Once per period, however many beats: the job claims the period with an INSERT under a UNIQUE
constraint (``AuditAnchor``) in the transaction that writes the line. Of two at once, one waits
for the other and then finds the period taken; a failed write rolls the claim back, so the next
run tries again.

``verify_audit`` reads the files, never the table: every line's signature must verify with a
trusted key, and the chain must hold, at each checkpoint's position, the head it recorded."""

import base64
import binascii
import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from core.secret_files import append_private_file

from .chain import Checkpoints, audit_seal
from .keys import anchor_signer, trusted_anchor_keys
from .models import AuditAnchor, AuditEvent

log = logging.getLogger(__name__)
FIELDS = ("position", "head", "key_id", "at", "signer")


@dataclass(frozen=True)
class Checkpoint:
    position: int
    head: str
    key_id: str
    at: str  # ISO 8601, UTC
    signer: str  # the signing key's fingerprint (audit.keys.fingerprint)

    def payload(self) -> bytes:
        """The bytes the signature and the time-stamp cover."""
        return json.dumps({name: getattr(self, name) for name in FIELDS}, sort_keys=True, separators=(",", ":")).encode()


def period_start(moment: datetime) -> datetime:
    seconds = settings.AUDIT_ANCHOR_SECONDS
    return datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, UTC)


# --- Writing --------------------------------------------------------------------------------------


def _tsa_roots() -> list[x509.Certificate]:
    roots = []
    for name in settings.AUDIT_ANCHOR_TSA_ROOTS:
        roots += x509.load_pem_x509_certificates(Path(name).read_bytes())
    return roots


def time_stamp(payload: bytes) -> bytes | None:
    """An RFC 3161 time-stamp response over ``payload`` from AUDIT_ANCHOR_TSA_URL, checked (against
    AUDIT_ANCHOR_TSA_ROOTS when given); None when no service is configured or it fails (logged:
    the signed checkpoint is written all the same)."""
    if not settings.AUDIT_ANCHOR_TSA_URL:
        return None
    request = TimestampRequestBuilder().data(payload).hash_algorithm(HashAlgorithm.SHA256).build()
    try:
        answer = httpx.post(settings.AUDIT_ANCHOR_TSA_URL, content=request.as_bytes(),
                            headers={"Content-Type": "application/timestamp-query"},
                            timeout=settings.AUDIT_ANCHOR_TSA_TIMEOUT)
        answer.raise_for_status()
        response = decode_timestamp_response(answer.content)
        _check_time_stamp(response, payload, nonce=request.nonce)
    except (httpx.HTTPError, ValueError, VerificationError) as error:
        log.warning("checkpoint not time-stamped by %s: %s", settings.AUDIT_ANCHOR_TSA_URL, error)
        return None
    return response.as_bytes()


def _check_time_stamp(response, payload: bytes, *, nonce: int | None = None) -> None:
    if roots := _tsa_roots():
        builder = VerifierBuilder(nonce=nonce)
        for root in roots:
            builder = builder.add_root_certificate(root)
        builder.build().verify_message(response, payload)
        return
    if PKIStatus(response.status) != PKIStatus.GRANTED:
        raise VerificationError(f"the service answered with status {response.status}")
    if response.tst_info.message_imprint.message != hashlib.sha256(payload).digest():
        raise VerificationError("the time-stamp covers other data")


def audit_anchor(*, now: datetime | None = None) -> Checkpoint | None:
    """Write this period's checkpoint unless it is written already (or nothing is sealed yet);
    returns the checkpoint written, or None."""
    now = now or timezone.now()
    period = period_start(now)
    if AuditAnchor.objects.filter(period=period).exists():
        return None
    audit_seal()
    head = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash", "key_id").first()
    if head is None:
        return None
    signer = anchor_signer()
    checkpoint = Checkpoint(position=head[0], head=head[1], key_id=head[2],
                            at=now.astimezone(UTC).isoformat(timespec="seconds"), signer=signer.fingerprint)
    payload = checkpoint.payload()
    line = {**json.loads(payload), "signature": base64.b64encode(signer.key.sign(payload)).decode()}
    if token := time_stamp(payload):
        line["tsa"] = base64.b64encode(token).decode()
    name = f"checkpoints-{now.astimezone(UTC):%Y-%m}.jsonl"
    try:
        with transaction.atomic():
            AuditAnchor.objects.create(period=period, position=checkpoint.position, head=checkpoint.head,
                                       key_id=checkpoint.key_id, written_at=now, file=name,
                                       time_stamped=token is not None)
            append_private_file(Path(settings.AUDIT_ANCHOR_DIR) / name,
                                (json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n").encode())
    except IntegrityError:  # another run claimed the period meanwhile
        return None
    return checkpoint


# --- Reading --------------------------------------------------------------------------------------


@dataclass
class CheckpointLog:
    """The checkpoints whose signatures verify, in the files' order, and what was wrong with the
    other lines."""

    directory: Path
    checkpoints: list[Checkpoint] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def heads(self) -> Checkpoints:
        heads: Checkpoints = {}
        for checkpoint in self.checkpoints:
            heads.setdefault(checkpoint.position, set()).add(checkpoint.head)
        return heads


def _read_line(text: str, trusted: dict) -> tuple[Checkpoint | None, str]:
    try:
        data = json.loads(text)
        checkpoint = Checkpoint(**{name: data[name] for name in FIELDS})
        signature = base64.b64decode(data["signature"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None, "not a checkpoint (unreadable JSON or a field missing)"
    if not isinstance(checkpoint.position, int) or not all(
            isinstance(getattr(checkpoint, name), str) for name in FIELDS[1:]):
        return None, "not a checkpoint (unreadable JSON or a field missing)"
    key = trusted.get(checkpoint.signer)
    if key is None:
        return None, f"signed with the key {checkpoint.signer}, which is not trusted"
    try:
        key.verify(signature, checkpoint.payload())
    except InvalidSignature:
        return None, "the signature does not verify"
    if "tsa" in data:
        try:
            _check_time_stamp(decode_timestamp_response(base64.b64decode(data["tsa"], validate=True)),
                              checkpoint.payload())
        except (ValueError, binascii.Error, VerificationError):
            return None, "the time-stamp does not verify"
    return checkpoint, ""


def checkpoints_read(directory: Path | str | None = None) -> CheckpointLog:
    """Every checkpoint line in ``directory`` (AUDIT_ANCHOR_DIR by default), verified."""
    result = CheckpointLog(Path(directory or settings.AUDIT_ANCHOR_DIR))
    trusted = trusted_anchor_keys()
    for path in sorted(result.directory.glob("checkpoints-*.jsonl")):
        for number, text in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if not text.strip():
                continue
            checkpoint, problem = _read_line(text, trusted)
            if checkpoint:
                result.checkpoints.append(checkpoint)
            else:
                result.problems.append(f"{path.name}, line {number}: {problem}")
    return result
