"""Fixtures of the wallet's tests: certificate types, a restaurant service whose permit is one,
permits issued by the real engine, and certificates a department system pushed."""

from datetime import date

import pytest
from django.utils import timezone

from accounts.models import Assurance
from approvals import workflow
from approvals.permit_flow import permit_render
from catalogue.models import CertificateType, Service
from certificates.models import Certificate, CertificateSource
from departments.models import Department
from permits.models import Permit
from tests.factories import DepartmentFactory, UserFactory

PERSON_ID = "110101199001011234"
COMPANY_CODE = "91110000600037341L"


def approve_all(application, officers) -> Permit:
    for stage in (1, 2):
        for review in application.reviews.filter(stage=stage).select_related("department"):
            workflow.review_decide(review_id=review.pk, actor=officers[review.department.code], decision="approve",
                                   conditions=f"Condition of {review.department.code}.")
    return Permit.objects.get(application=application)


def verify(user, number: str = PERSON_ID, assurance: str = Assurance.SUBSTANTIAL):
    """The user's identity number as an identity service vouched for it."""
    user.id_number, user.assurance, user.identity_verified_at = number, assurance, timezone.now()
    user.save(update_fields=["id_number", "assurance", "identity_verified_at"])
    return user


@pytest.fixture(autouse=True)
def _our_address(settings):
    settings.SITE_URL = "http://127.0.0.1:8000"


@pytest.fixture
def permit_type(restaurant):
    certificate_type = CertificateType.objects.create(
        code="restaurant_permit", name={"en": "Restaurant operating permit", "zh-hans": "餐饮经营许可证"})
    Service.objects.filter(pk=restaurant.pk).update(certificate_type=certificate_type)
    return certificate_type


@pytest.fixture
def licence_type(db):
    return CertificateType.objects.create(code="food_licence", name={"en": "Food business licence",
                                                                      "zh-hans": "食品经营许可证"})


@pytest.fixture
def market(db):
    return DepartmentFactory(code="market")


@pytest.fixture
def issue(submit, officers, permit_type):
    """issue(applicant=None, answers=None): an application approved by every department, its permit
    file produced by the real renderer (which puts it in the wallet)."""

    def _issue(applicant=None, answers=None) -> Permit:
        permit = approve_all(submit(applicant=applicant, answers=answers), officers)
        assert permit_render(permit_id=permit.pk) == "rendered"
        permit.refresh_from_db()
        return permit

    return _issue


def pushed(certificate_type, issuer, **changes) -> Certificate:
    """A certificate a department system pushed, as the API stores it."""
    values = {"type": certificate_type, "number": "SP-2026-0001", "source": CertificateSource.DEPARTMENT_SYSTEM,
              "issuer": issuer if isinstance(issuer, Department) else Department.objects.get(code=issuer),
              "holder_name": "Wang Fang", "holder_id_number": PERSON_ID, "valid_from": date(2026, 1, 1),
              "valid_until": date(2029, 12, 31), "data": {"Scope": "Catering"}}
    values.update(changes)
    return Certificate.objects.create(**values)


@pytest.fixture
def other_citizen(db):
    return UserFactory(email="li.lei@example.org", full_name="Li Lei")
