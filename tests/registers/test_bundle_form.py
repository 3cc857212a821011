"""Answers taken from a register in the bundle form, as in the single form, against the reference
register service: the sign permit's company details, asked only when a sign is planned, are taken
from the company register by the code the citizen gives, shown read-only, and never asked again."""

import html as markup
import re

import pytest
from django.urls import reverse

from approvals import bundle_flow
from approvals.answers import section_of
from approvals.models import Application
from registers.models import RegisterLookup
from tests.bundle_fixtures import BUNDLE_ANSWERS
from tests.register_service.fixtures import COMPANY

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return markup.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).strip())


def test_the_bundle_form_takes_the_company_details_from_the_register(registers, client, restaurant_bundle, citizen):
    row, _outcome = bundle_flow.bundle_start(applicant=citizen, bundle=restaurant_bundle)
    bundle_flow.bundle_save_page(bundle_application_id=row.pk, actor=citizen, data=dict(BUNDLE_ANSWERS), uploads=[])
    client.force_login(citizen)
    url = reverse("bundles:edit", args=[row.pk, section_of(row.combined, "unified_social_credit_code")])
    response = client.post(url, {"unified_social_credit_code": COMPANY, "continue": "1"})
    assert response.status_code == 302 and response.url == url  # shown again, with what the register keeps
    shown = client.get(url)
    assert "Registered company name Wang Fang Test Trading Co., Ltd. From the Company register" in text(shown)
    assert 'name="company_registered_name"' not in shown.content.decode()
    sign = Application.objects.get(bundle_application=row, service__slug="renovate-a-shop-front")
    assert {k: sign.answers[k] for k in ("unified_social_credit_code", "company_registered_name",
                                         "company_registered_address")} == {
        "unified_social_credit_code": COMPANY, "company_registered_name": "Wang Fang Test Trading Co., Ltd.",
        "company_registered_address": "5 Test Street, Central District"}
    assert list(RegisterLookup.objects.values_list("application_id", "register", "outcome")) == [
        (sign.pk, "company", "found")]
    # Continuing asks nothing more of it: on to the next page.
    response = client.post(url, {"continue": "1"})
    assert response.status_code == 302 and response.url != url
