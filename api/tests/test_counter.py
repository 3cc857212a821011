"""At the counter: a front desk registers a walk-in citizen after checking an identity document in
person, files for them with their signed consent, and prints a claim letter."""

import base64
import hashlib
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.formats import date_format

from accounts.counter import claim_code_clean
from accounts.models import WALK_IN_DOMAIN, AccountClaim, Assurance, ClaimChannel, CounterRegistration
from api.models import ApiFiling, FilingConsent, IdempotencyRecord, TokenKind
from api.services import api_token_create
from api.tests.conftest import Api, department_token, signed_consent
from approvals.models import Application
from audit.models import Action, AuditEvent
from tests.concurrent import run_together
from tests.factories import PDF_BYTES, VALID_ANSWERS, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
RIC = "11010519491231002X"
SERVICE = "open-a-restaurant"
WALK_IN = {
    "full_name": "Zhao Min", "document_type": "resident_id_card", "document_number": "110105 19491231 002x",
    "phone": "+86 10 6512 3456", "officer_name": "Li Na", "officer_staff_number": "A1023",
}


def fields_of(response):
    return response.json()["error"]["fields"]


@pytest.fixture
def desk(desk_token):
    return Api(desk_token[1])


def register(desk, key=None, **changes):
    return desk.post("/api/v1/citizens/", {**WALK_IN, **changes}, key=key)


def nothing_made():
    return (User.objects.filter(role="citizen", counter_registration__isnull=False).count(),
            AuditEvent.objects.filter(action=Action.IDENTITY_VERIFIED).count(), AccountClaim.objects.count())


# --- Registering a walk-in --------------------------------------------------------------------------


def test_a_walk_in_with_an_address_is_registered_verified_in_person_and_mailed_a_claim_link(
        desk, desk_token, mailoutbox, django_capture_on_commit_callbacks):
    token, _clear = desk_token
    with django_capture_on_commit_callbacks(execute=True):
        response = register(desk, email="Zhao.Min@Example.org", address="1 Chaoyang Road", language="zh-hans")
    assert response.status_code == 201, response.json()
    body = response.json()
    user = User.objects.get(pk=body["id"])
    assert body == {
        "id": user.pk, "full_name": "Zhao Min", "email": "zhao.min@example.org", "phone": "+86 10 6512 3456",
        "address": "1 Chaoyang Road", "document_type": "resident_id_card", "document_number": RIC,
        "assurance": "in_person", "identity_verified_by": "counter 3: Li Na (A1023)",
        "identity_verified_at": body["identity_verified_at"], "claim_mailed": True, "claim_letter": None,
    }
    assert (user.role, user.id_number, user.assurance, user.identity_verified_by, user.identity_verifier_id) == (
        "citizen", RIC, Assurance.IN_PERSON, "counter 3: Li Na (A1023)", None)
    assert user.identity_verified and user.identity_verified_at is not None
    assert (user.has_usable_password(), user.email_verified, user.language) == (False, False, "zh-hans")
    registration = CounterRegistration.objects.get(user=user)
    assert (registration.desk_id, registration.desk_name, registration.officer_name, registration.officer_staff_number,
            registration.document_type, registration.document_number) == (
        token.user_id, "counter 3", "Li Na", "A1023", "resident_id_card", RIC)

    event = AuditEvent.objects.get(action=Action.IDENTITY_VERIFIED)
    assert (event.actor_id, event.actor_label, event.object_type, event.object_id, event.subject_id, event.purpose,
            event.application_id) == (token.user_id, token.label, "user", str(user.pk), user.pk, "counter", None)
    assert event.details == {"token": token.prefix, "front_desk": "counter 3", "assurance": "in_person",
                             "document_type": "resident_id_card",
                             "officer_name": "Li Na", "officer_staff_number": "A1023", "claim_mailed": True,
                             "claim_letter": False}

    # The claim mail, in the citizen's language, with a link whose code is kept only as a digest.
    [message] = mailoutbox
    assert message.to == ["zhao.min@example.org"]
    assert "/accounts/claim/" in message.body
    code = message.body.split("/accounts/claim/")[1].split("/")[0]
    claim = AccountClaim.objects.get(user=user)
    assert (claim.channel, claim.used_at) == (ClaimChannel.MAIL, None)
    assert claim.digest == hashlib.sha256(claim_code_clean(code).encode()).hexdigest()
    assert timedelta(hours=71) < claim.expires_at - claim.created_at <= timedelta(hours=72)


