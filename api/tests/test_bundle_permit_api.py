"""Through the API, each part of a bundle with one combined permit answers with that one permit."""

import pytest

from approvals import permit_flow, workflow
from approvals.models import Application
from permits.models import Permit
from tests.bundle_fixtures import STORE_ANSWERS, STORE_FILES, submitted_bundle

pytestmark = pytest.mark.django_db


def test_every_part_of_the_bundle_shows_the_one_combined_permit(citizen_api, store_bundle, citizen, bundle_officers):
    row = submitted_bundle(store_bundle, citizen, answers=STORE_ANSWERS, files=STORE_FILES)
    kids = list(Application.objects.filter(bundle_application=row).order_by("pk"))
    for child in kids:
        for review in child.reviews.select_related("department"):
            workflow.review_decide(review_id=review.pk, actor=bundle_officers[review.department.code], decision="approve")
    permit = Permit.objects.get()
    permit_flow.permit_render(permit_id=permit.pk)
    permit.refresh_from_db()
    for child in kids:
        base = f"/api/v1/applications/{child.pk}/"
        detail = citizen_api.get(base).json()
        assert (detail["status"], detail["permit"]) == ("issued", {
            "number": permit.number, "status": "valid", "state": "valid", "cancelled_from": None,
            "valid_from": permit.valid_from.isoformat(), "valid_until": permit.valid_until.isoformat(),
            "download_url": base + "permit/", "combined": True})
        download = citizen_api.get(base + "permit/")
        assert download.status_code == 200 and b"".join(download.streaming_content) == permit.file.open("rb").read()
    assert Permit.objects.count() == 1
