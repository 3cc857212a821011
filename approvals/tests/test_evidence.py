"""Certificates as documents in the engine: submitting relies on the newest valid certificate held
(or the one chosen), one row per question, checked again under the lock; a certificate that lapsed
since the form, or that is not the applicant's, stops everything with a clear message; corrections
replace a lapsed one by a current certificate or an upload."""

from datetime import date

import pytest
from django.utils import timezone

from accounts.models import Assurance
from approvals import workflow
from approvals.evidence import CertificateRefused
from approvals.models import Application, ApplicationCertificate, ApplicationStatus, Attachment, Review
from approvals.permit_flow import permit_revoke
from audit.models import Action, AuditEvent
from certificates.models import CertificateStatus
from core.errors import ValidationFailed
from tests.engine_fixtures import pdf_upload, submitted_application
from tests.factories import UserFactory, officer, permit_certificate, wallet_certificate

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.usefixtures("on_certificate_day")]

ANSWERS = {"business_name": "Golden Dragon", "outdoor_seats": "12"}
TODAY = date(2026, 12, 7)


@pytest.fixture
def seating(seating_services):
    return seating_services[0]


@pytest.fixture
def draft(seating, citizen):
    application = workflow.application_start(applicant=citizen, service=seating)
    workflow.application_save_answers(application_id=application.pk, actor=citizen, data=ANSWERS)
    return application


def rows(application):
    return list(ApplicationCertificate.objects.filter(application=application)
                .values_list("field_key", "certificate__number", "state_at_submit"))


def submit(application, actor):
    return workflow.application_submit(application_id=application.pk, actor=actor)


def test_submit_relies_on_the_newest_valid_certificate_held(draft, citizen):
    other = UserFactory(email="li.lei@example.org")
    wallet_certificate(citizen, number="RP-2025-000007", valid_from=date(2025, 3, 1))
    newest = wallet_certificate(citizen, number="RP-2026-000042", valid_from=date(2026, 6, 1), valid_until=date(2027, 6, 1))
    wallet_certificate(citizen, number="RP-2026-000050", valid_from=date(2026, 9, 1), status=CertificateStatus.REVOKED)
    wallet_certificate(citizen, number="RP-2026-000060", valid_from=date(2026, 10, 1), valid_until=date(2026, 11, 30))
    wallet_certificate(other, number="RP-2026-000070", valid_from=date(2026, 11, 1))

    application = submit(draft, citizen)

    assert application.status == ApplicationStatus.IN_REVIEW
    assert rows(application) == [("restaurant_permit", "RP-2026-000042", "valid")]
    row = ApplicationCertificate.objects.get(application=application)
    assert row.submitted_at == application.submitted_at
    assert not Attachment.objects.filter(application=application).exists()
    event = AuditEvent.objects.get(action=Action.CERTIFICATE_USED)
    assert (event.object_type, event.object_id, event.subject_id, event.application_id, event.actor_id) == (
        "certificate", str(newest.pk), citizen.pk, application.pk, citizen.pk)
    assert event.details == {"field": "restaurant_permit", "number": "RP-2026-000042",
                             "type": "restaurant_operating_permit", "state": "valid"}
    # Once only, counted: two answers given, the permit not provided (approvals.once_only).
    assert Application.objects.get(pk=application.pk).once_only == {
        "fields_asked": 2, "fields_taken": 0, "documents_uploaded": 0, "documents_reused": 1}


def test_the_certificate_chosen_on_the_draft_is_the_one_relied_on(draft, citizen):
    older = wallet_certificate(citizen, number="RP-2025-000007", valid_from=date(2025, 3, 1))
    wallet_certificate(citizen, number="RP-2026-000042", valid_from=date(2026, 6, 1))

    workflow.application_save_answers(application_id=draft.pk, actor=citizen, data={},
                                      certificates={"restaurant_permit": older.pk})
    assert rows(draft) == [("restaurant_permit", "RP-2025-000007", "")]
    saved = AuditEvent.objects.filter(action=Action.ANSWERS_SAVED).latest("id")
    assert saved.details == {"fields": ["restaurant_permit"]}

    submit(draft, citizen)

    assert rows(draft) == [("restaurant_permit", "RP-2025-000007", "valid")]


