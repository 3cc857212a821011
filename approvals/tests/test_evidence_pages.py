"""The citizen's pages for a document a certificate answers: the form names the valid one held
and asks nothing (or lets them pick among several); holding none, they upload it or apply for it
first; a certificate that is not theirs is refused on record; one revoked before submitting stops
the submission with a message; the correction page offers a current one."""

import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals import workflow
from approvals.models import Application, ApplicationCertificate, ApplicationStatus
from audit.models import Action, AuditEvent
from certificates.models import CertificateStatus
from tests.factories import PDF_BYTES, UserFactory, officer, wallet_certificate

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.usefixtures("on_certificate_day")]

DOCUMENTS = 2  # the form's second page: the restaurant's permit


@pytest.fixture
def draft(citizen, seating_services):
    seating, _restaurant = seating_services
    application = workflow.application_start(applicant=citizen, service=seating)
    workflow.application_save_answers(application_id=application.pk, actor=citizen,
                                      data={"business_name": "Golden Dragon", "outdoor_seats": "12"})
    return application


@pytest.fixture
def signed_in(client, citizen):
    client.force_login(citizen)
    return client


def edit_url(application, step=DOCUMENTS):
    return reverse("approvals:edit", args=[application.pk, step])


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def inside(html: str, marker: str, end: str) -> str:
    """The markup inside the element whose opening tag holds ``marker``, up to ``end``."""
    return html.split(marker, 1)[1].split(">", 1)[1].split(end, 1)[0]


def rows(application):
    return list(ApplicationCertificate.objects.filter(application=application)
                .values_list("field_key", "certificate__number", "state_at_submit"))


def test_the_form_names_the_certificate_held_and_asks_for_no_file(signed_in, draft, citizen):
    held = wallet_certificate(citizen, number="RP-2026-000042", valid_until=date(2027, 6, 1))

    html = signed_in.get(edit_url(draft)).content.decode()

    assert "We already have your Restaurant operating permit RP-2026-000042, valid until 1 Jun 2027." in text(html)
    assert not re.search(r'<input[^>]*type="file"[^>]*name="restaurant_permit"', html)
    assert re.search(rf'<input type="hidden" name="restaurant_permit" value="{held.pk}" id="id_restaurant_permit_chosen">',
                     html)
    assert re.search(r'<p class="mb-1" id="id_restaurant_permit" tabindex="-1">We already have your', html)

    response = signed_in.post(edit_url(draft), {"restaurant_permit": str(held.pk), "continue": "1"})

    assert response.status_code == 302
    assert rows(draft) == [("restaurant_permit", "RP-2026-000042", "")]
    check = signed_in.get(reverse("approvals:check", args=[draft.pk])).content.decode()
    assert ("Restaurant operating permit RP-2026-000042 · valid until 1 Jun 2027 (from your e-certificates)"
            in text(check))

    response = signed_in.post(reverse("approvals:check", args=[draft.pk]), {"declaration": "yes"})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.IN_REVIEW
    assert rows(draft) == [("restaurant_permit", "RP-2026-000042", "valid")]


def test_several_held_are_offered_newest_first_and_checked(signed_in, draft, citizen):
    older = wallet_certificate(citizen, number="RP-2025-000007", valid_from=date(2025, 3, 1), valid_until=date(2030, 3, 1))
    newest = wallet_certificate(citizen, number="RP-2026-000042", valid_from=date(2026, 6, 1))

    html = signed_in.get(edit_url(draft)).content.decode()

    assert "We already have 2 of your Restaurant operating permits: choose the one for this application." in text(html)
    radios = re.findall(r'<input type="radio"[^>]*name="restaurant_permit" value="(\d+)"[^>]*?( checked)?>', html)
    assert radios == [(str(newest.pk), " checked"), (str(older.pk), "")]
    assert "Which Restaurant operating permit should we use?" in text(html)
    assert "RP-2025-000007 · Golden Dragon Ltd · valid until 1 Mar 2030" in text(html)
    assert "RP-2026-000042 · Golden Dragon Ltd · no end date" in text(html)

    assert signed_in.post(edit_url(draft), {"restaurant_permit": str(older.pk)}).status_code == 302
    assert rows(draft) == [("restaurant_permit", "RP-2025-000007", "")]


def test_holding_none_the_form_asks_for_the_file_and_says_which_service_issues_it(signed_in, draft):
    html = signed_in.get(edit_url(draft)).content.decode()

    assert re.search(r'<input type="file" name="restaurant_permit"', html)
    assert "We already have" not in html
    apply = inside(html, 'class="small mb-3 certificate-apply"', "</p>")
    assert text(apply) == "Do not have one yet? Apply for it first: Open a restaurant ."
    assert f'href="{reverse("service_detail", args=["open-a-restaurant"])}"' in apply

    upload = SimpleUploadedFile("permit.pdf", PDF_BYTES, content_type="application/pdf")
    assert signed_in.post(edit_url(draft), {"restaurant_permit": upload}).status_code == 302
    assert rows(draft) == []
    assert draft.attachments.get().field_key == "restaurant_permit"


