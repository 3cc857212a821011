"""A load generator that drives applications through the real workflow functions.

Drafts (answers and attachments) are prepared first; then work items go through one queue
served by K threads: submitting an application enqueues a decision (in ``mixed`` mode half of
them after a claim) for each of its pending reviews, so the reviews of one application are decided by
different threads at the same time, exactly as officers of different departments would.
A decision that opens the next stage, or a correction answered, enqueues the new pending
reviews. Each thread has its own database connection."""

import queue
import random
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.utils import timezone

from accounts.models import Role
from approvals import workflow
from approvals.models import Application, ApplicationStatus, Review, ReviewStatus
from catalogue.models import Service
from catalogue.schema import Schema
from core.errors import Conflict, InvalidTransition
from core.nudges import flush_nudges
from departments.models import Membership
from permits.models import Permit

from .samples import sample_answers, sample_upload


class StatementCounter:
    """Counts the statements of the workflow calls made inside ``measure()``, not the
    simulation's own bookkeeping queries. Whether a thread is measuring is the thread's own: one
    thread's bookkeeping must not end another's measure (a shared flag undercounted by 40 %)."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()
        self.local = threading.local()

    def __call__(self, execute, sql, params, many, context):
        if getattr(self.local, "active", False):
            with self.lock:
                self.count += 1
        return execute(sql, params, many, context)

    @contextmanager
    def measure(self):
        self.local.active = True
        try:
            yield
        finally:
            self.local.active = False


@dataclass
class Stats:
    draft_ms: list = field(default_factory=list)
    submit_ms: list = field(default_factory=list)
    submit_done: list = field(default_factory=list)  # perf_counter when each submit returned
    decide_ms: list = field(default_factory=list)
    skipped: int = 0
    statements: int = 0
    transactions: int = 0
    conflicts: int = 0
    errors: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 2)


class Simulation:
    def __init__(self, *, service_slug: str, applications: int, concurrency: int, decide: str, seed: int = 7):
        self.service = Service.objects.select_related("current_version").get(slug=service_slug)
        self.schema = Schema(self.service.current_version.schema)
        self.n, self.k, self.mode = applications, concurrency, decide
        self.random = random.Random(seed)
        self._corrected: set[int] = set()
        self.answers = sample_answers(self.schema)
        self.file_specs = [s for s in self.schema.fields if s["kind"] == "file"]
        self.officers = self._officers()
        self.citizens = self._citizens()
        self.work: queue.Queue = queue.Queue()
        self.stats = Stats()
        self.outstanding = 0
        self.outstanding_lock = threading.Lock()
        self.done = threading.Event()
        self.application_ids: list[int] = []

    def _officers(self) -> dict[int, list]:
        officers: dict[int, list] = {}
        codes = [r["department"] for r in self.schema.reviews]
        for m in Membership.objects.select_related("user").filter(department__code__in=codes):
            officers.setdefault(m.department_id, []).append(m.user)
        missing = [r["department"] for r in self.schema.reviews
                   if not Membership.objects.filter(department__code=r["department"]).exists()]
        if missing:
            raise ValueError(f"no officer in department(s): {', '.join(missing)} (run seed_demo or add_staff)")
        return officers

    def _citizens(self) -> list:
        User = get_user_model()
        citizens = []
        for i in range(max(1, self.k)):
            user, _ = User.objects.get_or_create(
                email=f"simulated.citizen{i}@example.org",
                defaults={"full_name": f"Simulated Citizen {i}", "role": Role.CITIZEN, "email_verified": True},
            )
            citizens.append(user)
        return citizens

    # --- work items -------------------------------------------------------------------------

    def _push(self, item):
        with self.outstanding_lock:
            self.outstanding += 1
        self.work.put(item)

    def _finish_item(self):
        with self.outstanding_lock:
            self.outstanding -= 1
            if self.outstanding == 0:
                self.done.set()

    def _draft(self, index: int) -> int:
        """What a citizen does before submitting (over minutes, in several requests): a draft
        with its answers and attachments. Timed apart from the submit → decisions pipeline."""
        citizen = self.citizens[index % len(self.citizens)]
        started = time.perf_counter()
        application = workflow.application_start(applicant=citizen, service=self.service, answers=self.answers)
        for spec in self.file_specs:
            workflow.application_attach(application_id=application.pk, actor=citizen, field_key=spec["key"],
                                        uploaded=sample_upload(spec))
        with self.stats.lock:
            self.stats.draft_ms.append((time.perf_counter() - started) * 1000)
        return application.pk

    def _submit(self, application_id: int, citizen_index: int):
        citizen = self.citizens[citizen_index % len(self.citizens)]
        started = time.perf_counter()
        with self.counter.measure():
            workflow.application_submit(application_id=application_id, actor=citizen)
        ended = time.perf_counter()
        with self.stats.lock:
            self.stats.submit_ms.append((ended - started) * 1000)
            self.stats.submit_done.append(ended)
            self.stats.transactions += 1
            self.application_ids.append(application_id)
        self._enqueue_pending(application_id)

    def _enqueue_pending(self, application_id: int, statuses=(ReviewStatus.PENDING,)):
        """Queue a decision for each review in ``statuses`` not queued before. A review that
        returns after a correction (in progress with the officer who asked, or pending) has a
        new version, so it is queued again."""
        rows = Review.objects.filter(application_id=application_id, status__in=statuses).values_list(
            "pk", "version", "department_id", "assignee_id")
        with self.stats.lock:
            fresh = [(pk, dept, assignee) for pk, version, dept, assignee in rows if (pk, version) not in self._queued]
            self._queued.update((pk, version) for pk, version, _dept, _assignee in rows)
        for pk, dept, assignee in fresh:
            self._push(("decide", pk, dept, application_id, assignee))

    def _choose(self, application_id: int) -> str:
        if self.mode != "mixed":
            return "approve"
        roll = random.Random(application_id * 7919 + threading.get_ident() % 7).random()
        if roll < 0.05:
            return "reject"
        if roll < 0.15 and application_id not in self._corrected:
            # One correction round per application: the same roll must not ask again forever.
            self._corrected.add(application_id)
            return "correction"
        return "approve"

    def _decide(self, review_id: int, department_id: int, application_id: int, assignee: int | None):
        # A review back from a correction is still held by the officer who asked for it (read
        # when it was queued).
        held_by = [o for o in self.officers[department_id] if o.pk == assignee]
        officer = held_by[0] if held_by else self.random.choice(self.officers[department_id])
        decision = self._choose(application_id)
        kwargs = {}
        if decision == "reject":
            kwargs["reason"] = "Simulated rejection"
        elif decision == "correction":
            review = Review.objects.select_related("department").get(pk=review_id)
            keys = [k for k in self.schema.department_fields(review.department.code)
                    if self.schema.fields_by_key[k]["kind"] != "file"]
            if not keys or Application.objects.filter(pk=application_id, status=ApplicationStatus.NEEDS_CORRECTION).exists():
                decision = "approve"
            else:
                kwargs.update(correction_fields=keys[:1], message="Simulated correction")
        if self.mode == "mixed" and self.random.random() < 0.5:
            # Half the officers take the review into their hands first, as from the queue.
            try:
                with self.counter.measure():
                    workflow.review_claim(review_id=review_id, actor=officer)
            except Conflict:
                with self.stats.lock:
                    self.stats.conflicts += 1
                return
            with self.stats.lock:
                self.stats.transactions += 1
        started = time.perf_counter()
        try:
            with self.counter.measure():
                workflow.review_decide(review_id=review_id, actor=officer, decision=decision, **kwargs)
        except Conflict:
            with self.stats.lock:
                self.stats.conflicts += 1
            return
        with self.stats.lock:
            self.stats.decide_ms.append((time.perf_counter() - started) * 1000)
            self.stats.transactions += 1
        if decision == "correction":
            self._push(("resubmit", application_id, kwargs["correction_fields"]))
        elif decision == "approve":
            self._enqueue_pending(application_id)

    def _resubmit(self, application_id: int, keys):
        application = Application.objects.select_related("applicant").get(pk=application_id)
        data = {k: f"{self.answers.get(k, 'Corrected')} (corrected)"[:100] if self.schema.fields_by_key[k]["kind"]
                in ("text", "textarea") else self.answers.get(k) for k in keys}
        try:
            with self.counter.measure():
                workflow.application_resubmit(application_id=application_id, actor=application.applicant, data=data)
        except InvalidTransition:
            # Another department rejected the application while the citizen was correcting it:
            # nothing is left to answer, as a citizen would see on the page.
            if Application.objects.filter(pk=application_id, status=ApplicationStatus.REJECTED).exists():
                with self.stats.lock:
                    self.stats.skipped += 1
                return
            raise
        with self.stats.lock:
            self.stats.transactions += 1
        self._enqueue_pending(application_id, statuses=(ReviewStatus.PENDING, ReviewStatus.IN_PROGRESS))

    def _worker(self):
        with connection.execute_wrapper(self.counter):
            while not self.done.is_set():
                try:
                    item = self.work.get(timeout=0.2)
                except queue.Empty:
                    continue
                try:
                    kind, *args = item
                    if kind == "draft":
                        draft = (self._draft(*args), args[0])
                        with self.stats.lock:
                            self.drafts.append(draft)
                    elif kind == "submit":
                        self._submit(*args)
                    elif kind == "decide":
                        self._decide(*args)
                    else:
                        self._resubmit(*args)
                except Exception as exc:  # recorded and reported: a simulation must finish
                    with self.stats.lock:
                        self.stats.errors.append(f"{item[0]}: {type(exc).__name__}: {exc}")
                finally:
                    self._finish_item()
        connections.close_all()

    def _drain(self, items) -> float:
        """Serve the items (and the work they create) with K threads; seconds taken."""
        self.done.clear()
        for item in items:
            self._push(item)
        started = time.perf_counter()
        threads = [threading.Thread(target=self._worker, daemon=True) for _ in range(self.k)]
        for t in threads:
            t.start()
        self.done.wait()
        for t in threads:
            t.join()
        return time.perf_counter() - started

    # --- run --------------------------------------------------------------------------------

    def run_workflow(self, *, first_index: int = 0, barrier=None) -> dict:
        """Prepare the drafts, then drive them from submit to their last decision; raw figures.
        ``barrier`` lines up forked processes so their pipelines start together."""
        self._queued: set[tuple[int, int]] = set()
        self.counter = StatementCounter()
        self.drafts: list[tuple[int, int]] = []
        draft_seconds = self._drain([("draft", i) for i in range(first_index, first_index + self.n)])
        if barrier is not None:
            barrier.wait()
        started = time.perf_counter()
        seconds = self._drain([("submit", pk, index) for pk, index in sorted(self.drafts)])
        flush_nudges()  # a forked child exits without running atexit: send its last batch now
        return {
            "ids": self.application_ids, "seconds": seconds, "draft_seconds": draft_seconds,
            "started": started, "submit_done": self.stats.submit_done, "draft_ms": self.stats.draft_ms,
            "submit_ms": self.stats.submit_ms, "decide_ms": self.stats.decide_ms,
            "statements": self.counter.count, "transactions": self.stats.transactions,
            "conflicts": self.stats.conflicts, "skipped": self.stats.skipped, "errors": self.stats.errors,
        }

    def run(self, *, wait_seconds: float, processes: int = 1) -> dict:
        """Run with ``processes`` forked processes sharing the applications and threads (Python
        threads share one core; processes use them all), then wait until every application is
        final and summarise."""
        self.processes = processes
        parts = [self.run_workflow()] if processes <= 1 else self._run_forked(processes)
        started = min(p["started"] for p in parts)
        ended = max(p["started"] + p["seconds"] for p in parts)
        self.application_ids = [pk for p in parts for pk in p["ids"]]
        merged = {key: [v for p in parts for v in p[key]]
                  for key in ("draft_ms", "submit_ms", "decide_ms", "submit_done", "errors")}
        totals = {key: sum(p[key] for p in parts) for key in ("statements", "transactions", "conflicts", "skipped")}
        timing = {
            "draft_seconds": max(p["draft_seconds"] for p in parts),
            "submit_seconds": (max(merged["submit_done"]) - started) if merged["submit_done"] else None,
            "pipeline_seconds": ended - started,
        }
        final_seconds = self._wait_final(wait_seconds, started)
        return self._summary(merged, totals, timing, final_seconds)

    def _run_forked(self, processes: int) -> list[dict]:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        results, barrier = context.Queue(), context.Barrier(processes)
        shares = [self.n // processes + (1 if i < self.n % processes else 0) for i in range(processes)]
        threads = max(1, self.k // processes)
        connections.close_all()  # children open their own

        def child(index, count, first):
            simulation = Simulation(service_slug=self.service.slug, applications=count, concurrency=threads,
                                    decide=self.mode, seed=index)
            results.put(simulation.run_workflow(first_index=first, barrier=barrier))
            connections.close_all()

        children, first = [], 0
        for index, count in enumerate(shares):
            proc = context.Process(target=child, args=(index, count, first))
            proc.start()
            children.append(proc)
            first += count
        parts = [results.get() for _ in children]
        for proc in children:
            proc.join()
        return parts

    def _wait_final(self, wait_seconds: float, started: float) -> float | None:
        open_states = [ApplicationStatus.DRAFT, ApplicationStatus.IN_REVIEW, ApplicationStatus.NEEDS_CORRECTION,
                       ApplicationStatus.APPROVED]
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            if not Application.objects.filter(pk__in=self.application_ids, status__in=open_states).exists():
                return time.perf_counter() - started
            time.sleep(0.25)
        return None

    def _summary(self, merged: dict, totals: dict, timing: dict, final_seconds: float | None) -> dict:
        ids = self.application_ids
        n = len(ids)
        states = dict.fromkeys(ApplicationStatus.values, 0)
        for status in Application.objects.filter(pk__in=ids).values_list("status", flat=True):
            states[status] += 1
        approved_or_issued = states[ApplicationStatus.APPROVED] + states[ApplicationStatus.ISSUED]
        routing = [
            (routed - pending).total_seconds() * 1000
            for routed, pending in Review.objects.filter(
                application_id__in=ids, stage=1, routed_at__isnull=False, pending_since__isnull=False,
            ).values_list("routed_at", "pending_since")
        ]
        permits = Permit.objects.filter(application_id__in=ids).count()

        def rate(seconds):
            return round(n / seconds, 1) if n and seconds else None

        def spread(values):
            return {"p50": _percentile(values, 50), "p95": _percentile(values, 95)}

        return {
            "service": self.service.slug,
            "applications": n,
            "concurrency": self.k,
            "processes": self.processes,
            "decide": self.mode,
            "final_states": {k: v for k, v in states.items() if v},
            "permits": permits,
            "permits_per_approved": (permits / approved_or_issued) if approved_or_issued else None,
            "drafts_per_second": rate(timing["draft_seconds"]),
            "submissions_per_second": rate(timing["submit_seconds"]),
            "applications_per_second": rate(timing["pipeline_seconds"]),
            "pipeline_seconds": round(timing["pipeline_seconds"], 2),
            "all_final_seconds": round(final_seconds, 2) if final_seconds is not None else None,
            "all_final": final_seconds is not None,
            "draft_ms": spread(merged["draft_ms"]),
            "submit_ms": spread(merged["submit_ms"]),
            "decide_ms": spread(merged["decide_ms"]),
            "submit_to_routed_ms": {**spread(routing), "routed": len(routing)},
            "statements_per_application": round(totals["statements"] / n, 1) if n else None,
            "transactions_per_application": round(totals["transactions"] / n, 1) if n else None,
            "conflicts": totals["conflicts"],
            "resubmits_after_rejection": totals["skipped"],
            "errors": merged["errors"][:10],
            "error_count": len(merged["errors"]),
            "finished_at": timezone.now().isoformat(),
        }