def test_a_certificate_held_by_identity_number_counts_only_for_a_verified_identity(draft, citizen):
    wallet_certificate(None, number="RP-2026-000042", holder_id_number="110101199001011234")
    citizen.id_number = "110101199001011234"
    citizen.save(update_fields=["id_number"])

    with pytest.raises(ValidationFailed) as refused:
        submit(draft, citizen)
    assert refused.value.errors == {"restaurant_permit": ["Upload the restaurant operating permit."]}

    citizen.assurance = Assurance.HIGH
    citizen.save(update_fields=["assurance"])
    submit(draft, citizen)
    assert rows(draft) == [("restaurant_permit", "RP-2026-000042", "valid")]


def test_someone_holding_none_uploads_the_document(draft, citizen):
    workflow.application_attach(application_id=draft.pk, actor=citizen, field_key="restaurant_permit",
                                uploaded=pdf_upload("permit.pdf"))

    submit(draft, citizen)

    assert rows(draft) == []
    assert list(Attachment.objects.filter(application=draft).values_list("field_key", flat=True)) == ["restaurant_permit"]


@pytest.mark.parametrize(("lapse", "reason"), [
    ({"status": CertificateStatus.REVOKED}, "it was revoked"),
    ({"status": CertificateStatus.SUPERSEDED}, "a newer certificate replaced it"),
    ({"valid_until": date(2026, 12, 6)}, "it expired on 6 Dec 2026"),
])
def test_a_certificate_that_lapsed_after_it_was_chosen_stops_the_submission(draft, citizen, lapse, reason):
    chosen = wallet_certificate(citizen, number="RP-2026-000042")
    workflow.application_save_answers(application_id=draft.pk, actor=citizen, data={},
                                      certificates={"restaurant_permit": chosen.pk})
    type(chosen).objects.filter(pk=chosen.pk).update(**lapse)
    # Another valid one held is not taken in its place: the citizen chose this one.
    wallet_certificate(citizen, number="RP-2026-000043")

    with pytest.raises(ValidationFailed) as refused:
        submit(draft, citizen)

    assert refused.value.errors == {"restaurant_permit": [
        f"Your Restaurant operating permit RP-2026-000042 is no longer valid: {reason}. Choose a current one or upload "
        "the restaurant operating permit."]}
    draft.refresh_from_db()
    assert (draft.status, draft.submitted_at, draft.reference) == (ApplicationStatus.DRAFT, None, None)
    assert not Review.objects.filter(application=draft).exists()
    assert rows(draft) == [("restaurant_permit", "RP-2026-000042", "")]
    assert not AuditEvent.objects.filter(action__in=[Action.APPLICATION_SUBMITTED, Action.CERTIFICATE_USED]).exists()


def test_a_portal_permit_revoked_before_the_submission_stops_it(draft, citizen, restaurant_application):
    certificate = permit_certificate(restaurant_application, holder=citizen)
    supervisor = officer(restaurant_application.reviews.first().department, role="supervisor")
    permit_revoke(permit_id=certificate.permit_id, actor=supervisor, reason="Kitchen closed by the inspectors.")

    with pytest.raises(ValidationFailed) as refused:
        submit(draft, citizen)

    # Nothing was chosen and none is held valid: the question needs the document.
    assert refused.value.errors == {"restaurant_permit": ["Upload the restaurant operating permit."]}


