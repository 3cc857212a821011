"""Running calls in threads released at the same moment, each with its own database connection."""

import threading

from django.db import connection, transaction


def run_together(*calls, timeout: float = 60) -> list:
    """Run each call in its own thread, released at the same moment; return their results in
    order, re-raising the first exception."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=timeout)
            results[index] = call()
        except BaseException as exc:  # handed to the test thread
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread did not finish"
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def sessions_waiting_for_a_lock() -> int:
    """How many sessions of this database wait for a lock now (PostgreSQL)."""
    with connection.cursor() as cursor:
        # Inside a transaction the activity view is a snapshot taken at its first read.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                       " AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


def run_while_waited_on(hold, then, *, waiting=sessions_waiting_for_a_lock, timeout: float = 30) -> list:
    """Run ``hold`` in a transaction that stays open until ``then``, started in another thread
    once ``hold`` has run, waits for a lock (``waiting()`` counts the sessions waiting); then
    commit. The errors of both threads, and one if ``then`` never waited."""
    held, errors = threading.Event(), []

    def holder():
        try:
            with transaction.atomic():
                hold()
                held.set()
                for _ in range(int(timeout / 0.05)):
                    if waiting():
                        break
                    threading.Event().wait(0.05)
                else:
                    errors.append(AssertionError("the second call never waited for the first one's lock"))
        except Exception as exc:
            errors.append(exc)
        finally:
            held.set()
            connection.close()

    def waiter():
        try:
            held.wait(timeout)
            then()
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=holder), threading.Thread(target=waiter)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout * 2)
    return errors
