"""django-viewflow 2.4 doing the portal's job (permitflow.flows.PermitFlow) under the same load
shape (driver.py): the start is the submit, each review a Handle task run under viewflow's row
lock, the joins the fan-in, and a Function writes the permit row. Statements are counted for the
flow's own calls, not for finding the tasks a step opened (as the portal's simulation counts).

Run in the comparison environment: `var/bench/compare-venv/bin/python bench/compare/viewflow_run.py
N CONCURRENCY PROCESSES` with DATABASE_URL naming a database it may reset. Prints JSON."""

import json
import os
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from driver import Runner, run  # noqa: E402
from permitflow.flows import PermitFlow  # noqa: E402
from permitflow.models import Permit  # noqa: E402
from viewflow.workflow.models import Task  # noqa: E402
from viewflow.workflow.status import STATUS  # noqa: E402

REVIEWS = {PermitFlow.review_1, PermitFlow.review_2, PermitFlow.review_3, PermitFlow.review_4}


class Viewflow(Runner):
    def __init__(self):
        self.lock, self.statements, self.transactions, self.local = threading.Lock(), 0, 0, threading.local()
        self.queued: set[int] = set()

    def _count(self, execute, sql, params, many, context):
        if getattr(self.local, "measuring", False):
            with self.lock:
                self.statements += 1
        return execute(sql, params, many, context)

    def connect(self):
        if not getattr(self.local, "wrapped", False):
            connection.execute_wrappers.append(self._count)
            self.local.wrapped = True

    def close(self):
        connections.close_all()

    def prepare(self, n):
        call_command("migrate", verbosity=0)
        call_command("migrate", run_syncdb=True, verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE permitflow_permit, viewflow_task_previous, viewflow_task, viewflow_process "
                           "RESTART IDENTITY CASCADE")
        return list(range(1, n + 1))

    def _measured(self, call):
        self.local.measuring = True
        try:
            with transaction.atomic():
                return call()
        finally:
            self.local.measuring = False
            with self.lock:
                self.transactions += 1

    def _opened(self, process_id) -> list[int]:
        tasks = Task.objects.filter(process_id=process_id, status=STATUS.NEW).values_list("pk", "flow_task")
        with self.lock:
            fresh = [pk for pk, node in tasks if node in REVIEWS and pk not in self.queued]
            self.queued.update(fresh)
        return fresh

    def submit(self, applicant_id):
        process = self._measured(lambda: PermitFlow.start.run(applicant_id=applicant_id))
        return self._opened(process.pk)

    def decide(self, task_id):
        task = Task.objects.get(pk=task_id)
        self._measured(lambda: task.flow_task.run(task))
        return self._opened(task.process_id)

    def permits(self, ids):
        return Permit.objects.count()

    def counts(self):
        return self.statements, self.transactions


if __name__ == "__main__":
    n, k, p = (int(a) for a in sys.argv[1:4])
    print(json.dumps(run(Viewflow(), applications=n, concurrency=k, processes=p)))
