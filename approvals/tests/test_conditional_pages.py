"""The citizen's pages under conditions: the form asks only what applies, page by page; check your
answers, the application page and the receipt show only what applied, and why a review is not
needed; a correction asks the questions a changed answer newly makes asked."""

import re

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from approvals import workflow
from approvals.models import Application, ApplicationStatus
from approvals.need_to_know import need_to_know
from approvals.receipts import receipt_context
from tests.engine_fixtures import pdf_upload
from tests.factories import REVIEWS, officer, restaurant_service

pytestmark = pytest.mark.django_db

FIRE_WHEN = {"seats": {"gt": 50}}
NOT_NEEDED = "Fire Bureau: Seats is 50 or less"


@pytest.fixture
def service(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return restaurant_service(slug="conditional-restaurant", review_when={"fire": FIRE_WHEN})


def edit_url(application, step):
    return reverse("approvals:edit", args=[application.pk, step])


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def start(client, service, citizen):
    client.force_login(citizen)
    client.post(reverse("approvals:start", args=[service.slug]))
    return Application.objects.get(applicant=citizen)


def test_a_small_restaurant_skips_the_site_page_both_ways(client, service, citizen):
    application = start(client, service, citizen)
    page = client.get(edit_url(application, 1)).content.decode()
    assert "Step 1 of 4" in page  # before seats are known, the site page may be needed

    response = client.post(edit_url(application, 1), {"business_name": "Noodle Bar", "cuisine": "chinese", "seats": "20"})
    assert response.url == edit_url(application, 3)
    page = client.get(edit_url(application, 3)).content.decode()
    assert "Step 2 of 3" in page
    assert "The site" not in page
    assert f'class="back-link" href="{edit_url(application, 1)}"' in page
    # The skipped page, asked for anyway, moves on to the next one asked.
    assert client.get(edit_url(application, 2)).url == edit_url(application, 3)

    response = client.post(edit_url(application, 3), {"floor_plan": pdf_upload()})
    assert response.url == reverse("approvals:check", args=[application.pk])
    page = client.get(response.url).content.decode()
    assert "Step 3 of 3" in page
    assert "Site address" not in page
    assert NOT_NEEDED in text(page)
    assert f'class="back-link" href="{edit_url(application, 3)}"' in page

    # Raising seats from "check your answers" asks the site page before coming back.
    response = client.post(edit_url(application, 1) + "?return=check",
                           {"business_name": "Noodle Bar", "cuisine": "chinese", "seats": "80"})
    assert response.url == edit_url(application, 2) + "?return=check"
    page = client.get(reverse("approvals:check", args=[application.pk])).content.decode()
    assert "Step 4 of 4" in page and "Not needed" not in page

    client.post(edit_url(application, 1), {"business_name": "Noodle Bar", "cuisine": "chinese", "seats": "20"})
    response = client.post(reverse("approvals:check", args=[application.pk]), {"declaration": "yes"})
    assert response.url == reverse("approvals:submitted", args=[application.pk])
    assert sorted(application.reviews.values_list("department__code", flat=True)) == ["health", "registration", "tax"]
    assert NOT_NEEDED in text(client.get(response.url).content.decode())


def test_the_reason_is_in_the_citizen_s_language(client, service, citizen):
    application = start(client, service, citizen)
    client.post(edit_url(application, 1), {"business_name": "Noodle Bar", "cuisine": "chinese", "seats": "20"})
    page = client.get(reverse("approvals:check", args=[application.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "fire局：seats不超过50" in text(page).replace(" ", "")


def submitted(service, citizen, seats):
    application = workflow.application_start(applicant=citizen, service=service)
    answers = {"business_name": "Noodle Bar", "cuisine": "chinese", "seats": seats}
    if seats > 50:
        answers["site_address"] = "1 Harbour Road"
    workflow.application_save_answers(application_id=application.pk, actor=citizen, data=answers)
    workflow.application_attach(application_id=application.pk, actor=citizen, field_key="floor_plan", uploaded=pdf_upload())
    workflow.application_submit(application_id=application.pk, actor=citizen)
    application.refresh_from_db()
    return application


def test_the_application_page_and_the_receipt_show_what_applied(client, service, citizen):
    application = submitted(service, citizen, 20)
    client.force_login(citizen)
    page = text(client.get(reverse("approvals:detail", args=[application.pk])).content.decode())
    assert NOT_NEEDED in page
    assert "Site address" not in page
    with translation.override("en"):
        receipt = text(render_to_string("approvals/receipt_pdf.html", receipt_context(application)))
    assert NOT_NEEDED in receipt
    assert "Site address" not in receipt
    assert receipt.count("Fire Bureau") == 1  # in "not needed" only, not among who reviews
    assert client.get(reverse("approvals:receipt", args=[application.pk])).status_code == 200


def test_a_correction_asks_the_questions_a_changed_answer_makes_asked(client, service, citizen):
    application = submitted(service, citizen, 20)
    health = application.reviews.get(department__code="health")
    workflow.review_decide(review_id=health.pk, actor=officer(health.department), decision="correction",
                           correction_fields=["seats"], message="Count the terrace too.")
    client.force_login(citizen)
    url = reverse("approvals:correct", args=[application.pk])
    assert 'name="site_address"' not in client.get(url).content.decode()

    response = client.post(url, {"seats": "80"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'name="site_address"' in page
    assert "Your changed answers mean these questions now apply. Answer them too: Site address" in text(page)
    assert '<a href="#id_site_address">Enter the site address.</a>' in page

    response = client.post(url, {"seats": "80", "site_address": "1 Harbour Road"})
    assert response.url == reverse("approvals:detail", args=[application.pk])
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_REVIEW
    assert application.reviews.filter(department__code="fire").exists()
    page = text(client.get(response.url).content.decode())
    assert "Not needed" not in page


def test_the_officer_sees_only_the_questions_asked(citizen, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    reviews = [REVIEWS[0], ("health", 1, 5, ["business_name", "seats", "opening_date", "floor_plan"]), *REVIEWS[2:]]
    service = restaurant_service(slug="western-only", reviews=reviews,
                                 field_when={"opening_date": {"cuisine": "western"}}, review_when={"fire": FIRE_WHEN})
    application = submitted(service, citizen, 20)
    health = application.reviews.get(department__code="health")
    assert [row["spec"]["key"] for row in need_to_know(health)["rows"]] == ["business_name", "seats", "floor_plan"]
