"""A finance officer resolves money that could not be applied (approvals.payment_issues): applied
to an order once, returned to the payer, or dismissed with a note; each on record, and a second
resolution refused."""

from decimal import Decimal

import pytest

from approvals.payment_issues import payment_issue_apply, payment_issue_dismiss, payment_issue_return
from approvals.tests.test_payment_flow import order_for, pay
from audit.models import Action, AuditEvent
from core.errors import InvalidTransition, NotAllowed, ValidationFailed
from payments.models import IssueStatus, Payment, PaymentOrderStatus, Refund
from tests.concurrent import run_together
from tests.factories import UserFactory

UNKNOWN = "12345678901234567888"  # a well-formed code no order has


@pytest.fixture
def finance(db):
    return UserFactory(email="finance@example.gov", full_name="Sun Hua", role="finance")


def unknown_issue(amount="200.00", transaction_id="T-9"):
    return pay(UNKNOWN, amount=amount, transaction_id=transaction_id).issue


def errors_of(call):
    with pytest.raises(ValidationFailed) as refused:
        call()
    return {key: [str(m) for m in messages] for key, messages in refused.value.errors.items()}


@pytest.mark.django_db
def test_money_with_an_unknown_code_is_applied_to_the_order_once(submit, finance):
    order = order_for(submit())
    issue = unknown_issue(amount="230.00")
    payment = payment_issue_apply(issue_id=issue.pk, code=order.printed_code, actor=finance, ip="10.0.0.8")
    assert (payment.order_id, payment.provider, payment.transaction_id, payment.amount) == (
        order.pk, "signed", "T-9", Decimal("230.00"))
    order.refresh_from_db()
    issue.refresh_from_db()
    assert order.status == PaymentOrderStatus.PAID
    assert (issue.status, issue.resolved_by, issue.resolution) == (
        IssueStatus.RESOLVED, finance, f"Applied to order {order.printed_code}.")
    assert Refund.objects.get().amount == Decimal("30.00")  # the excess, as for any overpayment
    event = AuditEvent.objects.get(action=Action.PAYMENT_ISSUE_RESOLVED)
    assert (event.actor_id, event.application_id, event.subject_id, event.ip) == (
        finance.pk, order.application_id, order.application.applicant_id, "10.0.0.8")
    assert event.details == {"resolution": "applied", "payment": payment.pk, "amount": "230.00", "currency": "CNY"}

    with pytest.raises(InvalidTransition) as again:
        payment_issue_apply(issue_id=issue.pk, code=order.code, actor=finance)
    assert str(again.value) == f"This issue was already resolved: Applied to order {order.printed_code}."
    # The provider telling it again is a replay: still one payment.
    assert pay(UNKNOWN, amount="230.00", transaction_id="T-9").outcome == "duplicate"
    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_applying_is_refused_with_a_reason_and_changes_nothing(submit, finance):
    order = order_for(submit())
    paid = order_for(submit())
    pay(paid, transaction_id="T-1")
    issue = unknown_issue(amount="150.00")
    assert errors_of(lambda: payment_issue_apply(issue_id=issue.pk, code="1234", actor=finance)) == {
        "code": ["Enter the order's payment code: 20 digits, as printed on the order."]}
    assert errors_of(lambda: payment_issue_apply(issue_id=issue.pk, code=UNKNOWN, actor=finance)) == {
        "code": ["No order has this payment code."]}
    assert errors_of(lambda: payment_issue_apply(issue_id=issue.pk, code=paid.code, actor=finance)) == {
        "code": [f"Order {paid.printed_code} is paid: only an order waiting for payment can take the money."]}
    assert errors_of(lambda: payment_issue_apply(issue_id=issue.pk, code=order.code, actor=finance)) == {
        "code": ["The money (150.00 CNY) is less than the order's amount (200.00 CNY): return it to the payer "
                 "instead."]}
    dollars = pay(UNKNOWN, amount="200.00", currency="USD", transaction_id="T-10").issue
    assert errors_of(lambda: payment_issue_apply(issue_id=dollars.pk, code=order.code, actor=finance)) == {
        "code": ["The money is in USD and the order in CNY: return it to the payer instead."]}
    issue.refresh_from_db()
    order.refresh_from_db()
    assert (issue.status, order.status, Payment.objects.count()) == (IssueStatus.OPEN, PaymentOrderStatus.OPEN, 1)
    assert not AuditEvent.objects.filter(action=Action.PAYMENT_ISSUE_RESOLVED).exists()


@pytest.mark.django_db
def test_returned_to_the_payer_and_dismissed_with_a_note(submit, finance):
    order = order_for(submit())
    short = pay(order, amount="150.00", transaction_id="T-2").issue
    stray = unknown_issue()
    payment_issue_return(issue_id=short.pk, note="  Bank transfer 8841 of 8 December. ", actor=finance)
    assert errors_of(lambda: payment_issue_dismiss(issue_id=stray.pk, note="  ", actor=finance)) == {
        "note": ["Say why the money is dismissed."]}
    assert errors_of(lambda: payment_issue_dismiss(issue_id=stray.pk, note="x" * 1001, actor=finance)) == {
        "note": ["Keep the note to 1000 characters."]}
    payment_issue_dismiss(issue_id=stray.pk, note="Test transfer by the bank.", actor=finance)
    short.refresh_from_db()
    stray.refresh_from_db()
    assert (short.status, short.resolution) == (IssueStatus.RESOLVED, "Returned to the payer. Bank transfer 8841 of "
                                                                      "8 December.")
    assert (stray.status, stray.resolution) == (IssueStatus.RESOLVED, "Dismissed: Test transfer by the bank.")
    events = AuditEvent.objects.filter(action=Action.PAYMENT_ISSUE_RESOLVED).order_by("id")
    assert [(e.object_id, e.application_id, e.details["resolution"]) for e in events] == [
        (str(short.pk), order.application_id, "returned"), (str(stray.pk), None, "dismissed")]
    order.refresh_from_db()
    assert order.status == PaymentOrderStatus.OPEN


@pytest.mark.django_db
def test_only_finance_staff_resolve(submit, citizen):
    order = order_for(submit())
    issue = unknown_issue()
    officer = UserFactory(email="officer@example.gov", role="officer")
    for person in (citizen, officer):
        with pytest.raises(NotAllowed):
            payment_issue_apply(issue_id=issue.pk, code=order.code, actor=person)
        with pytest.raises(NotAllowed):
            payment_issue_dismiss(issue_id=issue.pk, note="no", actor=person)
    issue.refresh_from_db()
    assert (issue.status, Payment.objects.count()) == (IssueStatus.OPEN, 0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_officers_applying_at_once_record_one_payment(submit, finance):
    order = order_for(submit())
    other = order_for(submit())
    issue = unknown_issue()

    def apply(code):
        def run():
            try:
                payment_issue_apply(issue_id=issue.pk, code=code, actor=finance)
                return "applied"
            except InvalidTransition:
                return "refused"
        return run

    assert sorted(run_together(apply(order.code), apply(other.code))) == ["applied", "refused"]
    assert Payment.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.PAYMENT_ISSUE_RESOLVED).count() == 1
