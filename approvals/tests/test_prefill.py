"""A new draft starts with what the portal already knows: the profile, then the last application."""

import pytest
from django.urls import reverse

from approvals import workflow
from approvals.models import Application
from approvals.prefill import PROFILE_FIELDS, prefill_answers
from tests.engine_fixtures import pdf_upload
from tests.factories import FIELDS, REVIEWS, UserFactory, restaurant_service

pytestmark = pytest.mark.django_db

APPLICANT_FIELDS = [
    ("legal_representative", "text", "business", False, {"max_length": 50}),
    ("contact_phone", "phone", "business", False, {"max_length": 20}),
]


@pytest.fixture
def service(db):
    return restaurant_service(
        fields=APPLICANT_FIELDS + FIELDS,
        reviews=[("tax", 1, 2, ["legal_representative", "contact_phone", "business_name"]),
                 *[r for r in REVIEWS if r[0] != "tax"]],
    )


def test_profile_mapping_names_only_dictionary_keys():
    assert PROFILE_FIELDS == {"legal_representative": "full_name", "contact_phone": "phone"}


def test_from_the_profile(service):
    user = UserFactory(full_name="Wang Fang", phone="+86 138 0000 0000", address="5 Home Street")
    assert prefill_answers(applicant=user, service=service) == {
        "legal_representative": "Wang Fang", "contact_phone": "+86 138 0000 0000",
    }  # the home address is not the business site


def test_a_profile_value_that_does_not_fit_is_left_out(service):
    user = UserFactory(full_name="W" * 80, phone="")
    assert prefill_answers(applicant=user, service=service) == {}


def test_from_the_latest_submitted_application_without_files(service, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    user = UserFactory(full_name="Wang Fang", phone="")

    def submitted(answers):
        application = workflow.application_start(applicant=user, service=service, answers=answers)
        workflow.application_attach(application_id=application.pk, actor=user, field_key="floor_plan", uploaded=pdf_upload())
        return workflow.application_submit(application_id=application.pk, actor=user)

    base = {"legal_representative": "Wang Fang", "contact_phone": "+86 10 1234 5678", "cuisine": "chinese", "seats": "40",
            "site_address": "1 Harbour Road"}
    submitted({**base, "business_name": "Old Dragon"})
    latest = submitted({**base, "business_name": "Golden Dragon", "contact_phone": "+86 10 8765 4321"})
    withdrawn = submitted({**base, "business_name": "Withdrawn Dragon"})
    workflow.application_withdraw(application_id=withdrawn.pk, actor=user)
    workflow.application_start(applicant=user, service=service, answers={"business_name": "Draft Dragon"})

    answers = prefill_answers(applicant=user, service=service)
    assert answers["business_name"] == "Golden Dragon"
    assert answers["contact_phone"] == "+86 10 8765 4321"  # the profile has no phone
    assert answers["legal_representative"] == "Wang Fang"
    assert answers["seats"] == 40
    assert "floor_plan" not in answers
    assert latest.answers["business_name"] == "Golden Dragon"


def test_the_profile_wins_over_an_earlier_application(service, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    user = UserFactory(full_name="Wang Fang", phone="+86 138 0000 0000")
    application = workflow.application_start(applicant=user, service=service, answers={
        "legal_representative": "Wang Fang", "contact_phone": "+86 10 1234 5678", "business_name": "Golden Dragon",
        "cuisine": "chinese", "seats": "40", "site_address": "1 Harbour Road",
    })
    workflow.application_attach(application_id=application.pk, actor=user, field_key="floor_plan", uploaded=pdf_upload())
    workflow.application_submit(application_id=application.pk, actor=user)
    assert prefill_answers(applicant=user, service=service)["contact_phone"] == "+86 138 0000 0000"


def test_an_earlier_answer_no_longer_valid_is_left_out(service, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    user = UserFactory(full_name="Wang Fang")
    application = workflow.application_start(applicant=user, service=service, answers={"business_name": "Golden Dragon"})
    Application.objects.filter(pk=application.pk).update(
        submitted_at="2026-01-05T10:00:00Z", status="rejected", answers={"business_name": "Golden Dragon", "cuisine": "thai"},
    )
    answers = prefill_answers(applicant=user, service=service)
    assert answers["business_name"] == "Golden Dragon"
    assert "cuisine" not in answers


def test_starting_through_the_web_prefills_and_says_so(client, service):
    user = UserFactory(full_name="Wang Fang", phone="+86 138 0000 0000")
    client.force_login(user)
    response = client.post(reverse("approvals:start", args=[service.slug]), follow=True)
    application = Application.objects.get(applicant=user)
    assert application.answers == {"legal_representative": "Wang Fang", "contact_phone": "+86 138 0000 0000"}
    page = response.content.decode()
    assert "We filled in 2 answers from your profile" in page
    assert 'value="Wang Fang"' in page  # shown as an ordinary answer the citizen can change
