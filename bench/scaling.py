"""Figures for docs/scaling.md: one application's journey (start, answers, a document, submit, route,
four approvals: the permit row), each step a request's worth of work ending as a request ends
(``close_old_connections``), against PostgreSQL directly and through PgBouncer in transaction
pooling mode; the server connections that many concurrent clients hold either way; and the lag of
a streaming replica while journeys run on its primary.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_replica .venv/bin/python bench/scaling.py

Runs as root (PgBouncer and the replicated pair run as `postgres`, tests.postgres_servers). The
database is migrated and gets a service, its officers and one citizen; its applications only grow.
Medians of BENCH_ROUNDS rounds of BENCH_JOURNEYS journeys each, the modes taking turns in every
round (the machine is shared and noisy)."""

import os
import signal
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
os.environ.setdefault("PORTAL_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "bench"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import close_old_connections, connection, connections  # noqa: E402

from approvals import workflow  # noqa: E402
from core import replica  # noqa: E402
from portal.settings.base import for_transaction_pooling  # noqa: E402
from tests.engine_fixtures import pdf_upload  # noqa: E402
from tests.factories import VALID_ANSWERS, UserFactory, officer, restaurant_service  # noqa: E402
from tests.postgres_servers import SERVER_USER, copy_database, pgbouncer, replicated_pair  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
JOURNEYS = int(os.environ.get("BENCH_JOURNEYS", "10"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
POOL = int(os.environ.get("BENCH_POOL", "4"))
LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "15"))


def setup() -> dict:
    call_command("migrate", verbosity=0)
    service = restaurant_service(slug="bench-scaling")
    people = {req.department.code: officer(req.department, email=f"bench.{req.department.code}@example.gov")
              for req in service.requirements.select_related("department")}
    citizen = UserFactory(email="bench.scaling@example.org")
    close_old_connections()
    return {"service": service, "officers": people, "citizen": citizen}


def journey(world: dict) -> None:
    """One application from start to its permit row; each step ends as a request ends."""
    def step(call, **kwargs):
        result = call(**kwargs)
        close_old_connections()
        return result

    citizen = world["citizen"]
    application = step(workflow.application_start, applicant=citizen, service=world["service"])
    step(workflow.application_save_answers, application_id=application.pk, actor=citizen, data=dict(VALID_ANSWERS))
    step(workflow.application_attach, application_id=application.pk, actor=citizen, field_key="floor_plan",
         uploaded=pdf_upload())
    step(workflow.application_submit, application_id=application.pk, actor=citizen)
    step(workflow.application_route, application_ids=[application.pk])
    for stage in (1, 2):
        for review_id, code in application.reviews.filter(stage=stage).values_list("pk", "department__code"):
            step(workflow.review_decide, review_id=review_id, actor=world["officers"][code], decision="approve")


class Modes:
    """Switches the "default" connection (of every thread: one settings dict) between modes."""

    def __init__(self, bouncer_port: int):
        self.database = connection.settings_dict
        self.direct = dict(self.database)
        self.modes = {
            "direct, kept connections (CONN_MAX_AGE=60)": {**self.direct, "CONN_MAX_AGE": 60},
            "direct, a connection per request (CONN_MAX_AGE=0)": {**self.direct, "CONN_MAX_AGE": 0},
            "through PgBouncer, transaction pooling": {**for_transaction_pooling(self.direct), "HOST": "127.0.0.1",
                                                       "PORT": str(bouncer_port)},
        }

    def use(self, name: str) -> None:
        connections["default"].close()
        self.database.clear()
        self.database.update(self.modes[name])


def latency(world: dict, modes: Modes) -> dict:
    times = {name: [] for name in modes.modes}
    for name in modes.modes:  # warm up: caches, the first connection of each mode
        modes.use(name)
        journey(world)
    for _ in range(ROUNDS):
        for name in modes.modes:
            modes.use(name)
            started = time.perf_counter()
            for _ in range(JOURNEYS):
                journey(world)
            times[name].append((time.perf_counter() - started) / JOURNEYS * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def server_connections(dbname: str) -> int:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                       [dbname])
        return cursor.fetchone()[0]


def concurrent(world: dict, modes: Modes, name: str, observer: dict) -> dict:
    """CLIENTS threads, each JOURNEYS journeys at once; the most server connections seen and the rate."""
    modes.use(name)
    done, peak, stop = [], [0], threading.Event()

    def client():
        try:
            for _ in range(JOURNEYS):
                journey(world)
        finally:
            connections["default"].close()
            done.append(1)

    def watch():
        import psycopg

        with psycopg.connect(**observer, autocommit=True) as conn:
            while not stop.is_set():
                conn.execute("SELECT pg_stat_clear_snapshot()")
                count = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                                     [observer["dbname"]]).fetchone()[0]
                peak[0] = max(peak[0], count - 1)  # not the watcher's own
                time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    stop.set()
    watcher.join()
    return {"peak_server_connections": peak[0], "journeys_per_second": CLIENTS * JOURNEYS / elapsed}


