"""Payment orders, the payments and refunds of them, and money that could not be applied.

Every amount is a Decimal with its ISO 4217 currency beside it; every state write goes through
the engine's transition table (approvals.transitions), which also owns when these rows change."""


from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .codes import new_payment_code, payment_code_printed

AMOUNT = {"max_digits": 12, "decimal_places": 2}
_currency = RegexValidator(r"^[A-Z]{3}$", _("Enter a three-letter ISO 4217 currency code."))


def currency_field():
    return models.CharField(_("currency"), max_length=3, validators=[_currency])


class PaymentOrderStatus(models.TextChoices):
    OPEN = "open", _("Waiting for payment")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentOrder(models.Model):
    """What an application owes: the itemised quote frozen at submission and the code the citizen
    pays it with (at a bank, a counter or in an app)."""

    application = models.ForeignKey("approvals.Application", on_delete=models.PROTECT, related_name="payment_orders",
                                    verbose_name=_("application"))
    code = models.CharField(_("payment code"), max_length=20, unique=True, default=new_payment_code, editable=False)
    amount = models.DecimalField(_("amount"), **AMOUNT)
    currency = currency_field()
    # [{"label": {lang: text}, "amount": "5.00", ...}]: the fee's items as quoted (catalogue.fees).
    items = models.JSONField(_("items"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=PaymentOrderStatus.choices,
                              default=PaymentOrderStatus.OPEN)
    created_at = models.DateTimeField(_("issued"), default=timezone.now)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_order_amount_positive"),
            models.CheckConstraint(condition=~Q(status="paid") | Q(paid_at__isnull=False), name="payment_order_paid_at"),
            # One order an application may still pay (or has paid): a cancelled one may be followed by another.
            models.UniqueConstraint(fields=["application"], condition=~Q(status="cancelled"),
                                    name="payment_order_one_live_per_application"),
        ]
        verbose_name = _("payment order")
        verbose_name_plural = _("payment orders")

    def __str__(self):
        return self.printed_code

    @property
    def printed_code(self) -> str:
        return payment_code_printed(self.code)


class Payment(models.Model):
    """Money a provider says was paid for an order. (provider, transaction_id) is unique: a
    notification or statement line told twice is recorded once."""

    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="payments", verbose_name=_("order"))
    provider = models.SlugField(_("provider"), max_length=32)
    transaction_id = models.CharField(_("provider's transaction"), max_length=100)
    amount = models.DecimalField(_("amount"), **AMOUNT)
    currency = currency_field()
    paid_at = models.DateTimeField(_("paid (as the provider says)"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "transaction_id"], name="payment_provider_transaction"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self):
        return f"{self.provider}:{self.transaction_id}"


class RefundReason(models.TextChoices):
    REJECTED = "rejected", _("The application was rejected")
    WITHDRAWN = "withdrawn", _("The application was withdrawn")
    OVERPAYMENT = "overpayment", _("More was paid than the fee")
    MANUAL = "manual", _("Refunded by a finance officer")


class RefundStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")


class Refund(models.Model):
    """Money to pay back on an order: proposed by the portal (by the service's rule), confirmed or
    cancelled by a finance officer."""

    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("order"))
    amount = models.DecimalField(_("amount"), **AMOUNT)
    currency = currency_field()
    reason = models.CharField(_("reason"), max_length=12, choices=RefundReason.choices)
    status = models.CharField(_("status"), max_length=12, choices=RefundStatus.choices, default=RefundStatus.PROPOSED)
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("confirmed by"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("cancelled by"))
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False, confirmed_by__isnull=False),
                                   name="refund_confirmed_by_someone"),
        ]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")

    def __str__(self):
        return f"{self.amount} {self.currency}"


class IssueSource(models.TextChoices):
    NOTIFICATION = "notification", _("Provider notification")
    STATEMENT = "statement", _("Bank statement")


class IssueProblem(models.TextChoices):
    WRONG_AMOUNT = "wrong_amount", _("The amount paid is not the amount owed")
    UNKNOWN_CODE = "unknown_code", _("No order has this payment code")
    PAID_TWICE = "paid_twice", _("The order was already paid")
    CANCELLED_ORDER = "cancelled_order", _("The order was cancelled")
    WRONG_CURRENCY = "wrong_currency", _("Paid in another currency than the order's")


