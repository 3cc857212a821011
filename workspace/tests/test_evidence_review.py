"""A certificate relied on for a document, on the review page: verified evidence (type, number,
holder, issuer, validity, its state now, a link to its live status) for the departments whose
requirement lists the document only; revoked or expired before the decision, the page says so at
once and the officer asks the applicant for a current one by a correction request."""

import re
from datetime import date

import pytest
from django.urls import reverse

from approvals import workflow
from approvals.models import ReviewStatus
from approvals.permit_flow import permit_revoke
from audit.models import Action, AuditEvent
from certificates.models import CertificateStatus
from tests.engine_fixtures import submitted_application
from tests.factories import officer, permit_certificate, wallet_certificate

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.usefixtures("on_certificate_day")]


@pytest.fixture
def services(seating_services):
    return seating_services


def relying_on(seating, citizen, certificate):
    application = workflow.application_start(applicant=citizen, service=seating)
    workflow.application_save_answers(application_id=application.pk, actor=citizen,
                                      data={"business_name": "Golden Dragon", "outdoor_seats": "12"},
                                      certificates={"restaurant_permit": certificate.pk})
    workflow.application_submit(application_id=application.pk, actor=citizen)
    workflow.application_route(application_ids=[application.pk])
    return application


@pytest.fixture
def certificate(services, citizen):
    return wallet_certificate(citizen, number="RP-2026-000042", valid_from=date(2026, 1, 1), valid_until=date(2028, 12, 31),
                              data={"Business": "Golden Dragon", "Seats": "40"})


@pytest.fixture
def application(services, citizen, certificate):
    return relying_on(services[0], citizen, certificate)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def evidence_block(html: str) -> str:
    """The evidence of the restaurant's permit, the last of the answers, in words."""
    return text(html.split('id="evidence-restaurant_permit"', 1)[1].split(">", 1)[1].split("</section>", 1)[0])


def open_review(client, application, code):
    review = application.reviews.select_related("department").get(department__code=code)
    user = officer(review.department)
    client.force_login(user)
    response = client.get(reverse("departments:review", args=[review.pk]))
    assert response.status_code == 200
    return review, user, response.content.decode()


def test_the_department_needing_the_document_sees_verified_evidence_and_its_live_status(client, application):
    review, urban_officer, html = open_review(client, application, "urban")

    assert evidence_block(html) == (
        "Verified evidence Restaurant operating permit RP-2026-000042 Holder Wang Fang · Golden Dragon Ltd "
        "(91310000MA1FL0000X) Issued by Registration Bureau Valid 1 Jan 2026 to 31 Dec 2028 When submitted Valid · "
        "7 Dec 2026, 10:00 State now Valid Its live status")
    status_url = reverse("departments:certificate", args=[review.pk, "restaurant_permit"])
    assert f'href="{status_url}"' in html
    # Opening the review, evidence and all, is on record.
    viewed = AuditEvent.objects.filter(action=Action.REVIEW_VIEWED, actor=urban_officer, department_code="urban")
    assert viewed.count() == 1

    status = client.get(status_url)

    assert status.status_code == 200
    page = text(status.content.decode())
    assert "Restaurant operating permit RP-2026-000042" in page
    assert "State now: Valid" in page
    assert "What it states Business Golden Dragon Seats 40" in page
    # The same visit within the minute: still one "viewed".
    assert viewed.count() == 1


def test_a_department_not_listing_the_document_sees_none_of_it(client, application):
    review, planning_officer, html = open_review(client, application, "planning")

    assert "RP-2026-000042" not in html
    assert 'id="evidence-' not in html
    response = client.get(reverse("departments:certificate", args=[review.pk, "restaurant_permit"]))
    assert response.status_code == 404
    denied = AuditEvent.objects.get(action=Action.ACCESS_DENIED)
    assert (denied.actor_id, denied.object_type, denied.object_id) == (planning_officer.pk, "certificate",
                                                                       "restaurant_permit")


def test_a_certificate_revoked_before_the_decision_shows_at_once_and_a_current_one_is_asked_for(
        client, application, certificate):
    review, urban_officer, html = open_review(client, application, "urban")
    assert "State now Valid" in evidence_block(html)
    workflow.review_claim(review_id=review.pk, actor=urban_officer)
    type(certificate).objects.filter(pk=certificate.pk).update(status=CertificateStatus.REVOKED,
                                                               revoked_at="2026-12-07T09:00:00+08:00")

    html = client.get(reverse("departments:review", args=[review.pk])).content.decode()

    block = evidence_block(html)
    assert "State now Revoked" in block
    assert ("This certificate was revoked on 7 Dec 2026, after the applicant submitted it: it is no longer evidence."
            in block)
    form = html.split('id="evidence-restaurant_permit"', 1)[1].split("</form>", 1)[0]
    assert f'action="{reverse("departments:decide", args=[review.pk])}"' in form
    message = re.search(r'<textarea[^>]*name="message"[^>]*>(.*?)</textarea>', form, re.S).group(1)
    assert message == ("Your Restaurant operating permit RP-2026-000042 is no longer valid: it was revoked. Please give a "
                       "current one: choose a valid certificate you hold, or upload the document.")
    review.refresh_from_db()

    response = client.post(reverse("departments:decide", args=[review.pk]), {
        "decision": "correction", "correction_fields": "restaurant_permit", "message": message,
        "version": str(review.version)})

    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.correction_fields, review.correction_message) == (
        ReviewStatus.CORRECTION_REQUESTED, ["restaurant_permit"], message)
    application.refresh_from_db()
    assert application.status == "needs_correction"


def test_the_request_goes_out_in_the_applicants_language(client, application, certificate, citizen):
    citizen.language = "zh-hans"
    citizen.save(update_fields=["language"])
    type(certificate).objects.filter(pk=certificate.pk).update(valid_until=date(2026, 12, 6))
    review, urban_officer, _html = open_review(client, application, "urban")
    workflow.review_claim(review_id=review.pk, actor=urban_officer)

    html = client.get(reverse("departments:review", args=[review.pk])).content.decode()

    assert "This certificate expired on 6 Dec 2026: it is no longer evidence." in evidence_block(html)
    message = re.search(r'<textarea[^>]*name="message"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert "餐饮经营许可证 RP-2026-000042" in message


def test_a_portal_permit_links_to_its_public_verification_and_shows_its_revocation_at_once(client, services, citizen):
    seating, restaurant = services
    restaurant_application = submitted_application(restaurant, citizen)
    certificate = permit_certificate(restaurant_application, holder=citizen)
    application = relying_on(seating, citizen, certificate)
    permit = certificate.permit

    review, _urban_officer, html = open_review(client, application, "urban")

    verify = reverse("permits:verify_code", args=[permit.number, permit.verify_code])
    assert f'href="{verify}"' in html
    assert "Issued by This portal" in evidence_block(html)
    assert "State now Valid" in evidence_block(html)

    supervisor = officer(restaurant_application.reviews.first().department, role="supervisor")
    permit_revoke(permit_id=permit.pk, actor=supervisor, reason="Kitchen closed by the inspectors.")

    html = client.get(reverse("departments:review", args=[review.pk])).content.decode()
    assert "State now Revoked" in evidence_block(html)
    assert "This certificate was revoked on 7 Dec 2026" in evidence_block(html)
