"""An application's fee in the engine: the payment order issued at submission, cancelled or
refunded by the service's rule when the application ends without a permit, and the finance
officer's confirmation or cancellation of a proposed refund. Called from the engine's own
transactions (approvals.workflow, approvals.payment_flow), which hold the application's lock."""

from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from audit.models import Action
from audit.services import Event, audit_record
from catalogue.fees import TOTAL_CAP, PaymentMode, fee_fields, fee_quote, payment_mode, refund_due
from core.errors import InvalidTransition, NotAllowed, ValidationFailed
from core.money import money_round
from payments.models import PaymentOrder, PaymentOrderStatus, Refund, RefundReason, RefundStatus

from .events import engine_event
from .locks import lock_application
from .models import Application, Review, ReviewStatus
from .transitions import status_enter, status_move


def payment_event(action, order: PaymentOrder, *, obj=None, actor=None, ip=None, **details) -> Event:
    """An event about an order or its payment, refund or issue: it names the application and its
    applicant (whose "who viewed my data" page reads them)."""
    return engine_event(action, order.application, obj=obj or order, actor=actor, ip=ip, **details)


def order_of(application: Application) -> PaymentOrder | None:
    """The application's order that is open or paid (at most one: a partial UNIQUE constraint)."""
    return application.payment_orders.exclude(status=PaymentOrderStatus.CANCELLED).first()


def payment_order_issue(application: Application, *, now) -> tuple[PaymentOrder | None, list[Event]]:
    """The order for the fee the frozen rule comes to for the submitted answers, or none when
    there is nothing to pay (no rule, a fee of zero, an exemption)."""
    schema = application.schema
    quote = fee_quote(application.fee_rule, application.answers, schema.fields_by_key)
    if quote is None or not quote.payable:
        return None, []
    if quote.total > TOTAL_CAP:  # numbers no premises have: the applicant checks them
        raise ValidationFailed({key: [_("The fee these answers come to is more than can be charged: check the numbers.")]
                                for key in fee_fields(schema.fee)})
    order = status_enter(PaymentOrder(application=application, amount=quote.total, currency=quote.currency,
                                      items=quote.items_json(), created_at=now), PaymentOrderStatus.OPEN)
    order.save()
    return order, [payment_event(Action.PAYMENT_ORDER_ISSUED, order, amount=str(order.amount), currency=order.currency,
                                 mode=payment_mode(schema.fee))]


def waits_for_payment(application: Application) -> bool:
    """Whether the application's reviews wait for its fee (the rule says so and it is unpaid)."""
    order = order_of(application)
    return (order is not None and order.status == PaymentOrderStatus.OPEN
            and payment_mode(application.schema.fee) == PaymentMode.BEFORE_REVIEW)


def permit_waits_for_payment(application: Application) -> bool:
    """Whether the approved application's permit waits for its unpaid fee."""
    order = order_of(application)
    return order is not None and order.status == PaymentOrderStatus.OPEN


def reviews_started(application: Application) -> bool:
    """Whether any department has started its review (taken it, decided or asked a correction)."""
    return Review.objects.filter(application=application).filter(
        Q(decided_at__isnull=False) | Q(status__in=[ReviewStatus.IN_PROGRESS, ReviewStatus.CORRECTION_REQUESTED])).exists()


def refund_propose(*, order: PaymentOrder, amount: Decimal, reason: str, now=None) -> tuple[Refund, Event]:
    """A refund of ``amount`` of a paid order, proposed for a finance officer to confirm; the
    caller holds the application's lock and records the returned event."""
    refund = Refund(order=order, amount=money_round(amount, order.currency), currency=order.currency, reason=reason,
                    proposed_at=now or timezone.now())
    status_enter(refund, RefundStatus.PROPOSED)
    refund.save()
    return refund, payment_event(Action.REFUND_PROPOSED, order, obj=refund, amount=str(refund.amount),
                                 currency=refund.currency, reason=reason)


def payment_orders_settle(application: Application, *, reason: str, now) -> list[Event]:
    """The application ended without a permit (``reason``: RefundReason.REJECTED or WITHDRAWN; call
    before its reviews are cancelled): an open order is cancelled, a paid fee is refunded as the
    service's rule says (a proposed Refund). The caller holds the application's lock."""
    order = order_of(application)
    if order is None:
        return []
    PaymentOrder.application.field.set_cached_value(order, application)
    if order.status == PaymentOrderStatus.OPEN:
        status_move(order, PaymentOrderStatus.CANCELLED)
        order.cancelled_at = now
        order.save(update_fields=["status", "cancelled_at"])
        return [payment_event(Action.PAYMENT_ORDER_CANCELLED, order, reason=reason)]
    case = "rejected" if reason == RefundReason.REJECTED else (
        "withdrawn" if reviews_started(application) else "withdrawn_before_review")
    amount = refund_due(application.schema.fee, paid=order.amount, currency=order.currency, case=case)
    if amount <= 0:
        return []
    _refund, event = refund_propose(order=order, amount=amount, reason=reason, now=now)
    return [event]


def _finance(actor) -> None:
    if getattr(actor, "role", None) != Role.FINANCE or not actor.is_active:
        raise NotAllowed(_("Only a finance officer can confirm or cancel a refund."))


def _locked_refund(refund_id: int) -> tuple[Refund, Application]:
    application_id = Refund.objects.values_list("order__application_id", flat=True).get(pk=refund_id)
    application = lock_application(application_id)  # every change of an order's money is made under it
    refund = Refund.objects.select_related("order").get(pk=refund_id)
    PaymentOrder.application.field.set_cached_value(refund.order, application)
    if refund.status != RefundStatus.PROPOSED:
        raise InvalidTransition(_("This refund has already been confirmed or cancelled."))
    return refund, application


def _refund_decide(refund_id: int, actor, ip, *, status: str, action: str) -> Refund:
    _finance(actor)
    refund, _application = _locked_refund(refund_id)
    status_move(refund, status)
    who = "confirmed" if status == RefundStatus.CONFIRMED else "cancelled"
    setattr(refund, f"{who}_by", actor)
    setattr(refund, f"{who}_at", timezone.now())
    refund.save(update_fields=["status", f"{who}_by", f"{who}_at"])
    audit_record(payment_event(action, refund.order, obj=refund, actor=actor, ip=ip, amount=str(refund.amount),
                               currency=refund.currency))
    return refund


@transaction.atomic
def refund_confirm(*, refund_id: int, actor, ip: str | None = None) -> Refund:
    """A finance officer confirms a proposed refund (the money is paid back)."""
    return _refund_decide(refund_id, actor, ip, status=RefundStatus.CONFIRMED, action=Action.REFUND_CONFIRMED)


@transaction.atomic
def refund_cancel(*, refund_id: int, actor, ip: str | None = None) -> Refund:
    """A finance officer cancels a proposed refund (nothing is paid back)."""
    return _refund_decide(refund_id, actor, ip, status=RefundStatus.CANCELLED, action=Action.REFUND_CANCELLED)
