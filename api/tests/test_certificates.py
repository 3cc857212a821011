"""The wallet's API: a department system pushes the certificates it issues (signed, idempotent,
409 on the same number with other details), revokes them, and checks a certificate's state with
its holder's consent; each is on record, and the checks are on the holder's "who viewed my data"."""

import json
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from api.request_signing import signing_secret_issue, signing_secret_retire
from api.services import api_token_create
from api.tests.conftest import Api, department_token
from api.webhooks import sign
from approvals.permit_flow import permit_render
from approvals.selectors import who_viewed_page
from audit.models import Action, AuditEvent
from catalogue.models import CertificateType, Service
from certificates.models import Certificate, CertificateConsent
from certificates.selectors import wallet_for
from certificates.services import consent_grant
from certificates.tests.conftest import COMPANY_CODE, PERSON_ID, approve_all, verify
from departments.models import Department
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

PUSH = "/api/v1/certificates/"
BODY = {
    "type": "food_licence", "number": "JY-2026-0001",
    "holder": {"name": "Wang Fang", "id_number": "110101199001011234"},
    "valid_from": "2026-01-01", "valid_until": "2028-12-31",
    "data": {"Business scope": "Catering", "Premises": "1 Harbour Road"},
}
ROW = {
    "type": "food_licence", "number": "JY-2026-0001", "issuer": "market", "state": "valid",
    "holder": {"name": "Wang Fang", "id_number": "110101199001011234", "company_code": "", "company_name": ""},
    "valid_from": "2026-01-01", "valid_until": "2028-12-31",
    "data": {"Business scope": "Catering", "Premises": "1 Harbour Road"},
    "replaces": None, "revoked_at": None, "revocation_reason": "",
}


class Signer:
    """A department system: its token and its signing secret."""

    def __init__(self, code: str):
        self.department = Department.objects.get(code=code)
        self.token, clear = department_token(code)
        self.api = Api(clear)
        self.secret = signing_secret_issue(department=self.department)[1]

    def post(self, path, body, *, secret=None, timestamp=None, key=None, signed=True, tamper=None):
        raw = json.dumps(body).encode()
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {}
        if signed:
            headers = {"HTTP_X_PORTAL_TIMESTAMP": stamp,
                       "HTTP_X_PORTAL_SIGNATURE": sign(secret or self.secret, stamp, raw)}
        if key:
            headers["HTTP_IDEMPOTENCY_KEY"] = key
        return self.api.client.post(path, tamper or raw, content_type="application/json", **headers)

    def push(self, **changes):
        return self.post(PUSH, {**BODY, **changes})

    def revoke(self, number="JY-2026-0001", reason="Premises closed.", **kwargs):
        return self.post(f"/api/v1/certificates/food_licence/{number}/revoke/", {"reason": reason}, **kwargs)

    def status(self, number="JY-2026-0001", code="food_licence"):
        return self.api.get(f"/api/v1/certificates/{code}/{number}/status/")


@pytest.fixture
def licence_type(db):
    return CertificateType.objects.create(code="food_licence", name={"en": "Food business licence",
                                                                      "zh-hans": "食品经营许可证"})


@pytest.fixture
def market(licence_type):
    DepartmentFactory(code="market")
    return Signer("market")


@pytest.fixture
def bank(licence_type):
    DepartmentFactory(code="bank")
    return Signer("bank")


def written():
    return (Certificate.objects.count(), AuditEvent.objects.filter(object_type="certificate")
            .exclude(action=Action.ACCESS_DENIED).count())


def denials(reason):
    return list(AuditEvent.objects.filter(action=Action.ACCESS_DENIED, details__reason=reason)
                .values_list("actor_id", "object_id", "details"))


# --- Push -----------------------------------------------------------------------------------------