def replica_lag(world_on_pair, pair) -> dict:
    """Journeys from 4 threads on the pair's primary for LOAD_SECONDS; the replica's lag sampled
    every 50 ms with the query the portal uses (core.replica.LAG_SQL)."""
    import psycopg

    samples, stop = [], threading.Event()

    def load():
        try:
            while not stop.is_set():
                journey(world_on_pair)
        finally:
            connections["default"].close()

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    with psycopg.connect(host="127.0.0.1", port=pair.replica_port, user=SERVER_USER, dbname="postgres",
                         autocommit=True) as conn:
        deadline = time.monotonic() + LOAD_SECONDS
        while time.monotonic() < deadline:
            samples.append(float(conn.execute(replica.LAG_SQL).fetchone()[0]) * 1000)
            time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    samples.sort()
    return {"samples": len(samples), "median_ms": statistics.median(samples),
            "p95_ms": samples[int(len(samples) * 0.95) - 1], "max_ms": samples[-1]}


def main() -> None:
    # Stopped with SIGTERM, the servers it started are stopped too (their context managers).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    world = setup()
    database = dict(connection.settings_dict)
    observer = {"host": database["HOST"] or "127.0.0.1", "port": int(database["PORT"] or 5432),
                "user": database["USER"], "dbname": database["NAME"]}
    if database.get("PASSWORD"):
        observer["password"] = database["PASSWORD"]
    print(f"journeys: {ROUNDS} rounds of {JOURNEYS}; concurrency: {CLIENTS} clients, PgBouncer pool {POOL}")
    with pgbouncer(host=observer["host"], port=observer["port"], dbname=database["NAME"], user=database["USER"],
                   pool_size=POOL) as port:
        modes = Modes(port)
        medians = latency(world, modes)
        base = medians["direct, kept connections (CONN_MAX_AGE=60)"]
        print("\n| mode | journey, median ms | ratio to kept direct connections |\n|---|---:|---:|")
        for name, value in medians.items():
            print(f"| {name} | {value:.1f} | {value / base:.2f} |")
        print(f"\n| {CLIENTS} clients at once | peak server connections | journeys/s |\n|---|---:|---:|")
        for name in ("direct, kept connections (CONN_MAX_AGE=60)", "through PgBouncer, transaction pooling"):
            figures = concurrent(world, modes, name, observer)
            print(f"| {name} | {figures['peak_server_connections']} | {figures['journeys_per_second']:.1f} |")
        modes.use("direct, kept connections (CONN_MAX_AGE=60)")

    with replicated_pair() as pair:
        copy_database(database, port=pair.primary_port, name="portal")
        pair.wait_until_replayed()
        connections["default"].close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(pair.primary_port), NAME="portal",
                                        USER=SERVER_USER, PASSWORD="")
        lag = replica_lag(world, pair)
        print(f"\nreplica lag under 4 clients' journeys for {LOAD_SECONDS:.0f} s ({lag['samples']} samples): "
              f"median {lag['median_ms']:.1f} ms, p95 {lag['p95_ms']:.1f} ms, max {lag['max_ms']:.1f} ms")
        connections["default"].close()


if __name__ == "__main__":
    main()
