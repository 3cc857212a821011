"""Running calls in threads released at the same moment, each with its own database connection."""

import threading

from django.db import connection


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
