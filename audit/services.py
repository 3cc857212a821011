"""Writing audit events. Called inside the business transaction: the event commits or rolls
back with the change it describes. Sealing into the hash chain happens later (audit.chain)."""

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .anchors import checkpoints_read
from .chain import VERIFY_BATCH, VerifyState, audit_seal, audit_verify_batch, last_position, unsealed_count
from .models import Action, AuditEvent, ChainCheck, ChainCheckStatus

logger = logging.getLogger(__name__)


@dataclass
class Event:
    action: str
    object_type: str
    object_id: object
    actor: object = None  # a User, or None for the system
    actor_label: str = ""
    subject_id: int | None = None
    application_id: int | None = None
    department_code: str = ""
    ip: str | None = None
    purpose: str = ""
    details: dict = field(default_factory=dict)

    def to_model(self) -> AuditEvent:
        actor_id = getattr(self.actor, "pk", None)
        label = self.actor_label or (self.actor.email if self.actor is not None else "system")
        return AuditEvent(
            actor_id=actor_id, actor_label=label, action=self.action, object_type=self.object_type,
            object_id=str(self.object_id), subject_id=self.subject_id, application_id=self.application_id,
            department_code=self.department_code, ip=self.ip or None, purpose=self.purpose, details=self.details,
        )


def audit_record(*events: Event) -> None:
    """Append one or more events in a single INSERT."""
    if events:
        AuditEvent.objects.bulk_create([e.to_model() for e in events])


# The details keys of an API token's events: the token's prefix (never the token), and for a front
# desk its name, which marks the event as the desk's doing for a citizen.
API_TOKEN = "token"  # noqa: S105  (a details key, not a secret)
FRONT_DESK = "front_desk"


@dataclass(frozen=True)
class TokenActor:
    """An API token acting: every event of what it reads or writes names it. The actor is the
    account the token acts as (``user``): a citizen's own token writes as the citizen, a
    department system's token as its service account. The actor label is the token's label
    ("API token <prefix> (<name>)") and the details carry its prefix, so that the log tells the
    token from the person or the system it belongs to.

    A front desk (``front_desk``: its name) acts for a citizen (registering them, printing their
    claim letter, filing, answering, uploading, submitting for them, reading their application):
    its events are the desk's, never the citizen's, with the purpose "counter" and the desk's name
    in the details, which the citizen's page of who acted on their data shows."""

    user: object
    label: str
    token: str  # the token's prefix, never the token
    front_desk: str = ""

    def stamp(self, event: Event) -> Event:
        event.actor, event.actor_label = self.user, self.label
        marks = {API_TOKEN: self.token}
        if self.front_desk:
            event.purpose = "counter"
            marks[FRONT_DESK] = self.front_desk
        event.details = {**event.details, **marks}
        return event


# An access repeated within this time (a reload, a browser's prefetch, an integration polling) is
# the same visit: "who viewed my data" lists visits, not requests.
ACCESS_RECORD_SECONDS = 60
_ACCESS_LOCK_SPACE = 0x41434345  # names the advisory locks of access records (a key space of its own)
_SAME_ACCESS = ("actor_id", "actor_label", "action", "object_type", "object_id", "subject_id", "application_id",
                "department_code", "ip", "purpose", "details")


def access_record(event: Event) -> bool:
    """Record an access to someone's data (a page viewed, a file downloaded, an API read) unless
    the same access was recorded in the last ACCESS_RECORD_SECONDS: the same person or token, object,
    department, purpose, address and details. Events are never changed, so the check comes before
    the insert, under a transaction-level advisory lock on the access (on SQLite the immediate
    transaction serializes writers): of two requests at once, one records it. True when recorded."""
    row = event.to_model()
    same = {name: getattr(row, name) for name in _SAME_ACCESS}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            access = json.dumps(same, sort_keys=True, default=str).encode()
            key = hashlib.blake2b(access, digest_size=4).digest()
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                               [_ACCESS_LOCK_SPACE, int.from_bytes(key, "big", signed=True)])
        since = timezone.now() - timedelta(seconds=ACCESS_RECORD_SECONDS)
        if AuditEvent.objects.filter(at__gt=since, **same).exists():
            return False
        audit_record(event)
    return True


def client_ip(request) -> str | None:
    """The client address as the login throttle sees it (one rule for the whole portal)."""
    if request is None:
        return None
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


DENIED_WINDOW_SECONDS = 60
UNRECORDED_KEEP_SECONDS = 24 * 3600


def access_denied(request, *, object_type: str, object_id, reason: str = "", actor=None, actor_label: str = "",
                  **details) -> None:
    """Put a refused access on record; the caller then refuses as it always does (404 for someone
    else's object, so that references cannot be probed; 401 or 403 in the API). ``actor``
    defaults to the signed-in user (none: "anonymous"); ``reason`` says why, in a word, and
    ``details`` add what identifies the attempt (an API token's prefix, never the token).

    Refusals cost nothing to cause, so they are counted before they are written (in the cache,
    AUDIT_DENIED_WINDOW_SECONDS apart): without a user, one per client address, reason and kind
    of object (a storm of bad tokens writes one row a minute per address); with one, one per
    person, address, reason, object and request (the same page reloaded is one row, every other
    object or request someone tries is on record). The next event written for a refusal counts
    those left out in "unrecorded". Without a working cache every refusal is written."""
    user = getattr(request, "user", None)
    if actor is None and user is not None and user.is_authenticated:
        actor = user
    path = request.path[:200]
    unrecorded = _denial_admitted(
        (client_ip(request) or "-", reason, object_type)
        + ((str(actor.pk), str(object_id), request.method, path) if actor is not None else ()))
    if unrecorded is None:
        return
    details = {"path": path, **({"reason": reason} if reason else {}), **details}
    if unrecorded:
        details["unrecorded"] = unrecorded
    audit_record(Event(action=Action.ACCESS_DENIED, object_type=object_type, object_id=str(object_id)[:40],
                       actor=actor, actor_label=actor_label or ("" if actor is not None else "anonymous"),
                       ip=client_ip(request), details=details))


