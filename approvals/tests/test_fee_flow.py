"""Fees in the engine: the order issued at submission, both payment modes (reviews wait for the
fee; the permit waits for it), refunds by the service's rule, and the finance officer's services."""

from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import Role
from approvals import workflow
from approvals.models import ApplicationStatus, Review, ReviewStatus
from approvals.payment_orders import refund_cancel, refund_confirm
from approvals.sla import local_today
from audit.models import Action, AuditEvent
from catalogue.schema import service_publish
from core.errors import InvalidTransition, NotAllowed
from payments.models import IssueProblem, PaymentOrder, PaymentOrderStatus, Refund, RefundStatus
from permits.models import Permit
from tests.factories import VALID_ANSWERS, UserFactory
from tests.fee_fixtures import pay

pytestmark = pytest.mark.django_db

ITEMS = [{"label": {"en": "Application fee", "zh-hans": "申请费"}, "amount": "200.00"},
         {"label": {"en": "Seats over 20", "zh-hans": "超过20座部分"}, "amount": "100.00", "units": "20",
          "unit_amount": "5.00"}]


def statuses(application):
    return {r.department.code: r.status for r in application.reviews.select_related("department")}


def approve(application, officers, *codes):
    for code in codes:
        review = application.reviews.get(department__code=code)
        workflow.review_decide(review_id=review.pk, actor=officers[code], decision="approve")


def actions(application):
    return list(AuditEvent.objects.filter(application_id=application.pk).order_by("pk").values_list("action", flat=True))


def test_paid_before_review_the_reviews_wait_for_the_fee_then_start_with_their_clock(paid_before_review, submit):
    application = submit()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.AWAITING_PAYMENT
    order = PaymentOrder.objects.get(application=application)
    assert (order.amount, order.currency, order.items, order.status) == (Decimal("300.00"), "CNY", ITEMS, "open")
    assert set(statuses(application).values()) == {ReviewStatus.WAITING}
    workflow.application_route(application_ids=[application.pk])
    assert not Review.objects.filter(application=application, routed_at__isnull=False).exists()
    assert actions(application)[-1] == Action.PAYMENT_ORDER_ISSUED

    assert pay(application).outcome == "recorded"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_REVIEW
    assert statuses(application) == {"registration": "pending", "health": "pending", "tax": "pending", "fire": "waiting"}
    workflow.application_route(application_ids=[application.pk])
    started = set(Review.objects.filter(application=application, stage=1).values_list("started_on", flat=True))
    assert started == {local_today()}
    assert actions(application)[-5:] == [Action.PAYMENT_RECORDED, Action.APPLICATION_PAID, *[Action.REVIEW_ROUTED] * 3]

    assert pay(application).outcome == "duplicate"  # the same notification again: nothing moves twice
    assert AuditEvent.objects.filter(action=Action.APPLICATION_PAID).count() == 1


def test_an_exemption_or_a_free_service_issues_no_order(paid_before_review, submit, restaurant):
    exempt = submit(answers={**VALID_ANSWERS, "cuisine": "western"})
    exempt.refresh_from_db()
    assert exempt.status == ApplicationStatus.IN_REVIEW and not PaymentOrder.objects.exists()
    restaurant.fee_rule = {}
    restaurant.save()
    service_publish(service=restaurant)
    restaurant.refresh_from_db()
    free = submit()
    free.refresh_from_db()
    assert free.status == ApplicationStatus.IN_REVIEW and not PaymentOrder.objects.exists()


def test_paid_before_issue_the_approved_permit_waits_for_the_fee(paid_before_issue, submit, officers):
    application = submit()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_REVIEW
    approve(application, officers, "registration", "health", "tax", "fire")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED and not Permit.objects.exists()

    assert pay(application).outcome == "recorded"
    permit = Permit.objects.get(application=application)
    assert actions(application)[-3:] == [Action.PAYMENT_RECORDED, Action.APPLICATION_PAID, Action.PERMIT_ISSUED]
    assert pay(application).outcome == "duplicate"
    assert list(Permit.objects.values_list("pk", flat=True)) == [permit.pk]


def test_paid_during_review_the_permit_is_issued_at_the_fan_in(paid_before_issue, submit, officers):
    application = submit()
    pay(application)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_REVIEW and not Permit.objects.exists()
    approve(application, officers, "registration", "health", "tax", "fire")
    assert Permit.objects.filter(application=application).count() == 1