def test_a_portal_permit_chosen_then_revoked_is_named_with_what_happened(draft, citizen, restaurant_application):
    certificate = permit_certificate(restaurant_application, holder=citizen)
    workflow.application_save_answers(application_id=draft.pk, actor=citizen, data={},
                                      certificates={"restaurant_permit": certificate.pk})
    supervisor = officer(restaurant_application.reviews.first().department, role="supervisor")
    permit_revoke(permit_id=certificate.permit_id, actor=supervisor, reason="Kitchen closed by the inspectors.")

    with pytest.raises(ValidationFailed) as refused:
        submit(draft, citizen)

    assert refused.value.errors == {"restaurant_permit": [
        f"Your Restaurant operating permit {certificate.number} is no longer valid: it was revoked. Choose a current "
        "one or upload the restaurant operating permit."]}


@pytest.mark.parametrize("whose", ["another holder's", "no certificate at all"])
def test_a_choice_naming_a_certificate_not_the_applicants_is_refused_and_nothing_is_saved(draft, citizen, whose):
    other = UserFactory(email="li.lei@example.org")
    theirs = wallet_certificate(other, number="RP-2026-000070")
    sent = theirs.pk if whose == "another holder's" else theirs.pk + 1000
    before = Application.objects.get(pk=draft.pk).answers

    with pytest.raises(CertificateRefused) as refused:
        workflow.application_save_answers(application_id=draft.pk, actor=citizen, data={"business_name": "Changed"},
                                          certificates={"restaurant_permit": sent})

    assert refused.value.refused == [("restaurant_permit", str(sent))]
    assert refused.value.errors == {"restaurant_permit": [
        "The certificate sent for the restaurant operating permit is not one of yours. Choose one of your own or upload "
        "the document."]}
    assert Application.objects.get(pk=draft.pk).answers == before
    assert rows(draft) == []


def test_a_certificate_of_another_type_or_for_a_question_taking_none_is_refused(draft, citizen):
    from tests.factories import certificate_type

    licence = wallet_certificate(citizen, number="BL-2026-000001", kind=certificate_type(
        "business_licence", {"en": "Business licence", "zh-hans": "营业执照"}))

    with pytest.raises(ValidationFailed) as refused:
        workflow.application_save_answers(application_id=draft.pk, actor=citizen, data={},
                                          certificates={"restaurant_permit": licence.pk, "business_name": licence.pk})

    assert not isinstance(refused.value, CertificateRefused)
    assert refused.value.errors == {
        "restaurant_permit": ["Your BL-2026-000001 is not a Restaurant operating permit."],
        "business_name": ["This question is not answered by a certificate."],
    }


def test_uploading_a_file_replaces_the_certificate_chosen(draft, citizen):
    chosen = wallet_certificate(citizen, number="RP-2026-000042")
    workflow.application_save_answers(application_id=draft.pk, actor=citizen, data={},
                                      certificates={"restaurant_permit": chosen.pk})

    workflow.application_attach(application_id=draft.pk, actor=citizen, field_key="restaurant_permit",
                                uploaded=pdf_upload("permit.pdf"))

    assert rows(draft) == []
    submit(draft, citizen)
    assert rows(draft) == []


# --- Corrections -------------------------------------------------------------------------------------


@pytest.fixture
def relied_on(draft, citizen):
    """A submitted application relying on RP-2026-000042, revoked since, and urban management's
    request for a current one."""
    certificate = wallet_certificate(citizen, number="RP-2026-000042")
    application = submit(draft, citizen)
    workflow.application_route(application_ids=[application.pk])
    type(certificate).objects.filter(pk=certificate.pk).update(status=CertificateStatus.REVOKED)
    urban = application.reviews.get(department__code="urban")
    workflow.review_decide(review_id=urban.pk, actor=officer(urban.department), decision="correction",
                           correction_fields=["restaurant_permit"], message="Your permit was revoked: give a current one.")
    return application


