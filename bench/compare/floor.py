"""The floor: the portal's job as raw SQL through psycopg, with the same correctness rules and
nothing else. Submit is one transaction (the application in review, its four reviews with stage 1
pending, an audit row); each decision is one transaction that locks the application row (FOR NO
KEY UPDATE), records the decision, re-reads the reviews under the lock and opens the next stage or,
exactly once, approves and writes the permit row (UNIQUE application); an audit row each.

Run: `python bench/compare/floor.py N CONCURRENCY PROCESSES` (DATABASE_URL: a database it may
fill; its tables live in the schema ``floor``). Prints the figures as JSON."""

import json
import os
import sys
import threading
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from driver import Runner, run  # noqa: E402

DB_URL = os.environ["DATABASE_URL"]
STAGES = ((1, 1), (1, 2), (2, 3), (2, 4))  # (stage, department) of the four reviews

SCHEMA = """
DROP SCHEMA IF EXISTS floor CASCADE;
CREATE SCHEMA floor;
CREATE TABLE floor.application (id bigserial PRIMARY KEY, applicant_id int NOT NULL, status text NOT NULL,
  current_stage int, submitted_at timestamptz, decided_at timestamptz);
CREATE TABLE floor.review (id bigserial PRIMARY KEY, application_id bigint NOT NULL REFERENCES floor.application,
  department_id int NOT NULL, stage int NOT NULL, status text NOT NULL, decided_at timestamptz, decided_by int);
CREATE INDEX ON floor.review (application_id);
CREATE INDEX ON floor.review (department_id, status);
CREATE TABLE floor.audit (id bigserial PRIMARY KEY, application_id bigint NOT NULL REFERENCES floor.application,
  action text NOT NULL, at timestamptz NOT NULL DEFAULT now(), details jsonb NOT NULL);
CREATE TABLE floor.permit (id bigserial PRIMARY KEY, application_id bigint NOT NULL UNIQUE REFERENCES floor.application,
  number text NOT NULL UNIQUE, issued_at timestamptz NOT NULL DEFAULT now());
"""


class Floor(Runner):
    def __init__(self):
        self.local, self.lock, self.statements, self.transactions = threading.local(), threading.Lock(), 0, 0

    def connect(self):
        self.local.conn = psycopg.connect(DB_URL)

    def close(self):
        self.local.conn.close()

    def prepare(self, n):
        conn = self.local.conn
        conn.execute(SCHEMA)
        rows = conn.execute("INSERT INTO floor.application (applicant_id, status) SELECT g, 'draft' "
                            "FROM generate_series(1, %s) g RETURNING id", [n]).fetchall()
        conn.commit()
        return [r[0] for r in rows]

    def _count(self, statements):
        with self.lock:
            self.statements += statements
            self.transactions += 1

    def submit(self, application_id):
        conn = self.local.conn
        with conn.transaction():
            conn.execute("UPDATE floor.application SET status = 'in_review', current_stage = 1, submitted_at = now() "
                         "WHERE id = %s AND status = 'draft'", [application_id])
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO floor.review (application_id, department_id, stage, status) VALUES (%s, %s, %s, %s) "
                    "RETURNING id, stage",
                    [(application_id, dept, stage, "pending" if stage == 1 else "waiting") for stage, dept in STAGES],
                    returning=True)
                reviews = []
                while True:
                    reviews += cur.fetchall()
                    if not cur.nextset():
                        break
            conn.execute("INSERT INTO floor.audit (application_id, action, details) VALUES (%s, 'submitted', '{}')",
                         [application_id])
        self._count(3)
        return [(application_id, pk) for pk, stage in reviews if stage == 1]

    def decide(self, item):
        application_id, review_id = item
        conn, statements, opened = self.local.conn, 4, []
        with conn.transaction():
            (stage,) = conn.execute("SELECT current_stage FROM floor.application WHERE id = %s FOR NO KEY UPDATE",
                                    [application_id]).fetchone()
            conn.execute("UPDATE floor.review SET status = 'approved', decided_at = now(), decided_by = 1 "
                         "WHERE id = %s AND status = 'pending'", [review_id])
            reviews = conn.execute("SELECT id, stage, status FROM floor.review WHERE application_id = %s",
                                   [application_id]).fetchall()
            if all(status == "approved" for _pk, s, status in reviews if s <= stage):
                later = sorted({s for _pk, s, _status in reviews if s > stage})
                if later:
                    opened = [(application_id, pk) for (pk,) in conn.execute(
                        "UPDATE floor.review SET status = 'pending' WHERE application_id = %s AND stage = %s "
                        "AND status = 'waiting' RETURNING id", [application_id, later[0]]).fetchall()]
                    conn.execute("UPDATE floor.application SET current_stage = %s WHERE id = %s",
                                 [later[0], application_id])
                else:
                    conn.execute("UPDATE floor.application SET status = 'approved', decided_at = now() WHERE id = %s",
                                 [application_id])
                    conn.execute("INSERT INTO floor.permit (application_id, number) VALUES (%s, %s)",
                                 [application_id, f"P-{application_id:08d}"])
                statements += 2
            conn.execute("INSERT INTO floor.audit (application_id, action, details) VALUES (%s, 'approved', '{}')",
                         [application_id])
        self._count(statements)
        return opened

    def permits(self, ids):
        return self.local.conn.execute("SELECT count(*) FROM floor.permit WHERE application_id = ANY(%s)",
                                       [ids]).fetchone()[0]

    def counts(self):
        return self.statements, self.transactions


if __name__ == "__main__":
    n, k, p = (int(a) for a in sys.argv[1:4])
    print(json.dumps(run(Floor(), applications=n, concurrency=k, processes=p)))
