"""Signing in with the identity service, end to end: the Django test client is the browser on the
portal's side, httpx walks the local provider's sign-in and consent pages (tests/oidc_provider),
and the portal talks to the provider over HTTP. Every bad input ends on the sign-in page with a
message, never a 500, with nothing written."""

import socket
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts import oidc
from accounts.models import Assurance, ExternalIdentity, Role, User
from audit.models import Action, AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.oidc_provider.fixtures import (
    CLIENT_ID,
    COUNTER_NUMBER,
    LI_MEI_NUMBER,
    TEST_SERVER,
    ZHAO_LEI_NUMBER,
    configure_portal,
    sign_in_at_provider,
    start_provider,
)

from .conftest import confirm_email, link_path

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
START = reverse("accounts:oidc_start")
CALLBACK = reverse("accounts:oidc_callback")
BUTTON = "Sign in with National e-ID"
STALE = ("This answer from National e-ID does not belong to a sign-in started here, or it has already been used. "
         "Start the sign-in again.")
DOWN = ("National e-ID is not answering at the moment, so you are not signed in. Try again in a few minutes, or sign "
        "in with your email address and password.")


def start(client, next_url: str = "") -> str:
    """Press the sign-in button: the address of the provider's authorization endpoint."""
    response = client.post(START, {"next": next_url} if next_url else {})
    assert response.status_code == 302, response
    return response["Location"]


