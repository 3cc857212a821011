"""Fixtures for tests of fees and payments (registered in the root conftest): the test
restaurant with a fee rule, and paying an application's order as a provider would tell it."""

from datetime import UTC, datetime

import pytest

from approvals.payment_flow import payment_record
from catalogue.schema import service_publish
from payments.models import PaymentOrder

# 200.00 CNY, and 5.00 for each seat over 20; nothing for western cuisine (an exemption to test);
# refunded in full when withdrawn before any review started, half when withdrawn later, 20 % when rejected.
FEE_RULE = {
    "currency": "CNY",
    "items": [{"label": {"en": "Application fee", "zh-hans": "申请费"}, "amount": "200.00"},
              {"label": {"en": "Seats over 20", "zh-hans": "超过20座部分"}, "per": "seats", "over": 20, "amount": "5.00"}],
    "exemptions": [{"when": {"cuisine": "western"}, "reason": {"en": "Western cuisine is exempt.", "zh-hans": "西餐免收。"}}],
    "refund": {"withdrawn_before_review": 100, "withdrawn": 50, "rejected": 20},
}
PAID_AT = datetime(2026, 12, 7, 2, 30, tzinfo=UTC)


def charge(service, **changes):
    """Give ``service`` the fee rule (with ``changes``) and publish the version that freezes it."""
    service.fee_rule = {**FEE_RULE, **changes}
    service.save(update_fields=["fee_rule"])
    service_publish(service=service)
    service.refresh_from_db()
    return service


def pay(application, *, transaction_id="T-1", amount=None, provider="signed"):
    """Pay the application's order (its open or paid one) as a provider's notification would."""
    order = PaymentOrder.objects.exclude(status="cancelled").get(application=application)
    return payment_record(provider=provider, transaction_id=transaction_id, code=order.code,
                          amount=order.amount if amount is None else amount, currency=order.currency,
                          paid_at=PAID_AT, source="notification")


@pytest.fixture
def paid_before_review(restaurant):
    return charge(restaurant)


@pytest.fixture
def paid_before_issue(restaurant):
    return charge(restaurant, payment="before_issue")
