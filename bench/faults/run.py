"""`make faults`: N mixed applications through the real stack over HTTP, once per scenario, with
one fault injected mid-run (bench/faults/scenarios.py); then what the database, the mail server and
the people say: applications final and lost, anything done twice, time to recover, the errors
people saw and on which pages. Writes docs/reliability.md (FAULTS_REPORT=0: only JSON on stdout).

Everything runs on servers of its own: a PostgreSQL cluster initdb'd for the run, a redis-server,
an SMTP server (bench/faults/mail_sink.py), gunicorn, Celery workers and beat; the media of the
disk-full scenario on a small tmpfs. Needs root (tmpfs, the `postgres` user), PostgreSQL 15's
server binaries and redis-server.

    FAULTS_APPLICATIONS=1000 FAULTS_SCENARIOS=pg-restart,mail make faults"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE.parent), str(ROOT)]

from faults import report  # noqa: E402
from faults.mail_sink import MailSink  # noqa: E402
from faults.people import Applicants, Officers, Seen  # noqa: E402
from faults.scenarios import SCENARIOS, Scenario  # noqa: E402
from faults.servers import PostgresCluster, RedisServer, free_port  # noqa: E402
from faults.stack import Stack  # noqa: E402
from faults.tally import backlog, outcome  # noqa: E402

PY = sys.executable
SERVICE = "open-a-restaurant"
APPLICATIONS = int(os.environ.get("FAULTS_APPLICATIONS", "1000"))
CONCURRENCY = int(os.environ.get("FAULTS_CONCURRENCY", "6"))
CITIZENS = int(os.environ.get("FAULTS_CITIZENS", "20"))
DRAIN_TIMEOUT = float(os.environ.get("FAULTS_DRAIN_SECONDS", "900"))
SMALL_DISK_MB = 64
RUNS = ROOT / "var" / "faults"
TEMPLATE = "faults_template"


def portal_env(run_dir: Path, cluster: PostgresCluster, redis: RedisServer, database: str, **extra) -> dict:
    return {
        **os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.dev", "DEBUG": "false", "MIGRATE_DATABASE_URL": "",
        "DATABASE_URL": cluster.url(database), "CELERY_BROKER_URL": f"{redis.url}/0", "CACHE_URL": f"{redis.url}/1",
        "PORTAL_VAR_DIR": str(run_dir.parent / "var"), "MEDIA_ROOT": str(run_dir / "media"),
        "CELERY_PERMITS_QUEUE": "permits", "CELERY_MAIL_QUEUE": "mail", "LOG_LEVEL": "INFO",
        "CELERY_VISIBILITY_TIMEOUT": "60", "EMAIL_TIMEOUT": "5", "API_TOKEN_RATE": "1000000/min",
        "ALLOWED_HOSTS": "127.0.0.1", **extra,
    }


def manage(env: dict, *args: str) -> str:
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True,
                          stdout=subprocess.PIPE).stdout


def prepare(cluster: PostgresCluster, redis: RedisServer, base: Path) -> dict:
    """The template every scenario's database is copied from: migrated, the demo loaded, the run's
    citizens and departments' tokens made; and the demo's files."""
    cluster.sql("postgres", f'CREATE DATABASE "{TEMPLATE}"')
    env = portal_env(base / "template", cluster, redis, TEMPLATE, CELERY_BROKER_URL="memory://",
                     EMAIL_URL="", EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    (base / "template").mkdir(parents=True)
    manage(env, "migrate", "-v0")
    manage(env, "seed_demo", "-v0")
    manage(env, "permit_keys")
    plan = subprocess.run([PY, str(ROOT / "bench" / "multihost" / "prepare.py"), SERVICE, str(CITIZENS)], cwd=ROOT,
                          env=env, check=True, text=True, stdout=subprocess.PIPE).stdout
    return json.loads(plan)


class ScenarioRun:
    """One scenario's servers, processes and people; what the faults act on."""

    def __init__(self, scenario: Scenario, base: Path, cluster, redis, sink, plan):
        self.scenario, self.cluster, self.redis, self.sink, self.plan = scenario, cluster, redis, sink, plan
        self.directory = base / scenario.key
        self.media = self.directory / "media"
        self.database = f"faults_{scenario.key.replace('-', '_')}"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"

    def setup(self, template_media: Path) -> None:
        self.cluster.sql("postgres", f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        self.cluster.sql("postgres", f'CREATE DATABASE "{self.database}" TEMPLATE "{TEMPLATE}"')
        self.media.mkdir(parents=True)
        if self.scenario.small_disk:
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SMALL_DISK_MB}m", "tmpfs", str(self.media)], check=True)
        if template_media.exists():
            shutil.copytree(template_media, self.media, dirs_exist_ok=True)
        subprocess.run(["redis-cli", "-p", str(self.redis.port), "flushall"], check=True, capture_output=True)
        self.sink.messages.clear()
        self.sink.accept()
        env = portal_env(self.directory, self.cluster, self.redis, self.database,
                         EMAIL_URL=f"smtp://127.0.0.1:{self.sink.port}", SITE_URL=self.base_url)
        self.stack = Stack(self.directory, env, self.port)
        self.stack.start(worker_shift=self.scenario.worker_shift)
        if self.scenario.second_beat:
            self.stack.start_beat("beat2")

    def teardown(self) -> None:
        self.stack.stop()
        if self.scenario.small_disk:
            subprocess.run(["umount", "-l", str(self.media)], check=False)

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.cluster.url(self.database), autocommit=True)

    def database_now(self):
        """The database's clock, once it answers again."""
        while True:
            try:
                with self.connect() as conn:
                    return conn.execute("SELECT now()").fetchone()[0]
            except psycopg.OperationalError:
                time.sleep(0.5)

    def make_overdue(self) -> int:
        """Routed reviews of the demo's applications (which the run's departments leave alone) due
        30 days ago, so the SLA scan owes them cards."""
        with self.connect() as conn:
            return conn.execute("UPDATE approvals_review SET due_date = current_date - 30 WHERE status = 'pending' "
                                "AND routed_at IS NOT NULL AND NOT (application_id = ANY(%s))",
                                (list(self.applicants.owners),)).rowcount

    def drive(self) -> dict:
        citizens_seen, officers_seen = Seen(), Seen()
        self.applicants = Applicants(self.base_url, self.plan, citizens_seen)
        stop = threading.Event()
        officers = [Officers(self.base_url, code, token, stop, officers_seen, self.applicants,
                             self.plan["correctable"].get(code)) for code, token in self.plan["department_tokens"].items()]
        for officer in officers:
            officer.start()
        correcting = threading.Thread(target=self.applicants.answer_corrections, args=(stop,), daemon=True)
        correcting.start()
        fault: dict = {}

        def inject():
            while self.applicants.submitted < APPLICATIONS * self.scenario.at:
                time.sleep(0.05)
            fault["started"] = time.monotonic()
            self.scenario.inject(self)
            fault["ended"] = time.monotonic()
            fault["database_time"] = self.database_now()

        injector = threading.Thread(target=inject, daemon=True)
        started = time.monotonic()
        injector.start()
        ids = self.applicants.file_all(APPLICATIONS, CONCURRENCY)
        submitted = time.monotonic()
        injector.join()
        recovered = None
        with self.connect() as conn:
            while time.monotonic() - submitted < DRAIN_TIMEOUT:
                state = outcome(conn, ids)
                if recovered is None and backlog(conn, fault["database_time"]) == 0:
                    recovered = time.monotonic()
                if state["final"] == len(ids) and recovered is not None and not state["mails_unsent"].get("pending") \
                        and not state["mails_unsent"].get("sending") and not state["permits_unrendered"]:
                    break
                time.sleep(1)
            drained = time.monotonic()
            state = outcome(conn, ids)
            digests = dict(conn.execute("SELECT application_id, sha256 FROM permits_permit WHERE application_id = "
                                        "ANY(%s) AND rendered_at IS NOT NULL", (ids,)).fetchall())
            cards = conn.execute("SELECT kind, count(*) FROM approvals_notification WHERE kind IN "
                                 "('review_reminder', 'review_yellow', 'review_red') GROUP BY kind").fetchall()
        stop.set()
        for officer in officers:
            officer.join(timeout=60)
        correcting.join(timeout=60)
        downloads = self.applicants.download_all(digests, CONCURRENCY)
        drift = manage(self.stack.env, "rebuild_stats", "--check").split("\n", 1)[0]
        return {
            "scenario": self.scenario.key, "title": self.scenario.title, "applications": APPLICATIONS, **state,
            "mails_received": self.sink.total, "duplicate_mails": self.sink.duplicated,
            "permit_downloads": len(digests), "permit_downloads_matching": downloads["matching"],
            "decisions": {o.code: dict(o.outcomes) for o in officers}, "corrections_answered": self.applicants.corrected,
            "officer_errors": sum(len(o.errors) for o in officers) + officers_seen.retries,
            "citizen_errors": dict(citizens_seen.errors), "citizen_retries": citizens_seen.retries,
            "officer_pages": dict(officers_seen.errors), "sla_cards": dict(cards), "summaries": drift,
            "fault_at_seconds": round(fault["started"] - started, 1),
            "fault_seconds": round(fault["ended"] - fault["started"], 1),
            "recover_seconds": None if recovered is None else round(max(0.0, recovered - fault["ended"]), 1),
            "drain_seconds": round(drained - started, 1), "submit_seconds": round(submitted - started, 1),
        }


