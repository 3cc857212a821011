"""Once only in the bundle form, through the single form's own machinery: a document question a
wallet certificate answers is not asked again (the certificate is offered and recorded on the
child that asks it), and a file given in a bundle draft can be removed (every child's copy)."""

import re

import pytest
from django.urls import reverse

from approvals import bundle_flow
from approvals.answers import section_of
from approvals.models import Application, ApplicationCertificate, Attachment
from audit.models import Action, AuditEvent
from catalogue.models import Bundle, BundleMember, Service
from tests.bundle_fixtures import filled_bundle
from tests.factories import UserFactory, wallet_certificate

pytestmark = pytest.mark.django_db


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


@pytest.fixture
def terrace_bundle(restaurant_bundle):
    """Outdoor seating (it asks for the restaurant's operating permit, a certificate) with a shop sign."""
    bundle = Bundle.objects.create(slug="open-a-terrace", name={"en": "Open a terrace", "zh-hans": "开设外摆"},
                                   life_event={"en": "Running a business", "zh-hans": "企业经营"})
    for position, slug in enumerate(("outdoor-seating", "renovate-a-shop-front")):
        BundleMember.objects.create(bundle=bundle, service=Service.objects.get(slug=slug), position=position)
    return bundle


def test_a_question_a_wallet_certificate_answers_is_not_asked_again_in_a_bundle(client, terrace_bundle, citizen):
    held = wallet_certificate(citizen, number="RP-2026-000042", kind=None)
    row, _outcome = bundle_flow.bundle_start(applicant=citizen, bundle=terrace_bundle)
    client.force_login(citizen)
    url = reverse("bundles:edit", args=[row.pk, section_of(row.combined, "restaurant_permit")])
    html = client.get(url).content.decode()
    assert "We already have your Restaurant operating permit RP-2026-000042" in text(html)
    assert not re.search(r'<input[^>]*type="file"[^>]*name="restaurant_permit"', html)
    response = client.post(url, {"restaurant_permit": str(held.pk), "sign_design": "", "continue": "1"})
    assert response.status_code == 302, text(response.content.decode())[:2000]
    seating = Application.objects.get(bundle_application=row, service__slug="outdoor-seating")
    assert list(ApplicationCertificate.objects.values_list("application_id", "field_key", "certificate__number")) == [
        (seating.pk, "restaurant_permit", "RP-2026-000042")]
    # Answered: "check your answers" does not ask for it.
    assert bundle_flow.bundle_values(row)["restaurant_permit"] is True


def test_a_certificate_that_is_not_the_citizens_is_refused_on_record(client, terrace_bundle, citizen):
    theirs = wallet_certificate(UserFactory(email="li.lei@example.org"), number="RP-2026-000077")
    wallet_certificate(citizen, number="RP-2026-000042")
    row, _outcome = bundle_flow.bundle_start(applicant=citizen, bundle=terrace_bundle)
    client.force_login(citizen)
    url = reverse("bundles:edit", args=[row.pk, section_of(row.combined, "restaurant_permit")])
    response = client.post(url, {"restaurant_permit": str(theirs.pk), "continue": "1"})
    assert response.status_code == 400
    assert not ApplicationCertificate.objects.exists()
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, object_type="certificate",
                                     object_id=str(theirs.pk)).count() == 1


def test_a_file_given_in_a_bundle_draft_is_removed_from_every_child(client, restaurant_bundle, citizen):
    row = filled_bundle(restaurant_bundle, citizen)
    plans = Attachment.objects.filter(application__bundle_application=row, field_key="floor_plan").order_by("pk")
    assert plans.count() == 2  # the food permit's copy and the fire check's
    client.force_login(citizen)
    step = section_of(row.combined, "floor_plan")
    page = client.get(reverse("bundles:edit", args=[row.pk, step])).content.decode()
    first = plans.first()
    remove = reverse("bundles:file_remove", args=[row.pk, first.pk])
    assert f'<form id="remove-file-{first.pk}" method="post" action="{remove}" hidden>' in page
    response = client.post(remove)
    assert response.url == reverse("bundles:edit", args=[row.pk, step])
    assert not Attachment.objects.filter(application__bundle_application=row, field_key="floor_plan").exists()
    assert sorted(Attachment.objects.filter(application__bundle_application=row).values_list("field_key", flat=True)) == [
        "lease_contract", "sign_design"]
    assert AuditEvent.objects.filter(action=Action.ATTACHMENT_REMOVED).count() == 2


def test_another_citizens_file_cannot_be_removed_through_a_bundle(client, restaurant_bundle, citizen):
    row = filled_bundle(restaurant_bundle, citizen)
    other = UserFactory(email="li.lei@example.org")
    theirs = filled_bundle(restaurant_bundle, other)
    attachment = Attachment.objects.filter(application__bundle_application=theirs).first()
    client.force_login(citizen)
    assert client.post(reverse("bundles:file_remove", args=[row.pk, attachment.pk])).status_code == 404
    assert client.post(reverse("bundles:file_remove", args=[theirs.pk, attachment.pk])).status_code == 404
    assert Attachment.objects.filter(application__bundle_application=theirs).count() == 4