class IssueStatus(models.TextChoices):
    OPEN = "open", _("To resolve")
    RESOLVED = "resolved", _("Resolved")


class PaymentIssue(models.Model):
    """Money that arrived but could not be applied to an order, for a person to resolve. Unique
    on (provider, transaction_id) like a payment: told twice, it is one issue."""

    source = models.CharField(_("source"), max_length=12, choices=IssueSource.choices)
    provider = models.SlugField(_("provider"), max_length=32)
    transaction_id = models.CharField(_("provider's transaction"), max_length=100)
    code = models.CharField(_("payment code as given"), max_length=100, blank=True)
    amount = models.DecimalField(_("amount"), **AMOUNT)
    currency = models.CharField(_("currency"), max_length=3)  # as given: it may be what was wrong
    paid_at = models.DateTimeField(_("paid (as the provider says)"), null=True, blank=True)
    problem = models.CharField(_("problem"), max_length=16, choices=IssueProblem.choices)
    order = models.ForeignKey(PaymentOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="issues",
                              verbose_name=_("order"))
    status = models.CharField(_("status"), max_length=12, choices=IssueStatus.choices, default=IssueStatus.OPEN)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("resolved by"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    details = models.JSONField(_("details as received"), default=dict, blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "transaction_id"], name="payment_issue_provider_transaction"),
            models.CheckConstraint(condition=~Q(status="resolved") | Q(resolved_at__isnull=False),
                                   name="payment_issue_resolved_at"),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="payment_issue_status_created")]
        verbose_name = _("payment issue")
        verbose_name_plural = _("payment issues")

    def __str__(self):
        return f"{self.provider}:{self.transaction_id}"




def statement_upload_to(instance, filename):
    # The name is the file's SHA-256 (approvals.statement_flow), never the name it was uploaded under.
    return f"statements/{timezone.now():%Y/%m}/{filename}"


class StatementFormat(models.TextChoices):
    CAMT053 = "camt.053", _("ISO 20022 camt.053 (XML)")
    CSV = "csv", _("CSV")


class BankStatement(models.Model):
    """A bank statement a finance officer uploaded (approvals.statement_flow), kept as it came.
    Its SHA-256 is unique: the same file twice is refused, not counted twice."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    file = models.FileField(_("file"), upload_to=statement_upload_to, max_length=200, blank=True)
    filename = models.CharField(_("file name as uploaded"), max_length=200, blank=True)
    format = models.CharField(_("format"), max_length=10, choices=StatementFormat.choices)
    account = models.CharField(_("account"), max_length=200, blank=True)
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("to"), null=True, blank=True)
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    matched_count = models.PositiveIntegerField(_("matched"), default=0)
    issue_count = models.PositiveIntegerField(_("issues"), default=0)
    ignored_count = models.PositiveIntegerField(_("ignored"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")

    def __str__(self):
        return self.filename or self.sha256[:12]


class LineOutcome(models.TextChoices):
    MATCHED = "matched", _("Matched")
    ISSUE = "issue", _("Issue")
    IGNORED = "ignored", _("Ignored")


class StatementLine(models.Model):
    """One line of a statement and what became of it, written once: a payment of an order
    (matched), an issue for a person, or ignored (a debit, or a credit already recorded from an
    earlier statement)."""

    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines",
                                  verbose_name=_("statement"))
    position = models.PositiveIntegerField(_("position"))
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    transaction_id = models.CharField(_("transaction"), max_length=100)
    booking_date = models.DateField(_("booking date"))
    amount = models.DecimalField(_("amount"), **AMOUNT)
    currency = models.CharField(_("currency"), max_length=3)
    credit = models.BooleanField(_("credit"), default=True)
    code = models.CharField(_("payment code found"), max_length=20, blank=True)
    text = models.CharField(_("remittance text"), max_length=500, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=LineOutcome.choices)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("payment"))
    issue = models.ForeignKey(PaymentIssue, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("issue"))

    class Meta:
        ordering = ["statement", "position"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "position"], name="statement_line_position"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="statement_line_amount_positive"),
        ]
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")

    def __str__(self):
        return f"{self.statement_id}/{self.position}"