@pytest.mark.parametrize("whose", ["another holder's", "a made-up id"])
def test_a_post_naming_a_certificate_not_the_citizens_is_refused_on_record(signed_in, draft, citizen, whose):
    mine = wallet_certificate(citizen, number="RP-2026-000042")
    theirs = wallet_certificate(UserFactory(email="li.lei@example.org"), number="RP-2026-000070")
    sent = str(theirs.pk) if whose == "another holder's" else "987654"
    before = Application.objects.get(pk=draft.pk).answers

    response = signed_in.post(edit_url(draft), {"restaurant_permit": sent})

    assert response.status_code == 400
    message = ("The certificate sent for the restaurant operating permit is not one of yours. Choose one of your own or "
               "upload the document.")
    assert message in text(response.content.decode())
    assert rows(draft) == []
    assert Application.objects.get(pk=draft.pk).answers == before
    denied = AuditEvent.objects.get(action=Action.ACCESS_DENIED)
    assert (denied.actor_id, denied.object_type, denied.object_id, denied.details["reason"]) == (
        citizen.pk, "certificate", sent, "not_holder")
    # The page offers the citizen's own again.
    assert re.search(rf'<input type="hidden" name="restaurant_permit" value="{mine.pk}"', response.content.decode())


def test_a_certificate_revoked_between_the_form_and_submitting_stops_it_with_a_message(signed_in, draft, citizen):
    held = wallet_certificate(citizen, number="RP-2026-000042")
    signed_in.post(edit_url(draft), {"restaurant_permit": str(held.pk)})
    assert signed_in.get(reverse("approvals:check", args=[draft.pk])).status_code == 200
    type(held).objects.filter(pk=held.pk).update(status=CertificateStatus.REVOKED)

    response = signed_in.post(reverse("approvals:check", args=[draft.pk]), {"declaration": "yes"})

    assert response.status_code == 400
    html = response.content.decode()
    summary = inside(html, 'class="alert alert-danger error-summary"', "</div>")
    assert text(summary) == (
        "There is a problem Your Restaurant operating permit RP-2026-000042 is no longer valid: it was revoked. Choose a "
        "current one or upload the restaurant operating permit.")
    assert f'href="{edit_url(draft)}?return=check#id_restaurant_permit"' in summary
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.DRAFT
    # The form now says so, and asks for the file.
    page = signed_in.get(edit_url(draft)).content.decode()
    assert "The Restaurant operating permit RP-2026-000042 you chose earlier is no longer valid." in text(page)
    assert re.search(r'<input type="file" name="restaurant_permit"', page)


def test_the_service_page_says_which_service_issues_the_document(client, draft):
    html = client.get(reverse("service_detail", args=["outdoor-seating"])).content.decode()

    item = inside(html, 'class="small text-body-secondary certificate-source"', "</div>")
    assert text(item) == ("If you hold a valid Restaurant operating permit among your e-certificates, we use it and "
                                "you upload nothing. It is issued by: Open a restaurant .")
    assert f'href="{reverse("service_detail", args=["open-a-restaurant"])}"' in item


def test_the_correction_page_offers_a_current_certificate_for_a_lapsed_one(signed_in, draft, citizen):
    lapsed = wallet_certificate(citizen, number="RP-2026-000042")
    workflow.application_submit(application_id=draft.pk, actor=citizen)
    workflow.application_route(application_ids=[draft.pk])
    type(lapsed).objects.filter(pk=lapsed.pk).update(status=CertificateStatus.REVOKED)
    urban = draft.reviews.get(department__code="urban")
    workflow.review_decide(review_id=urban.pk, actor=officer(urban.department), decision="correction",
                           correction_fields=["restaurant_permit"], message="Your permit was revoked.")
    url = reverse("approvals:correct", args=[draft.pk])

    # Holding none: the file, and where to apply.
    html = signed_in.get(url).content.decode()
    assert re.search(r'<input type="file" name="restaurant_permit"', html)
    assert "Do not have one yet? Apply for it first: Open a restaurant ." in text(html)
    assert signed_in.post(url, {"send": "1"}).status_code == 400

    current = wallet_certificate(citizen, number="RP-2026-000099", valid_from=date(2026, 12, 1), valid_until=date(2031, 12, 1))
    html = signed_in.get(url).content.decode()
    assert "We already have your Restaurant operating permit RP-2026-000099, valid until 1 Dec 2031." in text(html)

    response = signed_in.post(url, {"restaurant_permit": str(current.pk)})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.IN_REVIEW
    assert rows(draft) == [("restaurant_permit", "RP-2026-000099", "valid")]
    detail = signed_in.get(reverse("approvals:detail", args=[draft.pk])).content.decode()
    assert "Restaurant operating permit RP-2026-000099 · valid until 1 Dec 2031 (from your e-certificates)" in text(detail)
