"""What the finance pages read: a day's orders, payments and refunds, the issues to resolve, the
refunds waiting for confirmation, the uploaded statements and their lines, and the money per
service and per department over a period. Each list in a constant number of queries."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from catalogue.models import Requirement, Service
from departments.models import Department
from payments.models import (
    BankStatement,
    IssueStatus,
    LineOutcome,
    Payment,
    PaymentIssue,
    PaymentOrder,
    Refund,
    RefundStatus,
    StatementLine,
)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The local day as [start, end) in aware datetimes."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def orders_of_day(day: date) -> QuerySet:
    start, end = day_bounds(day)
    return (PaymentOrder.objects.filter(created_at__gte=start, created_at__lt=end)
            .select_related("application__service").order_by("created_at", "pk"))


def payments_of_day(day: date) -> QuerySet:
    start, end = day_bounds(day)
    return (Payment.objects.filter(recorded_at__gte=start, recorded_at__lt=end)
            .select_related("order", "order__application__service").order_by("recorded_at", "pk"))


def refunds_of_day(day: date) -> QuerySet:
    """Refunds proposed that day, whatever became of them since."""
    start, end = day_bounds(day)
    return (Refund.objects.filter(proposed_at__gte=start, proposed_at__lt=end)
            .select_related("order", "confirmed_by", "order__application__service").order_by("proposed_at", "pk"))


def issues(*, resolved: bool) -> QuerySet:
    """Open issues oldest first (the longest waiting on top); resolved ones newest first."""
    status = IssueStatus.RESOLVED if resolved else IssueStatus.OPEN
    order = ("-resolved_at", "-pk") if resolved else ("created_at", "pk")
    return (PaymentIssue.objects.filter(status=status)
            .select_related("order", "resolved_by", "order__application__service").order_by(*order))


def issue(issue_id: int) -> PaymentIssue | None:
    return (PaymentIssue.objects.select_related("order", "resolved_by", "order__application__applicant",
                                                "order__application__service")
            .filter(pk=issue_id).first())


def refunds_waiting() -> QuerySet:
    return (Refund.objects.filter(status=RefundStatus.PROPOSED)
            .select_related("order", "order__application__service").order_by("proposed_at", "pk"))


def refund(refund_id: int) -> Refund | None:
    return Refund.objects.select_related("order__application").filter(pk=refund_id).first()


def statements() -> QuerySet:
    return BankStatement.objects.select_related("uploaded_by").order_by("-uploaded_at", "-pk")


def statement(statement_id: int) -> BankStatement | None:
    return BankStatement.objects.select_related("uploaded_by").filter(pk=statement_id).first()


def statement_lines(statement_id: int) -> QuerySet:
    return (StatementLine.objects.filter(statement_id=statement_id)
            .select_related("payment__order", "issue").order_by("position"))


def statement_totals(statement_id: int) -> list[dict]:
    """Per outcome and currency: how many lines and how much money."""
    rows = list(StatementLine.objects.filter(statement_id=statement_id).values("outcome", "currency")
                .annotate(lines=Count("pk"), total=Sum("amount")).order_by("outcome", "currency"))
    return [{**row, "label": LineOutcome(row["outcome"]).label} for row in rows]


@dataclass(frozen=True)
class TotalRow:
    name: str
    currency: str
    payments: int
    received: Decimal
    refunded: Decimal

    @property
    def net(self) -> Decimal:
        return self.received - self.refunded


def collecting_departments() -> dict[int, int]:
    """Service id → the department that collects its fee: the one of its first requirement
    (stage, then position), where the citizen's file starts."""
    first: dict[int, int] = {}
    for service_id, department_id in Requirement.objects.order_by("stage", "position", "pk").values_list(
            "service_id", "department_id"):
        first.setdefault(service_id, department_id)
    return first


def totals(start: date, end: date) -> tuple[list[TotalRow], list[TotalRow]]:
    """Money received (payments recorded) and refunded (refunds confirmed) from ``start`` to
    ``end`` inclusive, per service and per collecting department, in each currency."""
    since, _ = day_bounds(start)
    _, until = day_bounds(end)
    received = (Payment.objects.filter(recorded_at__gte=since, recorded_at__lt=until)
                .values("order__application__service_id", "currency")
                .annotate(count=Count("pk"), total=Sum("amount")))
    refunded = (Refund.objects.filter(status=RefundStatus.CONFIRMED, confirmed_at__gte=since, confirmed_at__lt=until)
                .values("order__application__service_id", "currency").annotate(total=Sum("amount")))
    per_service: dict[tuple[int, str], list] = {}
    for row in received:
        per_service[(row["order__application__service_id"], row["currency"])] = [row["count"], row["total"],
                                                                                  Decimal("0.00")]
    for row in refunded:
        key = (row["order__application__service_id"], row["currency"])
        per_service.setdefault(key, [0, Decimal("0.00"), Decimal("0.00")])[2] = row["total"]
    services = Service.objects.in_bulk({service_id for service_id, _ in per_service})
    collecting = collecting_departments()
    departments = Department.objects.in_bulk(set(collecting.values()))
    per_department: dict[tuple[int | None, str], list] = {}
    for (service_id, currency), (count, got, back) in per_service.items():
        sums = per_department.setdefault((collecting.get(service_id), currency), [0, Decimal("0.00"), Decimal("0.00")])
        sums[0], sums[1], sums[2] = sums[0] + count, sums[1] + got, sums[2] + back

    def rows(grouped, name_of):
        return sorted((TotalRow(name_of(key), currency, *sums) for (key, currency), sums in grouped.items()),
                      key=lambda row: (row.name, row.currency))

    return (rows(per_service, lambda pk: services[pk].display_name),
            rows(per_department, lambda pk: departments[pk].display_name if pk in departments else "—"))
