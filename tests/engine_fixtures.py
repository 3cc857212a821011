"""Fixtures for tests that drive the approval engine (registered in the root conftest)."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals import workflow
from catalogue.calendar import clear_calendar_cache
from catalogue.schema import frozen_department_ids, frozen_schema
from core.nudges import reset_backoff

from .factories import (
    IDENTITY,
    PDF_BYTES,
    VALID_ANSWERS,
    UserFactory,
    identity_asking_service,
    officer,
    restaurant_service,
    seating_service,
)


@pytest.fixture(autouse=True)
def _fresh_engine_caches():
    # Row ids can repeat between tests (rolled back), so per-process caches start empty.
    clear_calendar_cache()
    frozen_schema.cache_clear()
    frozen_department_ids.cache_clear()
    reset_backoff()
    yield
    clear_calendar_cache()
    frozen_schema.cache_clear()
    frozen_department_ids.cache_clear()


@pytest.fixture
def restaurant(db):
    return restaurant_service()


@pytest.fixture
def citizen(db):
    return UserFactory(email="wang.fang@example.org", full_name="Wang Fang")


@pytest.fixture
def officers(restaurant):
    """One officer and one supervisor per department of the restaurant service, by code."""
    result = {}
    for req in restaurant.requirements.select_related("department"):
        dept = req.department
        result[dept.code] = officer(dept)
        result[f"{dept.code}_supervisor"] = officer(dept, role="supervisor")
    return result


def pdf_upload(name="plan.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def filled_in_through_the_web(client, restaurant, citizen):
    """A draft of the restaurant service, every page of its form answered through the web by
    ``citizen``; submitting it (the check page) is the caller's."""
    from django.urls import reverse

    from approvals.models import Application

    client.force_login(citizen)
    client.post(reverse("approvals:start", args=[restaurant.slug]))
    application = Application.objects.latest("pk")
    pages = {
        1: {"business_name": "Golden Dragon", "cuisine": "chinese", "seats": "40", "opening_date": ""},
        2: {"site_address": "1 Harbour Road"},
        3: {"floor_plan": pdf_upload()},
    }
    for step, data in pages.items():
        assert client.post(reverse("approvals:edit", args=[application.pk, step]), data).status_code == 302
    return application


def submitted_application(service, applicant, answers=None):
    application = workflow.application_start(applicant=applicant, service=service)
    workflow.application_save_answers(application_id=application.pk, actor=applicant, data=dict(answers or VALID_ANSWERS))
    workflow.application_attach(application_id=application.pk, actor=applicant, field_key="floor_plan", uploaded=pdf_upload())
    return workflow.application_submit(application_id=application.pk, actor=applicant)


@pytest.fixture
def submit(restaurant, citizen, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")

    def _submit(applicant=None, answers=None):
        return submitted_application(restaurant, applicant or citizen, answers)

    return _submit


@pytest.fixture
def identity_application(citizen, settings, tmp_path):
    """A routed application of a citizen with a phone and an identity document number in their
    profile, to a service whose form asks for both (tests.factories.ASKING_REVIEWS: who sees what)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    citizen.phone, citizen.id_number = IDENTITY["phone"], IDENTITY["id_number"]
    citizen.save(update_fields=["phone", "id_number"])
    application = submitted_application(identity_asking_service(), citizen)
    workflow.application_route(application_ids=[application.pk])
    return application


# The day the tests of certificates as documents run on: certificates' validity is checked against it.
CERTIFICATE_DAY = "2026-12-07 10:00 +0800"


@pytest.fixture
def on_certificate_day():
    with time_machine.travel(CERTIFICATE_DAY, tick=False):
        yield


@pytest.fixture
def seating_services(db, settings, tmp_path):
    """Outdoor seating and the restaurant service issuing the permit it asks for (tests.factories.seating_service)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return seating_service()
