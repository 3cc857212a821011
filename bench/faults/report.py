"""docs/reliability.md from the scenarios' results. Results are kept by scenario in
var/faults/results.json, so a run of some scenarios updates their rows and keeps the others'."""

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "var" / "faults" / "results.json"
REPORT = ROOT / "docs" / "reliability.md"


def _commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()


def _pages(errors: dict) -> str:
    if not errors:
        return "none"
    ordered = sorted(errors.items(), key=lambda item: -item[1])
    return "; ".join(f"{what} ×{n}" for what, n in ordered[:4]) + ("; …" if len(ordered) > 4 else "")


def _row(r: dict) -> str:
    errors = sum(r["citizen_errors"].values())
    unsent = sum(r["mails_unsent"].values())
    recover = "—" if r["recover_seconds"] is None else f"{r['recover_seconds']:.0f}"
    return (f"| {r['title']} | {r['applications']} | {r['final']} / {r['submitted']} | {r['lost']} | "
            f"{r['duplicate_permits']} | {r['duplicate_mails']} ({unsent} unsent) | {r['duplicate_notifications']} | "
            f"{r['permit_downloads_matching']} / {r['permit_downloads']} | {recover} | {errors}: {_pages(r['citizen_errors'])} "
            f"| {r['citizen_retries']} / {r['officer_errors']} |")


def write(results: list[dict], *, applications: int, concurrency: int) -> None:
    stored = json.loads(STORE.read_text()) if STORE.exists() else {}
    measured = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {_commit()}"
    for result in results:
        stored[result["scenario"]] = {**result, "measured": measured}
    STORE.parent.mkdir(parents=True, exist_ok=True)
    STORE.write_text(json.dumps(stored, indent=1, default=str))
    from faults.scenarios import SCENARIOS

    rows = [stored[s.key] for s in SCENARIOS if s.key in stored]
    notes = (ROOT / "bench" / "faults" / "findings.md").read_text()
    lines = [
        "# Reliability: faults injected mid-run",
        "",
        f"Written by `make faults` (bench/faults/run.py) on {platform.node()} ({os.cpu_count()} cores, shared). "
        "Each scenario starts from a fresh copy of a database with the demo data, on the run's own PostgreSQL "
        "cluster and redis-server (no persistence), with gunicorn (3 workers), a Celery worker on the routing queue "
        "and one on the permits and mail queues (2 processes each, as docker-compose.yml runs them), one beat, and "
        "an SMTP server the run controls. Citizens' apps file N applications of *open-a-restaurant* over HTTP "
        f"through the API ({concurrency} at a time: create, answers, 3 files, submit); each department's system "
        "approves most reviews, rejects 5 % and asks for a correction on 10 % (once per application), which the "
        "citizen answers. A person whose step fails (no answer, a 5xx, a 429) tries it again after 2 s with the "
        "same Idempotency-Key. The fault is injected once 30 % of the applications are submitted (the mail "
        "outage at 10 %).",
        "",
        "Columns: *final* — applications issued or rejected, of those whose citizen was given a reference; "
        "*lost* — given a reference and not final when the run ended (it waits up to 15 minutes); "
        "*dup. mails* — the same message received twice by the SMTP server (and mails never sent); "
        "*dup. notices* — the same notification (person, kind, application, review) twice; *permits* — "
        "downloaded through the web matching the SHA-256 the portal stored, of those rendered; *recover* — "
        "seconds from the end of the fault until all work due by then (reviews to route, permits to render, "
        "mails to send) is done; *errors people saw* — failed requests of citizens (by endpoint and answer); "
        "*retries* — citizens' / departments' systems'.",
        "",
        "| scenario | N | final | lost | dup. permits | dup. mails | dup. notices | permits | recover, s "
        "| errors people saw | retries |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|",
        *[_row(stored[s.key]) if s.key in stored else f"| {s.title} | — | not measured yet |" + " |" * 8
          for s in SCENARIOS],
        "",
        "Measured: " + "; ".join(f"{r['scenario']} {r['measured']}" for r in rows) + ".",
        "",
        f"Command for the full figures: `FAULTS_APPLICATIONS=1000 make faults` (this table: "
        f"`FAULTS_APPLICATIONS={applications} make faults`; one scenario: `FAULTS_SCENARIOS=mail`). "
        "It takes far longer than CI allows (each scenario several minutes, the mail outage alone 10), so it "
        "is not part of `.ci/run`.",
        "",
        notes,
    ]
    REPORT.write_text("\n".join(lines))
