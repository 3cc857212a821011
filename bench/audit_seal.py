"""How long sealing 1,000 audit events into the chain takes: the median of ROUNDS rounds, each
inserting 1,000 unsealed events (committed, as the business transactions leave them) and timing
``audit.chain.audit_seal`` alone; then the hashing by itself, plain SHA-256 against HMAC-SHA256.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_seal .venv/bin/python bench/audit_seal.py

The database is migrated first; its audit table only grows (events cannot be deleted)."""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from audit.chain import audit_seal, link_hash  # noqa: E402
from audit.keys import chain_keys  # noqa: E402
from audit.models import Action, AuditEvent  # noqa: E402
from audit.services import Event, audit_record  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
EVENTS = 1000


def main() -> None:
    call_command("migrate", verbosity=0)
    audit_seal()  # whatever an earlier run left unsealed
    timings = []
    for round_ in range(ROUNDS):
        audit_record(*[Event(action=Action.APPLICATION_VIEWED, object_type="application", object_id=i,
                             application_id=i, purpose="review", details={"round": round_, "field": "name"})
                       for i in range(EVENTS)])
        start = time.perf_counter()
        sealed = audit_seal()
        timings.append((time.perf_counter() - start) * 1000)
        assert sealed == EVENTS, sealed
    print(f"sealing {EVENTS} events: median {statistics.median(timings):.1f} ms over {ROUNDS} rounds "
          f"(min {min(timings):.1f}, max {max(timings):.1f})")
    # The hashing alone, without the database: plain SHA-256 (the chain before it was keyed) and
    # HMAC-SHA256 (now), over the same 1,000 sealed events.
    # The two alternate, so that a busy machine slows both alike.
    events = list(AuditEvent.objects.order_by("-seq")[:EVENTS])
    secrets = {"SHA-256": None, "HMAC-SHA256": chain_keys().current[1]}
    runs = {name: [] for name in secrets}
    for _ in range(100):
        for name, secret in secrets.items():
            start = time.perf_counter()
            for event in events:
                link_hash(event.prev_hash, event, secret)
            runs[name].append((time.perf_counter() - start) * 1000)
    for name, times in runs.items():
        print(f"hashing {EVENTS} links with {name}: median {statistics.median(times):.2f} ms")


if __name__ == "__main__":
    main()
