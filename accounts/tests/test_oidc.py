"""The relying party's checks (accounts.oidc), against the local provider's real key set.

Tokens here are made with joserfc: signed with the provider's own current key (taken from its test
route) to show one bad claim at a time, or with a key of our own to show a forged signature. The
code under test is the portal's real validation, which fetches the provider's key set itself."""

import time

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from accounts import oidc
from accounts.errors import IdentityServiceError
from accounts.models import Assurance
from tests.oidc_provider.fixtures import (
    ACR_HIGH,
    ACR_SUBSTANTIAL,
    CLIENT_ID,
    COMPANY_CODE,
    INVALID_NUMBER,
    LI_MEI_NUMBER,
)

NONCE = "n-0S6_WzA2Mj"
UNVERIFIED = ("The answer from National e-ID could not be verified, so you are not signed in. Start the sign-in "
              "again; if this happens again, contact the help desk.")


def id_token(provider, key=None, **changes) -> dict:
    """A token response whose ID token carries good claims, but for ``changes`` (None removes one)."""
    now = int(time.time())
    claims = {"iss": provider.issuer, "sub": "sub-li-mei", "aud": CLIENT_ID, "iat": now, "exp": now + 300,
              "nonce": NONCE, "acr": ACR_SUBSTANTIAL, **changes}
    claims = {name: value for name, value in claims.items() if value is not None}
    key = key or RSAKey.import_key(provider.signing_key())
    return {"id_token": jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key), "access_token": "opaque"}


def test_a_token_signed_by_the_provider_with_good_claims_is_accepted(identity_service):
    claims = oidc.id_token_claims(id_token(identity_service), nonce=NONCE)

    assert (claims["iss"], claims["sub"], claims["aud"], claims["acr"]) == (
        identity_service.issuer, "sub-li-mei", CLIENT_ID, ACR_SUBSTANTIAL)


@pytest.mark.parametrize("changes", [
    pytest.param(lambda now: {"exp": now - 300, "iat": now - 3900}, id="expired"),
    pytest.param(lambda now: {"aud": "another-portal"}, id="for another client"),
    pytest.param(lambda now: {"aud": ["another-portal"], "azp": CLIENT_ID}, id="for another client, naming us as its party"),
    pytest.param(lambda now: {"iss": "https://elsewhere.example"}, id="from another issuer"),
    pytest.param(lambda now: {"nonce": "another-nonce"}, id="for another sign-in"),
    pytest.param(lambda now: {"nonce": None}, id="without a nonce"),
    pytest.param(lambda now: {"iat": now + 600, "exp": now + 900}, id="issued in the future"),
    pytest.param(lambda now: {"iat": None}, id="without iat"),
    pytest.param(lambda now: {"exp": None}, id="without exp"),
])
def test_a_token_with_a_bad_claim_is_refused(identity_service, changes):
    token = id_token(identity_service, **changes(int(time.time())))
    with pytest.raises(IdentityServiceError) as refused:
        oidc.id_token_claims(token, nonce=NONCE)
    assert refused.value.message == UNVERIFIED


def test_a_token_signed_by_another_key_under_the_providers_key_id_is_refused(identity_service):
    kid = identity_service.signing_key()["kid"]
    forged = RSAKey.generate_key(2048, parameters={"kid": kid})

    with pytest.raises(IdentityServiceError) as refused:
        oidc.id_token_claims(id_token(identity_service, key=forged), nonce=NONCE)
    assert refused.value.message == UNVERIFIED


def test_a_token_signed_by_an_unknown_key_is_refused_after_one_fresh_look_at_the_key_set(identity_service):
    oidc.id_token_claims(id_token(identity_service), nonce=NONCE)  # the key set is at hand
    fetched = identity_service.requests_to("jwks")
    forged = RSAKey.generate_key(2048, parameters={"kid": "not-the-providers"})

    with pytest.raises(IdentityServiceError) as refused:
        oidc.id_token_claims(id_token(identity_service, key=forged), nonce=NONCE)

    assert refused.value.message == UNVERIFIED
    assert identity_service.requests_to("jwks") == fetched + 1


def test_an_unsigned_token_is_refused(identity_service):
    signed = id_token(identity_service)["id_token"]
    header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"  # {"alg":"none","typ":"JWT"}
    unsigned = f"{header}.{signed.split('.')[1]}."

    with pytest.raises(IdentityServiceError):
        oidc.id_token_claims({"id_token": unsigned, "access_token": "opaque"}, nonce=NONCE)


def test_a_rotated_key_is_fetched_once(identity_service):
    oidc.id_token_claims(id_token(identity_service), nonce=NONCE)
    fetched = identity_service.requests_to("jwks")

    identity_service.rotate()
    for _ in range(3):
        oidc.id_token_claims(id_token(identity_service), nonce=NONCE)

    assert identity_service.requests_to("jwks") == fetched + 1


# --- Claims -------------------------------------------------------------------------------------


def assertion(provider, **claims):
    return oidc.assertion_from_claims({"sub": "sub-1", **claims}, issuer=provider.issuer)


def test_the_claims_make_an_assertion(identity_service):
    result = assertion(identity_service, given_name="Lei", family_name="Zhao", email=" Zhao.Lei@Example.CN ",
                       email_verified=True, phone_number="+86 139 1234 5678", acr=ACR_HIGH,
                       national_id=" 110105 198504121236 ")

    assert result.as_dict() == {
        "issuer": identity_service.issuer, "subject": "sub-1", "provider_name": "National e-ID",
        "full_name": "Lei Zhao", "assurance": Assurance.HIGH, "email": "zhao.lei@example.cn", "email_verified": True,
        "phone": "+86 139 1234 5678", "id_number": LI_MEI_NUMBER}


def test_what_is_not_valid_or_not_said_counts_as_not_given(identity_service):
    result = assertion(identity_service, name="Li  Mei", email="not-an-address", email_verified=True,
                       phone_number="call me", acr="urn:unknown")

    assert (result.full_name, result.email, result.email_verified, result.phone, result.id_number) == (
        "Li Mei", "", False, "", "")
    assert result.assurance == Assurance.LOW  # OIDC_DEFAULT_ASSURANCE


def test_an_invalid_resident_identity_number_is_refused(identity_service):
    with pytest.raises(IdentityServiceError) as refused:
        assertion(identity_service, name="Qian Yu", national_id=INVALID_NUMBER)
    assert refused.value.message == (
        "National e-ID gave an identity number that is not valid, so you are not signed in and no account was made. "
        "Contact National e-ID to correct your record.")


def test_an_organisation_is_identified_by_its_unified_social_credit_code(identity_service):
    result = assertion(identity_service, name="Harbour Noodles Ltd", organisation_id=COMPANY_CODE,
                       national_id=LI_MEI_NUMBER)
    assert result.id_number == COMPANY_CODE

    with pytest.raises(IdentityServiceError):
        assertion(identity_service, name="Harbour Noodles Ltd", organisation_id="91110000600037341X")


def test_a_name_is_required(identity_service):
    with pytest.raises(IdentityServiceError) as refused:
        assertion(identity_service, email="a@example.cn")
    assert refused.value.message == (
        "National e-ID did not give your name, so you cannot be signed in. Contact National e-ID to check your record.")


def test_identity_number_schemes_come_from_python_stdnum():
    assert oidc.number_scheme("cn.ric").validate(LI_MEI_NUMBER) == LI_MEI_NUMBER
    assert oidc.number_scheme("cn.uscc").validate(COMPANY_CODE) == COMPANY_CODE
    assert [oidc.number_scheme(name) for name in ("cn.nothing", "ric", "", "os.path")] == [None, None, None, None]