def answer(client, url: str):
    """The browser comes back from the provider to the portal's callback."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == TEST_SERVER + CALLBACK, url
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client, login: str, next_url: str = ""):
    return answer(client, sign_in_at_provider(start(client, next_url), login=login))


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def signed_in_as(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def events(action) -> list[dict]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk").values("actor_id", "subject_id", "details"))


def nothing_written() -> bool:
    return not User.objects.exists() and not ExternalIdentity.objects.exists() and not AuditEvent.objects.exists()


# --- The button -----------------------------------------------------------------------------------


def test_without_an_identity_service_there_is_no_button_and_no_flow(client, settings):
    settings.OIDC_CLIENT_ID = ""
    for page in (LOGIN, reverse("accounts:register")):
        assert "Sign in with" not in client.get(page).content.decode()
    assert client.post(START).status_code == 404
    assert client.get(CALLBACK).status_code == 404


def test_the_button_is_on_the_sign_in_and_registration_pages(client, identity_service):
    for page in (LOGIN + "?next=/applications/", reverse("accounts:register") + "?next=/applications/"):
        html = client.get(page).content.decode()
        assert f'<button type="submit" class="btn btn-primary btn-lg">{BUTTON}</button>' in html
        assert f'action="{START}"' in html
        assert '<input type="hidden" name="next" value="/applications/">' in html


def test_the_authorization_request_uses_pkce_state_and_nonce(client, identity_service):
    url = urlsplit(start(client))
    query = {name: values[0] for name, values in parse_qs(url.query).items()}

    assert f"{url.scheme}://{url.netloc}{url.path}" == identity_service.issuer + "/auth"
    assert (query["response_type"], query["client_id"], query["redirect_uri"]) == (
        "code", CLIENT_ID, TEST_SERVER + CALLBACK)
    assert query["scope"] == "openid profile email phone national_id organisation"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 20 and len(query["nonce"]) >= 20
    # The state, nonce and verifier wait in the session, under the state.
    kept = client.session[f"_state_identity_service_{query['state']}"]["data"]
    assert kept["nonce"] == query["nonce"] and len(kept["code_verifier"]) >= 43


# --- First and later sign-ins ----------------------------------------------------------------------


def test_the_first_sign_in_makes_a_verified_account_and_the_next_lands_on_it(client, identity_service):
    response = sign_in(client, "li.mei", next_url="/applications/")

    assert (response.status_code, response.url) == (302, "/applications/")
    assert flashed(response) == ["Welcome. Your account is made from the details National e-ID holds about you."]
    user = signed_in_as(client)
    assert (user.email, user.full_name, user.phone, user.id_number, user.email_verified) == (
        "li.mei@example.cn", "Li Mei", "+86 139 1234 5678", LI_MEI_NUMBER, True)
    assert (user.role, user.assurance, user.identity_verified_by) == (Role.CITIZEN, Assurance.SUBSTANTIAL,
                                                                     "National e-ID")
    assert client.session[oidc.SESSION_ID_TOKEN].count(".") == 2
    details = {"method": "identity_service", "provider": "National e-ID", "issuer": identity_service.issuer,
               "assurance": "substantial"}
    assert events(Action.IDENTITY_LINKED) == [{"actor_id": user.pk, "subject_id": user.pk, "details": {
        **details, "proof": "new_account", "new_account": True}}]
    assert events(Action.SIGNED_IN) == [{"actor_id": user.pk, "subject_id": user.pk, "details": details}]

    other_browser = Client()
    response = sign_in(other_browser, "li.mei")

    assert (response.status_code, response.url) == (302, reverse("landing"))
    assert flashed(response) == []
    assert signed_in_as(other_browser) == user
    assert (User.objects.count(), ExternalIdentity.objects.count()) == (1, 1)
    assert len(events(Action.SIGNED_IN)) == 2 and len(events(Action.IDENTITY_LINKED)) == 1


def test_an_organisation_signs_in_with_its_credit_code(client, identity_service):
    sign_in(client, "company")
    user = signed_in_as(client)
    assert (user.full_name, user.id_number, user.assurance) == ("Harbour Noodles Ltd", "91110000600037341L",
                                                                 Assurance.HIGH)


# --- Bad input --------------------------------------------------------------------------------------


def test_a_wrong_state_signs_nobody_in(client, identity_service):
    back = sign_in_at_provider(start(client), login="li.mei")
    state = parse_qs(urlsplit(back).query)["state"][0]

    response = answer(client, back.replace(f"state={state}", "state=forged-state-value"))

    assert (response.status_code, response.url) == (302, LOGIN)
    assert flashed(response) == [STALE]
    assert signed_in_as(client) is None
    assert nothing_written()


def test_a_replayed_callback_signs_nobody_in(client, identity_service):
    back = sign_in_at_provider(start(client), login="li.mei")
    assert answer(client, back).status_code == 302
    user = signed_in_as(client)

    again = answer(client, back)  # the same browser
    elsewhere = Client()
    stolen = answer(elsewhere, back)  # another browser

    assert flashed(again)[-1] == STALE and flashed(stolen) == [STALE]
    assert signed_in_as(elsewhere) is None
    assert (User.objects.get(), ExternalIdentity.objects.count(), len(events(Action.SIGNED_IN))) == (user, 1, 1)


def test_a_replayed_code_is_refused_by_the_provider(client, identity_service):
    authorize = start(client)
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    key = f"_state_identity_service_{state}"
    kept = client.session[key]  # the state, nonce and verifier, as an attacker replaying all of it would
    back = sign_in_at_provider(authorize, login="li.mei")
    assert answer(client, back).status_code == 302
    tokens = identity_service.requests_to("token")

    replay = Client()
    session = replay.session
    session[key] = kept
    session.save()
    response = answer(replay, back)

    assert identity_service.requests_to("token") == tokens + 1  # asked, and refused
    assert (response.status_code, response.url) == (302, LOGIN)
    assert flashed(response) == ["National e-ID did not confirm this sign-in: it was already completed or took too "
                                 "long. Start the sign-in again."]
    assert signed_in_as(replay) is None
    assert (User.objects.count(), len(events(Action.SIGNED_IN))) == (1, 1)


def test_a_provider_that_is_down_is_a_message_on_the_sign_in_page(client, settings, identity_service):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.OIDC_ISSUER = f"http://127.0.0.1:{port}"

    response = client.post(START, {"next": "/applications/"}, follow=True)

    assert response.redirect_chain == [(LOGIN + "?next=%2Fapplications%2F", 302)]
    assert response.status_code == 200
    assert DOWN in response.content.decode()
    assert nothing_written()


def test_a_provider_that_goes_down_during_the_sign_in(client, settings, tmp_path):
    provider = start_provider(tmp_path / "provider")
    try:
        configure_portal(settings, provider)
        back = sign_in_at_provider(start(client), login="li.mei")
    finally:
        provider.stop()

    response = answer(client, back)

    assert (response.status_code, response.url) == (302, LOGIN)
    assert flashed(response) == [DOWN]
    assert nothing_written()


def test_cancelling_at_the_provider(client, identity_service):
    response = answer(client, sign_in_at_provider(start(client), login="li.mei", consent=False))

    assert flashed(response) == ["You cancelled the sign-in with National e-ID."]
    assert nothing_written()


def test_an_invalid_identity_number_creates_nothing(client, identity_service):
    response = sign_in(client, "bad.number")

    assert (response.status_code, response.url) == (302, LOGIN)
    assert flashed(response) == [
        "National e-ID gave an identity number that is not valid, so you are not signed in and no account was made. "
        "Contact National e-ID to correct your record."]
    assert nothing_written()


# --- What a first sign-in may ask ---------------------------------------------------------------------


def test_without_an_email_address_the_person_gives_one_and_confirms_it(client, identity_service, mailoutbox,
                                                                       django_capture_on_commit_callbacks):
    response = sign_in(client, "zhao.lei")
    assert (response.status_code, response.url) == (302, reverse("accounts:oidc_email"))
    assert not User.objects.exists()
    page = client.get(response.url).content.decode()
    assert "National e-ID has confirmed who you are." in page
    assert client.post(response.url, {"email": "nope"}).status_code == 200  # the form's error

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:oidc_email"), {"email": "Zhao.Lei@Example.org"})

    user = signed_in_as(client)
    assert (user.email, user.full_name, user.id_number, user.email_verified, user.assurance) == (
        "zhao.lei@example.org", "Lei Zhao", ZHAO_LEI_NUMBER, False, Assurance.HIGH)
    assert flashed(response) == [
        "Welcome. Your account is made from the details National e-ID holds about you.",
        "We have sent a link to zhao.lei@example.org: follow it to confirm your email address, so that the portal can "
        "write to you."]
    assert [m.to for m in mailoutbox] == [["zhao.lei@example.org"]]
    assert confirm_email(client, link_path(mailoutbox[0].body, "/accounts/verify/")).url == reverse("landing")
    user.refresh_from_db()
    assert user.email_verified is True
    assert signed_in_as(client) == user


def test_an_account_with_the_address_is_linked_once_its_password_is_given(client, identity_service):
    account = UserFactory(email="li.mei@example.cn", full_name="Mei Li", id_number="G12345678")

    response = sign_in(client, "li.mei")
    assert (response.status_code, response.url) == (302, reverse("accounts:oidc_link"))
    page = client.get(response.url).content.decode()
    assert "the portal already has an account for li.mei@example.cn" in page
    assert signed_in_as(client) is None

    wrong = client.post(response.url, {"username": "li.mei@example.cn", "password": "not-it"})
    assert wrong.status_code == 200
    assert "The password is not right." in wrong.content.decode()
    assert not ExternalIdentity.objects.exists()

    linked = client.post(response.url, {"username": "li.mei@example.cn", "password": PASSWORD})

    assert (linked.status_code, linked.url) == (302, reverse("landing"))
    assert flashed(linked) == ["Your National e-ID identity is now linked to your account. From now on, sign in with "
                               "National e-ID."]
    assert signed_in_as(client) == account
    account.refresh_from_db()
    assert (account.full_name, account.id_number, account.assurance) == ("Mei Li", LI_MEI_NUMBER, Assurance.SUBSTANTIAL)
    assert [e["details"]["proof"] for e in events(Action.IDENTITY_LINKED)] == ["password"]
    assert User.objects.count() == 1


def test_someone_elses_address_can_be_swapped_for_ones_own(client, identity_service):
    UserFactory(email="li.mei@example.cn")
    response = sign_in(client, "li.mei")
    assert 'href="/accounts/oidc/email/"' in client.get(response.url).content.decode()

    response = client.post(reverse("accounts:oidc_email"), {"email": "mei.li@example.org"})

    user = signed_in_as(client)
    assert (user.email, user.id_number, user.email_verified) == ("mei.li@example.org", LI_MEI_NUMBER, False)
    assert User.objects.count() == 2


def test_an_account_verified_at_a_counter_is_linked_by_its_number(client, identity_service):
    walk_in = UserFactory(email="wu.fang@example.org", full_name="Wu Fang", id_number=COUNTER_NUMBER,
                          assurance=Assurance.IN_PERSON, identity_verified_by="Central district counter")

    response = sign_in(client, "wu.counter")

    assert response.url == reverse("landing")
    assert signed_in_as(client) == walk_in
    walk_in.refresh_from_db()
    assert (walk_in.email, walk_in.assurance) == ("wu.fang@example.org", Assurance.IN_PERSON)
    assert [e["details"]["proof"] for e in events(Action.IDENTITY_LINKED)] == ["identity_number"]


def test_a_staff_address_from_the_service_asks_for_another(client, identity_service):
    UserFactory(email="li.mei@example.cn", role=Role.OFFICER)

    response = sign_in(client, "li.mei")

    assert response.url == reverse("accounts:oidc_email")
    assert flashed(response)[0].startswith("The email address li.mei@example.cn belongs to a staff account")
    assert User.objects.count() == 1


def test_the_questions_need_a_sign_in_under_way(identity_service):
    for page in ("accounts:oidc_email", "accounts:oidc_link"):
        response = Client().get(reverse(page))
        assert (response.status_code, response.url) == (302, LOGIN)
        assert flashed(response) == ["Your sign-in with National e-ID has expired. Start it again."]


# --- Signing out, keys, passwords ---------------------------------------------------------------------


def test_signing_out_ends_the_providers_session_too(client, identity_service):
    sign_in(client, "li.mei")
    id_token = client.session[oidc.SESSION_ID_TOKEN]

    response = client.post(reverse("accounts:logout"))

    url = urlsplit(response.url)
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == identity_service.issuer + "/session/end"
    assert (query["id_token_hint"], query["post_logout_redirect_uri"], query["client_id"]) == (
        id_token, TEST_SERVER + "/", CLIENT_ID)
    assert signed_in_as(client) is None
    assert flashed(response)[-1] == "You have signed out."


def test_signing_out_of_a_password_session_stays_on_the_portal(client, identity_service):
    UserFactory(email="c@example.org")
    client.post(LOGIN, {"username": "c@example.org", "password": PASSWORD})

    response = client.post(reverse("accounts:logout"))

    assert response.url == "/"


def test_a_new_signing_key_is_fetched_once(client, identity_service):
    sign_in(client, "li.mei")
    fetched = identity_service.requests_to("jwks")

    identity_service.rotate()
    for _ in range(2):
        browser = Client()
        assert sign_in(browser, "li.mei").url == reverse("landing")
        assert signed_in_as(browser).email == "li.mei@example.cn"

    assert identity_service.requests_to("jwks") == fetched + 1


def test_citizens_without_passwords(client, settings, identity_service):
    settings.CITIZEN_PASSWORD_SIGN_IN = False
    UserFactory(email="c@example.org")
    UserFactory(email="o@example.gov", role=Role.OFFICER)

    refused = client.post(LOGIN, {"username": "c@example.org", "password": PASSWORD})
    assert "Citizens sign in with National e-ID here, not with a password." in refused.content.decode()
    assert signed_in_as(client) is None
    register = client.get(reverse("accounts:register")).content.decode()
    assert BUTTON in register and 'name="password"' not in register
    assert client.post(reverse("accounts:register"), {"email": "new@example.org"}).status_code == 302
    assert User.objects.count() == 2

    client.post(LOGIN, {"username": "o@example.gov", "password": PASSWORD})
    assert signed_in_as(client).email == "o@example.gov"


# --- The profile ----------------------------------------------------------------------------------------


def test_the_profile_shows_the_verified_identity_and_keeps_its_number(client, identity_service):
    sign_in(client, "li.mei")
    profile = reverse("accounts:profile")

    page = client.get(profile).content.decode()
    assert 'name="id_number"' not in page
    assert LI_MEI_NUMBER in page
    assert "Identity verified by" in page and "National e-ID, on " in page
    assert "Substantial (identity service)" in page

    response = client.post(profile, {"full_name": "Li Mei", "phone": "+86 139 0000 0000", "id_number": "X1",
                                     "address": "1 Harbour Road"})
    assert response.status_code == 302
    user = signed_in_as(client)
    assert (user.id_number, user.phone, user.address) == (LI_MEI_NUMBER, "+86 139 0000 0000", "1 Harbour Road")


def test_an_unverified_profile_still_edits_its_number(client):
    UserFactory(email="c@example.org", full_name="C")
    client.post(LOGIN, {"username": "c@example.org", "password": PASSWORD})
    page = client.get(reverse("accounts:profile")).content.decode()
    assert 'name="id_number"' in page and "Identity verified by" not in page
