"""What each index of the review table costs the pipeline's writes: the review rows of
applications written as the pipeline writes them (4 inserted, 2 stages opened, routed and decided:
14 row writes, none of them HOT, since each changes an indexed column) into a scratch copy of the
table, with every index, then without each one in turn.

Each write runs under EXPLAIN (ANALYZE, WAL, BUFFERS), whose counters are this backend's own: the
WAL bytes and the buffers touched per application do not move with the other work on a shared
machine, as wall-clock time does (measured here: ±25 ms around 65 ms at a load average of 10).
The time is reported too, as a median over the rounds.

Run: `.venv/bin/python bench/review_indexes.py [applications] [rounds]` with DATABASE_URL naming a
migrated portal database (it creates and drops the table ``scratch_review_cost``). Prints JSON."""

# ruff: noqa: S608  (the only identifier put into SQL is this module's own scratch table name)
import json
import os
import statistics
import sys
import time

import psycopg
from psycopg.sql import Identifier as sql_identifier

DB_URL = os.environ["DATABASE_URL"]
TABLE = "scratch_review_cost"
# The two foreign-key indexes migration 0036 dropped, measured too (where the table lacks them).
DROPPED = {
    "review_application_id (dropped)": "CREATE INDEX {name} ON {table} USING btree (application_id)",
    "review_department_id (dropped)": "CREATE INDEX {name} ON {table} USING btree (department_id)",
}
FILL = 20_000  # rows already there, so each index has depth


def index_definitions(conn) -> dict[str, str]:
    rows = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'approvals_review' "
                        "AND indexname <> 'approvals_review_pkey'").fetchall()
    defs = {name: sql.replace(" ON public.approvals_review ", " ON {table} ").replace(name, "{name}", 1)
            for name, sql in rows}
    return {**defs, **{k: v for k, v in DROPPED.items() if v not in defs.values()}}


def scratch(conn, indexes: dict[str, str]) -> None:
    conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    conn.execute(f"CREATE TABLE {TABLE} (LIKE approvals_review INCLUDING DEFAULTS)")
    conn.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id)")
    conn.execute(f"CREATE SEQUENCE IF NOT EXISTS {TABLE}_seq")
    conn.execute(f"ALTER TABLE {TABLE} ALTER id SET DEFAULT nextval('{TABLE}_seq')")
    conn.execute(f"""INSERT INTO {TABLE} (application_id, service_id, department_id, applicant_name, business_name,
        stage, sla_days, status, paused_days, extension_reason, unread_messages, conditions, reason, correction_fields,
        correction_message, version, updated_at, due_date, decided_at, assignee_id, decided_by_id)
        SELECT g / 4, 1, 1 + g % 5, 'PERSON ' || (g % 997), 'BUSINESS ' || (g % 1999) || ' LTD', 1 + g % 2, 5,
        (ARRAY['approved', 'pending', 'in_progress', 'waiting'])[1 + g % 4], 0, '', 0, '', '', '[]', '', 1, now(),
        current_date + g % 30, CASE WHEN g % 4 = 0 THEN now() END, CASE WHEN g % 4 IN (0, 2) THEN 1 + g % 7 END,
        CASE WHEN g % 4 = 0 THEN 1 + g % 7 END
        FROM generate_series(1, {FILL}) g""")
    for name, sql in indexes.items():
        conn.execute(sql.format(name=sql_identifier(f"cost_{name}"[:60]).as_string(conn), table=TABLE))
    conn.execute(f"VACUUM ANALYZE {TABLE}")


class Measured:
    """A connection whose writes are measured: WAL bytes and shared buffers touched, summed."""

    def __init__(self, conn):
        self.conn, self.wal_bytes, self.buffers = conn, 0, 0

    def execute(self, sql, params=None):
        [[plan]] = self.conn.execute("EXPLAIN (ANALYZE, WAL, BUFFERS, FORMAT JSON) " + sql, params).fetchone()
        top = plan["Plan"]
        self.wal_bytes += top.get("WAL Bytes", 0)
        self.buffers += top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)

    def transaction(self):
        return self.conn.transaction()


def application(conn, pk: int) -> None:
    """One application's review writes, as the pipeline makes them."""
    common = ("service_id, applicant_name, business_name, sla_days, paused_days, extension_reason, unread_messages, "
              "conditions, reason, correction_fields, correction_message, version, updated_at")
    values = "1, 'SAMPLE APPLICANT', 'SAMPLE BUSINESS LTD', 5, 0, '', 0, '', '', '[]', '', 0, now()"
    with conn.transaction():  # submit
        conn.execute(f"INSERT INTO {TABLE} (application_id, department_id, stage, status, pending_since, {common}) "
                     f"VALUES (%(a)s, 1, 1, 'pending', now(), {values}), (%(a)s, 2, 1, 'pending', now(), {values}), "
                     f"(%(a)s, 3, 2, 'waiting', NULL, {values}), (%(a)s, 4, 2, 'waiting', NULL, {values})", {"a": pk})
    for stage in (1, 2):
        with conn.transaction():  # routed: the clock starts
            conn.execute(f"UPDATE {TABLE} SET routed_at = now(), started_on = current_date, due_date = current_date + 7, "
                         "remind_on = current_date + 5, red_on = current_date + 14 "
                         "WHERE application_id = %s AND stage = %s", [pk, stage])
        for department in (1, 2) if stage == 1 else (3, 4):
            with conn.transaction():  # a decision (the last of the stage opens the next)
                conn.execute(f"UPDATE {TABLE} SET status = 'approved', decided_at = now(), decided_by_id = 1, "
                             "assignee_id = 1, version = version + 1, updated_at = now() "
                             "WHERE application_id = %s AND department_id = %s", [pk, department])
        if stage == 1:
            conn.execute(f"UPDATE {TABLE} SET status = 'pending', pending_since = now() "
                         "WHERE application_id = %s AND stage = 2", [pk])


def main():
    applications = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        indexes = index_definitions(conn)
        variants = {"every index": indexes, **{f"without {name}": {k: v for k, v in indexes.items() if k != name}
                                               for name in indexes}}
        timings, counters = {name: [] for name in variants}, {}
        next_pk = 10_000_000
        for _ in range(rounds):
            for name, kept in variants.items():
                scratch(conn, kept)
                measured = Measured(conn)
                started = time.perf_counter()
                for pk in range(next_pk, next_pk + applications):
                    application(measured, pk)
                timings[name].append((time.perf_counter() - started) * 1000 / applications)
                counters[name] = (measured.wal_bytes / applications, measured.buffers / applications)
                next_pk += applications
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        conn.execute(f"DROP SEQUENCE IF EXISTS {TABLE}_seq")
    every = statistics.median(timings["every index"])
    wal, buffers = counters["every index"]
    print(json.dumps({
        "applications": applications, "rounds": rounds, "load_average": round(os.getloadavg()[0], 1),
        "every_index": {"wal_bytes": round(wal), "buffers": round(buffers), "ms": round(every, 2)},
        "added_per_application": {
            name.removeprefix("without "): {"wal_bytes": round(wal - counters[name][0]),
                                             "buffers": round(buffers - counters[name][1]),
                                             "ms": round(every - statistics.median(timings[name]), 2)}
            for name in sorted(timings) if name != "every index"},
    }, indent=1))


if __name__ == "__main__":
    main()