def test_a_push_enters_the_holders_wallet_on_record(market, citizen):
    verify(citizen)
    response = market.push()
    assert response.status_code == 201, response.json()
    assert response.json() == ROW
    certificate = Certificate.objects.get()
    assert (certificate.source, certificate.issuer, certificate.holder, certificate.permit) == (
        "department_system", market.department, None, None)
    assert list(wallet_for(citizen)) == [certificate]
    event = AuditEvent.objects.get(action=Action.CERTIFICATE_ADDED)
    assert (event.actor_id, event.actor_label, event.subject_id, event.department_code, event.object_type,
            event.object_id, event.purpose, event.details) == (
        market.token.user_id, market.token.label, citizen.pk, "market", "certificate", str(certificate.pk),
        "certificate_issue", {"type": "food_licence", "number": "JY-2026-0001", "token": market.token.prefix})
    # The holder sees who put it there.
    assert [(a.staff_name, a.staff_role, a.action, a.purpose) for a in who_viewed_page(citizen).object_list] == [
        ("Market Bureau system: market system", "Department system", "Added an e-certificate it issued to your wallet",
         "Keeping the register of the certificates it issues")]


def test_the_issuer_is_the_tokens_department_never_the_bodys(market, bank):
    response = market.push(issuer="bank")
    assert response.status_code == 201
    assert Certificate.objects.get().issuer.code == "market"


def test_the_same_push_again_answers_the_row_it_made_and_other_details_conflict(market):
    assert market.push().status_code == 201
    again = market.push()
    assert (again.status_code, again.json()) == (200, ROW)
    other = market.push(valid_until="2029-12-31", data={"Business scope": "Retail"})
    assert other.status_code == 409
    assert other.json() == {"error": {"code": "conflict", "fields": {}, "message": (
        "Certificate JY-2026-0001 is already in the wallet with other details (valid_until, data). A corrected "
        "certificate needs a new number that names this one in “replaces”.")}}
    assert written() == (1, 1)
    # Another department may use the same number for its own certificate.
    DepartmentFactory(code="tax")
    assert Signer("tax").push().status_code == 201


def test_an_idempotency_key_replays_the_first_answer(market):
    first = market.post(PUSH, BODY, key="push-1")
    replay = market.post(PUSH, BODY, key="push-1")
    assert (first.status_code, replay.status_code, replay.json(), replay["Idempotent-Replayed"]) == (
        201, 201, ROW, "true")
    assert market.post(PUSH, {**BODY, "number": "JY-2026-0002"}, key="push-1").status_code == 422
    assert written() == (1, 1)


