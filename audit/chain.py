"""The hash chain over audit events.

Events are inserted unsealed by the transactions that cause them. ``audit_seal`` then takes
the chain lock, appends every committed unsealed event in id order, and stores
``hash = HMAC-SHA256(key, prev_hash + canonical(event))`` with the id of the chain key
(``audit.keys``), which lives outside the database: whoever rewrites rows cannot compute the links
again. Ordering by seal time rather than by id is what lets business transactions commit without
waiting for each other on the chain.

Links sealed before the chain was keyed name no key and keep ``sha256(prev_hash + canonical(event))``;
they verify as before. Such a link is accepted only where one can stand: before the first keyed
link, since sealing never goes back to plain hashes. An attacker who re-hashes rows with plain
SHA-256 therefore breaks the chain at the first row rewritten after a keyed link."""

import hashlib
import hmac
import json
from dataclasses import dataclass, field

from django.db import connection, transaction

from .keys import ChainKeys, chain_keys
from .models import AuditEvent

GENESIS = "0" * 64
_CHAIN_LOCK_KEY = 0x41554449  # any constant; names the advisory lock of the chain
SEAL_BATCH = 2000


def canonical(event: AuditEvent) -> bytes:
    payload = {
        "id": event.pk,
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object": [event.object_type, event.object_id],
        "subject": event.subject_id,
        "application": event.application_id,
        "department": event.department_code,
        "ip": event.ip,
        "purpose": event.purpose,
        "details": event.details,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def link_hash(prev_hash: str, event: AuditEvent, key: bytes | None) -> str:
    """HMAC-SHA256 under ``key``; plain SHA-256 for a link sealed before the chain was keyed (None)."""
    message = prev_hash.encode() + canonical(event)
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.digest(key, message, "sha256").hex()


def _lock_chain() -> None:
    # On SQLite the immediate transaction already serializes writers.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def _store_links(events: list[AuditEvent]) -> None:
    """One UPDATE joined to a VALUES list: linear in the batch, where ``bulk_update``'s CASE per
    column makes every row test every branch (a 2000-event batch took seconds)."""
    if not events:
        return
    if connection.vendor != "postgresql":
        AuditEvent.objects.bulk_update(events, ["seq", "prev_hash", "hash", "key_id"])
        return
    table = AuditEvent._meta.db_table
    rows = ", ".join(["(%s::bigint, %s::bigint, %s, %s, %s)"] * len(events))
    params = [value for e in events for value in (e.pk, e.seq, e.prev_hash, e.hash, e.key_id)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash, key_id = v.key_id "  # noqa: S608
            f"FROM (VALUES {rows}) AS v(id, seq, prev_hash, hash, key_id) WHERE {table}.id = v.id", params)


def audit_seal(*, batch: int = SEAL_BATCH) -> int:
    """Seal committed unsealed events into the chain with the current chain key; returns how many
    were sealed. Without a key (none provisioned in production) nothing is sealed: the error says
    what to do, and the events wait, unsealed, for the next run."""
    total = 0
    key_id, key = chain_keys().current
    while True:
        with transaction.atomic():
            _lock_chain()
            last = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").only("seq", "hash").first()
            seq, prev = (last.seq, last.hash) if last else (0, GENESIS)
            events = list(AuditEvent.objects.filter(seq__isnull=True).order_by("id")[:batch])
            for event in events:
                seq += 1
                event.seq, event.prev_hash, event.key_id = seq, prev, key_id
                event.hash = prev = link_hash(prev, event, key)
            _store_links(events)
        total += len(events)
        if len(events) < batch:
            return total


VERIFY_BATCH = 5000
# Why a link is broken: a code (kept with a check from the auditor's page) and the words
# ``verify_audit`` prints.
REASONS = {
    "gap": "missing position {position}",
    "previous": "previous hash does not match",
    "content": "event content does not match its hash",
    "key": "sealed with a chain key that is not configured",
    "unkeyed": "no key where every link must be keyed",
    "checkpoint": "does not match the checkpoint written outside the database",
}


# What the checkpoints outside the database (audit.anchors) recorded: position -> the head hashes
# written for it (several checkpoints may name one position when nothing was sealed in between).
Checkpoints = dict[int, set[str]]


@dataclass(frozen=True)
class VerifyState:
    """How far a walk along the chain has come: the next position to check and the hash it must
    follow; ``done`` at the end, or at the first broken link (``broken_position`` set)."""

    next_position: int = 1
    prev_hash: str = GENESIS
    checked: int = 0
    keyed: bool = False  # a keyed link lies behind: every later one must be keyed too
    done: bool = False
    broken_position: int | None = None
    broken_event_id: int | None = None
    reason_code: str = ""

    @property
    def reason(self) -> str:
        return REASONS[self.reason_code].format(position=self.broken_position) if self.reason_code else ""


def _plain_until(checkpoints: Checkpoints) -> int | None:
    """The last position a plain link may hold: none after the first checkpoint."""
    return min(checkpoints) if checkpoints else None


def _own_fault(event: AuditEvent, *, keyed: bool, keys: ChainKeys, checkpoints: Checkpoints,
               plain_until: int | None) -> str:
    """What is wrong with the link in itself, over the previous hash it names. A plain link (no key)
    stands only before the first keyed link, and never after the first checkpoint: checkpoints are
    written by the keyed chain alone, so everything sealed after one is keyed."""
    key = None
    if event.key_id:
        key = keys.get(event.key_id)
        if key is None:
            return "key"
    elif keyed or (plain_until is not None and event.seq > plain_until):
        return "unkeyed"
    if not hmac.compare_digest(link_hash(event.prev_hash, event, key), event.hash):
        return "content"
    if checkpoints.get(event.seq, {event.hash}) != {event.hash}:
        return "checkpoint"
    return ""


def link_fault(event: AuditEvent, *, position: int, prev_hash: str, keyed: bool, keys: ChainKeys,
               checkpoints: Checkpoints, plain_until: int | None) -> str:
    """What is wrong with ``event`` as the link at ``position`` after ``prev_hash`` (a REASONS
    code), or "" when it holds."""
    if event.seq != position:
        return "gap"
    if event.prev_hash != prev_hash:
        return "previous"
    return _own_fault(event, keyed=keyed, keys=keys, checkpoints=checkpoints, plain_until=plain_until)


def audit_verify_batch(state: VerifyState, *, upto: int | None = None, batch: int = VERIFY_BATCH,
                       keys: ChainKeys | None = None, checkpoints: Checkpoints | None = None) -> VerifyState:
    """Check the next ``batch`` links after ``state`` (up to position ``upto``, if given): the one
    step both ``verify_audit`` and the check run from the auditor's page are made of. At the end,
    a checkpoint beyond the last link means the links after it were removed."""
    keys = keys or chain_keys(create=False)
    checkpoints = checkpoints or {}
    query = AuditEvent.objects.filter(seq__gte=state.next_position).order_by("seq")
    if upto is not None:
        query = query.filter(seq__lte=upto)
    events = list(query[:batch])
    prev, expected, checked, keyed = state.prev_hash, state.next_position, state.checked, state.keyed
    plain_until = _plain_until(checkpoints)
    for event in events:
        if code := link_fault(event, position=expected, prev_hash=prev, keyed=keyed, keys=keys,
                              checkpoints=checkpoints, plain_until=plain_until):
            return VerifyState(expected, prev, checked, keyed, True, expected, event.pk, code)
        prev, expected, checked, keyed = event.hash, expected + 1, checked + 1, keyed or bool(event.key_id)
    done = len(events) < batch
    if done and checkpoints and max(checkpoints) >= expected and not AuditEvent.objects.filter(
            seq=max(checkpoints)).exists():
        return VerifyState(expected, prev, checked, keyed, True, expected, None, "gap")
    return VerifyState(expected, prev, checked, keyed, done=done)


class _Runs:
    """Positions collected in increasing order, kept as runs (start, end)."""

    def __init__(self):
        self.runs: list[tuple[int, int]] = []

    def add(self, start: int, end: int) -> None:
        while self.runs and self.runs[-1][1] >= start - 1:
            last = self.runs.pop()
            start, end = min(start, last[0]), max(end, last[1])
        self.runs.append((start, end))


def rewritten_ranges(*, keys: ChainKeys, checkpoints: Checkpoints, batch: int = VERIFY_BATCH) -> list[tuple[int, int]]:
    """The runs of positions whose links no longer hold what was sealed: missing, failing in
    themselves (``_own_fault``), or named wrongly by the link after them. A keyed link proves itself,
    so the runs end where keyed links hold again. Plain links prove nothing on their own: when a
    checkpoint, or the first keyed link, does not name a plain link's hash, the run reaches back to
    the last checkpoint that still holds (or to the start)."""
    runs, keyed, previous, held, plain_until = _Runs(), False, None, 0, _plain_until(checkpoints)
    for event in AuditEvent.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=batch):
        expected = previous.seq + 1 if previous else 1
        if event.seq > expected:
            runs.add(expected, event.seq - 1)
        named = GENESIS if event.seq == 1 else (previous.hash if previous and previous.seq == event.seq - 1 else None)
        if fault := _own_fault(event, keyed=keyed, keys=keys, checkpoints=checkpoints, plain_until=plain_until):
            # A plain link that hashes right but misses its checkpoint was hashed again with those before it.
            runs.add(held + 1 if fault == "checkpoint" and not event.key_id else event.seq, event.seq)
        elif named is not None and event.prev_hash != named:
            # A link that holds names the hash its predecessor had when it was sealed.
            if event.seq == 1:
                runs.add(1, 1)
            elif previous.key_id:
                runs.add(event.seq - 1, event.seq - 1)
            else:
                runs.add(min(held + 1, event.seq - 1), event.seq - 1)
        elif event.seq in checkpoints:
            held = event.seq
        keyed, previous = keyed or bool(event.key_id), event
    end = previous.seq if previous else 0
    if checkpoints and max(checkpoints) > end:
        runs.add(end + 1, max(checkpoints))
    return runs.runs


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    unsealed: int
    broken_position: int | None = None
    broken_event_id: int | None = None
    reason: str = ""
    rewritten: list[tuple[int, int]] = field(default_factory=list)


def audit_verify(*, batch: int = VERIFY_BATCH, checkpoints: Checkpoints | None = None) -> VerifyResult:
    """Walk the sealed chain in order and report the first broken link; when there is one, also the
    runs of positions that were rewritten or removed."""
    state, keys, checkpoints = VerifyState(), chain_keys(create=False), checkpoints or {}
    while not state.done:
        state = audit_verify_batch(state, batch=batch, keys=keys, checkpoints=checkpoints)
    rewritten = rewritten_ranges(keys=keys, checkpoints=checkpoints, batch=batch) if state.reason_code else []
    return VerifyResult(not state.reason_code, state.checked, unsealed_count(), state.broken_position,
                        state.broken_event_id, state.reason, rewritten)


def last_position() -> int:
    return AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", flat=True).first() or 0


def unsealed_count() -> int:
    return AuditEvent.objects.filter(seq__isnull=True).count()


def audit_chain_status() -> dict:
    """How far the chain reaches (a cheap read for the auditor's page; ``verify_audit`` walks it)."""
    last = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "at").first()
    return {"sealed": last[0] if last else 0, "last_sealed_at": last[1] if last else None}
