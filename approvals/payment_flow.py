"""Money into the engine: a payment a provider reports (a signed notification, a bank statement
line) is recorded against its order exactly once, and anything that cannot be applied is kept as
a PaymentIssue for a person to resolve.

Rules decided here:
- (provider, transaction_id) is told once: a replay (the same notification again, the same
  statement line in two imports) answers "duplicate" and changes nothing. The unique
  constraints on Payment and PaymentIssue are the backstop; the order's application row lock
  (approvals.locks) makes the second of two at once wait and find the first.
- The order must be open, in its currency, for at least its amount. Less is an issue
  (wrong_amount: nothing is paid, a person decides); more pays the order and proposes a refund
  of the excess (reason "overpayment"), so the application is not held up by a generous payer.
- A second payment of a paid order, or one of a cancelled order, is an issue (paid_twice,
  cancelled_order): the money is there, a person refunds or applies it."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import Action
from audit.services import audit_record
from core.errors import WorkflowError
from core.money import currency_known, money_round
from payments.codes import payment_code_clean
from payments.models import (
    IssueProblem,
    IssueStatus,
    Payment,
    PaymentIssue,
    PaymentOrder,
    PaymentOrderStatus,
    Refund,
    RefundReason,
)

from .events import finance_event
from .locks import lock_application
from .payment_orders import payment_event, refund_propose
from .transitions import status_enter, status_move
from .workflow import application_paid

# The largest amount one payment may carry (a fee is capped far below it, catalogue.fees):
# a bigger number is a provider's mistake, not money.
PAYMENT_CAP = Decimal("9999999999.99")


class PaymentRefused(WorkflowError):
    """What a provider reported is not a payment at all (no amount, a negative one, no currency):
    refused before anything is recorded."""

    default_message = _("This is not a payment the portal can record.")


@dataclass(frozen=True)
class PaymentOutcome:
    outcome: str  # RECORDED, DUPLICATE or ISSUE
    problem: str = ""  # an IssueProblem value when the outcome is ISSUE
    order: PaymentOrder | None = None
    payment: Payment | None = None
    issue: PaymentIssue | None = None
    refund: Refund | None = None  # of an overpayment's excess

    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    ISSUE = "issue"


def payment_amount_check(amount, currency: str) -> Decimal:
    """The amount as a Decimal of the currency's minor unit; PaymentRefused when it is none."""
    if not isinstance(currency, str) or not currency_known(currency):
        raise PaymentRefused(_("The currency is not an ISO 4217 currency code."))
    try:
        value = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
    except (InvalidOperation, ValueError):
        raise PaymentRefused(_("The amount is not a number."))
    if not value.is_finite() or value <= 0:
        raise PaymentRefused(_("The amount must be more than zero."))
    if value > PAYMENT_CAP or money_round(value, currency) != value:
        raise PaymentRefused(_("The amount is not an amount of this currency."))
    return value


def _told_before(provider: str, transaction_id: str) -> bool:
    return (Payment.objects.filter(provider=provider, transaction_id=transaction_id).exists()
            or PaymentIssue.objects.filter(provider=provider, transaction_id=transaction_id).exists())


@transaction.atomic
def payment_record(*, provider: str, transaction_id: str, code: str, amount: Decimal, currency: str,
                   paid_at: datetime, source: str, details: dict | None = None) -> PaymentOutcome:
    """Record money a provider reports for payment code ``code`` (see the module's rules)."""
    amount = payment_amount_check(amount, currency)
    if not provider or not transaction_id or len(provider) > 32 or len(transaction_id) > 100:
        raise PaymentRefused(_("The provider (up to 32 characters) and its transaction (up to 100) must be named."))
    given = {"provider": provider, "transaction_id": transaction_id, "code": str(code)[:100], "amount": amount,
             "currency": currency, "paid_at": paid_at, "source": source, "details": details or {}}
    if _told_before(provider, transaction_id):
        return PaymentOutcome(PaymentOutcome.DUPLICATE)
    found = PaymentOrder.objects.filter(code=payment_code_clean(code)).values_list("pk", "application_id").first()
    if found is None:
        return _issue(given, IssueProblem.UNKNOWN_CODE, order=None)
    order_id, application_id = found
    application = lock_application(application_id)  # every change of the order is made under it
    if _told_before(provider, transaction_id):  # recorded while this one waited for the lock
        return PaymentOutcome(PaymentOutcome.DUPLICATE)
    order = PaymentOrder.objects.get(pk=order_id)
    PaymentOrder.application.field.set_cached_value(order, application)
    problem = _problem(order, amount, currency)
    if problem:
        return _issue(given, problem, order=order)
    return order_pay(order, given)


def _problem(order: PaymentOrder, amount: Decimal, currency: str) -> str:
    if order.status == PaymentOrderStatus.CANCELLED:
        return IssueProblem.CANCELLED_ORDER
    if order.status == PaymentOrderStatus.PAID:
        return IssueProblem.PAID_TWICE
    if currency != order.currency:
        return IssueProblem.WRONG_CURRENCY
    if amount < order.amount:
        return IssueProblem.WRONG_AMOUNT
    return ""


def order_pay(order: PaymentOrder, given: dict) -> PaymentOutcome:
    """Pay the open ``order`` (locked by the caller, under its application's row lock) with the money
    ``given`` (provider, transaction_id, amount, currency, paid_at): the payment recorded, the order
    paid, an excess proposed for refund and the application moved on. Also how a finance officer
    applies money that first went to a payment issue (approvals.payment_issues)."""
    now = timezone.now()
    payment = Payment.objects.create(order=order, provider=given["provider"], transaction_id=given["transaction_id"],
                                     amount=given["amount"], currency=given["currency"], paid_at=given["paid_at"],
                                     recorded_at=now)
    status_move(order, PaymentOrderStatus.PAID)
    order.paid_at = now
    order.save(update_fields=["status", "paid_at"])
    events = [payment_event(Action.PAYMENT_RECORDED, order, obj=payment, provider=payment.provider,
                            transaction=payment.transaction_id, amount=str(payment.amount), currency=payment.currency)]
    refund = None
    if given["amount"] > order.amount:
        refund, event = refund_propose(order=order, amount=given["amount"] - order.amount, reason=RefundReason.OVERPAYMENT,
                                       now=now)
        events.append(event)
    events += application_paid(order.application, now=now)
    audit_record(*events)
    return PaymentOutcome(PaymentOutcome.RECORDED, order=order, payment=payment, refund=refund)


def _issue(given: dict, problem: str, *, order: PaymentOrder | None) -> PaymentOutcome:
    issue = PaymentIssue(order=order, problem=problem, source=given["source"], provider=given["provider"],
                         transaction_id=given["transaction_id"], code=given["code"], amount=given["amount"],
                         currency=given["currency"], paid_at=given["paid_at"], details=given["details"])
    status_enter(issue, IssueStatus.OPEN)
    try:
        with transaction.atomic():  # a savepoint: told twice at once, the second insert finds the first
            issue.save()
    except IntegrityError:
        return PaymentOutcome(PaymentOutcome.DUPLICATE, order=order)
    if order is not None:
        audit_record(payment_event(Action.PAYMENT_ISSUE, order, obj=issue, problem=problem, provider=issue.provider,
                                   transaction=issue.transaction_id, amount=str(issue.amount), currency=issue.currency))
    else:
        audit_record(finance_event(Action.PAYMENT_ISSUE, issue, problem=problem, provider=issue.provider,
                                   transaction=issue.transaction_id))
    return PaymentOutcome(PaymentOutcome.ISSUE, problem=problem, order=order, issue=issue)

