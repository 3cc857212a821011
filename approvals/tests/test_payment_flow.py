"""Recording what a provider reports: paid once, replays counted once, everything else kept as an
issue for a person (on PostgreSQL: two threads telling the same payment at once record one)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from approvals.payment_flow import PaymentOutcome, PaymentRefused, payment_record
from audit.models import Action, AuditEvent
from payments.models import (
    IssueProblem,
    Payment,
    PaymentIssue,
    PaymentOrder,
    PaymentOrderStatus,
    Refund,
    RefundReason,
    RefundStatus,
)
from tests.concurrent import run_together
from tests.factories import UserFactory, restaurant_service

PAID_AT = datetime(2026, 12, 7, 2, 30, tzinfo=UTC)


def order_for(application, amount="200.00", currency="CNY") -> PaymentOrder:
    return PaymentOrder.objects.create(application=application, amount=Decimal(amount), currency=currency,
                                       items=[{"amount": amount}])


def pay(order_or_code, amount="200.00", currency="CNY", transaction_id="T-1", provider="signed"):
    code = order_or_code.code if isinstance(order_or_code, PaymentOrder) else order_or_code
    return payment_record(provider=provider, transaction_id=transaction_id, code=code, amount=Decimal(amount),
                          currency=currency, paid_at=PAID_AT, source="notification", details={"raw": 1})


@pytest.fixture
def order(submit):
    return order_for(submit())


@pytest.mark.django_db
def test_the_amount_owed_pays_the_order_once(order):
    outcome = pay(order)
    assert (outcome.outcome, outcome.problem, outcome.order.pk, outcome.refund) == ("recorded", "", order.pk, None)
    order.refresh_from_db()
    assert order.status == PaymentOrderStatus.PAID and order.paid_at is not None
    payment = Payment.objects.get()
    assert (payment.order_id, payment.provider, payment.transaction_id, payment.amount, payment.currency, payment.paid_at) == (
        order.pk, "signed", "T-1", Decimal("200.00"), "CNY", PAID_AT)
    event = AuditEvent.objects.get(action=Action.PAYMENT_RECORDED)
    assert (event.object_type, event.object_id, event.application_id, event.subject_id) == (
        "payment", str(payment.pk), order.application_id, order.application.applicant_id)
    assert event.details == {"provider": "signed", "transaction": "T-1", "amount": "200.00", "currency": "CNY"}

    replay = pay(order)
    assert replay.outcome == PaymentOutcome.DUPLICATE
    assert Payment.objects.count() == 1 and PaymentIssue.objects.count() == 0
    assert AuditEvent.objects.filter(action=Action.PAYMENT_RECORDED).count() == 1


@pytest.mark.django_db
def test_a_code_given_with_spaces_is_found(order):
    spaced = " ".join(order.code[i:i + 4] for i in range(0, 20, 4))
    assert pay(spaced).outcome == "recorded"


@pytest.mark.django_db
@pytest.mark.parametrize(("amount", "currency", "problem"), [
    ("199.99", "CNY", IssueProblem.WRONG_AMOUNT),
    ("200.00", "USD", IssueProblem.WRONG_CURRENCY),
])
def test_less_than_owed_or_another_currency_is_an_issue_and_pays_nothing(order, amount, currency, problem):
    outcome = pay(order, amount=amount, currency=currency)
    assert (outcome.outcome, outcome.problem, outcome.order.pk) == ("issue", problem, order.pk)
    order.refresh_from_db()
    assert order.status == PaymentOrderStatus.OPEN and not Payment.objects.exists()
    issue = PaymentIssue.objects.get()
    assert (issue.problem, issue.order_id, issue.amount, issue.currency, issue.code, issue.source, issue.status,
            issue.details) == (problem, order.pk, Decimal(amount), currency, order.code, "notification", "open", {"raw": 1})
    assert AuditEvent.objects.get(action=Action.PAYMENT_ISSUE).details["problem"] == problem
    assert pay(order, amount=amount, currency=currency).outcome == "duplicate"
    assert PaymentIssue.objects.count() == 1


@pytest.mark.django_db
def test_more_than_owed_pays_the_order_and_proposes_a_refund_of_the_excess(order):
    outcome = pay(order, amount="205.50")
    assert outcome.outcome == "recorded"
    order.refresh_from_db()
    assert order.status == PaymentOrderStatus.PAID
    refund = Refund.objects.get()
    assert (refund.order_id, refund.amount, refund.currency, refund.reason, refund.status) == (
        order.pk, Decimal("5.50"), "CNY", RefundReason.OVERPAYMENT, RefundStatus.PROPOSED)
    assert outcome.refund == refund
    assert AuditEvent.objects.get(action=Action.REFUND_PROPOSED).details == {
        "amount": "5.50", "currency": "CNY", "reason": "overpayment"}


@pytest.mark.django_db
def test_a_second_payment_of_a_paid_order_is_an_issue(order):
    pay(order)
    outcome = pay(order, transaction_id="T-2")
    assert (outcome.outcome, outcome.problem) == ("issue", IssueProblem.PAID_TWICE)
    assert Payment.objects.count() == 1 and PaymentIssue.objects.get().transaction_id == "T-2"


@pytest.mark.django_db
def test_a_payment_of_a_cancelled_order_is_an_issue(order):
    PaymentOrder.objects.filter(pk=order.pk).update(status=PaymentOrderStatus.CANCELLED)
    outcome = pay(order)
    assert (outcome.outcome, outcome.problem) == ("issue", IssueProblem.CANCELLED_ORDER)
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_an_unknown_code_is_an_issue_without_an_order_once(order):
    outcome = pay("12345678901234567890")
    assert (outcome.outcome, outcome.problem, outcome.order) == ("issue", IssueProblem.UNKNOWN_CODE, None)
    issue = PaymentIssue.objects.get()
    assert (issue.order_id, issue.code) == (None, "12345678901234567890")
    assert pay("12345678901234567890").outcome == "duplicate"
    assert PaymentIssue.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("amount", "currency", "message"), [
    ("-1.00", "CNY", "The amount must be more than zero."),
    ("0", "CNY", "The amount must be more than zero."),
    ("NaN", "CNY", "The amount must be more than zero."),
    ("1.001", "CNY", "The amount is not an amount of this currency."),
    ("100000000000", "CNY", "The amount is not an amount of this currency."),
    ("1.00", "XYZ", "The currency is not an ISO 4217 currency code."),
    ("1.00", "cny", "The currency is not an ISO 4217 currency code."),
])
def test_what_is_not_money_is_refused_and_nothing_is_written(order, amount, currency, message):
    with pytest.raises(PaymentRefused) as refused:
        pay(order, amount=amount, currency=currency)
    assert str(refused.value) == message
    assert not Payment.objects.exists() and not PaymentIssue.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_threads_telling_the_same_payment_at_once_record_it_once(settings, tmp_path):
    from tests.engine_fixtures import submitted_application

    settings.MEDIA_ROOT = str(tmp_path / "media")
    application = submitted_application(restaurant_service(), UserFactory())
    order = order_for(application)
    unknown = "12345678901234567890"

    def tell(code):
        def call():
            with transaction.atomic():
                return pay(code).outcome
        return call

    assert sorted(run_together(tell(order), tell(order))) == ["duplicate", "recorded"]
    assert Payment.objects.count() == 1
    assert PaymentOrder.objects.get().status == PaymentOrderStatus.PAID
    assert AuditEvent.objects.filter(action=Action.PAYMENT_RECORDED).count() == 1

    def tell_unknown():
        return payment_record(provider="signed", transaction_id="U-1", code=unknown, amount=Decimal("1.00"),
                              currency="CNY", paid_at=PAID_AT, source="notification").outcome

    assert sorted(run_together(tell_unknown, tell_unknown)) == ["duplicate", "issue"]
    assert PaymentIssue.objects.count() == 1
