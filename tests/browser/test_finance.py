"""A finance officer's day in real Chromium: sign in to the day's payments, upload the bank's
statement that pays a citizen's fee (the application goes to review), overpays another's (a refund
of the difference is proposed) and underpays a third's, see the same file refused a second time,
resolve the underpayment from the issues list by returning the money, confirm the proposed refund
and read the totals. axe-core checks every finance page."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Role
from approvals.models import ApplicationStatus
from payments.models import IssueStatus, PaymentIssue, PaymentOrder, PaymentOrderStatus, Refund, RefundStatus
from tests.factories import UserFactory

from .test_officer_journey import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_finance_officer_reconciles_a_statement_and_resolves_an_issue(page, assert_accessible, paid_before_review,
                                                                      submit, tmp_path):
    paid, over, short = (PaymentOrder.objects.get(application=submit()) for _ in range(3))
    assert paid.application.status == ApplicationStatus.AWAITING_PAYMENT and paid.amount == Decimal("300.00")
    finance = UserFactory(email="finance@example.gov", full_name="Sun Hua", role=Role.FINANCE)
    statement = tmp_path / "icbc-2026-12-07.csv"
    statement.write_text(
        "date;amount;currency;reference;text\n"
        f"2026-12-07;300,00;CNY;ICBC-0001;Restaurant licence {paid.printed_code}\n"
        f"2026-12-07;350,00;CNY;ICBC-0002;{over.code}\n"
        f"2026-12-07;250,00;CNY;ICBC-0003;Fee {short.code}\n", encoding="utf-8-sig")

    sign_in(page, finance.email)
    expect(page.locator("h1")).to_have_text("Payments of the day")
    assert_accessible(page)

    page.get_by_role("link", name="Bank statements").click()
    assert_accessible(page)
    page.get_by_label("Bank statement").set_input_files(str(statement))
    page.get_by_role("button", name="Upload and reconcile").click()
    expect(page.locator("h1")).to_have_text("Statement icbc-2026-12-07.csv")
    expect(page.get_by_role("status")).to_contain_text("2 matched, 1 to resolve, 0 ignored")
    expect(page.get_by_role("table", name="Totals by outcome")).to_contain_text("650.00")
    assert_accessible(page)
    paid.refresh_from_db()
    paid.application.refresh_from_db()
    assert (paid.status, paid.application.status) == (PaymentOrderStatus.PAID, ApplicationStatus.IN_REVIEW)

    page.get_by_role("link", name="Bank statements").click()
    page.get_by_label("Bank statement").set_input_files(str(statement))
    page.get_by_role("button", name="Upload and reconcile").click()
    expect(page.locator(".error-summary")).to_contain_text("This statement was already uploaded on")
    expect(page.locator(".error-summary")).to_contain_text("by Sun Hua")
    assert_accessible(page)

    page.get_by_role("link", name="Payment issues").click()
    table = page.get_by_role("table", name="Issues to resolve, oldest first")
    expect(table).to_contain_text("The amount paid is not the amount owed")
    assert_accessible(page)
    table.get_by_role("row").nth(1).get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text("The amount paid is not the amount owed")
    assert_accessible(page)
    page.get_by_label("Payment code of the order").fill(short.printed_code)
    page.get_by_role("button", name="Apply to this order").click()
    expect(page.locator(".error-summary")).to_contain_text("is less than the order's amount")
    assert_accessible(page)
    page.get_by_label("Note (how and when it was sent back)").fill("Sent back by transfer ICBC-9001.")
    page.get_by_role("button", name="Mark as returned").click()
    expect(page.get_by_role("status")).to_contain_text("The issue is resolved.")
    issue = PaymentIssue.objects.get()
    assert (issue.status, issue.resolution) == (IssueStatus.RESOLVED,
                                                "Returned to the payer. Sent back by transfer ICBC-9001.")
    page.get_by_role("link", name="Resolved").click()
    expect(page.get_by_role("table")).to_contain_text("Returned to the payer.")

    page.get_by_role("link", name="Refunds to confirm").click()
    expect(page.get_by_role("table")).to_contain_text("More was paid than the fee")
    assert_accessible(page)
    page.get_by_role("button", name=f"Confirm refund of 50.00 CNY on order {over.printed_code}").click()
    expect(page.get_by_role("status")).to_contain_text("The refund is confirmed.")
    expect(page.get_by_role("table")).to_contain_text("No refund is waiting.")
    refund = Refund.objects.get()
    assert (refund.order_id, refund.amount, refund.status, refund.confirmed_by) == (
        over.pk, Decimal("50.00"), RefundStatus.CONFIRMED, finance)
    page.get_by_role("link", name="Totals").click()
    expect(page.get_by_role("table", name="Per service")).to_contain_text("650.00")
    expect(page.get_by_role("table", name="Per service")).to_contain_text("600.00")
    assert_accessible(page)
    page.get_by_role("link", name="Day", exact=True).click()
    page.get_by_role("link", name="Payments recorded", exact=True).click()
    expect(page.get_by_role("table")).to_contain_text("ICBC-0001")
    assert_accessible(page)
