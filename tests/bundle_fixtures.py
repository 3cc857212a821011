"""The demo catalogue's restaurant bundle and a citizen's answers to it, for the bundle tests."""

from pathlib import Path

import pytest
from django.core.management import call_command

from approvals import bundle_flow
from catalogue.models import Bundle
from departments.models import Department

from .engine_fixtures import pdf_upload
from .factories import officer

DEMO = Path(__file__).resolve().parent.parent / "catalogue" / "demo" / "catalogue.yaml"

# A 20-seat noodle shop without gas that plans a sign: fire safety does not apply.
BUNDLE_ANSWERS = {
    "legal_representative": "Wang Fang", "contact_phone": "13800138000", "business_name": "Golden Dragon Noodles",
    "business_scope": "Noodles and dumplings", "taxpayer_type": "small_scale", "employee_count": "4",
    "cuisine": "chinese", "seating_capacity": "20", "plans_sign": "true", "site_address": "1 Harbour Road",
    "floor_area": "60", "uses_gas": "false", "sign_text": "Golden Dragon", "sign_area": "2.5",
}
BUNDLE_FILES = ("floor_plan", "lease_contract", "sign_design")


def demo_bundle() -> Bundle:
    call_command("load_catalogue", str(DEMO), verbosity=0)
    return Bundle.objects.get(slug="open-a-restaurant")


@pytest.fixture
def restaurant_bundle(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return demo_bundle()


@pytest.fixture
def bundle_officers(restaurant_bundle):
    """An officer of each department of the demo catalogue, by code."""
    return {d.code: officer(d) for d in Department.objects.all()}


def filled_bundle(bundle, applicant, answers=None, files=BUNDLE_FILES):
    """A draft bundle application with ``answers`` and a PDF for each of ``files``."""
    row, _outcome = bundle_flow.bundle_start(applicant=applicant, bundle=bundle)
    bundle_flow.bundle_save_page(bundle_application_id=row.pk, actor=applicant, data=dict(answers or BUNDLE_ANSWERS),
                                 uploads=[(key, pdf_upload()) for key in files])
    return row


def submitted_bundle(bundle, applicant, answers=None, files=BUNDLE_FILES):
    """A bundle application filled in and submitted."""
    row = filled_bundle(bundle, applicant, answers, files)
    return bundle_flow.bundle_submit(bundle_application_id=row.pk, actor=applicant)


# The convenience store bundle (one combined permit): registration and tax, then health.
STORE_ANSWERS = {key: BUNDLE_ANSWERS[key] for key in (
    "legal_representative", "contact_phone", "business_name", "business_scope", "taxpayer_type", "employee_count",
    "cuisine", "seating_capacity", "plans_sign", "site_address", "floor_area", "uses_gas")} | {"plans_sign": "false"}
STORE_FILES = ("floor_plan", "lease_contract")


@pytest.fixture
def store_bundle(restaurant_bundle):
    """The demo's one-permit bundle: opening a convenience store."""
    return Bundle.objects.get(slug="open-a-convenience-store")