def test_a_correction_replaces_a_lapsed_certificate_by_a_current_one(relied_on, citizen):
    current = wallet_certificate(citizen, number="RP-2026-000099", valid_from=date(2026, 12, 1))

    workflow.application_resubmit(application_id=relied_on.pk, actor=citizen, data={},
                                  certificates={"restaurant_permit": current.pk})

    relied_on.refresh_from_db()
    assert relied_on.status == ApplicationStatus.IN_REVIEW
    assert rows(relied_on) == [("restaurant_permit", "RP-2026-000099", "valid")]
    resubmitted = AuditEvent.objects.get(action=Action.APPLICATION_RESUBMITTED)
    assert resubmitted.details["changed"] == ["restaurant_permit"]
    assert list(AuditEvent.objects.filter(action=Action.CERTIFICATE_USED).order_by("id")
                .values_list("details__number", flat=True)) == ["RP-2026-000042", "RP-2026-000099"]


def test_a_correction_keeping_the_lapsed_certificate_is_refused(relied_on, citizen):
    with pytest.raises(ValidationFailed) as refused:
        workflow.application_resubmit(application_id=relied_on.pk, actor=citizen, data={})

    assert refused.value.errors == {"restaurant_permit": [
        "Your Restaurant operating permit RP-2026-000042 is no longer valid: it was revoked. Choose a current one or "
        "upload the restaurant operating permit."]}
    relied_on.refresh_from_db()
    assert relied_on.status == ApplicationStatus.NEEDS_CORRECTION


def test_a_correction_may_upload_the_document_instead(relied_on, citizen):
    workflow.application_resubmit(application_id=relied_on.pk, actor=citizen, data={},
                                  uploads=[("restaurant_permit", pdf_upload("permit.pdf"))],
                                  certificates={"restaurant_permit": None})

    assert rows(relied_on) == []
    assert relied_on.attachments.get().field_key == "restaurant_permit"
    assert AuditEvent.objects.get(action=Action.APPLICATION_RESUBMITTED).details["changed"] == ["restaurant_permit"]


def test_a_file_attached_on_its_own_answers_the_correction_too(relied_on, citizen):
    # As the API does it: the file first, then the corrections.
    workflow.application_attach(application_id=relied_on.pk, actor=citizen, field_key="restaurant_permit",
                                uploaded=pdf_upload("permit.pdf"))
    workflow.application_resubmit(application_id=relied_on.pk, actor=citizen, data={})

    assert rows(relied_on) == []
    assert AuditEvent.objects.get(action=Action.APPLICATION_RESUBMITTED).details["changed"] == ["restaurant_permit"]


def test_a_correction_naming_another_holders_certificate_is_refused(relied_on, citizen):
    theirs = wallet_certificate(UserFactory(email="li.lei@example.org"), number="RP-2026-000070")

    with pytest.raises(CertificateRefused):
        workflow.application_resubmit(application_id=relied_on.pk, actor=citizen, data={},
                                      certificates={"restaurant_permit": theirs.pk})

    assert rows(relied_on) == [("restaurant_permit", "RP-2026-000042", "valid")]
    relied_on.refresh_from_db()
    assert relied_on.status == ApplicationStatus.NEEDS_CORRECTION


@pytest.fixture
def restaurant_application(seating, citizen):
    from catalogue.models import Service

    return submitted_application(Service.objects.get(slug="open-a-restaurant"), citizen)


def test_submit_writes_one_row_per_question_and_application(draft, citizen):
    wallet_certificate(citizen, number="RP-2026-000042")
    submit(draft, citizen)
    assert ApplicationCertificate.objects.filter(application=draft).count() == 1
    assert ApplicationCertificate.objects.filter(submitted_at__date=timezone.localdate()).count() == 1


def test_the_reuse_is_listed_on_who_viewed_my_data_as_the_issuing_department(draft, citizen):
    from approvals.selectors import who_viewed_page

    wallet_certificate(citizen, number="RP-2026-000042", valid_from=date(2026, 6, 1))
    application = submit(draft, citizen)

    rows = [(a.staff_name, a.staff_role, a.action, a.purpose, a.reference) for a in who_viewed_page(citizen).object_list]
    assert rows == [("Registration Bureau", "Issuer of the e-certificate",
                     "Provided your e-certificate RP-2026-000042 as evidence for your application",
                     "Using what the government already holds instead of asking you for it", application.reference)]