def run(selected: list[Scenario]) -> list[dict]:
    if os.geteuid() != 0:
        raise SystemExit("bench/faults/run.py mounts a tmpfs and runs PostgreSQL as `postgres`: run it as root")
    base = RUNS / f"{datetime.now(UTC):%Y%m%d-%H%M%S}"
    base.mkdir(parents=True)
    (base / "var").mkdir()
    results = []
    with PostgresCluster() as cluster, RedisServer(base) as redis:
        sink = MailSink(free_port())
        try:
            plan = prepare(cluster, redis, base)
            for scenario in selected:
                scenario_run = ScenarioRun(scenario, base, cluster, redis, sink, plan)
                print(f"{datetime.now(UTC):%H:%M:%S} {scenario.key}: {scenario.title}", file=sys.stderr)
                try:
                    scenario_run.setup(base / "template" / "media")
                    results.append(scenario_run.drive())
                except Exception as exc:  # the next scenarios still run; this one is reported as failed
                    print(f"{scenario.key} failed: {exc!r}", file=sys.stderr)
                    continue
                finally:
                    scenario_run.teardown()
                print(json.dumps(results[-1], default=str), file=sys.stderr)
                if os.environ.get("FAULTS_REPORT", "1") == "1":  # row by row: a stopped run keeps what it measured
                    report.write(results[-1:], applications=APPLICATIONS, concurrency=CONCURRENCY)
        finally:
            sink.stop()
            print(f"logs of the run: {base}", file=sys.stderr)
    return results


def healthy(result: dict) -> bool:
    return (result["lost"] == 0 and result["duplicate_permits"] == 0 and result["duplicate_mails"] == 0
            and result["duplicate_notifications"] == 0 and not result["mails_unsent"]
            and result["permit_downloads_matching"] == result["permit_downloads"])


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    wanted = [key for key in os.environ.get("FAULTS_SCENARIOS", "").split(",") if key]
    chosen = [s for s in SCENARIOS if not wanted or s.key in wanted]
    outcomes = run(chosen)
    print(json.dumps(outcomes, indent=1, default=str))
    sys.exit(0 if all(healthy(r) for r in outcomes) else 1)
