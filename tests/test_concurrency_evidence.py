"""A certificate revoked while the applicant submits with it, on real PostgreSQL: the submission
waits for the revocation in flight and refuses with what happened; a revocation arriving while a
submission holds the certificate waits for it, and the review then shows it revoked."""

import pytest

from approvals import workflow
from approvals.models import ApplicationCertificate, ApplicationStatus
from approvals.permit_flow import permit_revoke
from core.errors import ValidationFailed
from tests.concurrent import run_while_waited_on
from tests.engine_fixtures import submitted_application
from tests.factories import UserFactory, officer, permit_certificate, seating_service

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("on_certificate_day")]


@pytest.fixture
def relying(settings, tmp_path):
    """A draft of outdoor seating choosing the citizen's restaurant permit, and a supervisor who
    may revoke that permit."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    citizen = UserFactory(email="wang.fang@example.org", full_name="Wang Fang")
    seating, restaurant = seating_service()
    restaurant_application = submitted_application(restaurant, citizen)
    certificate = permit_certificate(restaurant_application, holder=citizen)
    draft = workflow.application_start(applicant=citizen, service=seating,
                                       answers={"business_name": "Golden Dragon", "outdoor_seats": "12"})
    workflow.application_save_answers(application_id=draft.pk, actor=citizen, data={},
                                      certificates={"restaurant_permit": certificate.pk})
    supervisor = officer(restaurant_application.reviews.first().department, role="supervisor")
    return draft, citizen, certificate, supervisor


def revoke(certificate, supervisor):
    return lambda: permit_revoke(permit_id=certificate.permit_id, actor=supervisor, reason="Kitchen closed.")


def submit(draft, citizen):
    return lambda: workflow.application_submit(application_id=draft.pk, actor=citizen)


def test_a_submission_waits_for_a_revocation_in_flight_and_refuses(relying):
    draft, citizen, certificate, supervisor = relying

    errors = run_while_waited_on(revoke(certificate, supervisor), submit(draft, citizen))

    assert [type(e) for e in errors] == [ValidationFailed]
    assert errors[0].errors == {"restaurant_permit": [
        f"Your Restaurant operating permit {certificate.number} is no longer valid: it was revoked. Choose a current one "
        "or upload the restaurant operating permit."]}
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.DRAFT
    assert ApplicationCertificate.objects.get(application=draft).submitted_at is None


def test_a_revocation_waits_for_a_submission_relying_on_the_certificate(relying):
    draft, citizen, certificate, supervisor = relying

    errors = run_while_waited_on(submit(draft, citizen), revoke(certificate, supervisor))

    assert errors == []
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.IN_REVIEW
    row = ApplicationCertificate.objects.select_related("certificate__permit").get(application=draft)
    assert (row.state_at_submit, row.certificate.state()) == ("valid", "revoked")
