"""Redis holding the cache stopped (connections accepted, never answered) or gone: the cache fails
open within its one-second timeout, so a citizen's submission through the API still succeeds."""

import socket
import time

import pytest
from django.core.cache import caches

from approvals import workflow
from approvals.models import Application, ApplicationStatus
from tests.postgres_servers import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["silent", "gone"])
def redis_down(request, settings):
    """The cache's Redis at a port where a listener never answers, or where nothing listens."""
    port = free_port()
    silent = socket.create_server(("127.0.0.1", port)) if request.param == "silent" else None
    settings.CACHES = {"default": {"BACKEND": "portal.cache.FailOpenRedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{port}/1"}}
    yield caches["default"]
    if silent is not None:
        silent.close()


def test_the_cache_answers_as_empty_within_its_timeout(redis_down):
    started = time.monotonic()
    assert redis_down.get("k", "default") == "default"
    assert redis_down.add("k", 1) is True
    assert redis_down.incr("k") == 1
    assert redis_down.set("k", 2) is None
    assert time.monotonic() - started < 4 * 2  # four calls, at most a connect and a read timeout each


def test_a_submission_through_the_api_succeeds_with_the_cache_down(redis_down, citizen, restaurant):
    from api.models import TokenKind
    from api.services import api_token_create
    from api.tests.conftest import Api
    from tests.engine_fixtures import pdf_upload
    from tests.factories import VALID_ANSWERS

    api = Api(api_token_create(kind=TokenKind.CITIZEN, name="app", user=citizen)[1])
    created = api.post("/api/v1/applications/", {"service": restaurant.slug, "answers": VALID_ANSWERS}, key="c")
    assert created.status_code == 201
    workflow.application_attach(application_id=created.json()["id"], actor=citizen, field_key="floor_plan",
                                uploaded=pdf_upload())
    submitted = api.post(f"/api/v1/applications/{created.json()['id']}/submit/", key="s")
    assert submitted.status_code == 200
    application = Application.objects.get()
    assert (application.status, submitted.json()["reference"]) == (ApplicationStatus.IN_REVIEW, application.reference)
