"""The Celery application. Settings are the CELERY_* names in portal.settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Request ids into tasks, task metrics, and a worker's metrics port (observability only).
from . import task_signals, worker_metrics  # noqa: E402, F401
