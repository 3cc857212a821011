"""`make bench-scale`: the portal as separate hosts on a private network, 1,000 applications
through the pipeline over HTTP, one routing worker host cut off from the network mid-run.

Topology (bench/multihost/network.py): a Linux bridge whose address is the services host (the
root namespace: a Redis of the run's own, PostgreSQL through a TCP forwarder), and one network
namespace per host with its own address on the bridge. Files: storage settings come from the
environment; by default MEDIA_ROOT is a directory of the run that every host sees (namespaces
share the filesystem); with an object store configured the hosts share its bucket instead.

    web     gunicorn (the API) and the one Celery beat
    route1  Celery worker on the routing queue (the engine's), the host that is cut
    route2  Celery worker on the routing queue
    render  Celery worker on the permits and mail queues

Citizens' apps (API tokens) create, fill in, attach and submit the applications; each reviewing
department's system approves its reviews once they are routed. When SCALE_CUT_AT of them are
submitted, route1's link goes down while it holds a task it has not finished; Redis gives its
unacknowledged tasks to route2 after CELERY_VISIBILITY_TIMEOUT (SCALE_VISIBILITY_TIMEOUT, 30 s
here). Then: every application issued, one permit each (counted in PostgreSQL), every review
routed, every permit downloaded through the web host matching the SHA-256 the portal stored, and
the tasks route1 held finished on route2. Figures go to docs/benchmarks.md (SCALE_REPORT=0: only
the JSON on stdout). Needs root (namespaces), iproute2, socat and redis-server.
"""

import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from multihost.clients import Citizens, Department  # noqa: E402
from multihost.network import PREFIX, Network, remove_leftovers  # noqa: E402
from multihost.processes import Processes, end_left_processes, free_port, require, wait_for_port  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(PY).parent
SERVICE = "open-a-restaurant"
APPLICATIONS = int(os.environ.get("SCALE_APPLICATIONS", "1000"))
CONCURRENCY = int(os.environ.get("SCALE_CONCURRENCY", "8"))
CITIZENS = int(os.environ.get("SCALE_CITIZENS", "20"))
CUT_AT = float(os.environ.get("SCALE_CUT_AT", "0.3"))
VISIBILITY_TIMEOUT = int(os.environ.get("SCALE_VISIBILITY_TIMEOUT", "30"))
DRAIN_TIMEOUT = float(os.environ.get("SCALE_DRAIN_TIMEOUT", "900"))  # after the last submission
# The owner's URL where `make` gives two roles (scripts/services.sh): the run creates its database.
_BASE_DB = (os.environ.get("MIGRATE_DATABASE_URL") or os.environ.get("DATABASE_URL")
            or "postgres://postgres@127.0.0.1:5432/portal")
DB_URL = os.environ.get("SCALE_DATABASE_URL", _BASE_DB + "_scale")
WRITE_REPORT = os.environ.get("SCALE_REPORT", "1") == "1"
RUNS_DIR = ROOT / "var" / "scale"
PORT = 8000
TASK_LINE = re.compile(rb"Task (\S+)\[([0-9a-f-]{36})\] (received|succeeded)")
RECONCILED = re.compile(rb"reconcile_task\[[0-9a-f-]{36}\] succeeded in [0-9.]+s: \{'applications': (\d+)")


