"""What a department sees of answers taken from a register: on its review page and in the API's
review read, the register and the time of the lookup, or that the applicant typed it and why."""

import html as markup
import re

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone

from api.tests.conftest import Api, department_token
from approvals import workflow
from approvals.models import ApplicationRegisterValue
from approvals.register_values import application_register_consent, application_register_lookup
from departments.models import Department
from tests.factories import UserFactory, officer
from tests.register_service.fixtures import MARKUP_COMPANY, PERSON_NUMBER

from .catalogue import load_sign_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(registers, tmp_path):
    """An application whose company details came from the company register (the markup company:
    its name must reach the officer escaped) and whose registered residence the applicant typed
    after refusing the population register."""
    service = load_sign_service(tmp_path)
    applicant = UserFactory(email="wang.fang@example.org", full_name="Wang Fang", id_number=PERSON_NUMBER,
                            assurance="substantial")
    application = workflow.application_start(applicant=applicant, service=service)
    workflow.application_save_answers(application_id=application.pk, actor=applicant, data={
        "business_name": "Golden Sign", "unified_social_credit_code": MARKUP_COMPANY})
    application_register_consent(application_id=application.pk, actor=applicant, register="population", agreed=False)
    application_register_lookup(application_id=application.pk, actor=applicant)
    workflow.application_save_answers(application_id=application.pk, actor=applicant,
                                      data={"registered_residence": "1 Elsewhere Road"})
    return workflow.application_submit(application_id=application.pk, actor=applicant)


def test_the_review_page_shows_where_each_answer_came_from(submitted, client):
    clerk = officer(Department.objects.get(code="registration"))
    client.force_login(clerk)
    review = submitted.reviews.get(department__code="registration")
    page = client.get(reverse("departments:review", args=[review.pk])).content.decode()
    answers = page.split('id="answers"')[1].split("</section>")[0]
    text = markup.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answers)))
    looked_up = ApplicationRegisterValue.objects.get(application=submitted, field_key="company_registered_name").looked_up_at
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answers and "<script>alert(1)" not in answers
    assert re.search(r"Registered company name <script>alert\(1\)</script> & <b>Bold</b> Ltd From the Company register, "
                     r"\S", text)
    assert f'datetime="{dateformat.format(timezone.localtime(looked_up), "c")}"' in answers
    assert ("Registered residence 1 Elsewhere Road Not verified: The applicant did not agree to the lookup and typed it"
            in text)
    assert "Unified social credit code " + MARKUP_COMPANY in text


def test_the_api_review_read_gives_each_answers_source(submitted):
    review = submitted.reviews.get(department__code="registration")
    _token, clear = department_token("registration")
    answers = {a["key"]: a for a in Api(clear).get(f"/api/v1/reviews/{review.pk}/").json()["answers"]}
    name = answers["company_registered_name"]
    assert name["value"] == "<script>alert(1)</script> & <b>Bold</b> Ltd"
    assert {k: v for k, v in name["source"].items() if k != "looked_up_at"} == {
        "register": "company", "attribute": "registered_name", "verified": True, "reason": ""}
    assert name["source"]["looked_up_at"]
    assert answers["registered_residence"]["source"] == {
        "register": "population", "attribute": "registered_residence", "verified": False, "looked_up_at": None,
        "reason": "refused"}
    assert answers["business_name"]["source"] is None
