"""Webhooks from the sealed audit chain: signed deliveries checked by an independent receiver,
exactly one row per subscription and event, retries with exponential backoff, and receivers
that fail, hang or redirect."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api import webhooks
from api.models import DeliveryStatus, WebhookCursor, WebhookDelivery
from api.services import webhook_subscribe
from api.tests.receiver import Receiver
from approvals import workflow
from audit.chain import audit_seal
from departments.models import Department

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ALL_EVENTS = ["review.routed", "review.decided", "application.approved", "application.rejected", "permit.issued",
              "permit.revoked"]


@pytest.fixture
def receiver(settings):
    settings.API_WEBHOOK_ALLOW_LOOPBACK = True  # the receiver listens on 127.0.0.1
    server = Receiver()
    yield server
    server.close()


def subscribe(receiver, code, events=ALL_EVENTS):
    sub, receiver.secret = webhook_subscribe(department=Department.objects.get(code=code), url=receiver.url,
                                             events=events)
    return sub


def deliver_all():
    return [webhooks.webhook_deliver(delivery_id=pk) for pk in webhooks.deliveries_due()]


def approve_all(application, officers):
    for stage in (1, 2):
        workflow.application_route(application_ids=[application.pk])
        for review in application.reviews.filter(stage=stage).select_related("department"):
            workflow.review_decide(review_id=review.pk, actor=officers[review.department.code], decision="approve")


def test_signed_deliveries_verified_by_an_independent_receiver(submit, officers, receiver):
    sub = subscribe(receiver, "tax")
    application = submit()
    approve_all(application, officers)
    audit_seal()
    created = webhooks.webhook_dispatch()
    assert len(created) == 4
    assert deliver_all() == ["delivered"] * 4
    tax_review = application.reviews.get(department__code="tax")
    assert [(r[1], r[2]) for r in receiver.received] == [
        ("review.routed", True), ("review.decided", True), ("application.approved", True), ("permit.issued", True)]
    payloads = [r[3] for r in receiver.received]
    assert payloads[0]["data"] == {"application_id": application.pk, "reference": application.reference,
                                   "review_id": tax_review.pk, "department": "tax"}
    assert payloads[1]["data"]["decision"] == "approve"
    assert payloads[3]["data"]["permit_number"] == application.permits.get().number
    assert [r[0] for r in receiver.received] == [p["id"] for p in payloads]
    assert len({p["id"] for p in payloads}) == 4
    assert WebhookDelivery.objects.filter(subscription=sub, status=DeliveryStatus.DELIVERED).count() == 4

    # A receiver with another secret rejects the signature: signing is really checked.
    receiver.secret = "whsec_wrong"
    WebhookDelivery.objects.update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now())
    assert deliver_all() == ["pending"] * 4
    assert [r[2] for r in receiver.received[4:]] == [False] * 4
    assert set(WebhookDelivery.objects.values_list("last_status_code", flat=True)) == {401}


def test_dispatch_twice_or_from_the_start_adds_nothing(submit, officers, receiver):
    subscribe(receiver, "fire", events=["review.routed", "permit.issued"])
    application = submit()
    approve_all(application, officers)
    audit_seal()
    first = webhooks.webhook_dispatch()
    assert webhooks.webhook_dispatch() == []
    WebhookCursor.objects.update(last_seq=0)
    assert webhooks.webhook_dispatch() == []
    assert len(first) == 2
    assert sorted(WebhookDelivery.objects.values_list("event_type", flat=True)) == ["permit.issued", "review.routed"]


def test_unsealed_events_wait_for_the_seal(submit, receiver):
    subscribe(receiver, "tax")
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    assert webhooks.webhook_dispatch() == []  # routed, but not yet sealed into the chain
    audit_seal()
    assert len(webhooks.webhook_dispatch()) == 1


def test_failures_retry_with_exponential_backoff_then_succeed(submit, receiver, settings):
    settings.API_WEBHOOK_BACKOFF_BASE_SECONDS = 30
    subscribe(receiver, "tax", events=["review.routed"])
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    audit_seal()
    [pk] = webhooks.webhook_dispatch()
    receiver.mode = "error"
    waits = []
    for _ in range(4):
        assert webhooks.webhook_deliver(delivery_id=pk) == "pending"
        delivery = WebhookDelivery.objects.get(pk=pk)
        waits.append((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds())
        assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
        # Not due yet: a second send now does nothing.
        assert webhooks.webhook_deliver(delivery_id=pk) == "skipped"
        WebhookDelivery.objects.filter(pk=pk).update(next_attempt_at=timezone.now())  # the wait has passed
    assert waits == [30, 60, 120, 240]
    receiver.mode = "ok"
    assert webhooks.webhook_deliver(delivery_id=pk) == "delivered"
    delivery = WebhookDelivery.objects.get(pk=pk)
    assert delivery.attempts == 5 and delivery.delivered_at is not None
    assert len({r[0] for r in receiver.received}) == 1 and len(receiver.received) == 5


def test_after_the_retry_window_it_fails_and_the_admin_resends_it(submit, receiver, admin_client):
    subscribe(receiver, "tax", events=["review.routed"])
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    audit_seal()
    [pk] = webhooks.webhook_dispatch()
    delivery = WebhookDelivery.objects.get(pk=pk)
    assert delivery.give_up_at - delivery.created_at == timedelta(hours=48)
    WebhookDelivery.objects.filter(pk=pk).update(give_up_at=timezone.now() + timedelta(seconds=5))
    receiver.mode = "error"
    assert webhooks.webhook_deliver(delivery_id=pk) == "failed"
    assert webhooks.deliveries_due() == []
    listing = admin_client.get("/admin/api/webhookdelivery/?status__exact=failed")
    assert listing.status_code == 200 and b"review.routed" in listing.content
    receiver.mode = "ok"
    response = admin_client.post("/admin/api/webhookdelivery/", {"action": "resend", "_selected_action": [pk]})
    assert response.status_code == 302
    delivery = WebhookDelivery.objects.get(pk=pk)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.give_up_at > timezone.now() + timedelta(hours=47)
    assert webhooks.webhook_deliver(delivery_id=pk) == "delivered"


def test_a_hanging_receiver_does_not_hold_the_sender(submit, receiver, settings):
    settings.API_WEBHOOK_READ_TIMEOUT = 0.5
    subscribe(receiver, "tax", events=["review.routed"])
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    audit_seal()
    [pk] = webhooks.webhook_dispatch()
    receiver.mode = "slow"
    assert webhooks.webhook_deliver(delivery_id=pk) == "pending"
    # The sender has given up while the receiver is still holding the request.
    assert not receiver.release.is_set() and len(receiver.received) == 1
    delivery = WebhookDelivery.objects.get(pk=pk)
    assert delivery.last_status_code is None and delivery.last_error == "timeout: ReadTimeout"
    assert delivery.attempts == 1 and delivery.next_attempt_at > delivery.last_attempt_at


def test_a_redirect_is_not_followed_and_is_retried(submit, receiver):
    subscribe(receiver, "tax", events=["review.routed"])
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    audit_seal()
    [pk] = webhooks.webhook_dispatch()
    receiver.mode = "redirect"
    assert webhooks.webhook_deliver(delivery_id=pk) == "pending"
    assert receiver.landed == 0
    delivery = WebhookDelivery.objects.get(pk=pk)
    assert delivery.last_status_code == 302 and delivery.last_error == "HTTP 302"


def test_a_closed_port_is_an_error_and_retried(submit, receiver):
    sub = subscribe(receiver, "tax", events=["review.routed"])
    receiver.close()
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    audit_seal()
    [pk] = webhooks.webhook_dispatch()
    assert webhooks.webhook_deliver(delivery_id=pk) == "pending"
    delivery = WebhookDelivery.objects.get(pk=pk)
    assert delivery.last_error.startswith("ConnectError") and delivery.subscription_id == sub.pk


def test_only_the_departments_events_reach_it(submit, officers, receiver):
    subscribe(receiver, "health", events=["review.decided", "application.rejected"])
    application = submit()
    tax = application.reviews.get(department__code="tax")
    workflow.review_decide(review_id=tax.pk, actor=officers["tax"], decision="reject", reason="Tax debts")
    audit_seal()
    webhooks.webhook_dispatch()
    # The tax department's decision is not health's business; the application's rejection is.
    assert list(WebhookDelivery.objects.values_list("event_type", flat=True)) == ["application.rejected"]


def test_a_holders_cancellation_is_delivered_only_to_the_departments_told(submit, officers, receiver, restaurant):
    from approvals.permit_life import permit_cancel
    from approvals.sla import local_today
    from catalogue.models import Requirement

    Requirement.objects.filter(service=restaurant, department__code="registration").update(told_of_cancellation=True)
    told, not_told = subscribe(receiver, "registration", ["permit.cancelled"]), subscribe(receiver, "tax",
                                                                                          ["permit.cancelled"])
    application = submit()
    approve_all(application, officers)
    permit = application.permits.get()
    permit.rendered_at = timezone.now()
    permit.save(update_fields=["rendered_at"])
    permit_cancel(permit_id=permit.pk, actor=application.applicant, reason="Closing the shop.",
                  cancelled_from=local_today())
    audit_seal()
    webhooks.webhook_dispatch()
    assert [(d.subscription_id, d.event_type, d.payload["data"]) for d in WebhookDelivery.objects.all()] == [
        (told.pk, "permit.cancelled", {"application_id": application.pk, "reference": application.reference,
                                       "department": "registration", "permit_number": permit.number})]
    assert not WebhookDelivery.objects.filter(subscription=not_told).exists()
