"""Bank statements into payments (approvals.statement_flow) on PostgreSQL: every line matched,
routed to an issue or ignored with exact counts and amounts; the same file twice refused naming
the first upload; a bad line rejects the whole file and writes nothing."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum

from approvals.models import ApplicationStatus
from approvals.statement_flow import STATEMENT_PROVIDER, statement_import
from approvals.tests.test_payment_flow import order_for
from audit.models import Action, AuditEvent
from core.errors import InvalidStatement
from payments.models import (
    BankStatement,
    IssueProblem,
    LineOutcome,
    Payment,
    PaymentIssue,
    PaymentOrder,
    PaymentOrderStatus,
    Refund,
    StatementLine,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

HEADER = "date;amount;currency;reference;text\n"


def csv_of(*rows) -> bytes:
    return (HEADER + "".join(";".join(row) + "\n" for row in rows)).encode()


@pytest.fixture
def finance(db):
    return UserFactory(email="finance@example.gov", full_name="Sun Hua", role="finance")


@pytest.fixture
def orders(submit, citizen):
    first, second, third = (order_for(submit()) for _ in range(3))
    third.status = PaymentOrderStatus.CANCELLED  # as a withdrawal leaves it
    third.save(update_fields=["status"])
    return first, second, third


def test_a_statement_pays_orders_and_routes_the_rest_to_issues(orders, finance, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    first, second, cancelled = orders
    data = csv_of(
        ("2026-12-07", "200,00", "CNY", "B-1", f"licence {first.code}"),
        ("2026-12-07", "150.00", "CNY", "B-2", f"fee {second.printed_code}"),  # less than owed
        ("2026-12-07", "200.00", "CNY", "B-3", f"again {first.code}"),  # paid twice
        ("2026-12-07", "200.00", "CNY", "B-4", f"{cancelled.code}"),
        ("2026-12-08", "99.00", "CNY", "", "no code"),
        ("2026-12-08", "200.00", "USD", "B-6", f"{second.code}"),
    )
    statement = statement_import(data=data, filename="december.csv", actor=finance, ip="10.0.0.7")

    assert (statement.format, statement.line_count, statement.matched_count, statement.issue_count,
            statement.ignored_count) == ("csv", 6, 1, 5, 0)
    assert statement.file.read() == data and statement.file.name.endswith(f"{statement.sha256}.csv")
    lines = list(statement.lines.order_by("position"))
    assert [(line.outcome, line.code) for line in lines] == [
        (LineOutcome.MATCHED, first.code), (LineOutcome.ISSUE, second.code), (LineOutcome.ISSUE, first.code),
        (LineOutcome.ISSUE, cancelled.code), (LineOutcome.ISSUE, ""), (LineOutcome.ISSUE, second.code),
    ]
    assert [line.issue.problem for line in lines[1:]] == [
        IssueProblem.WRONG_AMOUNT, IssueProblem.PAID_TWICE, IssueProblem.CANCELLED_ORDER, IssueProblem.UNKNOWN_CODE,
        IssueProblem.WRONG_CURRENCY,
    ]
    payment = Payment.objects.get()
    assert (payment.order_id, payment.provider, payment.transaction_id, payment.amount) == (
        first.pk, STATEMENT_PROVIDER, "B-1", Decimal("200.00"))
    assert lines[0].payment == payment
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (PaymentOrderStatus.PAID, PaymentOrderStatus.OPEN)
    assert lines[4].transaction_id.startswith("sha256:")
    assert PaymentIssue.objects.aggregate(total=Sum("amount"))["total"] == Decimal("849.00")
    assert PaymentIssue.objects.get(transaction_id="B-2").source == "statement"
    event = AuditEvent.objects.get(action=Action.STATEMENT_IMPORTED)
    assert (event.object_id, event.actor_id, event.ip) == (str(statement.pk), finance.pk, "10.0.0.7")
    assert event.details == {"sha256": statement.sha256, "lines": 6, "matched": 1, "issues": 5, "ignored": 0}


def test_the_camt_sample_with_a_debit_and_a_line_told_in_an_earlier_statement(orders, finance, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    first, second, _cancelled = orders
    sample = (Path(__file__).resolve().parents[2] / "payments/tests/samples/camt053_december.xml").read_text()
    sample = sample.replace("2026 1207 0000 0000 0182", first.printed_code).replace("20261207000000000279", second.code)
    sample = sample.replace('<Amt Ccy="CNY">300.00</Amt>', '<Amt Ccy="CNY">200.00</Amt>')
    statement = statement_import(data=sample.encode(), filename="camt.xml", actor=finance)
    assert (statement.format, statement.account, statement.line_count, statement.matched_count,
            statement.issue_count, statement.ignored_count) == ("camt.053", "6222020200112233445", 4, 2, 1, 1)
    assert list(statement.lines.order_by("position").values_list("outcome", "amount")) == [
        ("matched", Decimal("200.00")), ("matched", Decimal("200.00")), ("issue", Decimal("250.50")),
        ("ignored", Decimal("12.80")),
    ]
    # The next day's statement repeats the first line (its bank reference): counted once.
    again = sample.replace("<MsgId>STMT-20261207-0001</MsgId>", "<MsgId>STMT-20261208-0001</MsgId>")
    later = statement_import(data=again.encode(), filename="camt-2.xml", actor=finance)
    assert (later.matched_count, later.issue_count, later.ignored_count) == (0, 0, 4)
    assert Payment.objects.count() == 2 and PaymentIssue.objects.count() == 1


def test_an_overpayment_pays_and_proposes_a_refund_of_the_excess(orders, finance, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    first = orders[0]
    statement_import(data=csv_of(("2026-12-07", "250.00", "CNY", "B-9", first.code)), filename="s.csv", actor=finance)
    refund = Refund.objects.get()
    assert (refund.order_id, refund.amount, refund.reason, refund.status) == (
        first.pk, Decimal("50.00"), "overpayment", "proposed")


def test_two_alike_lines_without_a_reference_are_two_payments(orders, finance, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    first = orders[0]
    line = ("2026-12-07", "200.00", "CNY", "", first.code)
    statement = statement_import(data=csv_of(line, line), filename="s.csv", actor=finance)
    ids = list(statement.lines.order_by("position").values_list("transaction_id", flat=True))
    assert ids[1] == f"{ids[0]}#2"
    assert (statement.matched_count, statement.issue_count) == (1, 1)
    assert PaymentIssue.objects.get().problem == IssueProblem.PAID_TWICE


def test_the_same_file_twice_is_refused_naming_the_first_upload(orders, finance, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.TIME_ZONE = "Asia/Shanghai"
    data = csv_of(("2026-12-07", "200.00", "CNY", "B-1", orders[0].code))
    first = statement_import(data=data, filename="s.csv", actor=finance)
    BankStatement.objects.filter(pk=first.pk).update(uploaded_at="2026-12-07T02:15:00Z")
    other = UserFactory(email="other@example.gov", role="finance")
    with pytest.raises(InvalidStatement) as refused:
        statement_import(data=data, filename="copy.csv", actor=other)
    assert str(refused.value) == (
        "This statement was already uploaded on 7 December 2026, 10:15 by Sun Hua. A statement is counted once."
    )
    assert BankStatement.objects.count() == 1 and Payment.objects.count() == 1


@pytest.mark.parametrize("rows, reason", [
    ([("2026-12-07", "200.00", "CNY", "B-1", "x"), ("2026-12-07", "-5.00", "CNY", "B-2", "y")],
     "Line 3: the amount -5.00 is negative; a statement of payments received holds credits only."),
    ([("2026-12-07", "200.00", "CNY", "B-1", "x"), ("2026-12-07", "5.00", "ABC", "B-2", "y")],
     "Line 3: The currency is not an ISO 4217 currency code."),
])
def test_a_bad_line_rejects_the_whole_file_and_writes_nothing(orders, finance, settings, tmp_path, rows, reason):
    settings.MEDIA_ROOT = str(tmp_path)
    rows = [(*rows[0][:4], orders[0].code), rows[1]]
    with pytest.raises(InvalidStatement) as refused:
        statement_import(data=csv_of(*rows), filename="s.csv", actor=finance)
    assert str(refused.value) == reason
    assert (BankStatement.objects.count(), StatementLine.objects.count(), Payment.objects.count(),
            PaymentIssue.objects.count()) == (0, 0, 0, 0)
    assert not AuditEvent.objects.filter(action__in=[Action.STATEMENT_IMPORTED, Action.PAYMENT_RECORDED]).exists()
    orders[0].refresh_from_db()
    assert orders[0].status == PaymentOrderStatus.OPEN


def test_a_fee_paid_by_statement_sends_the_application_to_review(paid_before_review, submit, finance, settings,
                                                                  tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    application = submit()
    order = PaymentOrder.objects.get(application=application)
    assert application.status == ApplicationStatus.AWAITING_PAYMENT
    statement = statement_import(data=csv_of(("2026-12-07", str(order.amount), order.currency, "B-1", order.code)),
                                 filename="s.csv", actor=finance)
    application.refresh_from_db()
    assert (statement.matched_count, application.status) == (1, ApplicationStatus.IN_REVIEW)
