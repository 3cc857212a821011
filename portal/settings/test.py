"""Test profile: the dev profile with fast password hashing and synchronous-free Celery.

DATABASE_URL and CELERY_BROKER_URL come from the environment (`make test` points them at
PostgreSQL and Redis)."""

import tempfile

from .dev import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if not env.str("EMAIL_URL", default=""):  # noqa: F405
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_ENABLED = True
LOGGING["root"]["level"] = env.str("LOG_LEVEL", default="WARNING")  # noqa: F405  (processes the tests start may ask for more)
# Nudges at commit, so a test sees them at once; tests of the batching set it themselves.
PORTAL_NUDGE_BATCH_SECONDS = env.float("PORTAL_NUDGE_BATCH_SECONDS", default=0)  # noqa: F405

# Without CELERY_BROKER_URL, nudges go to kombu's in-memory transport (nothing written to disk);
# `make test` sets it to Redis, and the worker tests start real workers against that.
if not env.str("CELERY_BROKER_URL", default=""):  # noqa: F405
    CELERY_BROKER_URL = "memory://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {}

# Checkpoints of the audit chain go to a scratch directory of this run, never to var/; the audit
# tests give each test one of its own (audit/tests/conftest.py).
AUDIT_ANCHOR_DIR = env.str("AUDIT_ANCHOR_DIR", default="") or tempfile.mkdtemp(prefix="portal-test-anchors-")  # noqa: F405

# Files the tests store (the demo catalogue's guide templates among them) go to a scratch
# directory of this run, never to var/; tests that read files back set their own.
MEDIA_ROOT = env.str("MEDIA_ROOT", default="") or tempfile.mkdtemp(prefix="portal-test-media-")  # noqa: F405

# The signed-notification provider's secret in tests (the tests sign with it).
PAYMENT_PROVIDER_SECRETS = {"signed": "test-payment-secret"}  # noqa: S105
