"""A fee in real Chromium: computed from the seats and shown before submitting and on the
receipt, paid by a provider's signed notification posted to the live server (and once more as a
replay, counted once), the application moving on; a rejected application's fee gets a refund
proposed. axe-core on the new parts and pages."""

import io
import json
import time

import pypdf
import pytest
from playwright.sync_api import expect

from approvals import workflow
from payments.models import Payment, PaymentOrder, Refund
from payments.providers import notification_signature
from tests.browser.steps import sign_in
from tests.engine_fixtures import pdf_upload
from tests.factories import PASSWORD, VALID_ANSWERS

pytestmark = pytest.mark.django_db(transaction=True)


def notify(page, order) -> dict:
    """Post the provider's signed notification of the order's payment to the live server."""
    body = json.dumps({"transaction_id": "BANK-2026-0001", "code": order.code, "amount": str(order.amount),
                       "currency": order.currency, "paid_at": "2026-12-07T10:30:00+08:00"}).encode()
    stamp = str(int(time.time()))
    response = page.request.post("/api/v1/payments/notifications/signed/", data=body, headers={
        "Content-Type": "application/json", "X-Payment-Timestamp": stamp,
        "X-Payment-Signature": notification_signature("test-payment-secret", stamp, body)})
    assert response.status == 200, response.text()
    return response.json()


def test_a_fee_from_the_seats_shown_paid_by_a_signed_notification_then_refunded_on_rejection(
        page, assert_accessible, paid_before_review, citizen, officers, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    draft = workflow.application_start(applicant=citizen, service=paid_before_review)
    workflow.application_save_answers(application_id=draft.pk, actor=citizen, data={**VALID_ANSWERS, "seats": "48"})
    workflow.application_attach(application_id=draft.pk, actor=citizen, field_key="floor_plan", uploaded=pdf_upload())
    sign_in(page, email=citizen.email, password=PASSWORD)

    # Before submitting: 200.00, and 28 seats over 20 at 5.00.
    page.goto(f"/applications/{draft.pk}/check/")
    rows = [" ".join(row.split()) for row in page.locator("#fee tr").all_inner_texts()]
    assert rows == ["Item Amount", "Application fee 200.00 CNY", "Seats over 20 (28 × 5.00 CNY) 140.00 CNY",
                    "Total to pay 340.00 CNY"]
    assert_accessible(page)
    page.get_by_label("I declare that my answers are true and complete", exact=False).check()
    page.get_by_role("button", name="Submit application").click()
    page.wait_for_url(f"**/applications/{draft.pk}/submitted/")

    order = PaymentOrder.objects.get(application=draft)
    page.goto(f"/applications/{draft.pk}/")
    expect(page.locator(".status-badge").first).to_have_text("Waiting for payment")
    expect(page.locator("#fee")).to_contain_text(f"Pay 340.00 CNY with payment code {order.printed_code}.")
    assert_accessible(page)
    page.get_by_role("link", name="See your payment order and its QR code").click()
    expect(page.locator("#payment-code")).to_have_text(order.printed_code)
    expect(page.get_by_role("img", name=f"QR code for payment code {order.printed_code}, 340.00 CNY")).to_be_visible()
    assert_accessible(page)

    receipt = page.request.get(f"/applications/{draft.pk}/receipt/")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(receipt.body())).pages)
    assert "Seats over 20 (28 × 5.00 CNY) 140.00 CNY" in text and "Total to pay 340.00 CNY" in text

    # The provider tells the payment, then tells it again: counted once, the reviews start.
    assert notify(page, order) == {"outcome": "recorded", "problem": None}
    assert notify(page, order) == {"outcome": "duplicate", "problem": None}
    assert Payment.objects.count() == 1
    page.goto(f"/applications/{draft.pk}/")
    expect(page.locator(".status-badge").first).to_have_text("In review")
    expect(page.locator("#fee-paid")).to_contain_text("You paid 340.00 CNY on")

    # Rejected: the rule refunds 20 %, proposed for a finance officer.
    workflow.application_route(application_ids=[draft.pk])
    review = draft.reviews.get(department__code="health")
    workflow.review_decide(review_id=review.pk, actor=officers["health"], decision="reject", reason="No kitchen.")
    assert Refund.objects.get().amount == 68
    page.reload()
    expect(page.locator("#refunds li")).to_have_text([
        "68.00 CNY: The application was rejected — Proposed (a finance officer confirms it; the money goes back "
        "the way you paid)"])
    assert_accessible(page)
