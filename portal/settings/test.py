"""Test profile: the dev profile with fast password hashing and synchronous-free Celery.

DATABASE_URL and CELERY_BROKER_URL come from the environment (`make test` points them at
PostgreSQL and Redis)."""

from .dev import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_ENABLED = True
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
