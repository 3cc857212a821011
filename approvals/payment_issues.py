"""A finance officer resolves money that could not be applied (a PaymentIssue) in one of three
ways, each once and on record:

- apply it to an open order chosen by its payment code: the money is recorded as that order's
  payment under the provider's own transaction, so it can never be recorded twice (the unique
  (provider, transaction) of Payment), and more than the order's amount proposes a refund of
  the excess, as a payment that arrives does (approvals.payment_flow);
- mark it returned to the payer (the bank transfer back is made outside the portal);
- dismiss it, with a note saying why.

The issue's row is locked first, then the order's application, so two officers at once are one
after the other and the second is told it is resolved."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from audit.models import Action
from audit.services import audit_record
from core.errors import InvalidTransition, NotAllowed, ValidationFailed
from payments.codes import payment_code_clean, payment_code_printed, payment_code_valid
from payments.models import IssueStatus, Payment, PaymentIssue, PaymentOrder, PaymentOrderStatus

from .events import finance_event
from .locks import lock_application, lock_payment_issue
from .payment_flow import order_pay
from .payment_orders import payment_event
from .transitions import status_move

APPLIED, RETURNED, DISMISSED = "applied", "returned", "dismissed"
NOTE_MAX_LENGTH = 1000


@transaction.atomic
def payment_issue_apply(*, issue_id: int, code: str, actor, ip: str | None = None) -> Payment:
    issue = _open_issue(issue_id, actor)
    clean = payment_code_clean(code or "")
    if not payment_code_valid(clean):
        raise ValidationFailed({"code": [_("Enter the order's payment code: 20 digits, as printed on the order.")]})
    found = PaymentOrder.objects.filter(code=clean).values_list("pk", "application_id").first()
    if found is None:
        raise ValidationFailed({"code": [_("No order has this payment code.")]})
    application = lock_application(found[1])
    order = PaymentOrder.objects.get(pk=found[0])
    PaymentOrder.application.field.set_cached_value(order, application)
    if order.status != PaymentOrderStatus.OPEN:
        raise ValidationFailed({"code": [_("Order %(code)s is %(status)s: only an order waiting for payment can "
                                            "take the money.") % {"code": order.printed_code,
                                                                  "status": order.get_status_display().lower()}]})
    if issue.currency != order.currency:
        raise ValidationFailed({"code": [_("The money is in %(paid)s and the order in %(owed)s: return it to the "
                                            "payer instead.") % {"paid": issue.currency, "owed": order.currency}]})
    if issue.amount < order.amount:
        raise ValidationFailed({"code": [_("The money (%(paid)s %(currency)s) is less than the order's amount "
                                            "(%(owed)s %(currency)s): return it to the payer instead.")
                                          % {"paid": issue.amount, "owed": order.amount, "currency": order.currency}]})
    paid = order_pay(order, {"provider": issue.provider, "transaction_id": issue.transaction_id, "amount": issue.amount,
                        "currency": issue.currency, "paid_at": issue.paid_at or issue.created_at})
    _resolve(issue, actor, _("Applied to order %(code)s.") % {"code": payment_code_printed(order.code)})
    audit_record(payment_event(Action.PAYMENT_ISSUE_RESOLVED, order, obj=issue, actor=actor, ip=ip,
                               resolution=APPLIED, payment=paid.payment.pk, amount=str(issue.amount),
                               currency=issue.currency))
    return paid.payment


@transaction.atomic
def payment_issue_return(*, issue_id: int, note: str, actor, ip: str | None = None) -> PaymentIssue:
    """The money was sent back to the payer outside the portal; ``note`` may say how."""
    issue = _open_issue(issue_id, actor)
    note = _note(note, required=False)
    text = _("Returned to the payer.")
    return _close(issue, f"{text} {note}".strip(), RETURNED, actor, ip)


@transaction.atomic
def payment_issue_dismiss(*, issue_id: int, note: str, actor, ip: str | None = None) -> PaymentIssue:
    issue = _open_issue(issue_id, actor)
    note = _note(note, required=True)
    return _close(issue, _("Dismissed: %(note)s") % {"note": note}, DISMISSED, actor, ip)


def _open_issue(issue_id: int, actor) -> PaymentIssue:
    if getattr(actor, "role", None) not in (Role.FINANCE, Role.ADMIN) or not actor.is_active:
        raise NotAllowed(_("Only a finance officer can resolve a payment issue."))
    issue = lock_payment_issue(issue_id)
    if issue.status != IssueStatus.OPEN:
        raise InvalidTransition(_("This issue was already resolved: %(resolution)s")
                                % {"resolution": issue.resolution})
    return issue


def _note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ValidationFailed({"note": [_("Say why the money is dismissed.")]})
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationFailed({"note": [_("Keep the note to %(count)s characters.") % {"count": NOTE_MAX_LENGTH}]})
    return note


def _resolve(issue: PaymentIssue, actor, resolution: str) -> None:
    status_move(issue, IssueStatus.RESOLVED)
    issue.resolution, issue.resolved_by, issue.resolved_at = resolution, actor, timezone.now()
    issue.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])


def _close(issue: PaymentIssue, resolution: str, how: str, actor, ip) -> PaymentIssue:
    _resolve(issue, actor, resolution)
    details = {"resolution": how, "amount": str(issue.amount), "currency": issue.currency}
    if issue.order_id is not None:
        order = PaymentOrder.objects.select_related("application").get(pk=issue.order_id)
        event = payment_event(Action.PAYMENT_ISSUE_RESOLVED, order, obj=issue, actor=actor, ip=ip, **details)
    else:
        event = finance_event(Action.PAYMENT_ISSUE_RESOLVED, issue, actor=actor, ip=ip, **details)
    audit_record(event)
    return issue
