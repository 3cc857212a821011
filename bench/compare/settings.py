"""A minimal Django project for django-viewflow doing the portal's job (bench/compare/viewflow_run.py),
in its own environment (bench/requirements-compare.txt): the portal never imports it."""

import os

SECRET_KEY = "bench-only"  # noqa: S105  (a throwaway project that serves no request)
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "viewflow", "viewflow.workflow", "permitflow"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _database(url: str) -> dict:
    rest = url.split("://", 1)[1]
    credentials, location = rest.rsplit("@", 1)
    user, _, password = credentials.partition(":")
    hostport, name = location.split("/", 1)
    host, _, port = hostport.partition(":")
    return {"ENGINE": "django.db.backends.postgresql", "NAME": name, "USER": user, "PASSWORD": password,
            "HOST": host, "PORT": port or "5432"}


DATABASES = {"default": _database(os.environ["DATABASE_URL"])}
