"""The correction page as the citizen sees it: every refused answer and file reported at once,
and nothing of a refused correction kept."""

import pytest
from django.urls import reverse

from approvals import workflow
from approvals.models import ApplicationStatus, Attachment

from .test_form_page import draft, not_a_pdf, pdf, summary_items  # noqa: F401  (draft is a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(citizen, draft, officers):  # noqa: F811
    """A submitted shop application whose health review asks for the seats and both plans again."""
    workflow.application_save_page(application_id=draft.pk, actor=citizen, data={"business_name": "Corner Shop", "seats": "4"},
                                   uploads=[("floor_plan", pdf("plan.pdf")), ("fire_escape_plan", pdf("escape.pdf"))])
    workflow.application_submit(application_id=draft.pk, actor=citizen)
    review = draft.reviews.get()
    workflow.review_decide(review_id=review.pk, actor=officers["health"], decision="correction",
                           correction_fields=["seats", "floor_plan", "fire_escape_plan"], message="Show the terrace.")
    return draft


def post(client, application, data):
    return client.post(reverse("approvals:correct", args=[application.pk]), data)


def test_every_refused_file_and_answer_is_reported_and_nothing_is_kept(client, citizen, asked):
    client.force_login(citizen)
    response = post(client, asked, {"seats": "0", "floor_plan": not_a_pdf("plan2.pdf"),
                                    "fire_escape_plan": not_a_pdf("escape2.pdf")})
    assert response.status_code == 400
    assert summary_items(response.content.decode()) == [
        "Enter the seats of 1 or more.",
        "Upload the floor plan as a PDF or PNG file.",
        "Upload the fire escape plan as a PDF file.",
    ]
    asked.refresh_from_db()
    assert asked.status == ApplicationStatus.NEEDS_CORRECTION
    assert asked.answers["seats"] == 4
    assert sorted(Attachment.objects.filter(application=asked).values_list("original_name", flat=True)) == [
        "escape.pdf", "plan.pdf"]


def test_a_good_answer_with_one_refused_file_keeps_nothing(client, citizen, asked):
    client.force_login(citizen)
    response = post(client, asked, {"seats": "30", "floor_plan": pdf("plan2.pdf"), "fire_escape_plan": not_a_pdf("e.pdf")})
    assert summary_items(response.content.decode()) == ["Upload the fire escape plan as a PDF file."]
    asked.refresh_from_db()
    assert (asked.status, asked.answers["seats"]) == (ApplicationStatus.NEEDS_CORRECTION, 4)
    assert Attachment.objects.filter(application=asked).count() == 2


def test_a_correction_with_good_files_is_sent_whole(client, citizen, asked):
    client.force_login(citizen)
    response = post(client, asked, {"seats": "30", "floor_plan": pdf("plan2.pdf"), "fire_escape_plan": pdf("escape2.pdf")})
    assert response.url == reverse("approvals:detail", args=[asked.pk])
    asked.refresh_from_db()
    assert (asked.status, asked.answers["seats"]) == (ApplicationStatus.IN_REVIEW, 30)
    assert sorted(Attachment.objects.filter(application=asked).values_list("original_name", flat=True)) == [
        "escape.pdf", "escape2.pdf", "plan.pdf", "plan2.pdf"]
