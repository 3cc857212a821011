"""What the citizen sees of a fee: itemised before submitting, on the receipt, on the application
page, and on the printable payment order with its QR code; another person's order is a 404."""

import io

import pypdf
import pytest
from django.urls import reverse

from approvals import workflow
from approvals.models import Notification, NotificationKind
from approvals.notifications import notification_send_email
from approvals.payment_selectors import payment_uri
from payments.models import PaymentOrder
from tests.engine_fixtures import pdf_upload
from tests.factories import VALID_ANSWERS, UserFactory
from tests.fee_fixtures import pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_the_fee_is_itemised_before_submitting(client, paid_before_review, citizen, media):
    draft = workflow.application_start(applicant=citizen, service=paid_before_review)
    workflow.application_save_answers(application_id=draft.pk, actor=citizen, data={**VALID_ANSWERS, "seats": "48"})
    workflow.application_attach(application_id=draft.pk, actor=citizen, field_key="floor_plan", uploaded=pdf_upload())
    client.force_login(citizen)
    page = client.get(reverse("approvals:check", args=[draft.pk])).content.decode()
    assert "Application fee</td>" in page
    assert "Seats over 20 <span class=\"small text-body-secondary\">(28 × 5.00 CNY)</span>" in page
    assert '<strong id="fee-total">340.00 CNY</strong>' in page
    assert "The departments start reviewing once the fee is paid." in page


def test_the_order_page_the_application_page_and_the_receipt(client, paid_before_review, submit, citizen):
    application = submit()
    order = PaymentOrder.objects.get(application=application)
    client.force_login(citizen)
    detail = client.get(reverse("approvals:detail", args=[application.pk])).content.decode()
    assert f"Pay 300.00 CNY with payment code {order.printed_code}." in detail
    assert reverse("approvals:payment_order", args=[application.pk]) in detail
    assert "Waiting for payment" in detail

    page = client.get(reverse("approvals:payment_order", args=[application.pk])).content.decode()
    assert f'<span class="check-code" id="payment-code">{order.printed_code}</span>' in page
    assert '<dd id="payment-amount">300.00 CNY</dd>' in page
    assert 'src="data:image/svg+xml' in page
    assert payment_uri(order) == f"portalpay:{order.code}?amount=300.00&currency=CNY"
    assert payment_uri(order).replace("&", "&amp;") in page

    response = client.get(reverse("approvals:receipt", args=[application.pk]))
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages)
    assert "Application fee 200.00 CNY" in text
    assert "(20 × 5.00 CNY) 100.00 CNY" in text
    assert "Total to pay 300.00 CNY" in text
    assert f"Pay with payment code {order.printed_code}" in text

    pay(application)
    detail = client.get(reverse("approvals:detail", args=[application.pk])).content.decode()
    assert "You paid 300.00 CNY on" in detail
    assert "QR code" not in client.get(reverse("approvals:payment_order", args=[application.pk])).content.decode()


def test_another_persons_order_is_a_404_and_a_free_application_has_none(client, paid_before_review, submit, citizen):
    application = submit()
    client.force_login(UserFactory(email="stranger@example.org"))
    assert client.get(reverse("approvals:payment_order", args=[application.pk])).status_code == 404
    free = submit(answers={**VALID_ANSWERS, "cuisine": "western"})
    client.force_login(citizen)
    assert client.get(reverse("approvals:payment_order", args=[free.pk])).status_code == 404
    assert 'id="fee"' not in client.get(reverse("approvals:detail", args=[free.pk])).content.decode()


def test_the_mail_gives_the_payment_code_and_the_order(paid_before_review, submit, citizen, mailoutbox):
    application = submit()
    order = PaymentOrder.objects.get(application=application)
    notification = Notification.objects.get(application=application, kind=NotificationKind.SUBMITTED)
    assert notification_send_email(notification_id=notification.pk) == "sent"
    body = mailoutbox[-1].body
    assert (f"Pay its fee of 300.00 CNY with payment code {order.code} at a bank, a counter or in a payment app"
            in body)
    assert f"/applications/{application.pk}/payment/" in body


def test_the_service_guide_words_the_rule(client, paid_before_review):
    page = client.get("/services/open-a-restaurant/").content.decode()
    assert ('<ul class="mb-0 mt-1" id="fee-terms"><li>Application fee: 200.00 CNY.</li>'
            "<li>Seats over 20: 5.00 CNY for each unit of “Seats” over 20.</li>"
            "<li>No fee when Cuisine is Western: Western cuisine is exempt.</li>"
            "<li>Departments start reviewing once the fee is paid.</li></ul>") in page


def test_an_application_waiting_for_payment_needs_the_citizens_action(client, paid_before_review, submit, citizen):
    application = submit()
    client.force_login(citizen)
    response = client.get(reverse("approvals:my_applications"))
    [group] = [g for g in response.context["groups"] if g["name"] == "action"]
    assert [a.pk for a in group["applications"]] == [application.pk]