def test_a_walk_in_without_an_address_gets_a_reserved_login_and_a_letter_shown_once(desk, mailoutbox, settings):
    response = register(desk, claim_letter=True, key="walk-in-1")
    assert response.status_code == 201, response.json()
    body = response.json()
    user = User.objects.get(pk=body["id"])
    assert body["email"] is None and body["claim_mailed"] is False
    assert user.email.startswith("walk-in-") and user.email.endswith("@" + WALK_IN_DOMAIN)
    assert not user.has_mailbox
    assert mailoutbox == []
    letter = body["claim_letter"]
    assert len(letter["code"]) == 24 and letter["code"].count("-") == 4
    assert letter["url"] == f"{settings.SITE_URL}/accounts/claim/{claim_code_clean(letter['code'])}/"
    claim = AccountClaim.objects.get(user=user)
    assert claim.channel == ClaimChannel.LETTER
    assert claim.digest == hashlib.sha256(claim_code_clean(letter["code"]).encode()).hexdigest()
    assert timedelta(days=29, hours=23) < claim.expires_at - claim.created_at <= timedelta(days=30)

    # A replay gives the same account back, never the code again: it is kept only as a digest.
    again = register(desk, claim_letter=True, key="walk-in-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == {**body, "claim_letter": {**letter, "code": None, "url": None}}
    assert User.objects.filter(counter_registration__isnull=False).count() == 1
    record = IdempotencyRecord.objects.get()
    assert claim_code_clean(letter["code"]) not in str(record.body) and letter["code"] not in str(record.body)


@pytest.mark.parametrize(("number", "message"), [
    ("110105194912310021", "The last character of this resident identity card number does not match the others: "
                           "check the number against the card."),
    ("1101051949123100", "A resident identity card number has 18 characters: 17 digits, then a digit or X."),
    ("110105194913310021", "This number has no valid date of birth or region code: check it against the card."),
])
def test_a_wrong_resident_identity_card_number_is_refused_and_nothing_is_made(desk, number, message):
    response = register(desk, document_number=number)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_failed"
    assert fields_of(response) == {"document_number": [message]}
    assert nothing_made() == (0, 0, 0)


def test_other_documents_are_checked_by_form_and_stored_compact(desk):
    response = register(desk, document_type="passport", document_number="e 1234-5678")
    assert response.status_code == 201, response.json()
    assert response.json()["document_number"] == "E12345678"
    assert User.objects.get(pk=response.json()["id"]).id_number == "E12345678"
    bad = register(desk, document_type="passport", document_number="E12/345")
    assert fields_of(bad) == {"document_number": [
        "Enter the number exactly as printed on your identity document: letters, digits and hyphens only."]}


def test_a_document_already_verified_on_another_account_is_a_409_that_names_nobody(desk, desk_token):
    other = UserFactory(email="someone@example.org", full_name="Qian Hua", id_number=RIC,
                        assurance=Assurance.HIGH, identity_verified_by="National e-ID")
    before = nothing_made()
    response = register(desk)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error == {"code": "document_already_verified", "fields": {}, "message": (
        "This identity document is already verified on another account, so no new account was made. The citizen may "
        "already have one: ask them to sign in with the national e-ID or their e-mail address, and file for that "
        "account.")}
    assert other.full_name not in str(response.json()) and other.email not in str(response.json())
    assert nothing_made() == before

    # The same number typed on an unverified profile proves nothing: the walk-in is registered.
    other.assurance = Assurance.NONE
    other.save(update_fields=["assurance"])
    assert register(desk).status_code == 201
    # … and a second registration of the same card, at any desk, is refused.
    _token, clear = api_token_create(kind=TokenKind.FRONT_DESK, name="counter 7")
    assert register(Api(clear), phone="+86 10 1111 2222").json()["error"]["code"] == "document_already_verified"


def test_a_citizen_with_an_ordinary_account_is_not_duplicated(desk, citizen):
    response = register(desk, email="WANG.FANG@example.org")
    assert response.status_code == 409
    assert response.json()["error"] == {"code": "account_exists", "fields": {}, "message": (
        "A citizen account already uses this e-mail address, so no new account was made. File for the citizen with "
        "this address (applicant_email) and their signed consent.")}
    assert nothing_made() == (0, 0, 0)


def test_the_officer_who_checked_the_document_is_required(desk):
    missing = {k: v for k, v in WALK_IN.items() if not k.startswith("officer")}
    response = desk.post("/api/v1/citizens/", missing)
    assert response.status_code == 400
    assert fields_of(response) == {"officer_name": ["This field is required."],
                                   "officer_staff_number": ["This field is required."]}
    blank = register(desk, officer_name=" ", officer_staff_number="", phone="")
    assert blank.status_code == 400
    assert fields_of(blank) == {
        "officer_name": ["This field may not be blank."], "officer_staff_number": ["This field may not be blank."],
        "phone": ["This field may not be blank."]}
    assert nothing_made() == (0, 0, 0)


def test_only_a_front_desk_registers_citizens(citizen_api, restaurant):
    _token, clear = department_token("tax")
    for api in (citizen_api, Api(clear)):
        response = api.post("/api/v1/citizens/", WALK_IN)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
        assert api.post("/api/v1/citizens/1/claim-letter/").status_code == 403
    assert Api().post("/api/v1/citizens/", WALK_IN).status_code == 401
    assert nothing_made() == (0, 0, 0)


def test_a_desk_prints_a_new_letter_only_for_its_own_unclaimed_walk_ins(desk):
    first = register(desk, claim_letter=True).json()
    path = f"/api/v1/citizens/{first['id']}/claim-letter/"
    response = desk.post(path)
    assert response.status_code == 201
    letter = response.json()
    assert set(letter) == {"code", "url", "expires_at"} and letter["code"] != first["claim_letter"]["code"]
    claims = AccountClaim.objects.filter(user_id=first["id"]).order_by("pk")
    assert [(c.channel, c.used_at is None) for c in claims] == [(ClaimChannel.LETTER, False), (ClaimChannel.LETTER, True)]

    _token, clear = api_token_create(kind=TokenKind.FRONT_DESK, name="counter 7")
    assert Api(clear).post(path).status_code == 404
    assert desk.post("/api/v1/citizens/999999/claim-letter/").status_code == 404
    user = User.objects.get(pk=first["id"])
    user.set_password("quiet-harbour-lantern-42")
    user.save(update_fields=["password"])
    claimed = desk.post(path)
    assert claimed.status_code == 409
    assert claimed.json()["error"] == {"code": "already_claimed", "fields": {},
                                       "message": "This citizen has already set a password: they sign in with it."}


# --- Filing with consent ----------------------------------------------------------------------------


def test_a_desk_files_for_its_walk_in_with_signed_consent(desk, desk_token, restaurant, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    token, _clear = desk_token
    walk_in = register(desk).json()
    signed = signed_consent()
    response = desk.post("/api/v1/applications/", {"service": SERVICE, "applicant_id": walk_in["id"],
                                                   "answers": {"business_name": "Counter Café"}, "consent": signed})
    assert response.status_code == 201, response.json()
    body = response.json()
    application = Application.objects.get(pk=body["id"])
    assert application.applicant_id == walk_in["id"]
    stored = FilingConsent.objects.get(filing__application=application)
    sha = hashlib.sha256(PDF_BYTES).hexdigest()
    assert body["filed_at_counter"] == {
        "desk": "counter 3", "filed_at": body["filed_at_counter"]["filed_at"], "consent_method": "paper_scan",
        "consent_signed_at": body["filed_at_counter"]["consent_signed_at"],
        "officer_name": "Li Na", "officer_staff_number": "A1023",
        "document": {"name": "consent.pdf", "content_type": "application/pdf", "size": len(PDF_BYTES), "sha256": sha},
        "document_reference": "",
    }
    assert datetime.fromisoformat(body["filed_at_counter"]["consent_signed_at"]) == stored.signed_at
    assert stored.document.read() == PDF_BYTES and stored.filing.token_id == token.pk
    assert stored.document.name.startswith("consents/") and "consent.pdf" not in stored.document.name

    event = AuditEvent.objects.get(action=Action.APPLICATION_CREATED, application_id=application.pk)
    assert (event.actor_id, event.actor_label, event.subject_id, event.object_type, event.object_id) == (
        token.user_id, token.label, walk_in["id"], "application", str(application.pk))
    assert event.details == {"token": token.prefix, "front_desk": "counter 3", "fields": ["business_name"],
                             "filing": {"consent": {
                                 "method": "paper_scan", "signed_at": stored.signed_at.isoformat(), "officer_name": "Li Na",
                                 "officer_staff_number": "A1023", "document_sha256": sha,
                                 "document_size": len(PDF_BYTES)}}}


def test_filing_by_email_with_a_reference_instead_of_the_document(desk, citizen, restaurant):
    response = desk.post("/api/v1/applications/", {
        "service": SERVICE, "applicant_email": citizen.email,
        "consent": signed_consent(method="signature_pad", document=None, document_reference="DMS-2026-0042")})
    # A null document is a bad value; leaving it out is how a reference alone is sent.
    assert response.status_code == 400
    assert fields_of(response) == {"consent.document": ["This field may not be null."]}
    signed = signed_consent(method="signature_pad", document_reference="DMS-2026-0042")
    del signed["document"]
    response = desk.post("/api/v1/applications/", {"service": SERVICE, "applicant_email": citizen.email,
                                                   "consent": signed})
    assert response.status_code == 201, response.json()
    filing = response.json()["filed_at_counter"]
    assert (filing["consent_method"], filing["document"], filing["document_reference"]) == (
        "signature_pad", None, "DMS-2026-0042")


@pytest.mark.parametrize(("changes", "fields"), [
    (None, {"consent": ["A front desk files only with the citizen's signed consent: send how and when it was signed, "
                        "the officer who took it, and the signed document or its reference."]}),
    ({"document": "drop"}, {"consent.document": [
        "Send the signed document, or its reference in the desk's archive (document_reference)."]}),
    ({"signed_at": "2999-01-01T10:00:00+08:00"}, {"consent.signed_at": [
        "The consent cannot have been signed in the future."]}),
    ({"method": "by phone"}, {"consent.method": ['"by phone" is not a valid choice.']}),
    ({"document": {"name": "consent.pdf", "content": "not base64!"}}, {"consent.document.content": [
        "Send the document's content in base64."]}),
    ({"document": {"name": "consent.txt", "content": base64.b64encode(b"I agree.").decode()}}, {"consent.document": [
        "Upload the signed consent as a PDF, PNG or JPEG file."]}),
])
def test_without_a_valid_consent_nothing_is_filed(desk, restaurant, changes, fields, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    walk_in = register(desk).json()
    data = {"service": SERVICE, "applicant_id": walk_in["id"]}
    if changes is not None:
        signed = signed_consent(**{k: v for k, v in changes.items() if v != "drop"})
        if changes.get("document") == "drop":
            del signed["document"]
        data["consent"] = signed
    response = desk.post("/api/v1/applications/", data, key="file-1")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_failed"
    assert fields_of(response) == fields
    assert (Application.objects.count(), ApiFiling.objects.count(), FilingConsent.objects.count()) == (0, 0, 0)
    assert not AuditEvent.objects.filter(action=Action.APPLICATION_CREATED).exists()
    assert not (tmp_path / "media" / "consents").exists() or not any((tmp_path / "media" / "consents").iterdir())


def test_naming_the_citizen(desk, citizen, citizen_api, restaurant):
    ordinary = desk.post("/api/v1/applications/", {"service": SERVICE, "applicant_id": citizen.pk, "consent": signed_consent()})
    assert fields_of(ordinary) == {"applicant_id": ["No citizen registered at a front desk has this id."]}
    both = desk.post("/api/v1/applications/", {"service": SERVICE, "applicant_id": 1, "applicant_email": citizen.email,
                                               "consent": signed_consent()})
    assert fields_of(both) == {"applicant_id": ["Name the citizen once: by id or by e-mail address, not both."]}
    nobody = desk.post("/api/v1/applications/", {"service": SERVICE, "consent": signed_consent()})
    assert fields_of(nobody) == {"applicant_id": [
        "Name the citizen: their id (applicant_id) or their e-mail address (applicant_email)."]}
    own = citizen_api.post("/api/v1/applications/", {"service": SERVICE, "applicant_id": 1, "consent": signed_consent()})
    assert fields_of(own) == {"applicant_id": ["Only a front desk files for someone else."],
                              "consent": ["Only a front desk files for someone else."]}
    assert Application.objects.count() == 0


def _file_and_submit(desk, walk_in_id):
    created = desk.post("/api/v1/applications/", {"service": SERVICE, "applicant_id": walk_in_id,
                                                  "answers": VALID_ANSWERS, "consent": signed_consent()}).json()
    base = f"/api/v1/applications/{created['id']}/"
    upload = {"field_key": "floor_plan", "file": SimpleUploadedFile("plan.pdf", PDF_BYTES,
                                                                    content_type="application/pdf")}
    assert desk.post(base + "attachments/", upload, fmt="multipart").status_code == 201
    assert desk.post(base + "submit/").status_code == 200
    return Application.objects.get(pk=created["id"])


def test_the_consent_is_shown_to_the_citizen_and_to_the_officers(desk, restaurant, officers, client, settings,
                                                                 tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    walk_in = register(desk).json()
    application = _file_and_submit(desk, walk_in["id"])
    signed_at = FilingConsent.objects.get().signed_at
    with translation.override("en"):
        day = date_format(timezone.localtime(signed_at), "DATE_FORMAT")

    citizen = User.objects.get(pk=walk_in["id"])
    client.force_login(citizen)
    page = client.get(f"/applications/{application.pk}/").content.decode()
    assert f"Filed at the counter by counter 3 (Li Na) with your signed consent on {day}." in page
    assert f'href="/api/applications/{application.pk}/consent/"' in page
    download = client.get(f"/api/applications/{application.pk}/consent/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF_BYTES

    review = application.reviews.get(department__code="tax")
    client.force_login(officers["tax"])
    page = client.get(f"/officer/reviews/{review.pk}/").content.decode()
    assert (f"Filed at the counter by counter 3 (Li Na, staff number A1023) with the applicant's signed "
            f"consent on {day}.") in page
    assert WALK_IN_DOMAIN not in page  # a reserved login is no address to show
    assert f"Signed document: consent.pdf (SHA-256 {hashlib.sha256(PDF_BYTES).hexdigest()})" in page

    # Nobody else downloads the citizen's consent; the attempt is on record.
    assert client.get(f"/api/applications/{application.pk}/consent/").status_code == 404
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, object_type="filing_consent",
                                     object_id=str(application.pk), actor=officers["tax"]).count() == 1


def test_the_desks_list_and_an_application_cost_the_same_queries_however_many_filings(desk, restaurant, settings,
                                                                                   tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")

    def file(n):
        walk_in = register(desk, document_type="passport", document_number=f"E{n:08d}").json()
        return desk.post("/api/v1/applications/", {"service": SERVICE, "applicant_id": walk_in["id"],
                                                   "consent": signed_consent()}).json()["id"]

    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            assert desk.get(path).status_code == 200
        return len(captured)

    first = file(1)
    one = queries("/api/v1/applications/"), queries(f"/api/v1/applications/{first}/")
    for n in range(2, 5):
        file(n)
    assert (queries("/api/v1/applications/"), queries(f"/api/v1/applications/{first}/")) == one


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_desks_registering_the_same_card_at_once_make_one_account():
    desks = [Api(api_token_create(kind=TokenKind.FRONT_DESK, name=f"counter {n}")[1]) for n in (1, 2)]
    codes = run_together(*[lambda api=api: register(api).status_code for api in desks])
    assert sorted(codes) == [201, 409]
    assert User.objects.filter(id_number=RIC).count() == 1
    assert AuditEvent.objects.filter(action=Action.IDENTITY_VERIFIED).count() == 1