def page_denied(request, *, reason: str) -> None:
    """A whole page refused (a citizen's page to a member of staff …), on record by its path."""
    access_denied(request, object_type="url", object_id=request.path[:40], reason=reason)


def _denial_admitted(parts: tuple) -> int | None:
    """None when a refusal like this one was recorded within the window; else how many like it
    were left out since the last one recorded."""
    key = "audit:denied:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    window = getattr(settings, "AUDIT_DENIED_WINDOW_SECONDS", DENIED_WINDOW_SECONDS)
    try:
        if cache.add(key, 1, timeout=window):
            left_out = cache.get(f"{key}:n") or 0
            if left_out:
                cache.decr(f"{key}:n", left_out)
            return left_out
        cache.add(f"{key}:n", 0, timeout=UNRECORDED_KEEP_SECONDS)
        cache.incr(f"{key}:n")
        return None
    except Exception:  # the cache is down: a refusal too many on record beats one missing
        logger.warning("access.denied: the cache did not answer; recording every refusal", exc_info=True)
        return 0


# --- Checking the chain from the auditor's page --------------------------------------------------

CHECK_SLICE_SECONDS = 20.0  # one task's share of a long walk, well inside the tasks' time limit
CHECK_STALLED_SECONDS = 120  # no progress for this long: the task was lost; send the check again


def chain_check_start(*, actor, ip: str | None = None) -> tuple[ChainCheck, bool]:
    """Start a walk along the whole chain, or join the one under way (a second auditor, a double
    click: still one walk). Returns the check and whether a worker should be nudged for it: a new
    check, or one that stalled (its task lost), which resumes where it stopped."""
    check = ChainCheck.objects.filter(active=True).first()
    if check is None:
        try:
            with transaction.atomic():
                check = ChainCheck.objects.create(requested_by=actor)
            fresh = True
        except IntegrityError:  # another request started one in the meantime
            check, fresh = ChainCheck.objects.get(active=True), False
    else:
        fresh = False
    audit_record(Event(action=Action.CHAIN_CHECK_REQUESTED, object_type="chain_check", object_id=check.pk, actor=actor,
                       ip=ip, purpose="audit", details={} if fresh else {"joined": True}))
    return check, fresh or chain_check_revive(check)


def chain_check_revive(check: ChainCheck) -> bool:
    """True when ``check`` shows no progress for CHECK_STALLED_SECONDS and this caller is the one
    to send it again (a conditional UPDATE: of two callers at once, one wins)."""
    if not check.active or check.updated_at > timezone.now() - timedelta(seconds=CHECK_STALLED_SECONDS):
        return False
    return bool(ChainCheck.objects.filter(pk=check.pk, active=True, updated_at=check.updated_at)
                .update(updated_at=timezone.now()))


def chain_check_run(*, check_id: int, seconds: float = CHECK_SLICE_SECONDS, batch: int = VERIFY_BATCH) -> str:
    """Walk the chain for a check, batch by batch, storing the progress after each batch; after
    ``seconds`` return "continue" (the task sends itself again). Safe to run twice: every step is
    a conditional UPDATE from the position read, so of two runs of the same check one stops
    ("taken"). The same steps as ``verify_audit`` (``audit_verify_batch``), after sealing as it does."""
    check = ChainCheck.objects.filter(pk=check_id, active=True).first()
    if check is None:
        return "finished"
    if check.status == ChainCheckStatus.QUEUED:
        audit_seal()
        now = timezone.now()
        if not ChainCheck.objects.filter(pk=check.pk, status=ChainCheckStatus.QUEUED).update(
                status=ChainCheckStatus.RUNNING, started_at=now, updated_at=now, total=last_position()):
            return "taken"
        check.refresh_from_db()
    state = VerifyState(check.next_position, check.prev_hash, check.checked, check.keyed)
    checkpoints = checkpoints_read().heads()
    deadline = time.monotonic() + seconds
    while True:
        step = audit_verify_batch(state, upto=check.total, batch=batch, checkpoints=checkpoints)
        changes = {"checked": step.checked, "next_position": step.next_position, "prev_hash": step.prev_hash,
                   "keyed": step.keyed, "updated_at": timezone.now()}
        if step.done:
            changes.update(active=False, finished_at=changes["updated_at"], unsealed=unsealed_count(),
                           status=ChainCheckStatus.BROKEN if step.reason_code else ChainCheckStatus.INTACT,
                           broken_position=step.broken_position, broken_event_id=step.broken_event_id,
                           reason_code=step.reason_code)
        if not ChainCheck.objects.filter(pk=check.pk, active=True, checked=state.checked,
                                         next_position=state.next_position).update(**changes):
            return "taken"
        if step.done:
            return "finished"
        state = step
        if time.monotonic() >= deadline:
            return "continue"
