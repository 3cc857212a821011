"""The columns of each finance list (audit.tables), shared by its page and its CSV download. Amounts
are written as the Decimal they are ("1234.50"), never through a float."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.tables import Column

from . import selectors


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _reference(order):
    return order.application.reference or f"#{order.application_id}" if order else ""


def _service(order):
    return order.application.service.display_name if order else ""


ORDER_COLUMNS = [
    Column(_("Issued"), lambda o: _when(o.created_at)),
    Column(_("Payment code"), lambda o: o.printed_code),
    Column(_("Application"), _reference),
    Column(_("Service"), _service),
    Column(_("Amount"), lambda o: o.amount, numeric=True),
    Column(_("Currency"), lambda o: o.currency),
    Column(_("Status"), lambda o: o.get_status_display()),
]

PAYMENT_COLUMNS = [
    Column(_("Recorded"), lambda p: _when(p.recorded_at)),
    Column(_("Paid (as the provider says)"), lambda p: _when(p.paid_at)),
    Column(_("Provider"), lambda p: p.provider),
    Column(_("Provider's transaction"), lambda p: p.transaction_id),
    Column(_("Payment code"), lambda p: p.order.printed_code),
    Column(_("Application"), lambda p: _reference(p.order)),
    Column(_("Service"), lambda p: _service(p.order)),
    Column(_("Amount"), lambda p: p.amount, numeric=True),
    Column(_("Currency"), lambda p: p.currency),
]

REFUND_COLUMNS = [
    Column(_("Proposed"), lambda r: _when(r.proposed_at)),
    Column(_("Payment code"), lambda r: r.order.printed_code),
    Column(_("Application"), lambda r: _reference(r.order)),
    Column(_("Service"), lambda r: _service(r.order)),
    Column(_("Reason"), lambda r: r.get_reason_display()),
    Column(_("Amount"), lambda r: r.amount, numeric=True),
    Column(_("Currency"), lambda r: r.currency),
    Column(_("Status"), lambda r: r.get_status_display()),
]

DAY_TABS = {
    "orders": (_("Orders issued"), ORDER_COLUMNS, selectors.orders_of_day),
    "payments": (_("Payments recorded"), PAYMENT_COLUMNS, selectors.payments_of_day),
    "refunds": (_("Refunds proposed"), REFUND_COLUMNS, selectors.refunds_of_day),
}

ISSUE_COLUMNS = [
    Column(_("Received"), lambda i: _when(i.created_at),
           link=lambda i: reverse("finance:issue", args=[i.pk])),
    Column(_("Problem"), lambda i: i.get_problem_display()),
    Column(_("Source"), lambda i: i.get_source_display()),
    Column(_("Provider's transaction"), lambda i: i.transaction_id),
    Column(_("Payment code as given"), lambda i: i.code),
    Column(_("Order's application"), lambda i: _reference(i.order)),
    Column(_("Amount"), lambda i: i.amount, numeric=True),
    Column(_("Currency"), lambda i: i.currency),
    Column(_("Resolution"), lambda i: i.resolution),
]

STATEMENT_COLUMNS = [
    Column(_("Uploaded"), lambda s: _when(s.uploaded_at),
           link=lambda s: reverse("finance:statement", args=[s.pk])),
    Column(_("By"), lambda s: s.uploaded_by.full_name or s.uploaded_by.email),
    Column(_("File"), lambda s: s.filename),
    Column(_("Format"), lambda s: s.get_format_display()),
    Column(_("Account"), lambda s: s.account),
    Column(_("From"), lambda s: s.period_start),
    Column(_("To"), lambda s: s.period_end),
    Column(_("Matched"), lambda s: s.matched_count, numeric=True),
    Column(_("Issues"), lambda s: s.issue_count, numeric=True),
    Column(_("Ignored"), lambda s: s.ignored_count, numeric=True),
]

LINE_COLUMNS = [
    Column(_("Line"), lambda line: line.position, numeric=True),
    Column(_("Booked"), lambda line: line.booking_date),
    Column(_("Bank reference"), lambda line: line.bank_reference),
    Column(_("Remittance text"), lambda line: line.text),
    Column(_("Payment code found"), lambda line: line.code),
    Column(_("Amount"), lambda line: line.amount if line.credit else -line.amount, numeric=True),
    Column(_("Currency"), lambda line: line.currency),
    Column(_("Outcome"), lambda line: line.get_outcome_display(),
           link=lambda line: reverse("finance:issue", args=[line.issue_id]) if line.issue_id else ""),
    Column(_("Issue"), lambda line: line.issue.get_problem_display() if line.issue_id else ""),
]


def total_columns(name: str) -> list[Column]:
    """Money per service or per department."""
    return [
        Column(_("Department") if name == "department" else _("Service"), lambda row: row.name),
        Column(_("Currency"), lambda row: row.currency),
        Column(_("Payments"), lambda row: row.payments, numeric=True),
        Column(_("Received"), lambda row: row.received, numeric=True),
        Column(_("Refunded"), lambda row: row.refunded, numeric=True),
        Column(_("Net"), lambda row: row.net, numeric=True),
    ]
