"""/healthz answers for the database and the broker the portal really uses."""

import pytest

from portal.celery import app as celery_app
from tests.services import redis_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker(monkeypatch):
    """Point the Celery app at another broker for one test (CELERY_BROKER_URL in the
    environment wins over the app's configuration, so both are set)."""
    original = celery_app.conf.broker_url

    def use(url):
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        celery_app.conf.broker_url = url

    yield use
    celery_app.conf.broker_url = original


def test_healthy_when_database_and_redis_answer(client, broker):
    broker(redis_url())
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_unavailable_when_the_broker_does_not_answer(client, broker):
    broker("redis://127.0.0.1:1/0")  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unavailable"}


def test_only_get(client):
    assert client.post("/healthz").status_code == 405
