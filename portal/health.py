"""Health of the parts a request depends on: the database and the Celery broker."""

import logging

from django.db import connection

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


def check_health() -> dict:
    checks = {"database": _database(), "broker": _broker()}
    status = "ok" if all(v == "ok" for v in checks.values()) else "unavailable"
    return {"status": status, **checks}
