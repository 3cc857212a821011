"""Fixtures of the tests of filings after approval (registered in the root conftest): a restaurant
whose approvals are told to the sub-district office (the business's name, its seats and contact
phone, the applicant's name and phone) and to a statistics bureau (the cuisine alone), an officer
and a supervisor of every department involved, and applications of it."""

import pytest

from approvals import workflow
from departments.models import Department

from .engine_fixtures import submitted_application
from .factories import ASKING_FIELDS, ASKING_REVIEWS, IDENTITY, VALID_ANSWERS, officer, restaurant_service

FILINGS = [
    ("subdistrict", ["business_name", "seats", "contact_phone"], ["name", "phone"]),
    ("statistics", ["cuisine"], []),
]
TOLD_ANSWERS = {**VALID_ANSWERS, "contact_phone": "+86 21 5555 0100", "id_number": "110101199001011234"}


@pytest.fixture
def told_service(db):
    return restaurant_service(slug="open-a-told-restaurant", fields=ASKING_FIELDS, reviews=ASKING_REVIEWS,
                              filings=FILINGS)


@pytest.fixture
def told_staff(told_service):
    """An officer and a supervisor (``<code>_supervisor``) of every reviewing department and every
    body told, by department code."""
    staff = {}
    for code in [r[0] for r in ASKING_REVIEWS] + [f[0] for f in FILINGS]:
        department = Department.objects.get(code=code)
        staff[code] = officer(department)
        staff[f"{code}_supervisor"] = officer(department, role="supervisor")
    return staff


def approve(application, staff):
    """Route and approve every stage, as the worker and the officers would; the application, approved."""
    for stage in (1, 2):
        workflow.application_route(application_ids=[application.pk])
        for review in application.reviews.filter(stage=stage).select_related("department"):
            workflow.review_decide(review_id=review.pk, actor=staff[review.department.code], decision="approve")
    application.refresh_from_db()
    return application


@pytest.fixture
def told_submit(told_service, citizen, settings, tmp_path):
    """submit(applicant=None) -> a submitted application of the told restaurant, by a citizen whose
    profile holds a phone and an identity document number."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    citizen.phone, citizen.id_number = IDENTITY["phone"], IDENTITY["id_number"]
    citizen.save(update_fields=["phone", "id_number"])

    def _submit(applicant=None):
        return submitted_application(told_service, applicant or citizen, TOLD_ANSWERS)

    return _submit


@pytest.fixture
def approved(told_submit, told_staff):
    """An approved application of the told restaurant: its two filings made."""
    return approve(told_submit(), told_staff)
