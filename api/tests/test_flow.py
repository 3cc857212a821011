"""The whole journey through the API alone, with a real Celery worker routing the reviews,
rendering the permit and sending the webhooks: create → answer → attach → submit → three
departments decide at the same moment → the last stage decides → permit downloaded."""

import functools
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api import webhooks
from api.models import DeliveryStatus, WebhookDelivery
from api.tests.conftest import Api
from api.tests.receiver import Receiver
from approvals.models import Review
from permits.models import Permit
from tests.celery_worker import *  # noqa: F403  (the fixtures celery_queue and start_worker)
from tests.celery_worker import wait_for
from tests.concurrent import run_together
from tests.factories import PDF_BYTES, VALID_ANSWERS

pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def decide_at_once(apis_and_reviews):
    """Each department system claims and approves its review, all released at one moment."""

    def decide(code, api, review_id):
        claim = api.post(f"/api/v1/reviews/{review_id}/claim/", key=f"claim-{review_id}")
        decision = api.post(f"/api/v1/reviews/{review_id}/decision/",
                            {"decision": "approve", "conditions": f"{code}: keep the licence on display"},
                            key=f"decide-{review_id}")
        return code, (claim.status_code, decision.status_code, decision.json()["status"])

    return dict(run_together(*[functools.partial(decide, *args) for args in apis_and_reviews]))


def test_full_flow_through_the_api_alone(citizen_api, dept_api, start_worker, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.API_WEBHOOK_ALLOW_LOOPBACK = True  # the receiver listens on 127.0.0.1 (the worker gets it too)
    start_worker()
    receiver = Receiver()
    try:
        _, fire = dept_api["fire"]
        receiver.secret = fire.post("/api/v1/webhooks/", {"url": receiver.url, "events": [
            "review.routed", "review.decided", "application.approved", "permit.issued"]}).json()["secret"]

        created = citizen_api.post("/api/v1/applications/", {"service": "open-a-restaurant"}, key="new-1")
        assert created.status_code == 201
        app_id = created.json()["id"]
        base = f"/api/v1/applications/{app_id}/"
        assert citizen_api.post(base + "answers/", {"answers": VALID_ANSWERS}, key="answers-1").status_code == 200
        upload = SimpleUploadedFile("plan.pdf", PDF_BYTES, content_type="application/pdf")
        assert citizen_api.post(base + "attachments/", {"field_key": "floor_plan", "file": upload}, fmt="multipart",
                                key="plan-1").status_code == 201
        submitted = citizen_api.post(base + "submit/", key="submit-1")
        assert submitted.status_code == 200, submitted.json()
        assert submitted.json()["status"] == "in_review"
        reference = submitted.json()["reference"]

        # The worker routes stage 1: each department system finds its review in its queue.
        wait_for(lambda: not Review.objects.filter(application_id=app_id, stage=1, routed_at__isnull=True).exists(),
                 timeout=60, what="stage 1 routed")
        stage_one = {}
        for code in ("registration", "health", "tax"):
            rows = dept_api[code][1].get("/api/v1/reviews/?status=pending").json()["results"]
            assert [(r["application_id"], r["reference"]) for r in rows] == [(app_id, reference)]
            stage_one[code] = rows[0]["id"]
        assert dept_api["fire"][1].get("/api/v1/reviews/?status=pending").json()["results"] == []

        results = decide_at_once([(code, dept_api[code][1], pk) for code, pk in stage_one.items()])
        assert results == dict.fromkeys(stage_one, (200, 200, "approved"))

        # The worker routes stage 2 (its review.routed event is one of fire's webhooks); a fire
        # decision before that would leave routing nothing to do and the event unwritten.
        wait_for(lambda: not Review.objects.filter(application_id=app_id, stage=2, routed_at__isnull=True).exists(),
                 timeout=60, what="stage 2 routed")
        fire_rows = fire.get("/api/v1/reviews/?status=pending").json()["results"]
        assert [r["application_id"] for r in fire_rows] == [app_id]
        decision = fire.post(f"/api/v1/reviews/{fire_rows[0]['id']}/decision/", {"decision": "approve"}, key="fire-1")
        assert decision.json()["status"] == "approved"

        # The worker renders the permit; the citizen downloads it through the API.
        wait_for(lambda: citizen_api.get(base).json()["status"] == "issued", timeout=90, what="the permit rendered")
        detail = citizen_api.get(base).json()
        permit = Permit.objects.get(application_id=app_id)
        assert detail["permit"] == {"number": permit.number, "status": "valid", "state": "valid", "cancelled_from": None,
                                    "valid_from": permit.valid_from.isoformat(),
                                    "valid_until": permit.valid_until.isoformat(), "download_url": base + "permit/",
                                    "combined": False}
        assert sorted((r["department"], r["status"]) for r in detail["reviews"]) == [
            ("fire", "approved"), ("health", "approved"), ("registration", "approved"), ("tax", "approved")]
        download = citizen_api.get(base + "permit/")
        content = b"".join(download.streaming_content)
        assert download["Content-Type"] == "application/pdf" and content.startswith(b"%PDF")
        assert hashlib.sha256(content).hexdigest() == permit.sha256
        assert Api().get(f"/api/v1/permits/{permit.number}/verification/").json() == {
            "number": permit.number, "valid": True}
        verified = Api().get(f"/api/v1/permits/{permit.number}/verification/{permit.verify_code}/").json()
        assert verified["state"] == "valid" and verified["holder"] == "Wang Fang"

        # Beat's tick seals the audit chain and turns it into deliveries the worker sends.
        tick = webhooks.webhook_tick()
        assert tick["created"] == 4
        wait_for(lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 4, timeout=60,
                 what="the worker to deliver the webhooks")
        assert sorted(r[1] for r in receiver.received) == [
            "application.approved", "permit.issued", "review.decided", "review.routed"]
        assert all(r[2] for r in receiver.received)
        assert webhooks.webhook_tick()["created"] == 0
    finally:
        receiver.close()
