"""The payment notification webhook (signed by a provider, replayed, refused) and the public fee
quote, through the API as a provider and a department system call them."""

import json
import time
from decimal import Decimal

import pytest
from django.test import Client

from approvals.models import ApplicationStatus
from payments.models import Payment, PaymentIssue, PaymentOrder
from payments.providers import notification_signature

from .conftest import Api

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/notifications/signed/"
SECRET = "test-payment-secret"


def notify(body: dict | bytes, *, timestamp=None, secret=SECRET, signature=None, provider="signed"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {"HTTP_X_PAYMENT_TIMESTAMP": stamp,
               "HTTP_X_PAYMENT_SIGNATURE": signature or notification_signature(secret, stamp, raw)}
    return Client().post(f"/api/v1/payments/notifications/{provider}/", raw, content_type="application/json", **headers)


def body_for(order, **changes):
    return {"transaction_id": "TX-100", "code": order.code, "amount": str(order.amount), "currency": order.currency,
            "paid_at": "2026-12-07T10:30:00+08:00", **changes}


@pytest.fixture
def order(paid_before_review, submit):
    application = submit()
    return PaymentOrder.objects.get(application=application)


def test_a_signed_notification_pays_the_order_and_a_replay_counts_once(order):
    response = notify(body_for(order))
    assert (response.status_code, response.json()) == (200, {"outcome": "recorded", "problem": None})
    order.refresh_from_db()
    assert order.status == "paid" and order.application.status == ApplicationStatus.IN_REVIEW
    payment = Payment.objects.get()
    assert (payment.amount, payment.currency, payment.transaction_id, payment.paid_at.isoformat()) == (
        Decimal("300.00"), "CNY", "TX-100", "2026-12-07T02:30:00+00:00")

    replay = notify(body_for(order))  # the same notification, signed again within the window
    assert (replay.status_code, replay.json()) == (200, {"outcome": "duplicate", "problem": None})
    assert Payment.objects.count() == 1 and not PaymentIssue.objects.exists()


def test_an_amount_that_does_not_match_is_kept_for_a_person(order):
    response = notify(body_for(order, amount="299.99"))
    assert (response.status_code, response.json()) == (200, {"outcome": "issue", "problem": "wrong_amount"})
    issue = PaymentIssue.objects.get()
    assert (issue.amount, issue.source, issue.details["amount"]) == (Decimal("299.99"), "notification", "299.99")
    order.refresh_from_db()
    assert order.status == "open"


def test_an_unknown_code_is_kept_for_a_person(order):
    response = notify(body_for(order, code="12345678901234567890"))
    assert response.json() == {"outcome": "issue", "problem": "unknown_code"}


@pytest.mark.parametrize(("kwargs", "code", "message"), [
    ({"signature": "sha256=" + "0" * 64}, "bad_signature", "The notification's signature does not match."),
    ({"secret": "another-secret"}, "bad_signature", "The notification's signature does not match."),
    ({"timestamp": int(time.time()) - 301}, "stale_notification",
     "The notification's timestamp is outside the accepted window: it is refused as a replay."),
    ({"timestamp": "soon"}, "bad_signature", "The notification has no valid timestamp."),
])
def test_a_notification_not_signed_by_the_provider_or_too_old_is_refused(order, kwargs, code, message):
    response = notify(body_for(order), **kwargs)
    assert response.status_code == 401
    assert response.json() == {"error": {"code": code, "message": message, "fields": {}}}
    assert not Payment.objects.exists() and not PaymentIssue.objects.exists()


@pytest.mark.parametrize(("changes", "code", "message"), [
    ({"amount": "-300.00"}, "not_a_payment", "The amount must be more than zero."),
    ({"amount": 300}, "invalid_request", "Give these as text: amount."),
    ({"amount": "lots"}, "invalid_request", 'The amount must be a decimal number as text, such as "300.00".'),
    ({"currency": "XYZ"}, "not_a_payment", "The currency is not an ISO 4217 currency code."),
    ({"paid_at": "2026-12-07T10:30:00"}, "invalid_request", "paid_at must be an ISO 8601 time with its offset."),
    ({"paid_at": "2026-02-30T10:30:00+08:00"}, "invalid_request", "paid_at must be an ISO 8601 time with its offset."),
    ({"code": "1\u00002"}, "invalid_request", "The notification contains text that is not valid Unicode."),
])
def test_a_signed_notification_that_is_no_payment_is_refused(order, changes, code, message):
    response = notify(body_for(order, **changes))
    assert (response.status_code, response.json()) == (400, {"error": {"code": code, "message": message, "fields": {}}})
    assert not Payment.objects.exists() and not PaymentIssue.objects.exists()


def test_a_body_that_is_not_json_or_an_unknown_provider(order):
    assert notify(b"not json").json()["error"]["code"] == "invalid_request"
    assert notify(b"[1, 2]").json()["error"]["message"] == "The notification must be a JSON object."
    assert notify(body_for(order), provider="paypal").status_code == 404


def test_a_provider_without_a_secret_is_refused(order, settings):
    settings.PAYMENT_PROVIDER_SECRETS = {"signed": ""}
    response = notify(body_for(order), secret="")
    assert (response.status_code, response.json()["error"]["code"]) == (401, "provider_not_configured")


# -- the fee quote ---------------------------------------------------------------------------------

QUOTE = "/api/v1/services/open-a-restaurant/fee-quote/"


def test_the_fee_for_given_answers_item_by_item(paid_before_review):
    exempt = Api().post(QUOTE, {"answers": {"seats": 48, "cuisine": "western"}}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert exempt.json() == {"currency": "CNY", "items": [], "total": "0.00", "exemption": "西餐免收。",
                             "payment": "before_review"}
    response = Api().post(QUOTE, {"answers": {"seats": 48, "cuisine": "chinese"}}, HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.json()) == (200, {
        "currency": "CNY",
        "items": [{"label": "Application fee", "amount": "200.00"},
                  {"label": "Seats over 20", "amount": "140.00", "units": "28", "unit_amount": "5.00"}],
        "total": "340.00", "exemption": None, "payment": "before_review",
    })


@pytest.mark.parametrize(("answers", "fields"), [
    ({"seats": "many"}, {"answers.seats": ["Enter a number, 0 or more."]}),
    ({"seats": -3}, {"answers.seats": ["Enter a number, 0 or more."]}),
    ({"seats": {"n": 3}}, {"answers.seats": ["This is not an answer to this question."]}),
    ({"colour": "red"}, {"answers.colour": ["This service's form does not ask this question."]}),
    ({"seats": "1e20"}, {"answers.seats": ["The fee these answers come to is more than can be charged: check the numbers."]}),
])
def test_bad_answers_to_quote_are_refused_field_by_field(paid_before_review, answers, fields):
    response = Api().post(QUOTE, {"answers": answers})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == fields


def test_a_quote_needs_answers_and_a_service_that_charges(restaurant):
    assert Api().post(QUOTE, {"answers": {}}).json()["error"]["message"] == "This service charges no fee through the portal."
    assert Api().post(QUOTE, {"answers": []}).status_code == 400
    assert Api().post("/api/v1/services/no-such-service/fee-quote/", {"answers": {}}).status_code == 404
