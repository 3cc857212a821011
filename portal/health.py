"""Health of the parts a request depends on: the database and the Celery broker; and, where a
read replica is configured, how far behind it is. A replica behind or down is reported but does
not make the portal unavailable: the pages that read from it read from the primary then."""

import logging

from django.conf import settings
from django.db import connection

from core import replica

from .celery import app as celery_app

log = logging.getLogger(__name__)


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:  # any failure is reported, never raised
        log.warning("health: database: %s", exc)
        return "unavailable"


def _broker() -> str:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as exc:
        log.warning("health: broker: %s", exc)
        return "unavailable"


def _replica() -> dict:
    measured = replica.measure()
    return {"status": measured.status, "lag_seconds": measured.lag_seconds,
            "max_lag_seconds": settings.REPLICA_MAX_LAG_SECONDS,
            "reads_from": "replica" if measured.usable else "primary"}


def check_health() -> dict:
    checks = {"database": _database(), "broker": _broker()}
    status = "ok" if all(v == "ok" for v in checks.values()) else "unavailable"
    report = {"status": status, **checks}
    if replica.configured():
        report["replica"] = _replica()
    return report
