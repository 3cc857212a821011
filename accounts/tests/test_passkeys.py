"""The passkey ceremonies' rules without a browser: who may start one, and every bad input a
clear JSON answer, never a 500 (the whole ceremony with Chromium's virtual authenticator is in
tests/browser/test_second_factor.py)."""

import json
import re

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from accounts import factors
from accounts.models import Role
from accounts.second_factor import FRESH_AT
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BEGIN_AUTH = reverse("otp_webauthn:credential-authentication-begin")
COMPLETE_AUTH = reverse("otp_webauthn:credential-authentication-complete")
BEGIN_REG = reverse("otp_webauthn:credential-registration-begin")
COMPLETE_REG = reverse("otp_webauthn:credential-registration-complete")


def post(client, url, body=None, raw=None):
    response = client.post(url, raw if raw is not None else json.dumps(body or {}), content_type="application/json")
    return response.status_code, response.json()


@pytest.fixture
def manager(db):
    user = UserFactory(email="manager@example.gov", role=Role.MANAGER)
    factors.totp_device_set(user=user, secret="JBSWY3DPEHPK3PXP")
    return user


def test_nobody_signs_in_with_a_passkey_alone(client):
    assert post(client, BEGIN_AUTH)[0] == 403
    assert post(client, BEGIN_AUTH)[1]["code"] == "passwordless_login_disabled"
    assert post(client, BEGIN_REG)[1]["code"] == "not_authenticated"


def test_a_bad_assertion_is_a_clear_answer_and_counts_as_a_failed_sign_in(client, manager):
    client.force_login(manager, second_factor=False)
    assert post(client, COMPLETE_AUTH)[0] == 400  # no ceremony begun
    begun = post(client, BEGIN_AUTH)
    assert begun[0] == 200 and begun[1]["allowCredentials"] == [] and begun[1]["rpId"] == "localhost"
    for body in ({"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}}, [], "nonsense"):
        post(client, BEGIN_AUTH)
        status, answer = post(client, COMPLETE_AUTH, body)
        assert 400 <= status < 500 and answer["detail"], (body, status, answer)
    assert post(client, COMPLETE_AUTH, raw="{not json")[1]["code"] == "malformed_request"
    assert AccessAttempt.objects.get(username=manager.email).failures_since_start == 3
    assert "otp_device_id" not in client.session


def test_only_staff_add_passkeys_and_only_while_fresh(client, manager):
    citizen = UserFactory(email="wang.fang@example.org")
    client.force_login(citizen)
    assert post(client, BEGIN_REG) == (403, {"detail": "Passkeys are for staff accounts.", "code": "staff_only"})

    client.force_login(manager, second_factor=False)  # the password alone: the library refuses
    assert post(client, BEGIN_REG)[1]["code"] == "user_not_verified"

    client.force_login(manager)
    status, options = post(client, BEGIN_REG)
    assert status == 200 and options["rp"] == {"id": "localhost", "name": "Government Service Portal"}
    for body in ({"id": "AAAA", "response": {}}, [], "nonsense"):
        post(client, BEGIN_REG)
        status, answer = post(client, COMPLETE_REG, body)
        assert 400 <= status < 500 and answer["detail"], (body, status, answer)
    assert not factors.passkeys(manager).exists()

    session = client.session
    session[FRESH_AT] -= 11 * 60
    session.save()
    assert post(client, BEGIN_REG) == (403, {
        "detail": "Confirm it is you again before you add a passkey: reload the page.", "code": "not_fresh"})


def test_the_second_step_offers_the_passkey_with_scripts_the_policy_allows(client, manager):
    factors.passkey_model().objects.create(user=manager, name="Passkey", credential_id=b"\x01" * 16,
                                           public_key=b"\x02" * 32)
    client.force_login(manager, second_factor=False)
    response = client.get(reverse("accounts:second_factor"))
    page = response.content.decode()
    assert "Enter the code your authenticator app shows now, or use your passkey." in page
    assert ('<button type="button" class="btn btn-outline-primary" id="passkey-verification-button">'
            "Use your passkey</button>") in page
    assert '<script type="module" src="/static/django_otp_webauthn/otp_webauthn_auth.js"></script>' in page
    # No inline script: only files from the site and the configuration as inert JSON.
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts and all(' src="/' in attrs or attrs == ' id="otp_webauthn_config" type="application/json"'
                           for attrs in scripts), scripts
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy
    config = json.loads(re.search(r'<script id="otp_webauthn_config" type="application/json">(.*?)</script>',
                                  page).group(1))
    assert config["completeAuthenticationUrl"] == COMPLETE_AUTH and config["autocompleteLoginFieldSelector"] is None
