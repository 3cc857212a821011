"""Reads that may go to the read replica, and how far behind the replica is.

Only views marked ``@replica_readable`` read from the replica (settings: a ``replica`` database from
REPLICA_DATABASE_URL): the managers' dashboards, the public performance pages and open data, permit
verification. Everything else, and every write, stays on the primary. Inside a marked view a read
still goes to the primary when it happens inside a transaction on the primary (the view's audit
record checks and writes under a lock) or after the view has written anything, so nothing ever
reads a stale copy of what it has just written.

The replica is used only while its replay lag is within REPLICA_MAX_LAG_SECONDS; a replica further
behind, or one that does not answer, sends the marked views to the primary. The lag is measured at
most every REPLICA_LAG_CHECK_SECONDS per process, so a busy page costs one extra query a second,
not one per request."""

import contextvars
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.db import DatabaseError, connections

log = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"

# The lag of a replica that has replayed all it received is 0, however long the primary has been
# idle; otherwise it is the age of the last transaction replayed. A server not in recovery (the
# alias pointed at a primary) has no lag.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0)
END
"""


@dataclass(frozen=True)
class ReplicaState:
    status: str  # "ok", "behind" or "unavailable"
    lag_seconds: float | None

    @property
    def usable(self) -> bool:
        return self.status == "ok"


class _Scope:
    """One marked view's reads: the replica's alias until the view writes."""

    def __init__(self, alias: str):
        self.alias = alias
        self.wrote = False


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("replica_scope", default=None)
_measured: tuple[float, ReplicaState] | None = None


def configured() -> bool:
    return REPLICA in settings.DATABASES


def measure() -> ReplicaState:
    """Ask the replica now how far behind it is."""
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(LAG_SQL)
            lag = float(cursor.fetchone()[0])
    except DatabaseError as exc:
        log.warning("replica: unavailable: %s", exc)
        connections[REPLICA].close()  # reconnect next time, not on a broken connection
        return ReplicaState("unavailable", None)
    status = "ok" if lag <= settings.REPLICA_MAX_LAG_SECONDS else "behind"
    if status == "behind":
        log.warning("replica: %.1f s behind (threshold %s s): reading from the primary", lag,
                    settings.REPLICA_MAX_LAG_SECONDS)
    return ReplicaState(status, round(lag, 3))


def state() -> ReplicaState:
    """The replica's state as last measured, measured again when older than REPLICA_LAG_CHECK_SECONDS."""
    global _measured
    now = time.monotonic()
    if _measured is None or now - _measured[0] >= settings.REPLICA_LAG_CHECK_SECONDS:
        _measured = (now, measure())
    return _measured[1]


def forget_state() -> None:
    """Measure again at the next request (tests; after changing the threshold)."""
    global _measured
    _measured = None


@contextmanager
def replica_reads():
    """Reads in this block may go to the replica, if one is configured and not behind."""
    alias = REPLICA if configured() and state().usable else PRIMARY
    token = _scope.set(_Scope(alias))
    try:
        yield alias
    finally:
        _scope.reset(token)


def replica_readable(view):
    """Mark a view whose reads may come from the replica: it reads published or shared figures,
    never what its visitor has just written. The visitor's session and account are read from the
    primary first (someone who has just signed in has a session the replica may not have yet)."""
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = getattr(request, "user", None)
        if user is not None:
            user.is_authenticated  # noqa: B018 - loads the session and the account on the primary
        with replica_reads():
            return view(request, *args, **kwargs)

    return wrapped


def read_alias() -> str | None:
    """Where a read goes now: the replica only inside a marked view that has not written and
    outside any transaction on the primary; None lets Django choose (the primary)."""
    scope = _scope.get()
    if scope is None or scope.alias == PRIMARY or scope.wrote:
        return None
    if connections[PRIMARY].in_atomic_block:
        return PRIMARY
    return scope.alias


def note_write() -> None:
    """A write in a marked view: from now on its reads go to the primary."""
    scope = _scope.get()
    if scope is not None:
        scope.wrote = True