def database_server(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 5432


def database_through(url: str, address: str, port: int) -> str:
    """The same database, user and password, reached at address:port (the forwarder)."""
    parts = urlsplit(url)
    auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return parts._replace(netloc=f"{auth}{address}:{port}").geturl()


def reset_database():
    name = DB_URL.rsplit("/", 1)[1]
    with psycopg.connect(DB_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def portal_env(run_dir: Path, **overrides) -> dict:
    """Every host's environment; storage settings (MEDIA_ROOT, or an object store's) come from ours."""
    return {
        **os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.dev", "DEBUG": "false", "MIGRATE_DATABASE_URL": "",
        "PORTAL_VAR_DIR": str(run_dir / "var"), "MEDIA_ROOT": os.environ.get("MEDIA_ROOT") or str(run_dir / "media"),
        "CELERY_PERMITS_QUEUE": "permits", "CELERY_MAIL_QUEUE": "mail", "LOG_LEVEL": "WARNING",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        # The run measures the pipeline, not the API's per-token throttle.
        "API_TOKEN_RATE": "1000000/min", **overrides,
    }


def manage(env: dict, *args: str) -> str:
    return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True,
                          stdout=subprocess.PIPE).stdout


def remove_left_runs() -> list[str]:
    """What earlier runs left: the processes of a killed one, their logs; returns the networks removed."""
    removed = remove_leftovers()
    if RUNS_DIR.exists():
        for directory in RUNS_DIR.glob(f"{PREFIX}*"):
            if not Path(f"/proc/{directory.name[len(PREFIX):]}").exists():
                end_left_processes(directory)
                shutil.rmtree(directory, ignore_errors=True)
    return removed


def task_lines(log: Path, upto: int | None = None) -> dict[str, dict[bytes, str]]:
    """received / succeeded: task id → task name, from a worker's log (up to byte ``upto``)."""
    data = log.read_bytes()[:upto]
    seen = {"received": {}, "succeeded": {}}
    for name, task_id, what in TASK_LINE.findall(data):
        seen[what.decode()][task_id] = name.decode()
    return seen


def unfinished(log: Path) -> set[bytes]:
    seen = task_lines(log)
    return set(seen["received"]) - set(seen["succeeded"])


def cut_while_busy(network: Network, processes: Processes, timeout: float = 30) -> tuple[float, int, set[bytes]]:
    """Cut route1 at a moment its log shows a task received and not finished; returns the time,
    the log's length then and those tasks."""
    log = processes.log("route1")
    deadline = time.monotonic() + timeout
    while not unfinished(log) and time.monotonic() < deadline:
        time.sleep(0.01)
    network.cut("route1")
    return time.monotonic(), log.stat().st_size, unfinished(log)


def reconciled(*logs: Path) -> int:
    """Applications whose routing the beat's reconciler sent again (its task returns how many)."""
    return sum(int(n) for log in logs for n in RECONCILED.findall(log.read_bytes()))


def latencies(conn) -> dict:
    """Seconds from each application's submission to its permit rendered: median, p95, slowest."""
    row = conn.execute("""
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s), percentile_cont(0.95) WITHIN GROUP (ORDER BY s), max(s)
        FROM (SELECT extract(epoch FROM p.rendered_at - a.submitted_at) AS s
              FROM approvals_application a JOIN permits_permit p ON p.application_id = a.id) t""").fetchone()
    return {"p50": round(float(row[0]), 1), "p95": round(float(row[1]), 1), "max": round(float(row[2]), 1)}


def counts(conn) -> dict:
    row = conn.execute("""
        SELECT (SELECT count(*) FROM approvals_application WHERE status = 'issued'),
               (SELECT count(*) FROM approvals_application),
               (SELECT count(*) FROM permits_permit),
               (SELECT count(DISTINCT application_id) FROM permits_permit),
               (SELECT count(*) FROM permits_permit WHERE rendered_at IS NOT NULL),
               (SELECT count(*) FROM approvals_review WHERE routed_at IS NULL),
               (SELECT count(*) FROM approvals_review)""").fetchone()
    keys = ("issued", "applications", "permits", "applications_with_permit", "rendered", "reviews_unrouted", "reviews")
    return dict(zip(keys, row, strict=True))


def start_hosts(network: Network, processes: Processes, env: dict) -> None:
    celery = [str(BIN / "celery"), "-A", "portal"]
    worker = [*celery, "worker", "-l", "info", "-c", "2", "--without-gossip", "--without-mingle"]
    web = network.hosts["web"].address
    commands = {
        "web": [str(BIN / "gunicorn"), "portal.wsgi:application", "--bind", f"{web}:{PORT}", "--workers", "3",
                "--timeout", "30"],
        "beat": [*celery, "beat", "-l", "warning", "--schedule", env["PORTAL_VAR_DIR"] + "/celerybeat-schedule"],
        "route1": [*worker, "-Q", "portal", "-n", "route1@%h"],
        "route2": [*worker, "-Q", "portal", "-n", "route2@%h"],
        "render": [*worker, "-Q", "permits,mail", "-n", "render@%h"],
    }
    for name, argv in commands.items():
        processes.start(name, network.command("web" if name == "beat" else name, argv), env=env, cwd=ROOT)
    wait_for_port(web, PORT, timeout=60, process=processes.running["web"])
    for name in ("route1", "route2", "render"):
        deadline = time.monotonic() + 60
        while b" ready." not in processes.log(name).read_bytes():
            if time.monotonic() > deadline or processes.running[name].poll() is not None:
                raise RuntimeError(f"worker {name} did not start:\n{processes.log(name).read_text()[-2000:]}")
            time.sleep(0.2)


def run() -> dict:
    if os.geteuid() != 0:
        raise SystemExit("bench/scale.py creates network namespaces and a bridge: run it as root")
    require("ip", "iproute2")
    socat, redis_server = require("socat", "socat"), require("redis-server", "redis-server")
    left = remove_left_runs()
    network = Network()
    run_dir = RUNS_DIR / network.run
    run_dir.mkdir(parents=True)
    processes = Processes(run_dir)
    ok = False
    try:
        setup_env = portal_env(run_dir, DATABASE_URL=DB_URL, CELERY_BROKER_URL="memory://")
        reset_database()
        manage(setup_env, "migrate", "-v0")
        manage(setup_env, "load_catalogue", str(ROOT / "catalogue" / "demo" / "catalogue.yaml"))
        manage(setup_env, "permit_keys")  # before the render host's processes would race to make them
        plan = json.loads(subprocess.run([PY, str(ROOT / "bench" / "multihost" / "prepare.py"), SERVICE, str(CITIZENS)],
                                         cwd=ROOT, env=setup_env, check=True, text=True, stdout=subprocess.PIPE).stdout)

        network.create(["web", "route1", "route2", "render"])
        services = network.services_address
        redis_port, pg_port = free_port(services), free_port(services)
        processes.start("redis", [redis_server, "--bind", services, "--port", str(redis_port), "--save", "",
                                  "--appendonly", "no", "--protected-mode", "no", "--dir", str(run_dir)],
                        env=os.environ.copy(), cwd=run_dir)
        pg_host, pg_port_real = database_server(DB_URL)
        # A connection to a host that is cut off must end soon, so PostgreSQL rolls back its
        # transaction and frees its row locks (routing skips locked reviews). Keepalive probes
        # (~11 s) cover an idle connection; with an answer in flight they never start and TCP
        # retransmits for ~15 min (measured: three applications waited that long), so
        # TCP_USER_TIMEOUT (IPPROTO_TCP 6, option 18) ends it after 10 s unacknowledged. In a
        # deployment PostgreSQL's tcp_keepalives_* and tcp_user_timeout settings do this.
        processes.start("pg-forwarder", [socat, f"TCP-LISTEN:{pg_port},bind={services},reuseaddr,fork,keepalive,"
                                         "keepidle=5,keepintvl=2,keepcnt=3,setsockopt-int=6:18:10000",
                                         f"TCP:{pg_host}:{pg_port_real}"],
                        env=os.environ.copy(), cwd=run_dir)
        wait_for_port(services, redis_port, timeout=20, process=processes.running["redis"])
        wait_for_port(services, pg_port, timeout=20, process=processes.running["pg-forwarder"])
        web = network.hosts["web"].address
        host_env = portal_env(run_dir, DATABASE_URL=database_through(DB_URL, services, pg_port),
                              CELERY_BROKER_URL=f"redis://{services}:{redis_port}/0",
                              CACHE_URL=f"redis://{services}:{redis_port}/1",
                              ALLOWED_HOSTS=web, SITE_URL=f"http://{web}:{PORT}")
        start_hosts(network, processes, host_env)
        result = drive(network, processes, plan, f"http://{web}:{PORT}")
        result["topology"] = {"subnet": str(network.subnet), "services": services,
                              **{name: host.address for name, host in network.hosts.items()}}
        result["leftovers_removed"] = left
        ok = True
        return result
    finally:
        processes.stop_all()
        network.remove()
        # The logs stay (each run's directory is removed by the next run); the files go unless it failed.
        if ok:
            shutil.rmtree(run_dir / "media", ignore_errors=True)
        print(f"logs of the run: {run_dir}", file=sys.stderr)


def drive(network: Network, processes: Processes, plan: dict, base_url: str) -> dict:
    citizens = Citizens(base_url, plan)
    stop = threading.Event()
    departments = [Department(base_url, code, token, stop) for code, token in plan["department_tokens"].items()]
    for department in departments:
        department.start()
    cut: dict = {}

    def cut_when_due():
        while citizens.submitted < APPLICATIONS * CUT_AT:
            time.sleep(0.05)
        cut["at"], cut["log_bytes"], cut["held"] = cut_while_busy(network, processes)

    cutter = threading.Thread(target=cut_when_due, daemon=True)
    started = time.monotonic()
    cutter.start()
    try:
        ids = citizens.file_all(APPLICATIONS, CONCURRENCY)
        submitted = time.monotonic()
        cutter.join()
        with psycopg.connect(DB_URL, autocommit=True) as conn:
            while (state := counts(conn))["issued"] < APPLICATIONS and time.monotonic() - submitted < DRAIN_TIMEOUT:
                time.sleep(0.5)
            drained = time.monotonic()
            issued_everything = state["issued"] == APPLICATIONS
            time.sleep(1)
            state = counts(conn)
            duplicates = conn.execute("SELECT count(*) FROM (SELECT application_id FROM permits_permit "
                                      "GROUP BY application_id HAVING count(*) > 1) d").fetchone()[0]
            digests = dict(conn.execute("SELECT application_id, sha256 FROM permits_permit").fetchall())
            submit_to_permit = latencies(conn)
    finally:
        stop.set()
        for department in departments:
            department.join(timeout=30)
    downloads = citizens.download_all(digests, CONCURRENCY)
    before_cut = task_lines(processes.log("route1"), cut["log_bytes"])
    on_route2 = task_lines(processes.log("route2"))["succeeded"]
    received_on_route1 = set(task_lines(processes.log("route1"))["received"])
    redelivered = received_on_route1 & set(on_route2)
    lost = received_on_route1 - set(before_cut["succeeded"]) - set(on_route2)
    total = drained - started
    return {
        "measured_at": f"{datetime.now(UTC):%Y-%m-%d %H:%M}",
        "applications": APPLICATIONS, "submitted": len(ids), "concurrency": CONCURRENCY, "citizens": CITIZENS,
        "visibility_timeout": VISIBILITY_TIMEOUT, "issued_everything": issued_everything, **state,
        "duplicate_permits": duplicates, "downloads_matching": downloads["matching"],
        "downloads_failed": downloads["failed"], "downloaded_mb": round(downloads["bytes"] / 1e6, 1),
        "decisions": sum(d.decided for d in departments), "client_errors": [e for d in departments for e in d.errors],
        "cut_after_submitted": int(APPLICATIONS * CUT_AT), "cut_at_seconds": round(cut["at"] - started, 1),
        "held_at_cut": len(cut["held"]), "route1_tasks": len(received_on_route1),
        "redelivered_to_route2": len(redelivered), "held_redelivered": len(cut["held"] & redelivered),
        "lost": len(lost), "reconciled_applications": reconciled(processes.log("route1"), processes.log("route2")),
        "submit_to_permit_seconds": submit_to_permit, "submit_seconds": round(submitted - started, 1),
        "drain_seconds": round(total, 1), "tail_seconds": round(drained - submitted, 1),
        "applications_per_second": round(APPLICATIONS / total, 2),
        "submissions_per_second": round(APPLICATIONS / (submitted - started), 2),
    }


def write_report(result: dict) -> None:
    from run import replace_section

    topology, latency = result["topology"], result["submit_to_permit_seconds"]
    command = (f"make bench-scale  (SCALE_APPLICATIONS={APPLICATIONS} SCALE_CONCURRENCY={CONCURRENCY} "
               f"SCALE_CUT_AT={CUT_AT} SCALE_VISIBILITY_TIMEOUT={VISIBILITY_TIMEOUT}: bench/scale.py)")
    lines = [
        "## Multi-host pipeline", "",
        f"Measured {result['measured_at']} UTC on {platform.node()} ({os.cpu_count()} cores): every host "
        "a network namespace of this one machine, so they share its cores; the figures show that the pipeline "
        "spreads over hosts and survives losing one, not the speed of separate machines.", "",
        f"Command: `{command}`", "",
        f"Topology: a Linux bridge, {topology['subnet']}.", "",
        "| host | address | runs |", "|---|---|---|",
        f"| services | {topology['services']} (the bridge) | PostgreSQL (through a TCP forwarder with keepalive), "
        "Redis (the run's own, no persistence), the shared media directory (`MEDIA_ROOT`; with an object store "
        "configured the hosts share its bucket instead) |",
        f"| web | {topology['web']} | gunicorn (3 workers), Celery beat |",
        f"| route1 | {topology['route1']} | Celery worker, routing queue (2 processes): cut off mid-run |",
        f"| route2 | {topology['route2']} | Celery worker, routing queue (2 processes) |",
        f"| render | {topology['render']} | Celery worker, permits and mail queues (2 processes) |",
        "",
        f"{result['applications']} applications of *{SERVICE}* ({result['reviews'] // result['applications']} "
        "reviews in 2 stages) over HTTP through the API from "
        f"the services host: {result['citizens']} citizens' tokens, {result['concurrency']} at a time (create, answers, "
        "3 files, submit); each department's system approves its reviews once routed. After "
        f"{result['cut_after_submitted']} submissions ({result['cut_at_seconds']} s) route1's link went down while "
        f"it held {result['held_at_cut']} unfinished task(s); Redis redelivers after `CELERY_VISIBILITY_TIMEOUT`="
        f"{result['visibility_timeout']} s.", "",
        "| measure | value |", "|---|---:|",
        f"| Applications issued / submitted | {result['issued']} / {result['submitted']} |",
        f"| Permits; applications with a permit; with more than one | {result['permits']}; "
        f"{result['applications_with_permit']}; {result['duplicate_permits']} |",
        f"| Permits downloaded through the web host matching the stored SHA-256 | {result['downloads_matching']} |",
        f"| Reviews routed / all | {result['reviews'] - result['reviews_unrouted']} / {result['reviews']} |",
        f"| Tasks route1 received; of them finished on route2 after the cut; lost | {result['route1_tasks']}; "
        f"{result['redelivered_to_route2']}; {result['lost']} |",
        "| Routings the beat's reconciler sent again (applications, summed over its runs) | "
        f"{result['reconciled_applications']} |",
        f"| Submission → permit rendered, s: median; p95; slowest | {latency['p50']}; {latency['p95']}; "
        f"{latency['max']} |",
        f"| Submissions: seconds; per second | {result['submit_seconds']}; {result['submissions_per_second']} |",
        f"| First submission → last permit issued (time to drain), s | {result['drain_seconds']} |",
        f"| Last submission → last permit issued, s | {result['tail_seconds']} |",
        f"| Throughput, applications/s through the whole pipeline | {result['applications_per_second']} |",
        "",
        "Two ways back for the cut host's work: a task it had received and not acknowledged is redelivered by Redis "
        "to route2 after the visibility timeout; a message Redis had handed out as the link went down, which never "
        "reached route1, exists nowhere any more, and the beat's reconciler sends the routing of those applications "
        "again once it is `PORTAL_RECONCILE_AFTER_SECONDS` (120 s) overdue. A transaction route1 had open when "
        "its link went down keeps its row locks until the forwarder drops its connection to PostgreSQL, and "
        "routing skips locked reviews meanwhile (the reconciler sends them again every 30 s).", "",
        "Not part of `make test`: 100 applications took 5 minutes on this shared machine, setup included "
        "(`SCALE_APPLICATIONS=100 make bench-scale`); tests/test_scale_network.py checks the network, the cut and "
        "the removal of a killed run's leftovers there.", "",
        "Redelivery trades speed against work done twice: Redis gives a task to another worker only once it has "
        "been unacknowledged for the visibility timeout, so a lost host's tasks wait that long; but a task "
        "running, or waiting in a worker's prefetch, for longer is delivered a second time too (safe, every task is "
        "idempotent; wasted). The portal's default is 3600 s; this run's 30 s suits tasks of a few seconds.",
    ]
    replace_section(ROOT / "docs" / "benchmarks.md", "## Multi-host pipeline", "\n".join(lines) + "\n")
    print("\n".join(lines), file=sys.stderr)


if __name__ == "__main__":
    # A SIGTERM ends the run through its cleanup (processes, namespaces, bridge), as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    outcome = run()
    print(json.dumps(outcome, indent=1))
    if WRITE_REPORT:
        write_report(outcome)
    healthy = (outcome["issued_everything"] and outcome["duplicate_permits"] == 0 and outcome["lost"] == 0
               and outcome["downloads_matching"] == APPLICATIONS and outcome["reviews_unrouted"] == 0)
    sys.exit(0 if healthy else 1)
