"""The pages of one application for a life event: the public page, the combined form asking only
what applies, check and submit, the one reference and timeline, My applications."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from approvals.models import Application, ApplicationStatus, BundleApplication
from tests.bundle_fixtures import BUNDLE_ANSWERS, filled_bundle, submitted_bundle
from tests.engine_fixtures import pdf_upload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def labels(html: str) -> list[str]:
    """The names of the combined form's inputs (not the site's own forms)."""
    form = html.split('enctype="multipart/form-data"', 1)[1].split("</form>", 1)[0]
    return list(dict.fromkeys(re.findall(r'name="([a-z_]+)"', form)))


def test_the_public_page_shows_each_permit_when_it_applies_and_the_measure(client, restaurant_bundle):
    page = client.get(reverse("bundle_page", args=["open-a-restaurant"])).content.decode()
    assert "22 questions, each asked once, instead of 32 across the separate forms; one submission instead of 4." in page
    assert "Only when Number of seats is more than 50 or Gas is used on the site: yes" in page
    assert "Sign in to apply" in page
    assert client.get(reverse("bundle_page", args=["open-a-pub"])).status_code == 404


def test_the_combined_form_asks_each_question_once_and_only_what_applies(client, restaurant_bundle, citizen):
    client.force_login(citizen)
    response = client.post(reverse("bundles:start", args=["open-a-restaurant"]))
    row = BundleApplication.objects.get()
    assert response.url == reverse("bundles:edit", args=[row.pk, 1])
    asked = []
    step = 1
    while True:
        page = client.get(reverse("bundles:edit", args=[row.pk, step]), follow=True)
        if page.redirect_chain and page.redirect_chain[-1][0].endswith("/check/"):
            break
        step = int(page.request["PATH_INFO"].rstrip("/").rsplit("/", 1)[1])
        fields = [k for k in labels(page.content.decode()) if k not in ("csrfmiddlewaretoken", "continue", "save_later")]
        asked += fields
        data = {k: BUNDLE_ANSWERS[k] for k in fields if k in BUNDLE_ANSWERS}
        data.update({k: pdf_upload() for k in fields if k in ("floor_plan", "lease_contract", "sign_design")})
        response = client.post(reverse("bundles:edit", args=[row.pk, step]), {**data, "continue": "1"})
        assert response.status_code == 302, response.content.decode()[:3000]
        if response.url.endswith("/check/"):
            break
        step = int(response.url.rstrip("/").rsplit("/", 1)[1])
    assert len(asked) == len(set(asked))
    assert "fire_escape_plan" not in asked and "sign_text" in asked and "uses_gas" in asked
    check = client.get(reverse("bundles:check", args=[row.pk])).content.decode()
    assert "Fire safety check</strong>: not needed (Number of seats is 50 or less and Gas is used on the site: no)" in check
    response = client.post(reverse("bundles:check", args=[row.pk]), {"declaration": "yes"})
    assert response.url == reverse("bundles:detail", args=[row.pk])
    row.refresh_from_db()
    detail = client.get(response.url).content.decode()
    assert row.reference in detail
    assert sorted(Application.objects.filter(bundle_application=row).values_list("status", flat=True)) == [
        ApplicationStatus.IN_REVIEW] * 3
    for child in Application.objects.filter(bundle_application=row):
        assert child.reference in detail
    assert detail.count("Application received") == 3  # the timeline: one notification per permit


def test_without_a_sign_the_sign_permits_company_questions_are_never_asked(client, restaurant_bundle, citizen):
    client.force_login(citizen)
    client.post(reverse("bundles:start", args=["open-a-restaurant"]))
    row = BundleApplication.objects.get()
    answers = {**BUNDLE_ANSWERS, "plans_sign": "false"}
    asked, url = [], reverse("bundles:edit", args=[row.pk, 1])
    while "/check/" not in url:
        page = client.get(url, follow=True)
        url = page.request["PATH_INFO"]
        if "/check/" in url:
            break
        fields = [k for k in labels(page.content.decode()) if k not in ("csrfmiddlewaretoken", "continue", "save_later")]
        asked += fields
        data = {k: answers[k] for k in fields if k in answers}
        data.update({k: pdf_upload() for k in fields if k in ("floor_plan", "lease_contract")})
        response = client.post(url, {**data, "continue": "1"})
        assert response.status_code == 302, response.content.decode()[:3000]
        url = response.url
    assert asked == ["legal_representative", "contact_phone", "business_name", "business_scope", "taxpayer_type",
                     "employee_count", "opening_date", "cuisine", "seating_capacity", "site_address", "floor_area",
                     "uses_gas", "plans_sign", "floor_plan", "lease_contract"]


def test_a_missing_answer_at_submit_shows_on_the_check_page_and_submits_nothing(client, restaurant_bundle, citizen):
    row = filled_bundle(restaurant_bundle, citizen, answers={k: v for k, v in BUNDLE_ANSWERS.items() if k != "sign_text"})
    client.force_login(citizen)
    response = client.post(reverse("bundles:check", args=[row.pk]), {"declaration": "yes"})
    assert response.status_code == 400
    assert "Text on the sign" in response.content.decode()
    assert set(Application.objects.values_list("status", flat=True)) == {ApplicationStatus.DRAFT}


def test_someone_elses_bundle_application_is_a_404(client, restaurant_bundle, citizen):
    row = filled_bundle(restaurant_bundle, citizen)
    client.force_login(UserFactory(email="li.lei@example.org"))
    for name, args in (("detail", [row.pk]), ("edit", [row.pk, 1]), ("check", [row.pk]), ("receipt", [row.pk])):
        assert client.get(reverse(f"bundles:{name}", args=args)).status_code == 404
    assert client.post(reverse("bundles:check", args=[row.pk]), {"declaration": "yes"}).status_code == 404
    assert BundleApplication.objects.get().status == "draft"


def test_my_applications_lists_a_bundle_once_with_its_permits_under_it(client, restaurant_bundle, citizen):
    first = submitted_bundle(restaurant_bundle, citizen)
    client.force_login(citizen)
    client.get(reverse("approvals:my_applications"))
    with CaptureQueriesContext(connection) as one:
        page = client.get(reverse("approvals:my_applications")).content.decode()
    assert page.count(first.reference) == 2  # the link's name and the reference shown
    assert page.count('class="application-item bundle-item"') == 1
    assert page.count("Register a business") == 1  # under the bundle, not again among single applications
    submitted_bundle(restaurant_bundle, citizen)
    submitted_bundle(restaurant_bundle, citizen)
    with CaptureQueriesContext(connection) as three:
        page = client.get(reverse("approvals:my_applications")).content.decode()
    assert page.count('class="application-item bundle-item"') == 3
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)


def test_the_queue_and_the_review_say_part_of_which_bundle_without_a_query_per_row(client, restaurant_bundle, citizen,
                                                                                   bundle_officers):
    first = submitted_bundle(restaurant_bundle, citizen)
    client.force_login(bundle_officers["health"])
    client.get(reverse("departments:queue"))
    with CaptureQueriesContext(connection) as one:
        page = client.get(reverse("departments:queue")).content.decode()
    assert f"part of bundle {first.reference}" in page
    submitted_bundle(restaurant_bundle, citizen)
    submitted_bundle(restaurant_bundle, citizen)
    with CaptureQueriesContext(connection) as three:
        page = client.get(reverse("departments:queue")).content.decode()
    assert page.count("part of bundle B-") == 3
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)
    review = Application.objects.get(bundle_application=first, service__slug="food-operating-permit").reviews.get()
    page = client.get(reverse("departments:review", args=[review.pk])).content.decode()
    assert f"part of bundle {first.reference}" in page


def test_the_managers_dashboard_counts_bundle_applications_submitted(client, restaurant_bundle, citizen):
    submitted_bundle(restaurant_bundle, citizen)
    filled_bundle(restaurant_bundle, UserFactory(email="li.lei@example.org"))  # a draft is not counted
    client.force_login(UserFactory(email="manager@example.gov", role=Role.MANAGER))
    page = client.get(reverse("dashboards:dashboard")).content.decode()
    table = page.split('id="bundles-submitted"', 1)[1].split("</table>", 1)[0]
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table.split("<tbody>")[1])).strip() == (
        "Open a restaurant — all permits in one application 1 Open a convenience store 0")


def test_the_finder_of_the_same_life_event_links_to_the_bundle(client, restaurant_bundle):
    page = client.get(reverse("finder:finder", args=["open-a-restaurant"]), {"seating_capacity": "20"}).content.decode()
    assert ('<a href="/life-events/open-a-restaurant/">Apply for them together: Open a restaurant — all permits in '
            "one application</a>") in page


def test_the_single_form_of_a_bundles_draft_permit_leads_to_the_combined_form(client, restaurant_bundle, citizen):
    row = filled_bundle(restaurant_bundle, citizen)
    food = Application.objects.get(bundle_application=row, service__slug="food-operating-permit")
    client.force_login(citizen)
    assert client.get(reverse("approvals:edit", args=[food.pk, 1])).url == reverse("bundles:edit", args=[row.pk, 1])
    response = client.post(reverse("approvals:check", args=[food.pk]), {"declaration": "yes"})
    assert response.url == reverse("bundles:check", args=[row.pk])
    assert Application.objects.get(pk=food.pk).status == ApplicationStatus.DRAFT


def test_a_draft_bundle_application_is_withdrawn_with_all_its_permits(client, restaurant_bundle, citizen):
    row = filled_bundle(restaurant_bundle, citizen)
    client.force_login(UserFactory(email="li.lei@example.org"))
    assert client.post(reverse("bundles:withdraw", args=[row.pk])).status_code == 404
    client.force_login(citizen)
    assert "Withdraw this draft?" in client.get(reverse("bundles:withdraw", args=[row.pk])).content.decode()
    response = client.post(reverse("bundles:withdraw", args=[row.pk]))
    assert response.url == reverse("approvals:my_applications")
    row.refresh_from_db()
    assert row.status == "withdrawn"
    assert set(Application.objects.values_list("status", flat=True)) == {ApplicationStatus.WITHDRAWN}
    assert client.get(reverse("bundles:detail", args=[row.pk])).status_code == 404
    again = client.post(reverse("bundles:start", args=["open-a-restaurant"]))  # a new draft, not the old one
    assert again.url != reverse("bundles:edit", args=[row.pk, 1])


def test_the_receipt_names_every_permit_and_is_a_pdf_for_the_applicant_only(client, restaurant_bundle, citizen):
    row = submitted_bundle(restaurant_bundle, citizen)
    client.force_login(citizen)
    page = client.get(reverse("bundles:receipt", args=[row.pk])).content.decode()
    assert row.reference in page
    for child in Application.objects.filter(bundle_application=row):
        assert child.reference in page
    assert "Natural Resources and Planning Bureau, Urban Management Bureau" in page  # the sign permit
    response = client.get(reverse("bundles:receipt", args=[row.pk]), {"pdf": "1"})
    assert response["Content-Type"] == "application/pdf"
    assert f"{row.reference}-receipt.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    draft = filled_bundle(restaurant_bundle, UserFactory(email="li.lei@example.org"))
    assert client.get(reverse("bundles:receipt", args=[draft.pk])).status_code == 404
