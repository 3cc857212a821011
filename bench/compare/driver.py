"""The load shape `manage.py simulate` gives the portal (devtools.simulation), for the comparison
runs: drafts made before the clock starts, then K threads over P forked processes serving one
queue per process. Submitting queues a decision for each review it opens, and a decision that
opens the next stage queues that stage's, so one application's reviews are decided by different
threads at once. Standard library only: it runs in the portal's environment and in the
comparison's (bench/requirements-compare.txt)."""

import multiprocessing
import queue
import statistics
import threading
import time


class Runner:
    """One job done three ways. ``connect()`` runs in each thread; ``prepare(n)`` makes n drafts and
    returns their ids; ``submit(id)`` and ``decide(item)`` return the items they open."""

    def connect(self):
        raise NotImplementedError

    def close(self):
        """Before forking: a child must not share its parent's connection."""

    def prepare(self, n: int) -> list:
        raise NotImplementedError

    def submit(self, application_id) -> list:
        raise NotImplementedError

    def decide(self, item) -> list:
        raise NotImplementedError

    def permits(self, ids: list) -> int:
        """Permit rows of these applications (one each when the run is right)."""
        raise NotImplementedError

    def counts(self) -> tuple[int, int]:
        """Statements and transactions this process sent for the job (not for the drafts)."""
        return 0, 0


def _serve(runner: Runner, ids: list, threads: int, barrier) -> dict:
    work, lock = queue.Queue(), threading.Lock()
    outstanding, done, errors, decide_ms = [len(ids)], threading.Event(), [], []
    for pk in ids:
        work.put(("submit", pk))

    def worker():
        runner.connect()
        while not done.is_set():
            try:
                kind, item = work.get(timeout=0.1)
            except queue.Empty:
                continue
            try:
                started = time.perf_counter()
                opened = runner.submit(item) if kind == "submit" else runner.decide(item)
                if kind == "decide":
                    with lock:
                        decide_ms.append((time.perf_counter() - started) * 1000)
            except Exception as exc:  # reported: a comparison run must finish
                opened = []
                with lock:
                    errors.append(f"{kind}: {type(exc).__name__}: {exc}")
            with lock:
                outstanding[0] += len(opened) - 1
                if outstanding[0] == 0:
                    done.set()
            for new in opened:
                work.put(("decide", new))

    barrier.wait()
    started = time.perf_counter()
    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    done.wait()
    ended = time.perf_counter()
    for t in pool:
        t.join()
    statements, transactions = runner.counts()
    return {"started": started, "ended": ended, "errors": errors, "decide_ms": decide_ms,
            "statements": statements, "transactions": transactions}


def _permits(runner: Runner, ids: list) -> int:
    runner.connect()
    return runner.permits(ids)


def run(runner: Runner, *, applications: int, concurrency: int, processes: int) -> dict:
    """Applications/s from the first submit to the last decision, over every process."""
    runner.connect()
    ids = runner.prepare(applications)
    runner.close()
    context = multiprocessing.get_context("fork")
    results, barrier = context.Queue(), context.Barrier(processes)
    shares = [ids[i::processes] for i in range(processes)]

    def child(share):
        results.put(_serve(runner, share, max(1, concurrency // processes), barrier))

    children = [context.Process(target=child, args=(share,)) for share in shares]
    for c in children:
        c.start()
    parts = [results.get() for _ in children]
    for c in children:
        c.join()
    seconds = max(p["ended"] for p in parts) - min(p["started"] for p in parts)
    decide_ms = sorted(ms for p in parts for ms in p["decide_ms"])
    errors = [e for p in parts for e in p["errors"]]
    return {
        "applications": applications, "seconds": round(seconds, 3),
        "applications_per_second": round(applications / seconds, 1),
        "statements_per_application": round(sum(p["statements"] for p in parts) / applications, 1),
        "transactions_per_application": round(sum(p["transactions"] for p in parts) / applications, 1),
        "decide_ms_p50": round(statistics.median(decide_ms), 2) if decide_ms else None,
        "permits": _permits(runner, ids),
        "error_count": len(errors), "errors": errors[:3],
    }
