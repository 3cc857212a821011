"""A walk-in citizen in real Chromium, axe-core on every page: the claim pages (the letter's code,
the form and its errors, a used link) and the application a front desk filed, with its consent."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from accounts import counter
from accounts.models import DocumentType
from api.front_desk import filing_create
from api.models import TokenKind
from api.services import api_token_create
from tests.factories import PDF_BYTES, restaurant_service

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Harbour-lantern-42"


def test_a_walk_in_claims_the_account_with_the_letter_and_sees_the_consent(page, assert_accessible, settings,
                                                                           tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    token, _clear = api_token_create(kind=TokenKind.FRONT_DESK, name="Counter 3")
    walk_in = counter.walk_in_register(
        desk=token.user, desk_name=token.name, officer_name="Li Na", officer_staff_number="A1023",
        full_name="Zhao Min", document_type=DocumentType.RESIDENT_ID_CARD, document_number="11010519491231002X",
        phone="+86 10 6512 3456", claim_letter=True)
    application = filing_create(token=token, applicant=walk_in.user, service=restaurant_service(), answers={},
                                consent={"method": "signature_pad", "signed_at": timezone.now() - timedelta(minutes=5),
                                         "officer_name": "Li Na", "officer_staff_number": "A1023",
                                         "document": {"name": "consent.pdf", "content": PDF_BYTES}})

    page.goto("/accounts/claim/")
    assert_accessible(page)
    page.get_by_label("Claim code").fill("not the code")
    page.get_by_role("button", name="Continue").click()
    assert page.locator(".error-summary").count() == 1
    assert_accessible(page)
    page.get_by_label("Claim code").fill(walk_in.letter.code.lower())
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role("heading", name="Choose a password for your account").count() == 1
    assert_accessible(page)

    page.get_by_label("Identity document number").fill("110105194912310021")
    page.get_by_label("Email address").fill("zhao.min@example.org")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_label("Confirm the password").fill(PASSWORD)
    page.get_by_role("button", name="Save the password").click()
    assert page.locator(".error-summary").count() == 1
    assert_accessible(page)
    page.get_by_label("Identity document number").fill("11010519491231002X")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_label("Confirm the password").fill(PASSWORD)
    page.get_by_role("button", name="Save the password").click()
    assert page.url.endswith("/accounts/login/")
    assert page.get_by_text("Your password is set. We have sent a link to zhao.min@example.org").count() == 1

    # The letter works once; a second visit explains why not.
    page.goto(urlsplit(walk_in.letter.url).path)
    assert page.get_by_role("heading", name="This link is not valid").count() == 1
    assert_accessible(page)

    # Confirmed and signed in, the citizen sees who filed for them and with which consent.
    user = walk_in.user
    user.refresh_from_db()
    user.email_verified = True
    user.save(update_fields=["email_verified"])
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill("zhao.min@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/applications/{application.pk}/")
    assert page.locator("#filed-at-counter").inner_text().startswith(
        "Filed at the counter by Counter 3 (Li Na) with your signed consent on")
    assert page.get_by_role("link", name="Download your signed consent (consent.pdf)").count() == 1
    assert_accessible(page)

