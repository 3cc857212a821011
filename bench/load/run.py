"""`make bench-load`: the portal under a city's mixed traffic through gunicorn over HTTP, driven by
Locust (bench/load/locustfile.py), on the compose stack's processes on this machine
(bench/load/stack.py).

1. A fresh database (LOAD_DATABASE_URL; by default the owner's URL with ``_load`` added): migrated,
   the demo (seed_demo) and a generated history of LOAD_HISTORY applications (20,000).
2. Redis of the run's own, gunicorn, the routing and permits workers, beat.
3. Steady: LOAD_USERS (200) people for LOAD_SECONDS (180 s), their sign-ins included.
4. Ramp: LOAD_STEPS (2,5,10,20,50,100,200,300) people, LOAD_STEP_SECONDS (75 s) each, statistics
   reset once everyone has started: the request rate at which the aggregate p95 crosses 500 ms.

Locust's CSV files go to bench/load/results/, the report to docs/benchmarks.md ("Load test";
LOAD_REPORT=0: not written). Exits 1 when any request failed."""

import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import report  # noqa: E402
import stack  # noqa: E402
from multihost.processes import Processes, free_port  # noqa: E402

ROOT = HERE.parents[1]
PY = sys.executable
LOCUST = str(Path(PY).with_name("locust"))
_BASE_DB = (os.environ.get("MIGRATE_DATABASE_URL") or os.environ.get("DATABASE_URL")
            or "postgres://postgres@127.0.0.1:5432/portal")
DB_URL = os.environ.get("LOAD_DATABASE_URL", _BASE_DB + "_load")
HISTORY = int(os.environ.get("LOAD_HISTORY", "20000"))
USERS = int(os.environ.get("LOAD_USERS", "200"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "180"))
STEPS = [int(n) for n in os.environ.get("LOAD_STEPS", "2,5,10,20,50,100,200,300").split(",")]
STEP_SECONDS = int(os.environ.get("LOAD_STEP_SECONDS", "75"))
CITIZENS = int(os.environ.get("LOAD_CITIZENS", "300"))
STAFF_SESSIONS = int(os.environ.get("LOAD_STAFF_SESSIONS", "60"))
WRITE_REPORT = os.environ.get("LOAD_REPORT", "1") == "1"
RESULTS = HERE / "results"
RUN_DIR = ROOT / "var" / "load"


def bench_run():
    """bench/run.py, whose replace_section keeps every other benchmark's section (this file is
    also named run.py, so it is loaded by its path)."""
    spec = importlib.util.spec_from_file_location("bench_run", HERE.parent / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reset_database() -> None:
    name = DB_URL.rsplit("/", 1)[1]
    with psycopg.connect(DB_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict, *args: str) -> str:
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True,
                          stdout=subprocess.PIPE).stdout


def seed(env: dict) -> dict:
    reset_database()
    setup = {**env, "CELERY_BROKER_URL": "memory://"}
    manage(setup, "migrate", "-v0")
    manage(setup, "build_permit_font")
    manage(setup, "seed_demo", "-v0")
    history = json.loads(manage(setup, "generate_history", "--applications", str(HISTORY), "--seed", "1"))
    manage(setup, "rebuild_stats")
    return history


def prepare(env: dict) -> Path:
    plan = RUN_DIR / "plan.json"
    plan.write_text(subprocess.run([PY, str(HERE / "prepare.py"), str(CITIZENS), str(STAFF_SESSIONS)], cwd=ROOT,
                                   env=env, check=True, text=True, stdout=subprocess.PIPE).stdout)
    return plan


