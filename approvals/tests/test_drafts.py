"""Starting an application when the citizen already has a draft of the service, and resuming
a draft where it still needs answers."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from approvals import workflow
from approvals.models import Application, ApplicationStatus
from tests.engine_fixtures import pdf_upload
from tests.factories import VALID_ANSWERS, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def drafts_of(citizen):
    return list(Application.objects.filter(applicant=citizen, status=ApplicationStatus.DRAFT).order_by("pk"))


def age(application, **delta):
    Application.objects.filter(pk=application.pk).update(created_at=timezone.now() - timedelta(**delta))


def test_start_twice_in_a_row_opens_the_same_draft(client, restaurant, citizen):
    client.force_login(citizen)
    first = client.post(reverse("approvals:start", args=[restaurant.slug]))
    second = client.post(reverse("approvals:start", args=[restaurant.slug]))
    [draft] = drafts_of(citizen)
    assert first.url == reverse("approvals:edit", args=[draft.pk, 1])
    assert second.url == reverse("approvals:resume", args=[draft.pk])


def test_start_with_an_older_draft_offers_it(client, restaurant, citizen):
    client.force_login(citizen)
    client.post(reverse("approvals:start", args=[restaurant.slug]))
    [draft] = drafts_of(citizen)
    age(draft, days=3)
    response = client.post(reverse("approvals:start", args=[restaurant.slug]))
    assert response.url == reverse("approvals:start", args=[restaurant.slug])
    assert drafts_of(citizen) == [draft]
    page = client.get(response.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "You have already started this application" in html
    assert f'href="{reverse("approvals:resume", args=[draft.pk])}"' in html
    assert 'name="another" value="1"' in html


def test_a_second_draft_on_purpose(client, restaurant, citizen):
    """A second shop: the citizen asks for another draft, and gets exactly one more."""
    client.force_login(citizen)
    client.post(reverse("approvals:start", args=[restaurant.slug]))
    [draft] = drafts_of(citizen)
    age(draft, days=3)
    response = client.post(reverse("approvals:start", args=[restaurant.slug]), {"another": "1"})
    first, second = drafts_of(citizen)
    assert first == draft
    assert response.url == reverse("approvals:edit", args=[second.pk, 1])
    # A double click on "Start a new application" does not make a third.
    response = client.post(reverse("approvals:start", args=[restaurant.slug]), {"another": "1"})
    assert response.url == reverse("approvals:resume", args=[second.pk])
    assert len(drafts_of(citizen)) == 2


def test_offer_page_without_drafts_goes_to_the_service(client, restaurant, citizen):
    client.force_login(citizen)
    response = client.get(reverse("approvals:start", args=[restaurant.slug]))
    assert response.url == reverse("service_detail", args=[restaurant.slug])


def test_another_citizens_draft_is_not_offered(client, restaurant, citizen):
    other = UserFactory()
    workflow.application_start(applicant=other, service=restaurant)
    client.force_login(citizen)
    response = client.post(reverse("approvals:start", args=[restaurant.slug]))
    [draft] = drafts_of(citizen)
    assert response.url == reverse("approvals:edit", args=[draft.pk, 1])


def test_submitted_application_is_not_offered(client, submit, restaurant, citizen):
    submit()
    client.force_login(citizen)
    client.post(reverse("approvals:start", args=[restaurant.slug]))
    assert len(drafts_of(citizen)) == 1


# --- Resume ------------------------------------------------------------------------------------------


def resume(client, application):
    return client.get(reverse("approvals:resume", args=[application.pk]))


def test_resume_empty_draft_opens_step_1(client, restaurant, citizen):
    application = workflow.application_start(applicant=citizen, service=restaurant)
    client.force_login(citizen)
    assert resume(client, application).url == reverse("approvals:edit", args=[application.pk, 1])


def test_resume_opens_first_page_with_a_missing_answer(client, restaurant, citizen):
    answers = {k: v for k, v in VALID_ANSWERS.items() if k != "site_address"}
    application = workflow.application_start(applicant=citizen, service=restaurant, answers=answers)
    client.force_login(citizen)
    assert resume(client, application).url == reverse("approvals:edit", args=[application.pk, 2])


def test_resume_opens_the_documents_page_when_a_required_file_is_missing(client, restaurant, citizen):
    application = workflow.application_start(applicant=citizen, service=restaurant, answers=dict(VALID_ANSWERS))
    client.force_login(citizen)
    assert resume(client, application).url == reverse("approvals:edit", args=[application.pk, 3])


def test_resume_complete_draft_opens_the_check_page(client, restaurant, citizen, media):
    application = workflow.application_start(applicant=citizen, service=restaurant, answers=dict(VALID_ANSWERS))
    workflow.application_attach(application_id=application.pk, actor=citizen, field_key="floor_plan", uploaded=pdf_upload())
    client.force_login(citizen)
    assert resume(client, application).url == reverse("approvals:check", args=[application.pk])


def test_resume_opens_a_page_whose_stored_answer_is_no_longer_valid(client, restaurant, citizen):
    """An answer saved before it became invalid (here: too long for the rule) sends the citizen back to it."""
    application = workflow.application_start(applicant=citizen, service=restaurant, answers=dict(VALID_ANSWERS))
    Application.objects.filter(pk=application.pk).update(answers={**VALID_ANSWERS, "business_name": "x" * 500})
    client.force_login(citizen)
    assert resume(client, application).url == reverse("approvals:edit", args=[application.pk, 1])


def test_resume_another_citizens_draft_is_404(client, restaurant, citizen):
    application = workflow.application_start(applicant=UserFactory(), service=restaurant)
    client.force_login(citizen)
    assert resume(client, application).status_code == 404


def test_resume_a_submitted_application_opens_its_page(client, submit, citizen):
    application = submit()
    client.force_login(citizen)
    assert resume(client, application).url == reverse("approvals:detail", args=[application.pk])


def test_my_applications_links_drafts_to_resume(client, restaurant, citizen):
    application = workflow.application_start(applicant=citizen, service=restaurant)
    client.force_login(citizen)
    html = client.get(reverse("approvals:my_applications")).content.decode()
    assert f'href="{reverse("approvals:resume", args=[application.pk])}"' in html


def test_offer_page_query_count_is_constant(client, restaurant, citizen):
    """N drafts or N+1: the same queries."""
    workflow.application_start(applicant=citizen, service=restaurant, answers={"business_name": "First shop"})
    client.force_login(citizen)
    url = reverse("approvals:start", args=[restaurant.slug])
    client.get(url)  # the first request of a session also writes it
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    workflow.application_start(applicant=citizen, service=restaurant, answers={"business_name": "Second shop"})
    with CaptureQueriesContext(connection) as two:
        html = client.get(url).content.decode()
    assert len(two) == len(one), "\n".join(q["sql"] for q in two.captured_queries)
    assert "You have 2 drafts of this service." in html
    assert html.index("Second shop") < html.index("First shop")  # the latest first