@pytest.mark.parametrize(("changes", "fields"), [
    ({"type": "no_such_type"}, {"type": ["No certificate type has this code."]}),
    ({"valid_until": "2025-12-31"}, {"valid_until": ["The end of validity cannot be before its start (2026-01-01)."]}),
    ({"valid_from": "2026-02-30"}, {"valid_from": [
        "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
    ({"number": "JY/2026/1"}, {"number": [
        "Use 1 to 64 letters, digits, “.”, “-” or “_”, starting with a letter or a digit."]}),
    ({"number": "x" * 65}, {"number": ["Ensure this field has no more than 64 characters."]}),
    ({"holder": {"name": "Wang Fang", "id_number": "11010119900101123<"}}, {"holder.id_number": [
        "Enter the number exactly as printed on your identity document: letters, digits and hyphens only."]}),
    ({"holder": {"name": "Wang\u202eFang", "id_number": PERSON_ID}}, {"holder.name": ["Remove the control characters."]}),
    ({"holder": {"name": "Wang Fang", "id_number": PERSON_ID, "company_code": "123"}},
     {"holder.company_code": ["A unified social credit code has 18 digits and capital letters."]}),
    ({"data": {"Scope": {"nested": "object"}}}, {"data": ["Each value of data must be text or a number."]}),
    ({"data": {f"k{i}": "v" for i in range(41)}}, {"data": ["A certificate prints at most 40 details."]}),
    ({"data": {"Scope": "x" * 1001}}, {"data": ["Keep it under 1001 characters."]}),
])
def test_bad_input_is_refused_clearly_and_nothing_is_written(market, changes, fields):
    response = market.push(**changes)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == fields
    assert written() == (0, 0)


def test_an_oversize_body_is_refused_before_it_is_read(market, settings):
    settings.API_MAX_BODY_BYTES = 4096
    response = market.push(data={"Scope": "x" * 900, "More": "y" * 900, "Even more": "z" * 900, "Last": "w" * 900,
                                 "Really": "v" * 900})
    assert response.status_code == 413
    assert written() == (0, 0)


def test_markup_is_kept_as_text(market, citizen):
    verify(citizen)
    response = market.push(holder={"name": "<b>Wang</b> Fang", "id_number": PERSON_ID},
                           data={"<i>Scope</i>": "<script>x()</script>"})
    assert response.status_code == 201
    certificate = Certificate.objects.get()
    assert (certificate.holder_name, certificate.data) == ("<b>Wang</b> Fang", {"<i>Scope</i>": "<script>x()</script>"})


def test_a_company_certificate_reaches_the_companys_account(market):
    company = verify(UserFactory(email="harbour@example.org", full_name="Harbour Noodles Ltd"), COMPANY_CODE)
    response = market.push(holder={"name": "Wang Fang", "id_number": PERSON_ID, "company_code": COMPANY_CODE.lower(),
                                   "company_name": "Harbour Noodles Ltd"})
    assert response.status_code == 201
    assert response.json()["holder"] == {"name": "Wang Fang", "id_number": PERSON_ID, "company_code": COMPANY_CODE,
                                         "company_name": "Harbour Noodles Ltd"}
    assert [c.number for c in wallet_for(company)] == ["JY-2026-0001"]


def test_a_push_naming_replaces_supersedes_it(market, citizen):
    verify(citizen)
    market.push()
    response = market.push(number="JY-2026-0002", replaces="JY-2026-0001", valid_from="2026-06-01")
    assert response.status_code == 201
    assert response.json()["replaces"] == "JY-2026-0001"
    old, new = Certificate.objects.order_by("pk")
    assert (old.status, old.superseded_at is not None, new.replaces) == ("superseded", True, old)
    assert old.state() == "superseded"
    assert list(AuditEvent.objects.filter(object_type="certificate").order_by("id").values_list(
        "action", "details__number", "subject_id")) == [
        ("certificate.added", "JY-2026-0001", citizen.pk), ("certificate.added", "JY-2026-0002", citizen.pk),
        ("certificate.superseded", "JY-2026-0001", citizen.pk)]
    # Replaced once: replacing it again with another number is refused.
    again = market.push(number="JY-2026-0003", replaces="JY-2026-0001")
    assert (again.status_code, again.json()["error"]["message"]) == (
        409, "Certificate JY-2026-0001 is superseded: it cannot be replaced.")


def test_a_push_cannot_replace_another_holders_certificate(market):
    market.push()
    response = market.push(number="JY-2026-0002", replaces="JY-2026-0001",
                           holder={"name": "Li Lei", "id_number": "110101198001015678"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"replaces": ["The certificate it replaces belongs to another holder."]}
    unknown = market.push(number="JY-2026-0002", replaces="JY-2020-0404")
    assert unknown.json()["error"]["fields"] == {
        "replaces": ["Your department issued no certificate of this type with this number."]}
    assert Certificate.objects.get().status == "valid"
    assert written() == (1, 1)


# --- Signatures and scopes ----------------------------------------------------------------------------


def test_an_unsigned_push_is_a_401_on_record(market):
    response = market.post(PUSH, BODY, signed=False)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "signature_required"
    assert denials("signature_required") == [(market.token.user_id, PUSH, {
        "path": PUSH, "reason": "signature_required", "token": market.token.prefix})]
    assert written() == (0, 0)


@pytest.mark.parametrize("how", ["wrong_secret", "stale", "future", "tampered", "malformed_time", "retired",
                                 "no_secret"])
def test_a_badly_signed_push_is_a_403_on_record(market, how):
    kwargs, why = {}, "mismatch"
    if how == "wrong_secret":
        kwargs["secret"] = "whsec_not-the-departments"
    elif how in ("stale", "future"):
        kwargs["timestamp"], why = int(time.time()) + (-301 if how == "stale" else 301), "stale"
    elif how == "tampered":
        kwargs["tamper"] = json.dumps({**BODY, "valid_until": "2099-12-31"}).encode()
    elif how == "malformed_time":
        kwargs["timestamp"], why = "yesterday", "malformed_timestamp"
    else:
        secret_id = market.department.signing_secrets.get().pk
        signing_secret_retire(department=market.department, secret_id=secret_id)
        why = "no_secret"
    response = market.post(PUSH, BODY, **kwargs)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_signature"
    assert denials("bad_signature") == [(market.token.user_id, PUSH, {
        "path": PUSH, "reason": "bad_signature", "token": market.token.prefix, "signature": why})]
    assert written() == (0, 0)


def test_a_second_current_secret_signs_too(market):
    old = market.secret
    market.secret = signing_secret_issue(department=market.department)[1]
    assert market.push().status_code == 201
    assert market.push(number="JY-2026-0002", secret=old).status_code == 201


def test_scopes_and_kinds(market, citizen_api):
    token, clear = api_token_create(kind="department", name="reader", department=market.department, scopes=["read"])
    assert Api(clear).post(PUSH, BODY).json()["error"]["code"] == "insufficient_scope"
    assert Api(clear).get("/api/v1/certificates/food_licence/JY-2026-0001/status/").json()["error"]["code"] == (
        "insufficient_scope")
    assert citizen_api.post(PUSH, BODY).status_code == 403
    assert written() == (0, 0)


# --- Revoke -------------------------------------------------------------------------------------


def test_revoke_once_and_the_same_answer_again(market, citizen):
    verify(citizen)
    market.push()
    response = market.revoke(key="revoke-1")
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["revocation_reason"], body["revoked_at"] is not None) == (
        "revoked", "Premises closed.", True)
    again = market.revoke(reason="Another reason.")
    assert (again.status_code, again.json()) == (200, body)
    events = AuditEvent.objects.filter(action=Action.CERTIFICATE_REVOKED)
    assert list(events.values_list("subject_id", "department_code", "details")) == [
        (citizen.pk, "market", {"type": "food_licence", "number": "JY-2026-0001", "reason": "Premises closed.",
                                "token": market.token.prefix})]
    assert wallet_for(citizen).get().state() == "revoked"


def test_only_the_issuer_revokes_and_others_learn_nothing(market, bank):
    market.push()
    for number in ("JY-2026-0001", "JY-2099-0404"):  # another's, and never issued: alike
        response = bank.revoke(number=number)
        assert response.status_code == 404
        assert response.json()["error"]["message"] == "Your department issued no certificate of this type with this number."
    assert Certificate.objects.get().status == "valid"
    assert [d[1] for d in denials("not_found")] == ["food_licence/JY-2026-0001", "food_licence/JY-2099-0404"]
    assert market.revoke(reason="  ").status_code == 400
    assert market.revoke(signed=False).status_code == 401
    assert Certificate.objects.get().status == "valid"


def test_a_superseded_certificate_is_revoked_through_its_successor(market):
    market.push()
    market.push(number="JY-2026-0002", replaces="JY-2026-0001")
    response = market.revoke()
    assert (response.status_code, response.json()["error"]["code"]) == (409, "invalid_state")


# --- Status, with consent -------------------------------------------------------------------------


def test_a_check_needs_the_holders_consent_and_is_on_their_page(market, bank, citizen):
    verify(citizen)
    market.push()
    certificate = Certificate.objects.get()
    refused, unknown = bank.status(), bank.status("JY-2099-0404")
    assert refused.status_code == unknown.status_code == 403
    assert refused.json() == unknown.json() == {"error": {"code": "consent_required", "fields": {}, "message": (
        "The holder of this certificate has not given your department consent to check it, or no certificate has "
        "this type and number. Ask the holder to give consent on their wallet page.")}}
    assert [d[1] for d in denials("consent_required")] == ["food_licence/JY-2026-0001", "food_licence/JY-2099-0404"]
    assert not AuditEvent.objects.filter(action=Action.CERTIFICATE_CHECKED).exists()

    consent_grant(user=citizen, certificate_id=certificate.pk, department_code="bank", days=7)
    response = bank.status()
    assert (response.status_code, response.json()) == (200, {
        "type": "food_licence", "number": "JY-2026-0001", "state": "valid", "valid_from": "2026-01-01",
        "valid_until": "2028-12-31"})
    check = AuditEvent.objects.get(action=Action.CERTIFICATE_CHECKED)
    assert (check.actor_id, check.subject_id, check.department_code, check.purpose, check.details) == (
        bank.token.user_id, citizen.pk, "bank", "certificate_check",
        {"type": "food_licence", "number": "JY-2026-0001", "token": bank.token.prefix})
    assert [(a.staff_name, a.staff_role, a.department, a.action, a.purpose)
            for a in who_viewed_page(citizen).object_list][0] == (
        "Bank Bureau system: bank system", "Department system", "Bank Bureau",
        "Checked whether one of your e-certificates is valid",
        "Checking a certificate of yours, with your consent or as its issuer")
    # Revoked by its issuer: the check says so. Consent withdrawn: refused again.
    market.revoke()
    assert bank.status().json()["state"] == "revoked"
    CertificateConsent.objects.update(withdrawn_at=timezone.now())
    assert bank.status().status_code == 403


def test_an_expired_consent_is_no_consent(market, bank, citizen):
    verify(citizen)
    market.push()
    consent = consent_grant(user=citizen, certificate_id=Certificate.objects.get().pk, department_code="bank", days=7)
    CertificateConsent.objects.filter(pk=consent.pk).update(expires_at=timezone.now())
    assert bank.status().status_code == 403


def test_the_issuer_checks_its_own_and_an_unknown_type_is_a_404(market):
    market.push(valid_until="2026-01-31")
    response = market.status()
    assert (response.status_code, response.json()["state"]) == (200, "expired")
    assert market.status(code="no_such_type").status_code == 404


def test_portal_permits_are_checked_the_same_way(bank, submit, officers, citizen, restaurant):
    permit_type = CertificateType.objects.create(code="restaurant_permit", name={"en": "Restaurant permit"})
    Service.objects.filter(pk=restaurant.pk).update(certificate_type=permit_type)
    permit = approve_all(submit(), officers)
    permit_render(permit_id=permit.pk)
    path_number = permit.number
    assert bank.status(path_number, code="restaurant_permit").status_code == 403
    consent_grant(user=citizen, certificate_id=permit.certificate.pk, department_code="bank", days=30)
    permit.refresh_from_db()
    assert bank.status(path_number, code="restaurant_permit").json() == {
        "type": "restaurant_permit", "number": permit.number, "state": "valid",
        "valid_from": permit.valid_from.isoformat(), "valid_until": permit.valid_until.isoformat()}


def test_the_schema_documents_the_signature(client):
    schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    push = schema["paths"]["/api/v1/certificates/"]["post"]
    assert {p["name"] for p in push["parameters"]} == {"X-Portal-Signature", "X-Portal-Timestamp", "Idempotency-Key"}
    assert push["x-required-scope"] == "certificates:write"
    status = schema["paths"]["/api/v1/certificates/{type}/{number}/status/"]["get"]
    assert status["x-required-scope"] == "certificates:verify"
