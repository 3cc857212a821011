"""Where the one combined permit of a bundle shows: the bundle's page with its download, the
receipt, My applications (one permit, without a query per bundle), the public verification page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import permit_flow, workflow
from approvals.models import Application
from permits.models import Permit
from tests.bundle_fixtures import STORE_ANSWERS, STORE_FILES, submitted_bundle

pytestmark = pytest.mark.django_db


def issued_store(bundle, citizen, officers) -> tuple:
    """A one-permit bundle application every department approved, its combined permit produced."""
    row = submitted_bundle(bundle, citizen, answers=STORE_ANSWERS, files=STORE_FILES)
    for child in Application.objects.filter(bundle_application=row).order_by("pk"):
        for review in child.reviews.select_related("department"):
            workflow.review_decide(review_id=review.pk, actor=officers[review.department.code], decision="approve",
                                   conditions="Keep the cold chain logged." if review.department.code == "health" else "")
    permit = Permit.objects.get(bundle_application=row)
    permit_flow.permit_render(permit_id=permit.pk)
    permit.refresh_from_db()
    return row, permit


def test_the_bundle_page_offers_the_one_combined_permit(client, store_bundle, citizen, bundle_officers):
    row, permit = issued_store(store_bundle, citizen, bundle_officers)
    client.force_login(citizen)
    page = client.get(reverse("bundles:detail", args=[row.pk])).content.decode()
    assert page.count(f'href="/permits/{permit.number}/download/"') == 1
    assert "Once every part is approved you receive one combined permit for all of them" in page
    # Not listed again as the permit of one part: the panel (validity, link) and the timeline (approved, ready).
    table = page.split('class="table bundle-children"', 1)[1].split("</table>", 1)[0]
    assert permit.number not in table and page.count(permit.number) == 5
    download = client.get(reverse("permits:download", args=[permit.number]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    receipt = client.get(reverse("bundles:receipt", args=[row.pk])).content.decode()
    assert "One combined permit is issued for all of them once every department has approved." in receipt


def test_my_applications_shows_one_permit_per_bundle_without_a_query_per_bundle(
        client, store_bundle, citizen, bundle_officers):
    _row, permit = issued_store(store_bundle, citizen, bundle_officers)
    client.force_login(citizen)
    client.get(reverse("approvals:my_applications"))
    with CaptureQueriesContext(connection) as one:
        page = client.get(reverse("approvals:my_applications")).content.decode()
    assert page.count("Combined permit") == 1 and page.count(permit.number) == 1
    issued_store(store_bundle, citizen, bundle_officers)
    submitted_bundle(store_bundle, citizen, answers=STORE_ANSWERS, files=STORE_FILES)
    with CaptureQueriesContext(connection) as three:
        page = client.get(reverse("approvals:my_applications")).content.decode()
    assert page.count('class="application-item bundle-item"') == 3 and page.count("Combined permit") == 2
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)


def test_the_public_verification_page_lists_every_permit_it_stands_for(client, store_bundle, citizen, bundle_officers):
    row, permit = issued_store(store_bundle, citizen, bundle_officers)
    kids = {c.service.slug: c for c in Application.objects.filter(bundle_application=row).select_related("service")}
    page = client.get(reverse("permits:verify_code", args=[permit.number, permit.verify_code])).content.decode()
    assert f"Permit {permit.number} was issued by this portal and is valid." in page
    members = page.split('class="list-unstyled mb-0 combined-members">', 1)[1].split("</ul>", 1)[0]
    assert members == (
        f"<li>Business licence ({kids['register-a-business'].reference}), approved by Market Regulation "
        "Administration (Business Registration), Taxation Bureau</li>"
        f"<li>Food operating permit ({kids['food-operating-permit'].reference}), approved by Public Health Bureau</li>")
    assert "Public Health Bureau: <bdi class=\"text-break\">Keep the cold chain logged.</bdi>" in page
    assert f"<dd class=\"col-sm-8\">{row.reference}</dd>" in page


def test_each_parts_own_page_offers_the_combined_permit(client, store_bundle, citizen, bundle_officers):
    row, permit = issued_store(store_bundle, citizen, bundle_officers)
    client.force_login(citizen)
    for child in Application.objects.filter(bundle_application=row):
        page = client.get(reverse("approvals:detail", args=[child.pk])).content.decode()
        assert page.count(f'href="/permits/{permit.number}/download/"') == 1
