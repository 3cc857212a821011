import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.html import escape
from django.utils.http import urlsafe_base64_encode

from accounts.mail import verification_url
from accounts.models import Role
from audit.models import Action, AuditEvent
from tests.client import PortalClient
from tests.factories import PASSWORD, UserFactory, officer

from .conftest import confirm_email, link_path, mail_text, read_mail_files

pytestmark = pytest.mark.django_db

User = get_user_model()
NEW_PASSWORD = "quiet-harbour-lantern-42"
LOGIN = reverse("accounts:login")
REGISTER = reverse("accounts:register")
PROFILE = reverse("accounts:profile")
INVALID_LOGIN = "The email address or the password is not right. Check both and try again."
USED_LINK = ("This verification link is not valid or has already been used. If your email address is already verified, "
             "sign in; otherwise ask for a new link.")
EXPIRED_LINK = "This verification link has expired. Ask for a new one below."
CONFIRM = "/accounts/verify/confirm/"
CONFIRM_BUTTON = '<button type="submit" class="btn btn-primary">Confirm my email address</button>'


def registration(**overrides):
    return {"email": "chen.jianguo@example.org", "full_name": "Chen Jianguo", "phone": "",
            "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD, **overrides}


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def register_and_read_link(client, mail_dir, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTER, registration())
    assert (response.status_code, response.url) == (302, reverse("accounts:register_done"))
    messages = read_mail_files(mail_dir)
    assert len(messages) == 1
    assert messages[0]["To"] == "chen.jianguo@example.org"
    return link_path(mail_text(messages[0]), "/accounts/verify/")


# --- registration and verification -----------------------------------------------------------------


def test_register_verify_from_the_mail_file_signs_in_once(client, mail_dir, django_capture_on_commit_callbacks):
    page = client.get(REGISTER).content.decode()
    for attrs in ['autocomplete="email"', 'autocomplete="name"', 'autocomplete="new-password"', 'autocomplete="tel"']:
        assert attrs in page
    path = register_and_read_link(client, mail_dir, django_capture_on_commit_callbacks)
    user = User.objects.get()
    assert (user.email, user.role, user.email_verified) == ("chen.jianguo@example.org", Role.CITIZEN, False)
    done = client.get(reverse("accounts:register_done"))
    assert "The link works for 24 hours and only once." in done.content.decode()
    assert signed_in_user_id(client) is None

    response = confirm_email(client, path, follow=True)
    assert response.redirect_chain == [(reverse("landing"), 302), (reverse("home"), 302)]  # nothing to do yet: the home page
    assert [str(m) for m in response.context["messages"]] == ["Your email address is confirmed and you are signed in."]
    user.refresh_from_db()
    assert user.email_verified is True
    assert signed_in_user_id(client) == str(user.pk)

    client.post(reverse("accounts:logout"))
    again = client.get(path)
    assert again.status_code == 400
    assert [t.name for t in again.templates][0] == "accounts/verify_failed.html"
    page = again.content.decode()
    assert USED_LINK in page
    assert reverse("accounts:resend_verification") in page
    assert signed_in_user_id(client) is None  # a used link signs nobody in

    response = client.post(LOGIN, {"username": "Chen.Jianguo@example.org", "password": NEW_PASSWORD})
    assert (response.status_code, response.url) == (302, reverse("landing"))
    assert signed_in_user_id(client) == str(user.pk)


def test_register_keeps_next_from_sign_in_to_the_verification_link(client, mail_dir, django_capture_on_commit_callbacks):
    service_page = "/services/open-a-restaurant/"
    login_page = client.get(LOGIN, {"next": service_page}).content.decode()
    assert f'<a href="{REGISTER}?next=/services/open-a-restaurant/">No account yet? Register</a>' in login_page
    page = client.get(REGISTER, {"next": service_page}).content.decode()
    assert f'<input type="hidden" name="next" value="{service_page}">' in page
    assert f'<a href="{LOGIN}?next=/services/open-a-restaurant/">Sign in</a>' in page  # "Already registered?"

    # A form sent back with a problem keeps it too.
    response = client.post(REGISTER, registration(full_name="", next=service_page))
    assert response.status_code == 200
    assert f'<input type="hidden" name="next" value="{service_page}">' in response.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTER, registration(next=service_page))
    assert (response.status_code, response.url) == (302, reverse("accounts:register_done"))
    [message] = read_mail_files(mail_dir)
    [url] = [u for u in re.findall(r"https?://\S+", mail_text(message)) if "/accounts/verify/" in u]
    assert url.endswith("/?next=%2Fservices%2Fopen-a-restaurant%2F")
    user = User.objects.get()

    parts = urlsplit(url)
    response = confirm_email(client, f"{parts.path}?{parts.query}")
    assert (response.status_code, response.url) == (302, service_page)
    assert signed_in_user_id(client) == str(user.pk)


