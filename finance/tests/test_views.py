"""The finance pages: who reaches them (nobody else, and nothing changes), the statement upload
and its refusals, resolving issues through the pages, CSV downloads with exact amounts and no
formulas, totals per service and department, and query counts that do not grow with the lists."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from approvals.tests.test_payment_flow import pay
from audit.models import Action, AuditEvent
from payments.models import (
    BankStatement,
    IssueStatus,
    Payment,
    PaymentOrderStatus,
    Refund,
    RefundStatus,
    StatementLine,
)
from tests.client import PortalClient
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

UNKNOWN = "12345678901234567888"  # a well-formed payment code no order has
HEADER = "date,amount,currency,reference,text\n"


def statement_file(*rows, name="statement.csv"):
    return SimpleUploadedFile(name, (HEADER + "".join(",".join(r) + "\n" for r in rows)).encode(), "text/csv")


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def finance_urls(issue_id=1, statement_id=1):
    return [reverse("finance:day"), reverse("finance:statements"), reverse("finance:statement", args=[statement_id]),
            reverse("finance:issues"), reverse("finance:issue", args=[issue_id]), reverse("finance:refunds"),
            reverse("finance:totals")]


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.OFFICER, Role.MANAGER, Role.AUDITOR])
def test_nobody_else_reaches_the_finance_pages_and_nothing_changes(role, media, new_order):
    order = new_order()
    issue = pay(UNKNOWN, amount="200.00", transaction_id="T-9").issue
    refund = pay(new_order(), amount="250.00", transaction_id="T-8").refund
    person = UserFactory(email=f"{role}@example.gov", role=role)
    client = PortalClient()
    client.force_login(person)
    for url in finance_urls(issue.pk):
        assert client.get(url).status_code == 404, url
    posts = [
        (reverse("finance:statements"), {"file": statement_file(("2026-12-07", "200.00", "CNY", "B-1", order.code))}),
        (reverse("finance:issue_apply", args=[issue.pk]), {"apply-code": order.code}),
        (reverse("finance:issue_dismiss", args=[issue.pk]), {"dismiss-note": "no"}),
        (reverse("finance:issue_return", args=[issue.pk]), {"return-note": "no"}),
        (reverse("finance:refund_confirm", args=[refund.pk]), {}),
        (reverse("finance:refund_cancel", args=[refund.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    issue.refresh_from_db()
    order.refresh_from_db()
    refund.refresh_from_db()
    assert (issue.status, order.status, refund.status, Payment.objects.count(), BankStatement.objects.count()) == (
        IssueStatus.OPEN, PaymentOrderStatus.OPEN, RefundStatus.PROPOSED, 1, 0)
    assert not AuditEvent.objects.filter(action=Action.PAYMENT_VIEWED).exists()
    assert AuditEvent.objects.filter(actor=person, action=Action.ACCESS_DENIED).exists()


def test_a_visitor_is_sent_to_sign_in(db):
    response = PortalClient().get(reverse("finance:issues"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_an_administrator_reaches_the_pages(admin_client, media):
    assert admin_client.get(reverse("finance:issues")).status_code == 200


def test_upload_a_statement_and_read_what_became_of_each_line(finance_client, finance_user, media, new_order):
    order = new_order()
    response = finance_client.post(reverse("finance:statements"), {"file": statement_file(
        ("2026-12-07", "200.00", "CNY", "B-1", f"fee {order.code}"),
        ("2026-12-07", "12.50", "CNY", "B-2", "=HYPERLINK(\"http://x\")"),
    )})
    statement = BankStatement.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("finance:statement", args=[statement.pk])
    page = finance_client.get(response["Location"])
    assert "1 matched, 1 to resolve, 0 ignored" in page.content.decode()
    assert [(row["label"], row["currency"], row["lines"], row["total"]) for row in page.context["totals"]] == [
        ("Issue", "CNY", 1, Decimal("12.50")), ("Matched", "CNY", 1, Decimal("200.00"))]
    rows = csv_rows(finance_client.get(response["Location"] + "?format=csv"))
    assert rows[0] == ["Line", "Booked", "Bank reference", "Remittance text", "Payment code found", "Amount",
                       "Currency", "Outcome", "Issue"]
    assert rows[1] == ["1", "2026-12-07", "B-1", f"fee {order.code}", order.code, "200.00", "CNY", "Matched", ""]
    assert rows[2] == ["2", "2026-12-07", "B-2", "'=HYPERLINK(\"http://x\")", "", "12.50", "CNY", "Issue",
                       "No order has this payment code"]
    order.refresh_from_db()
    assert order.status == PaymentOrderStatus.PAID


def test_the_same_statement_twice_and_bad_files_are_refused_on_the_page(finance_client, media, new_order):
    order = new_order()
    row = ("2026-12-07", "200.00", "CNY", "B-1", order.code)
    assert finance_client.post(reverse("finance:statements"), {"file": statement_file(row)}).status_code == 302
    again = finance_client.post(reverse("finance:statements"), {"file": statement_file(row, name="copy.csv")})
    assert again.status_code == 400
    when = timezone.localtime(BankStatement.objects.get().uploaded_at).strftime("%-d %B %Y, %H:%M")
    assert again.context["form"].errors == {"file": [
        f"This statement was already uploaded on {when} by Sun Hua. A statement is counted once."]}
    bad = finance_client.post(reverse("finance:statements"), {"file": statement_file(
        ("2026-12-08", "5.00", "CNY", "B-7", "x"), ("2026-12-08", "-5.00", "CNY", "B-8", "y"))})
    assert bad.status_code == 400
    assert bad.context["form"].errors == {"file": [
        "Line 3: the amount -5.00 is negative; a statement of payments received holds credits only."]}
    empty = finance_client.post(reverse("finance:statements"), {})
    assert empty.context["form"].errors == {"file": ["Choose the statement file to upload."]}
    assert (BankStatement.objects.count(), StatementLine.objects.count(), Payment.objects.count()) == (1, 1, 1)


def test_a_statement_over_the_limit_is_refused(finance_client, media, settings):
    settings.STATEMENT_MAX_BYTES = 1024
    response = finance_client.post(reverse("finance:statements"), {"file": statement_file(
        *[("2026-12-07", "1.00", "CNY", f"B-{n}", "x" * 40) for n in range(30)])})
    assert response.context["form"].errors == {"file": ["The file is too large: a statement can be at most 1.0\xa0KB."]}
    assert BankStatement.objects.count() == 0


def test_resolving_an_issue_through_its_page(finance_client, finance_user, media, new_order):
    order = new_order()
    issue = pay(UNKNOWN, amount="200.00", transaction_id="T-9").issue
    page = finance_client.get(reverse("finance:issue", args=[issue.pk]))
    assert page.status_code == 200
    refused = finance_client.post(reverse("finance:issue_apply", args=[issue.pk]), {"apply-code": UNKNOWN})
    assert refused.status_code == 400
    assert refused.context["apply_form"].errors == {"code": ["No order has this payment code."]}
    dismissed = finance_client.post(reverse("finance:issue_dismiss", args=[issue.pk]), {"dismiss-note": " "})
    assert dismissed.context["dismiss_form"].errors == {"note": ["Say why the money is dismissed."]}
    done = finance_client.post(reverse("finance:issue_apply", args=[issue.pk]), {"apply-code": order.printed_code})
    assert done.status_code == 302 and done["Location"] == reverse("finance:issues")
    issue.refresh_from_db()
    assert (issue.status, issue.resolved_by, Payment.objects.get().order) == (IssueStatus.RESOLVED, finance_user, order)
    late = finance_client.post(reverse("finance:issue_return", args=[issue.pk]), {"return-note": ""}, follow=True)
    assert f"This issue was already resolved: Applied to order {order.printed_code}." in late.content.decode()
    assert finance_client.get(reverse("finance:issue", args=[issue.pk + 100])).status_code == 404


def test_an_issue_of_a_citizens_order_read_by_finance_is_on_the_citizens_record(finance_client, finance_user,
                                                                                 media, new_order):
    order = new_order()
    issue = pay(order, amount="150.00", transaction_id="T-2").issue
    finance_client.get(reverse("finance:issue", args=[issue.pk]))
    event = AuditEvent.objects.get(action=Action.PAYMENT_VIEWED, object_id=f"issue-{issue.pk}")
    assert (event.actor_id, event.subject_id, event.application_id, event.purpose) == (
        finance_user.pk, order.application.applicant_id, order.application_id, "finance")


def test_the_days_payments_and_their_csv(finance_client, media, new_order):
    order = new_order(amount="1234.50")
    pay(order, amount="1234.50", transaction_id="=cmd|' /C calc'!A0")
    day = timezone.localdate().isoformat()
    page = finance_client.get(reverse("finance:day"), {"day": day, "tab": "payments"})
    assert page.status_code == 200 and len(page.context["rows"]) == 1
    rows = csv_rows(finance_client.get(reverse("finance:day"), {"day": day, "tab": "payments", "format": "csv"}))
    assert rows[1][2:] == ["signed", "'=cmd|' /C calc'!A0", order.printed_code,
                           order.application.reference, order.application.service.display_name, "1234.50", "CNY"]
    assert finance_client.get(reverse("finance:day"), {"day": "2026-13-01"}).status_code == 400
    assert finance_client.get(reverse("finance:day"), {"day": "1999-01-01"}).status_code == 400


def test_totals_per_service_and_department(finance_client, media, new_order, restaurant):
    pay(new_order(), transaction_id="T-1")
    pay(new_order(amount="300.00"), amount="350.00", transaction_id="T-2")  # 50.00 refund proposed, not confirmed
    page = finance_client.get(reverse("finance:totals"))
    (_c1, _h1, per_service, _u1), (_c2, _h2, per_department, _u2) = page.context["tables"]
    first = restaurant.requirements.order_by("stage", "position", "pk").first().department
    assert [[cell.text for cell in row] for row in per_service] == [
        [restaurant.display_name, "CNY", "2", "550.00", "0.00", "550.00"]]
    assert [[cell.text for cell in row] for row in per_department] == [
        [first.display_name, "CNY", "2", "550.00", "0.00", "550.00"]]
    today = timezone.localdate().isoformat()
    rows = csv_rows(finance_client.get(reverse("finance:totals"), {"date_from": today, "date_to": today,
                                                                   "by": "department", "format": "csv"}))
    assert rows == [["Department", "Currency", "Payments", "Received", "Refunded", "Net"],
                    [first.display_name, "CNY", "2", "550.00", "0.00", "550.00"]]
    refused = finance_client.get(reverse("finance:totals"), {"date_from": "2026-12-08", "date_to": "2026-12-01"})
    assert refused.status_code == 400
    assert refused.context["form"].non_field_errors() == ["The start date is after the end date."]


@pytest.mark.parametrize("url, tab", [("finance:day", "payments"), ("finance:day", "orders"), ("finance:day", "refunds"),
                                      ("finance:issues", "open"), ("finance:refunds", "")])
def test_list_queries_do_not_grow_with_rows(finance_client, media, new_order, django_assert_num_queries, url, tab):
    def add(n):
        order = new_order(amount="100.00")
        pay(order, amount="150.00", transaction_id=f"P-{n}")  # a payment and a refund proposed
        pay(order, amount="100.00", transaction_id=f"Q-{n}")  # paid twice: an issue

    add(1)
    params = {"tab": tab} if tab else {}
    finance_client.get(reverse(url), params)  # the visit's audit event is written once a minute
    with CaptureQueriesContext(connection) as one:
        finance_client.get(reverse(url), params)
    add(2)
    add(3)
    with django_assert_num_queries(len(one.captured_queries)):
        response = finance_client.get(reverse(url), params)
    assert len(response.context["page"]) == 3


def test_statement_lists_queries_do_not_grow_with_rows(finance_client, media, new_order, django_assert_num_queries):
    def upload(n, count):
        rows = [("2026-12-07", "100.00", "CNY", f"S{n}-{i}", new_order(amount="100.00").code) for i in range(count)]
        assert finance_client.post(reverse("finance:statements"), {"file": statement_file(*rows)}).status_code == 302
        return BankStatement.objects.latest("pk")

    small, big = upload(1, 1), upload(2, 3)
    for url_of in (lambda s: reverse("finance:statement", args=[s.pk]), lambda s: reverse("finance:statements")):
        finance_client.get(url_of(small))
        finance_client.get(url_of(big))
        with CaptureQueriesContext(connection) as one:
            finance_client.get(url_of(small))
        with django_assert_num_queries(len(one.captured_queries)):
            finance_client.get(url_of(big))


def test_refunds_are_confirmed_or_cancelled_from_their_page(finance_client, finance_user, media, new_order):
    pay(new_order(), amount="250.00", transaction_id="T-1")
    pay(new_order(), amount="230.00", transaction_id="T-2")
    first, second = Refund.objects.order_by("pk")
    listed = finance_client.get(reverse("finance:refunds")).context["items"]
    assert [(refund.pk, row[5].text) for refund, row in listed] == [(first.pk, "50.00"), (second.pk, "30.00")]
    done = finance_client.post(reverse("finance:refund_confirm", args=[first.pk]))
    assert done.status_code == 302 and done["Location"] == reverse("finance:refunds")
    finance_client.post(reverse("finance:refund_cancel", args=[second.pk]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.confirmed_by, second.status) == (RefundStatus.CONFIRMED, finance_user,
                                                                 RefundStatus.CANCELLED)
    again = finance_client.post(reverse("finance:refund_cancel", args=[first.pk]), follow=True)
    assert "This refund has already been confirmed or cancelled." in again.content.decode()
    assert finance_client.post(reverse("finance:refund_confirm", args=[second.pk + 100])).status_code == 404
    assert finance_client.get(reverse("finance:refund_confirm", args=[second.pk])).status_code == 405
    assert AuditEvent.objects.filter(action=Action.REFUND_CONFIRMED, actor=finance_user).count() == 1
