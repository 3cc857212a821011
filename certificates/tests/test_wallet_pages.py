"""The citizen's wallet: their certificates with the live state, one certificate's page with what
it prints (escaped), consents to checks given and withdrawn; another holder's certificate is a
404 on record; the list's queries do not grow with it."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from approvals.permit_flow import permit_revoke
from audit.models import Action, AuditEvent
from certificates.models import CertificateConsent, CertificateStatus
from certificates.services import consent_grant

from .conftest import pushed, verify

pytestmark = pytest.mark.django_db

WALLET = reverse("certificates:wallet")


def detail(certificate) -> str:
    return reverse("certificates:detail", args=[certificate.pk])


def test_the_wallet_lists_permits_and_pushed_certificates_with_their_live_state(client, citizen, issue, licence_type,
                                                                                 market, officers):
    verify(citizen)
    permit = issue()
    pushed(licence_type, market, number="SP-1", valid_from=date(2020, 1, 1), valid_until=date(2021, 1, 1))
    pushed(licence_type, market, number="SP-2", valid_from=date(2019, 1, 1), status=CertificateStatus.REVOKED,
           revoked_at=timezone.now(), revocation_reason="Closed.")
    client.force_login(citizen)
    page = client.get(WALLET)
    assert page.status_code == 200
    assert [(r["certificate"].number, r["state"]["code"]) for r in page.context["rows"]] == [
        (permit.number, "valid"), ("SP-1", "expired"), ("SP-2", "revoked")]
    html = page.content.decode()
    assert '<span class="badge text-bg-success">Valid</span>' in html
    assert '<span class="badge text-bg-danger">Expired</span>' in html
    assert '<span class="badge text-bg-danger">Revoked</span>' in html
    assert "Market Bureau" in html and "This portal" in html
    assert f'<a class="nav-link" href="{WALLET}">My e-certificates</a>' in html
    # The permit revoked: its certificate says so at once.
    permit_revoke(permit_id=permit.pk, actor=officers["health_supervisor"], reason="Closed for good.")
    rows = client.get(WALLET).context["rows"]
    assert rows[0]["state"]["code"] == "revoked"


def test_the_wallet_is_linked_from_my_applications(client, citizen):
    client.force_login(citizen)
    html = client.get(reverse("approvals:my_applications")).content.decode()
    assert f'<a href="{WALLET}">My e-certificates: the permits and certificates you hold</a>' in html


def test_a_permits_page_shows_what_it_prints_and_links_its_verification(client, citizen, issue):
    permit = issue()
    certificate = permit.certificate
    client.force_login(citizen)
    response = client.get(detail(certificate))
    assert response.status_code == 200
    assert response.context["printed"][:5] == [
        ("Permit", "Restaurant operating permit"), ("Service", "Open a restaurant"), ("Holder", "Wang Fang"),
        ("Business name", "Golden Dragon"), ("Business site", "1 Harbour Road")]
    html = response.content.decode()
    assert f'href="http://127.0.0.1:8000/permits/verify/{permit.number}/{permit.verify_code}/"' not in html
    assert f'href="/permits/verify/{permit.number}/{permit.verify_code}/"' in html
    assert "Restaurant operating permit" in html


def test_markup_pushed_is_shown_as_text(client, citizen, licence_type, market):
    verify(citizen)
    certificate = pushed(licence_type, market, holder_name="<script>alert(1)</script>",
                         data={"<b>Scope</b>": "<img src=x onerror=alert(2)>"})
    client.force_login(citizen)
    html = client.get(detail(certificate)).content.decode()
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert ('<dt class="col-sm-4">&lt;b&gt;Scope&lt;/b&gt;</dt>'
            '<dd class="col-sm-8">&lt;img src=x onerror=alert(2)&gt;</dd>') in html


def test_another_holders_certificate_is_a_404_on_record(client, citizen, other_citizen, licence_type, market):
    verify(citizen)
    certificate = pushed(licence_type, market)
    client.force_login(other_citizen)
    for method, url in (("get", detail(certificate)),
                        ("post", reverse("certificates:consent_give", args=[certificate.pk]))):
        assert getattr(client, method)(url, {"department": "market", "days": "30"}).status_code == 404
    denied = list(AuditEvent.objects.filter(action=Action.ACCESS_DENIED).values_list(
        "actor_id", "object_type", "object_id", "details__path"))
    assert denied == [(other_citizen.pk, "certificate", str(certificate.pk), detail(certificate)),
                      (other_citizen.pk, "certificate", str(certificate.pk),
                       reverse("certificates:consent_give", args=[certificate.pk]))]
    assert CertificateConsent.objects.count() == 0
    # A number someone only typed into their profile is no proof either.
    other_citizen.id_number = certificate.holder_id_number
    other_citizen.save(update_fields=["id_number"])
    assert client.get(detail(certificate)).status_code == 404


def test_staff_have_no_wallet(client, officers):
    client.force_login(officers["health"])
    assert client.get(WALLET).status_code == 404


def test_consent_given_and_withdrawn(client, citizen, licence_type, market):
    verify(citizen)
    certificate = pushed(licence_type, market)
    client.force_login(citizen)
    url = reverse("certificates:consent_give", args=[certificate.pk])
    # Nothing chosen: the error summary, nothing given.
    response = client.post(url, {"department": "", "days": "30"})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert CertificateConsent.objects.count() == 0
    assert client.post(url, {"department": "market", "days": "365"}).status_code == 400

    before = timezone.now()
    response = client.post(url, {"department": "market", "days": "30"})
    assert response.status_code == 302
    consent = CertificateConsent.objects.get()
    assert (consent.department.code, consent.granted_by, consent.withdrawn_at) == ("market", citizen, None)
    assert before + timedelta(days=30) <= consent.expires_at <= timezone.now() + timedelta(days=30)
    page = client.get(detail(certificate))
    assert [c.department.code for c in page.context["consents"]] == ["market"]
    # Given again: one open consent, the new one.
    client.post(url, {"department": "market", "days": "7"})
    assert CertificateConsent.objects.filter(withdrawn_at__isnull=True).count() == 1
    consent = CertificateConsent.objects.get(withdrawn_at__isnull=True)
    assert consent.expires_at <= timezone.now() + timedelta(days=7)

    withdraw = reverse("certificates:consent_withdraw", args=[certificate.pk, consent.pk])
    assert client.post(withdraw).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert client.get(detail(certificate)).context["consents"] == []
    events = list(AuditEvent.objects.filter(object_type="certificate").order_by("id").values_list(
        "action", "actor_id", "subject_id", "department_code", "details__days"))
    assert events == [("certificate.consent_given", citizen.pk, citizen.pk, "market", 30),
                      ("certificate.consent_given", citizen.pk, citizen.pk, "market", 7),
                      ("certificate.consent_withdrawn", citizen.pk, citizen.pk, "market", None)]


def test_the_wallet_reads_a_constant_number_of_queries(client, citizen, licence_type, market, issue):
    verify(citizen)
    issue()
    pushed(licence_type, market, number="N-0")
    client.force_login(citizen)
    client.get(WALLET)  # the session's first touch

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(WALLET).status_code == 200
        return len(queries)

    n = count()
    pushed(licence_type, market, number="N-1")
    issue()
    assert count() == n, "the wallet's queries grow with the certificates it lists"


def test_a_consent_of_another_certificate_is_a_404_and_stays(client, citizen, licence_type, market):
    verify(citizen)
    mine, other = pushed(licence_type, market), pushed(licence_type, market, number="SP-2026-0002")
    consent = consent_grant(user=citizen, certificate_id=other.pk, department_code="market", days=7)
    client.force_login(citizen)
    url = reverse("certificates:consent_withdraw", args=[mine.pk, consent.pk])
    assert client.post(url).status_code == 404
    assert client.get(reverse("certificates:consent_withdraw", args=[other.pk, consent.pk])).status_code == 405
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, object_type="certificate_consent",
                                     object_id=str(consent.pk)).count() == 1