@pytest.mark.parametrize("unsafe", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "\\\\evil.example"])
def test_register_ignores_an_unsafe_next(client, mail_dir, django_capture_on_commit_callbacks, unsafe):
    login_page = client.get(LOGIN, {"next": unsafe}).content.decode()
    assert f'<a href="{REGISTER}">No account yet? Register</a>' in login_page
    page = client.get(REGISTER, {"next": unsafe}).content.decode()
    # The header's text-size switch returns to this page; the registration form carries no next.
    assert f'name="next" value="{escape(unsafe)}"' not in page
    assert f'<a href="{LOGIN}">Sign in</a>' in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(REGISTER, registration(next=unsafe))
    [message] = read_mail_files(mail_dir)
    text = mail_text(message)
    assert "next=" not in text and "evil" not in text
    path = link_path(text, "/accounts/verify/")
    # An unsafe next added to the link by hand is ignored too.
    response = confirm_email(client, f"{path}?{urlencode({'next': unsafe})}")
    assert (response.status_code, response.url) == (302, reverse("landing"))
    assert signed_in_user_id(client) == str(User.objects.get().pk)


def test_expired_verification_link(client, mail_dir, django_capture_on_commit_callbacks, time_machine):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    path = register_and_read_link(client, mail_dir, django_capture_on_commit_callbacks)
    time_machine.move_to(start + timedelta(hours=24, seconds=1), tick=False)
    response = client.get(path)
    assert response.status_code == 400
    page = response.content.decode()
    assert "This link has expired" in page
    assert EXPIRED_LINK in page
    assert reverse("accounts:resend_verification") in page
    assert User.objects.get().email_verified is False
    assert signed_in_user_id(client) is None  # an expired link signs nobody in
    time_machine.move_to(start + timedelta(hours=24), tick=False)  # the last second of validity
    response = confirm_email(client, path)
    assert (response.status_code, response.url) == (302, reverse("landing"))
    assert User.objects.get().email_verified is True
    assert signed_in_user_id(client) == str(User.objects.get().pk)


def test_a_new_link_asked_for_from_an_expired_one_still_goes_on_to_where_they_were(
        client, mail_dir, django_capture_on_commit_callbacks, time_machine):
    service_page = "/services/open-a-restaurant/"
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(REGISTER, registration(next=service_page))
    [first] = read_mail_files(mail_dir)
    [url] = [u for u in re.findall(r"https?://\S+", mail_text(first)) if "/accounts/verify/" in u]
    time_machine.move_to(start + timedelta(hours=25), tick=False)
    parts = urlsplit(url)
    page = client.get(f"{parts.path}?{parts.query}").content.decode()
    resend = reverse("accounts:resend_verification")
    assert f'href="{resend}?next=%2Fservices%2Fopen-a-restaurant%2F"' in page
    form = client.get(resend, {"next": service_page}).content.decode()
    assert f'<input type="hidden" name="next" value="{service_page}">' in form
    with django_capture_on_commit_callbacks(execute=True):
        client.post(resend, {"email": "chen.jianguo@example.org", "next": service_page})
    links = [u for m in read_mail_files(mail_dir) for u in re.findall(r"https?://\S+", mail_text(m)) if "/accounts/verify/" in u]
    [url] = [u for u in links if u != url]
    assert url.endswith("/?next=%2Fservices%2Fopen-a-restaurant%2F")
    parts = urlsplit(url)
    response = confirm_email(client, f"{parts.path}?{parts.query}")
    assert (response.status_code, response.url) == (302, service_page)