def test_rejected_after_paying_the_rule_proposes_a_refund(paid_before_issue, submit, officers):
    application = submit()
    pay(application)
    review = application.reviews.get(department__code="health")
    workflow.review_decide(review_id=review.pk, actor=officers["health"], decision="reject", reason="No kitchen.")
    refund = Refund.objects.get()
    assert (refund.amount, refund.currency, refund.reason, refund.status) == (
        Decimal("60.00"), "CNY", "rejected", RefundStatus.PROPOSED)  # 20 % of 300.00
    assert AuditEvent.objects.get(action=Action.REFUND_PROPOSED).details == {
        "amount": "60.00", "currency": "CNY", "reason": "rejected"}


def test_rejected_before_paying_the_order_is_cancelled_and_a_late_payment_is_an_issue(paid_before_issue, submit, officers):
    application = submit()
    review = application.reviews.get(department__code="health")
    workflow.review_decide(review_id=review.pk, actor=officers["health"], decision="reject", reason="No kitchen.")
    order = PaymentOrder.objects.get()
    assert order.status == PaymentOrderStatus.CANCELLED and order.cancelled_at is not None
    assert not Refund.objects.exists()
    from approvals.payment_flow import payment_record
    from tests.fee_fixtures import PAID_AT

    outcome = payment_record(provider="signed", transaction_id="late", code=order.code, amount=order.amount,
                             currency="CNY", paid_at=PAID_AT, source="notification")
    assert (outcome.outcome, outcome.problem) == ("issue", IssueProblem.CANCELLED_ORDER)


@pytest.mark.parametrize(("claimed", "refunded"), [(False, "300.00"), (True, "150.00")])
def test_withdrawn_after_paying_is_refunded_in_full_before_any_review_started_else_half(
        paid_before_review, submit, citizen, officers, claimed, refunded):
    application = submit()
    pay(application)
    if claimed:
        review = application.reviews.get(department__code="tax")
        workflow.review_claim(review_id=review.pk, actor=officers["tax"])
    workflow.application_withdraw(application_id=application.pk, actor=citizen)
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason, refund.status) == (Decimal(refunded), "withdrawn", "proposed")


def test_withdrawn_while_waiting_for_payment_cancels_the_order(paid_before_review, submit, citizen):
    application = submit()
    workflow.application_withdraw(application_id=application.pk, actor=citizen)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert PaymentOrder.objects.get().status == PaymentOrderStatus.CANCELLED
    assert set(statuses(application).values()) == {ReviewStatus.CANCELLED}
    assert not Refund.objects.exists()


def test_a_finance_officer_confirms_or_cancels_a_proposed_refund(paid_before_review, submit, citizen):
    application = submit()
    pay(application)
    workflow.application_withdraw(application_id=application.pk, actor=citizen)
    refund = Refund.objects.get()
    finance = UserFactory(role=Role.FINANCE)
    for someone in (citizen, UserFactory(role=Role.OFFICER)):
        with pytest.raises(NotAllowed):
            refund_confirm(refund_id=refund.pk, actor=someone)
    assert Refund.objects.get().status == RefundStatus.PROPOSED

    confirmed = refund_confirm(refund_id=refund.pk, actor=finance, ip="10.0.0.1")
    assert (confirmed.status, confirmed.confirmed_by, confirmed.confirmed_at.date()) == (
        "confirmed", finance, timezone.now().date())
    event = AuditEvent.objects.get(action=Action.REFUND_CONFIRMED)
    assert (event.actor_id, event.ip, event.application_id, event.details) == (
        finance.pk, "10.0.0.1", application.pk, {"amount": "300.00", "currency": "CNY"})
    with pytest.raises(InvalidTransition):
        refund_cancel(refund_id=refund.pk, actor=finance)
    assert Refund.objects.get().status == RefundStatus.CONFIRMED


def test_a_finance_officer_cancels_a_proposed_refund(paid_before_review, submit, citizen):
    application = submit()
    pay(application, amount=Decimal("310.00"))  # 10.00 too much: a refund of the excess is proposed
    refund = Refund.objects.get(reason="overpayment")
    assert refund.amount == Decimal("10.00")
    finance = UserFactory(role=Role.FINANCE)
    cancelled = refund_cancel(refund_id=refund.pk, actor=finance)
    assert (cancelled.status, cancelled.cancelled_by) == ("cancelled", finance)
    assert AuditEvent.objects.filter(action=Action.REFUND_CANCELLED, actor=finance).count() == 1