def locust(base_url: str, plan: Path, prefix: Path, users: int, seconds: int, *, reset: bool) -> None:
    """One headless Locust run; its exit status is read from the CSV (failures), not here."""
    argv = [LOCUST, "-f", str(HERE / "locustfile.py"), "--headless", "-H", base_url, "-u", str(users),
            "-r", str(max(1, users // 10)), "-t", f"{seconds}s", "--csv", str(prefix), "--only-summary",
            "--stop-timeout", "30", "--loglevel", "WARNING"]
    if reset:
        argv.append("--reset-stats")
    with open(RUN_DIR / "locust.log", "ab") as log:
        subprocess.run(argv, cwd=RUN_DIR, env={**os.environ, "LOAD_PLAN": str(plan)}, stdout=log,
                       stderr=subprocess.STDOUT, check=False)
    Path(f"{prefix}_stats_history.csv").unlink(missing_ok=True)  # per second: large, and not reported


def run() -> dict:
    shutil.rmtree(RUN_DIR, ignore_errors=True)
    RUN_DIR.mkdir(parents=True)
    shutil.rmtree(RESULTS, ignore_errors=True)
    RESULTS.mkdir(parents=True)
    # Two groups, so the portal's processes stop (a worker's warm shutdown) before its Redis does.
    services, portal = Processes(RUN_DIR), Processes(RUN_DIR)
    port = free_port("127.0.0.1")
    try:
        redis_url = stack.start_redis(services, RUN_DIR)
        env = stack.portal_env(RUN_DIR, DB_URL, redis_url, port)
        history = seed(env)
        stack.start_portal(portal, env, port)
        base = f"http://127.0.0.1:{port}"
        started = datetime.now(UTC)
        locust(base, prepare(env), RESULTS / "steady", USERS, SECONDS, reset=False)
        steady_load = os.getloadavg()
        steps = []
        for users in STEPS:
            prefix = RESULTS / f"ramp_{users:03d}"
            locust(base, prepare(env), prefix, users, STEP_SECONDS, reset=True)
            row = report.stats(prefix)["Aggregated"]
            steps.append({"users": users, **row, "load": os.getloadavg()[0]})
        return {"started": started, "history": history, "steady": report.stats(RESULTS / "steady"),
                "steady_failures": report.failures(RESULTS / "steady"), "steady_load": steady_load, "steps": steps,
                "cross": report.crossing(steps)}
    finally:
        portal.stop_all()
        services.stop_all()
        print(f"logs of the run: {RUN_DIR}", file=sys.stderr)


def write_report(result: dict) -> None:
    steady, load = result["steady"], result["steady_load"]
    command = (f"make bench-load  (LOAD_USERS={USERS} LOAD_SECONDS={SECONDS} LOAD_HISTORY={HISTORY} "
               f"LOAD_STEPS={','.join(map(str, STEPS))} LOAD_STEP_SECONDS={STEP_SECONDS}: bench/load/run.py)")
    history = result["history"]
    lines = [
        "## Load test", "",
        f"Measured {result['started']:%Y-%m-%d %H:%M} UTC on {platform.node()} ({os.cpu_count()} cores, shared: "
        f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min) at the end of the steady "
        "run). Locust on the same cores as the portal.", "",
        f"Command: `{command}`", "",
        "Topology (docker-compose.yml's processes on one machine): gunicorn with the image's command (3 sync "
        "workers, `--max-requests 1000`), the development settings with DEBUG off (production's send cookies only "
        "over TLS, which the proxy, not in the path, adds), static files through WhiteNoise; a Celery worker on the "
        "routing queue and one on the permits and mail queues (2 processes each), one beat; PostgreSQL (shared "
        "server) and a Redis of the run's own (broker and cache). Not in the path: the TLS proxy. Each simulated "
        "person sends the X-Forwarded-For the proxy would write (`PROXY_COUNT=1`), so per-address limits count "
        "people, not the load generator.", "",
        f"Data: the demo plus a generated history of {history['applications']:,} applications "
        f"({history['reviews']:,} reviews, {history['permits']:,} permits).", "",
        "People (bench/load/locustfile.py; weights 12 : 5 : 2 : 1, think time 1–8 s): visitors (home, search, "
        "service pages, finder, printed guides, published performance, verifying a permit by its QR address); "
        "citizens (sign in on the sign-in page, start an application, answer every page, upload its files, check "
        "and submit; My applications, an application, notifications); officers (queue, review, claim, approve "
        "with the confirmation step); managers (dashboard, scorecard, bottlenecks, published tables). Every form "
        "is sent with the CSRF token read from it; a page time includes its redirects.", "",
        f"### {USERS} people for {SECONDS} s", "",
        *report.page_table(steady), "",
    ]
    if result["steady_failures"]:
        lines += ["Failures:", "", *[f"- {f['Method']} {f['Name']}: {f['Error']} ({f['Occurrences']}×)"
                                     for f in result["steady_failures"]], ""]
    lines += [
        f"### Ramp: {STEP_SECONDS} s per step, counted once every person has started", "",
        *report.ramp_table(result["steps"]), "",
        report.crossing_sentence(result["cross"]), "",
        "Raw Locust statistics: bench/load/results/.",
    ]
    bench_run().replace_section(ROOT / "docs" / "benchmarks.md", "## Load test", "\n".join(lines) + "\n")
    print("\n".join(lines), file=sys.stderr)


if __name__ == "__main__":
    outcome = run()
    if WRITE_REPORT:
        write_report(outcome)
    failed = outcome["steady"]["Aggregated"]["failures"] + sum(s["failures"] for s in outcome["steps"])
    print(json.dumps({"failures": failed, "steady_p95": outcome["steady"]["Aggregated"]["p95"],
                      "cross": outcome["cross"]}))
    sys.exit(1 if failed else 0)