def test_a_new_link_ignores_an_unsafe_next(client, mail_dir, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(REGISTER, registration())
    resend = reverse("accounts:resend_verification")
    form = client.get(resend, {"next": "https://evil.example/"}).content.decode()
    assert 'value="https://evil.example/"' not in form
    with django_capture_on_commit_callbacks(execute=True):
        client.post(resend, {"email": "chen.jianguo@example.org", "next": "https://evil.example/"})
    messages = read_mail_files(mail_dir)
    assert len(messages) == 2
    assert "evil" not in mail_text(messages[-1])


def test_tampered_verification_link(client):
    user = UserFactory(email="c@example.org", email_verified=False)
    response = client.get(reverse("accounts:verify", args=["MQ", "c0ffee-0123456789abcdef0123"]))
    assert response.status_code == 400
    assert USED_LINK in response.content.decode()
    user.refresh_from_db()
    assert user.email_verified is False
    assert signed_in_user_id(client) is None


def signed_in_sessions() -> list[str]:
    """The accounts signed in by any session in the database (a scanner's included)."""
    return [user_id for s in Session.objects.all() if (user_id := s.get_decoded().get("_auth_user_id"))]


def sign_ins(user) -> list[dict]:
    return list(AuditEvent.objects.filter(action=Action.SIGNED_IN).values("actor_id", "subject_id", "details"))


def csrf_of(page) -> str:
    return re.search(r'<form method="post" action="/accounts/verify/confirm/">\s*'
                     r'<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)">', page.content.decode()).group(1)


def test_a_scanner_opening_the_link_changes_nothing_and_the_person_confirms_with_the_button(
        mail_dir, django_capture_on_commit_callbacks):
    path = register_and_read_link(PortalClient(), mail_dir, django_capture_on_commit_callbacks)
    user = User.objects.get()

    # A mail scanner or a link preview opens the link before the person does, following redirects.
    scanned = PortalClient().get(path, follow=True)
    assert scanned.status_code == 200
    user.refresh_from_db()
    assert user.email_verified is False
    assert signed_in_sessions() == []
    assert sign_ins(user) == []

    # The person's own click still works, and opening the link changes nothing either: it moves the
    # token out of the address bar into the session and shows one button.
    person = PortalClient(enforce_csrf_checks=True)
    opened = person.get(path)
    assert (opened.status_code, opened.url) == (302, CONFIRM)
    page = person.get(CONFIRM)
    assert page.status_code == 200
    assert [t.name for t in page.templates][0] == "accounts/verify_confirm.html"
    html = page.content.decode()
    assert '<h1 tabindex="-1" autofocus>Confirm your email address</h1>' in html
    assert "Press the button to confirm that chen.jianguo@example.org is your address." in html
    assert CONFIRM_BUTTON in html
    assert path.split("/")[-2] not in html  # the token is not on the page
    assert page["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    user.refresh_from_db()
    assert (user.email_verified, signed_in_sessions(), sign_ins(user)) == (False, [], [])

    # A POST without the page's CSRF token (another site's form) is refused and changes nothing.
    assert person.post(CONFIRM).status_code == 403
    user.refresh_from_db()
    assert (user.email_verified, signed_in_sessions(), sign_ins(user)) == (False, [], [])

    confirmed = person.post(CONFIRM, {"csrfmiddlewaretoken": csrf_of(page)}, follow=True)
    assert confirmed.redirect_chain == [(reverse("landing"), 302), (reverse("home"), 302)]
    assert [str(m) for m in confirmed.context["messages"]] == ["Your email address is confirmed and you are signed in."]
    user.refresh_from_db()
    assert user.email_verified is True
    assert signed_in_user_id(person) == str(user.pk)
    assert signed_in_sessions() == [str(user.pk)]  # the person's; the scanner's session holds no one
    assert sign_ins(user) == [{"actor_id": user.pk, "subject_id": user.pk, "details": {}}]

    # A second press (Back, then the button again) is harmless: the old page's CSRF token ended
    # with the sign-in, and a current one lands where the first press did, changing nothing.
    assert person.post(CONFIRM, {"csrfmiddlewaretoken": csrf_of(page)}).status_code == 403
    again = person.post(CONFIRM, {"csrfmiddlewaretoken": person.cookies["csrftoken"].value})
    assert (again.status_code, again.url) == (302, reverse("landing"))
    assert person.get(CONFIRM).url == reverse("landing")
    assert signed_in_user_id(person) == str(user.pk)
    assert sign_ins(user) == [{"actor_id": user.pk, "subject_id": user.pk, "details": {}}]


def test_confirming_a_link_used_meanwhile_gets_the_clear_page(client, mail_dir, django_capture_on_commit_callbacks):
    path = register_and_read_link(client, mail_dir, django_capture_on_commit_callbacks)
    assert client.get(path).url == CONFIRM
    elsewhere = PortalClient()  # the same link, confirmed on another device first
    assert elsewhere.get(path).url == CONFIRM
    assert elsewhere.post(CONFIRM).url == reverse("landing")

    response = client.post(CONFIRM)
    assert response.status_code == 400
    assert [t.name for t in response.templates][0] == "accounts/verify_failed.html"
    assert USED_LINK in response.content.decode()
    assert signed_in_user_id(client) is None
    assert len(sign_ins(User.objects.get())) == 1  # the other device's
    # The session no longer holds the link: the page says so again, and nothing is offered.
    page = client.get(CONFIRM)
    assert page.status_code == 400 and USED_LINK in page.content.decode()
    assert CONFIRM_BUTTON not in page.content.decode()


def test_confirming_an_expired_link_gets_the_clear_page(client, mail_dir, django_capture_on_commit_callbacks,
                                                        time_machine):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    path = register_and_read_link(client, mail_dir, django_capture_on_commit_callbacks)
    time_machine.move_to(start + timedelta(hours=23, minutes=59), tick=False)
    assert client.get(path).url == CONFIRM
    time_machine.move_to(start + timedelta(hours=24, seconds=1), tick=False)  # the page was left open
    response = client.post(CONFIRM)
    assert response.status_code == 400
    page = response.content.decode()
    assert "This link has expired" in page and EXPIRED_LINK in page
    assert reverse("accounts:resend_verification") in page
    assert User.objects.get().email_verified is False
    assert signed_in_user_id(client) is None
    assert sign_ins(User.objects.get()) == []


def test_confirming_without_a_link_or_with_a_wrong_one_gets_the_clear_page(client):
    user = UserFactory(email="c@example.org", email_verified=False)
    for response in (client.get(CONFIRM), client.post(CONFIRM)):  # nothing opened in this browser
        assert response.status_code == 400
        assert USED_LINK in response.content.decode()
    # A wrong link never reaches the session: opening it answers the clear page at once.
    wrong = client.get(reverse("accounts:verify", args=[urlsafe_base64_encode(force_bytes(user.pk)),
                                                        "c0ffee-0123456789abcdef0123"]))
    assert wrong.status_code == 400 and USED_LINK in wrong.content.decode()
    response = client.post(CONFIRM)
    assert response.status_code == 400 and USED_LINK in response.content.decode()
    # A link whose account changed after it was opened (here: closed) is refused when confirmed.
    with_link = PortalClient()
    assert with_link.get(urlsplit(verification_url(user)).path).url == CONFIRM
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = with_link.post(CONFIRM)
    assert response.status_code == 400 and USED_LINK in response.content.decode()
    user.refresh_from_db()
    assert (user.email_verified, signed_in_sessions(), sign_ins(user)) == (False, [], [])


def test_unverified_citizen_cannot_sign_in(client):
    UserFactory(email="c@example.org", email_verified=False)
    response = client.post(LOGIN, {"username": "c@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert response.context["form"].errors["__all__"] == [
        'Verify your email address before you sign in: follow the link in the mail we sent when you registered. '
        f'<a href="{reverse("accounts:resend_verification")}">Send me a new link.</a>'
    ]
    page = response.content.decode()
    assert f'<a href="{reverse("accounts:resend_verification")}">Send me a new link.</a>' in page
    assert signed_in_user_id(client) is None
    # A wrong password says nothing about verification.
    response = client.post(LOGIN, {"username": "c@example.org", "password": "wrong-password"})
    assert response.context["form"].errors["__all__"] == [INVALID_LOGIN]


def test_registration_of_a_known_address_looks_like_a_new_one(client, mailoutbox, django_capture_on_commit_callbacks,
                                                               settings):
    existing = UserFactory(email="chen.jianguo@example.org", full_name="Chen Jianguo", language="zh-hans")
    columns = [f.attname for f in User._meta.concrete_fields]
    before = list(User.objects.values_list(*columns))
    pages = {}
    for address in ("new.citizen@example.org", "CHEN.JIANGUO@Example.org"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(REGISTER, registration(email=address, full_name="Someone Else"), follow=True)
        assert response.redirect_chain == [(reverse("accounts:register_done"), 302)]
        # The same page, byte for byte, but for the per-request CSRF token of the header's forms.
        pages[address] = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    assert pages["new.citizen@example.org"] == pages["CHEN.JIANGUO@Example.org"]
    assert "Check your email" in pages["new.citizen@example.org"]

    new, holder = mailoutbox
    assert (new.to, new.subject) == (["new.citizen@example.org"], "Confirm your email address for the one-stop portal")
    # The holder is told, in their own language, with the ways in; no verification link.
    assert holder.to == ["chen.jianguo@example.org"]
    assert holder.body.startswith("尊敬的Chen Jianguo：\n")
    assert holder.body.rstrip().endswith("一网通办政务服务平台")
    assert "/accounts/verify/" not in holder.body
    assert f"\n{settings.SITE_URL}/accounts/login/\n" in holder.body
    assert f"\n{settings.SITE_URL}/accounts/password-reset/\n" in holder.body
    # Nothing about the existing account changed, and no second account exists.
    assert list(User.objects.filter(pk=existing.pk).values_list(*columns)) == before
    assert list(User.objects.order_by("pk").values_list("email", flat=True)) == [
        "chen.jianguo@example.org", "new.citizen@example.org"]


@pytest.mark.parametrize(("password", "errors"), [
    ("short-pw1", ["This password is too short. It must contain at least 10 characters."]),
    ("qwertyuiop", ["This password is too common."]),
    ("8472619305", ["This password is entirely numeric."]),
    ("chen.jianguo", ["The password is too similar to the email address."]),
])
def test_registration_refuses_weak_passwords(client, mailoutbox, django_capture_on_commit_callbacks, password, errors):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTER, registration(password=password, password_confirm=password))
    assert response.status_code == 200
    assert response.context["form"].errors == {"password": errors}
    page = response.content.decode()
    assert "There is a problem" in page
    assert errors[0].replace("'", "&#x27;") in page
    assert User.objects.count() == 0
    assert mailoutbox == []


def test_registration_form_errors(client):
    response = client.post(REGISTER, registration(email="not-an-address", full_name="", phone="call me",
                                                  password_confirm="something-else-entirely"))
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": ["Enter a valid email address."],
        "full_name": ["Enter your full name."],
        "phone": ["Enter a phone number using digits, spaces and hyphens, with + before a country code, like +86 10 1234 5678."],
        "password_confirm": ["The two passwords are not the same."],
    }
    assert User.objects.count() == 0


def test_resend_verification_answers_the_same_for_any_address(client, mailoutbox, django_capture_on_commit_callbacks):
    UserFactory(email="waiting@example.org", email_verified=False)
    expected = ("If that address has an account still waiting for verification, we have sent it a new link. "
                "The link works for 24 hours.")
    for address in ["nobody@example.org", "waiting@example.org"]:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("accounts:resend_verification"), {"email": address}, follow=True)
        assert response.redirect_chain == [(LOGIN, 302)]
        assert [str(m) for m in response.context["messages"]] == [expected]
    assert [m.to for m in mailoutbox] == [["waiting@example.org"]]
    assert link_path(mailoutbox[0].body, "/accounts/verify/")


# --- sign-in, session, sign-out ------------------------------------------------------------------


def test_login_page_fields():
    page = PortalClient().get(LOGIN).content.decode()
    assert 'type="email" name="username"' in page
    assert 'autocomplete="email"' in page
    assert 'autocomplete="current-password"' in page
    assert re.search(r'<label\s+for="id_username"', page) and re.search(r'<label\s+for="id_password"', page)
    assert "style=" not in page and "<script>" not in page


def test_login_issues_a_new_session_key(client):
    user = UserFactory(email="c@example.org")
    before = client.session.session_key
    assert Session.objects.filter(session_key=before).exists()
    response = client.post(LOGIN, {"username": "C@Example.org", "password": PASSWORD})
    assert (response.status_code, response.url) == (302, reverse("landing"))
    after = client.session.session_key
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert signed_in_user_id(client) == str(user.pk)


def test_login_follows_next_and_logout_is_post_only(client):
    UserFactory(email="c@example.org")
    response = client.post(LOGIN, {"username": "c@example.org", "password": PASSWORD, "next": PROFILE})
    assert response.url == PROFILE
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert signed_in_user_id(client) is not None
    response = client.post(reverse("accounts:logout"), follow=True)
    assert response.redirect_chain == [(reverse("home"), 302)]
    assert [str(m) for m in response.context["messages"]] == ["You have signed out."]
    assert signed_in_user_id(client) is None


def test_idle_session_is_signed_out(client, settings, time_machine):
    settings.SESSION_IDLE_SECONDS = 1800
    time_machine.move_to(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False)
    UserFactory(email="c@example.org")
    client.post(LOGIN, {"username": "c@example.org", "password": PASSWORD})
    assert client.get(PROFILE).status_code == 200
    time_machine.shift(1800 - 60)  # still active: the request renews the idle clock
    assert client.get(PROFILE).status_code == 200
    time_machine.shift(1800 - 60)
    assert client.get(PROFILE).status_code == 200
    time_machine.shift(1800 + 1)
    response = client.get(PROFILE)
    assert (response.status_code, response.url) == (302, f"{LOGIN}?next={PROFILE}")
    assert signed_in_user_id(client) is None


def test_lockout_after_failures_and_spoofed_forwarded_for_does_not_help(client, settings):
    UserFactory(email="c@example.org")
    limit = settings.LOGIN_ACCOUNT_FREE_FAILURES
    for attempt in range(1, limit):
        response = client.post(LOGIN, {"username": "c@example.org", "password": "wrong-password"},
                               HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}")
        assert response.status_code == 200
        assert response.context["form"].errors["__all__"] == [INVALID_LOGIN]
    response = client.post(LOGIN, {"username": "c@example.org", "password": "wrong-password"},
                           HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 429
    # The right password from a "new" address is still refused: the address is REMOTE_ADDR.
    response = client.post(LOGIN, {"username": "c@example.org", "password": PASSWORD},
                           HTTP_X_FORWARDED_FOR="198.51.100.8", HTTP_X_REAL_IP="198.51.100.9")
    assert response.status_code == 429
    assert "accounts/lockout.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert "Sign-in is paused for this account" in page
    assert ("There have been several unsuccessful attempts to sign in to this account, so we have paused signing in "
            "to it for a short while to protect it.") in page
    assert "You can try again in 1 minute." in page
    assert "Traceback" not in page
    assert signed_in_user_id(client) is None
    attempt = AccessAttempt.objects.get()
    # Every checked attempt counted against 127.0.0.1; the one refused while waiting was not checked.
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == ("c@example.org", "127.0.0.1", limit)
    # Another address (another REMOTE_ADDR) waits too: the account's failures count from anywhere.
    response = client.post(LOGIN, {"username": "c@example.org", "password": PASSWORD}, REMOTE_ADDR="192.0.2.10")
    assert response.status_code == 429


# --- password reset ----------------------------------------------------------------------------------


def test_password_reset_by_mail(client, mailoutbox):
    user = UserFactory(email="c@example.org", full_name="Chen Jianguo", email_verified=False)
    response = client.post(reverse("accounts:password_reset"), {"email": "C@example.org"})
    assert (response.status_code, response.url) == (302, reverse("accounts:password_reset_done"))
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert (message.to, message.subject) == (["c@example.org"], "Reset your password for the one-stop portal")
    assert message.body.startswith("Dear Chen Jianguo,\n")
    path = link_path(message.body, "/accounts/password-reset/")

    response = client.get(path)
    assert response.status_code == 302
    set_password_url = response.url
    page = client.get(set_password_url)
    assert page.context["validlink"] is True
    assert 'autocomplete="new-password"' in page.content.decode()

    response = client.post(set_password_url, {"new_password1": "qwertyuiop", "new_password2": "qwertyuiop"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"new_password1": ["This password is too common."]}
    user.refresh_from_db()
    assert user.check_password(PASSWORD)

    response = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert (response.status_code, response.url) == (302, reverse("accounts:password_reset_complete"))
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert user.email_verified is True  # the link reached the mailbox

    used = client.get(path, follow=True)
    assert used.context["validlink"] is False
    assert "The password reset link is not valid: it has expired or has already been used." in used.content.decode()


def test_password_reset_for_unknown_address_looks_the_same(client, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert (response.status_code, response.url) == (302, reverse("accounts:password_reset_done"))
    assert mailoutbox == []


# --- profile -------------------------------------------------------------------------------------


def test_profile_shows_and_saves_details(client):
    user = UserFactory(email="c@example.org", full_name="Chen Jianguo", phone="010 1234 5678")
    client.force_login(user)
    page = client.get(PROFILE)
    assert page.context["form"].initial == {"full_name": "Chen Jianguo", "phone": "010 1234 5678", "id_number": "",
                                            "address": ""}
    assert 'autocomplete="street-address"' in page.content.decode()
    response = client.post(PROFILE, {"full_name": "Chen Jian Guo", "phone": "+86 10 1234 5678",
                                     "id_number": "11010519491231002X", "address": "1 Harbour Road"}, follow=True)
    assert response.redirect_chain == [(PROFILE, 302)]
    assert [str(m) for m in response.context["messages"]] == ["Your details are saved."]
    user.refresh_from_db()
    assert (user.full_name, user.phone, user.id_number, user.address) == (
        "Chen Jian Guo", "+86 10 1234 5678", "11010519491231002X", "1 Harbour Road")


def test_profile_refuses_bad_details_and_changes_nothing(client):
    user = UserFactory(email="c@example.org", full_name="Chen Jianguo", phone="010 1234 5678")
    client.force_login(user)
    response = client.post(PROFILE, {"full_name": " ", "phone": "12", "id_number": "ID#1", "address": ""})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "full_name": ["Enter your full name."],
        "phone": ["Enter a phone number using digits, spaces and hyphens, with + before a country code, like +86 10 1234 5678."],
        "id_number": ["Enter the number exactly as printed on your identity document: letters, digits and hyphens only."],
    }
    assert 'href="#id_phone"' in response.content.decode()
    user.refresh_from_db()
    assert (user.full_name, user.phone, user.id_number, user.address) == ("Chen Jianguo", "010 1234 5678", "", "")


def test_profile_needs_a_signed_in_citizen(client, departments):
    assert client.get(PROFILE).url == f"{LOGIN}?next={PROFILE}"
    staff = officer(departments["health"], email="o@example.gov")
    client.force_login(staff)
    assert client.get(PROFILE).status_code == 404
    assert client.post(PROFILE, {"full_name": "Renamed"}).status_code == 404
    staff.refresh_from_db()
    assert staff.full_name != "Renamed"


def test_signed_in_user_is_sent_away_from_register_and_login(client):
    client.force_login(UserFactory(email="c@example.org"))
    assert client.get(REGISTER).url == reverse("landing")
    assert client.get(LOGIN).url == reverse("landing")
