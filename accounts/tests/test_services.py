from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import services
from accounts.errors import (
    AccountError,
    InvalidProfile,
    VerificationExpired,
    VerificationFailed,
    WeakPassword,
)
from accounts.models import Assurance, Role
from accounts.tokens import email_verification_token
from departments.models import Membership
from tests.concurrent import run_together
from tests.factories import UserFactory, officer

from .conftest import link_path

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "quiet-harbour-lantern-42"
REGISTRATION = {"email": "chen.jianguo@example.org", "full_name": "Chen Jianguo", "password": PASSWORD}


def snapshot() -> tuple:
    """Everything a refused change must leave alone."""
    users = list(User.objects.order_by("pk").values_list(
        "pk", "email", "password", "role", "full_name", "is_staff", "is_superuser", "email_verified"))
    return users, list(Membership.objects.order_by("pk").values_list("user_id", "department_id", "role"))


# --- citizen_register ------------------------------------------------------------------------------


def test_citizen_register_creates_an_unverified_citizen_and_mails_after_commit(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user = services.citizen_register(email="Chen.Jianguo@Example.org", full_name="  Chen   Jianguo ",
                                          password=PASSWORD, phone="+86 10 1234 5678")
        assert mailoutbox == []  # nothing is sent before the commit
    assert len(callbacks) == 1
    user.refresh_from_db()
    assert (user.email, user.full_name, user.phone, user.role) == (
        "chen.jianguo@example.org", "Chen Jianguo", "+86 10 1234 5678", Role.CITIZEN)
    assert (user.email_verified, user.is_active, user.is_staff) == (False, True, False)
    assert user.check_password(PASSWORD)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert (message.to, message.subject) == (["chen.jianguo@example.org"], "Confirm your email address for the one-stop portal")
    assert "The link works for 24 hours and only once." in message.body
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    assert link_path(message.body, "/verify/").startswith(f"/accounts/verify/{uidb64}/")


def test_citizen_register_rolled_back_sends_no_mail(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.citizen_register(**REGISTRATION)
            raise RuntimeError("later step failed")
    assert callbacks == []
    assert mailoutbox == []
    assert User.objects.count() == 0


def test_citizen_register_known_address_mails_its_holder_and_changes_nothing(
        mailoutbox, django_capture_on_commit_callbacks):
    UserFactory(email="chen.jianguo@example.org", full_name="Chen Jianguo")
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert services.citizen_register(**{**REGISTRATION, "email": "CHEN.Jianguo@example.ORG"}) is None
    assert len(callbacks) == 1
    assert snapshot() == before
    [message] = mailoutbox
    assert (message.to, message.subject) == (
        ["chen.jianguo@example.org"], "Someone tried to register with your address on the one-stop portal")
    assert message.body.startswith("Dear Chen Jianguo,\n\nSomeone tried to create an account on the one-stop "
                                   "government service portal with this email address, which already has an account.")


def test_citizen_register_known_address_still_checks_the_password(mailoutbox):
    UserFactory(email="chen.jianguo@example.org")
    with pytest.raises(WeakPassword) as exc:  # exactly what a new address would be told
        services.citizen_register(**{**REGISTRATION, "password": "chen.jianguo"})
    assert exc.value.messages == ["The password is too similar to the email address."]


def test_citizen_register_known_address_mail_is_throttled(mailoutbox, django_capture_on_commit_callbacks, settings):
    settings.EMAIL_VERIFICATION_RESEND_SECONDS = 60
    user = UserFactory(email="chen.jianguo@example.org")
    UserFactory(email="gone@example.org", is_active=False)
    cache.delete(f"accounts:registration-attempt:{user.pk}")
    for email in ["chen.jianguo@example.org", "chen.jianguo@example.org", "gone@example.org"]:
        with django_capture_on_commit_callbacks(execute=True):
            assert services.citizen_register(**{**REGISTRATION, "email": email}) is None
    assert [m.to for m in mailoutbox] == [["chen.jianguo@example.org"]]


def test_citizen_register_carries_next_into_the_link(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.citizen_register(**REGISTRATION, next_url="/applications/start/open-a-restaurant/")
    assert "/?next=%2Fapplications%2Fstart%2Fopen-a-restaurant%2F\n" in mailoutbox[0].body


def test_citizen_register_weak_password_and_missing_name(mailoutbox):
    with pytest.raises(WeakPassword) as exc:
        services.citizen_register(**{**REGISTRATION, "password": "chen.jianguo"})
    assert exc.value.messages == ["The password is too similar to the email address."]
    with pytest.raises(InvalidProfile) as exc:
        services.citizen_register(**{**REGISTRATION, "full_name": "   "})
    assert exc.value.errors == {"full_name": ["Enter your full name."]}
    assert User.objects.count() == 0


# --- email_verify ----------------------------------------------------------------------------------


def _link(user):
    return {"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": email_verification_token.make_token(user)}


def test_email_verify_works_once():
    user = UserFactory(email="c@example.org", email_verified=False)
    link = _link(user)
    assert services.email_verify(**link).pk == user.pk
    user.refresh_from_db()
    assert user.email_verified is True
    with pytest.raises(VerificationFailed) as exc:
        services.email_verify(**link)
    assert type(exc.value) is VerificationFailed
    assert exc.value.messages == [
        "This verification link is not valid or has already been used. If your email address is already verified, "
        "sign in; otherwise ask for a new link."]


def test_email_verify_expires(time_machine, settings):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    user = UserFactory(email="c@example.org", email_verified=False)
    link = _link(user)
    time_machine.move_to(start + timedelta(hours=24, seconds=1), tick=False)
    with pytest.raises(VerificationExpired) as exc:
        services.email_verify(**link)
    assert exc.value.messages == ["This verification link has expired. Ask for a new one below."]
    user.refresh_from_db()
    assert user.email_verified is False
    settings.EMAIL_VERIFICATION_TIMEOUT = 2 * 24 * 3600  # the timeout is a setting
    assert services.email_verify(**link).email_verified is True


@pytest.mark.parametrize(("uidb64", "token"), [
    ("MTIzNDU2Nzg5", "c0ffee-0123456789abcdef0123"),  # no such user
    ("!!!", "c0ffee-0123456789abcdef0123"),
    (urlsafe_base64_encode(b"9" * 30), "c0ffee-0123456789abcdef0123"),  # beyond any primary key
    (urlsafe_base64_encode(b"\xff\xfe"), "c0ffee-0123456789abcdef0123"),  # not text
    (None, "broken"),
    (None, "zzzzzzzzzzzzzzzzzzz-0123"),
])
def test_email_verify_refuses_altered_links(uidb64, token):
    user = UserFactory(email="c@example.org", email_verified=False)
    uidb64 = uidb64 or urlsafe_base64_encode(force_bytes(user.pk))
    with pytest.raises(VerificationFailed) as exc:
        services.email_verify(uidb64=uidb64, token=token)
    assert type(exc.value) is VerificationFailed
    user.refresh_from_db()
    assert user.email_verified is False


def test_checking_a_link_changes_nothing(time_machine):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    user = UserFactory(email="c@example.org", email_verified=False)
    link = _link(user)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(2):  # a scanner, then the person: the link still works
            assert services.email_verification_check(**link).pk == user.pk
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT", "SELECT"]
    assert not any("FOR UPDATE" in q["sql"] for q in queries.captured_queries)
    user.refresh_from_db()
    assert user.email_verified is False
    with pytest.raises(VerificationFailed) as exc:
        services.email_verification_check(uidb64=link["uidb64"], token="c0ffee-0123456789abcdef0123")
    assert type(exc.value) is VerificationFailed
    time_machine.move_to(start + timedelta(hours=24, seconds=1), tick=False)
    with pytest.raises(VerificationExpired):
        services.email_verification_check(**link)
    time_machine.move_to(start + timedelta(hours=24), tick=False)
    services.email_verify(**link)
    with pytest.raises(VerificationFailed) as exc:  # used
        services.email_verification_check(**link)
    assert type(exc.value) is VerificationFailed


def test_email_verify_link_of_another_address_is_refused():
    user = UserFactory(email="c@example.org", email_verified=False)
    link = _link(user)
    User.objects.filter(pk=user.pk).update(email="changed@example.org")
    with pytest.raises(VerificationFailed):
        services.email_verify(**link)
    assert User.objects.get(pk=user.pk).email_verified is False


# --- resend, reset, profile ------------------------------------------------------------------------


def test_email_verification_resend_only_to_unverified_citizens(mailoutbox, django_capture_on_commit_callbacks):
    UserFactory(email="verified@example.org")
    UserFactory(email="inactive@example.org", email_verified=False, is_active=False)
    UserFactory(email="officer@example.gov", email_verified=False, role=Role.OFFICER)
    UserFactory(email="waiting@example.org", email_verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        for address in ["verified@example.org", "inactive@example.org", "officer@example.gov", "nobody@example.org",
                        "not an address", "WAITING@example.org"]:
            assert services.email_verification_resend(email=address) is None
    assert [m.to for m in mailoutbox] == [["waiting@example.org"]]


def test_email_verification_resend_is_throttled(mailoutbox, django_capture_on_commit_callbacks, settings):
    settings.EMAIL_VERIFICATION_RESEND_SECONDS = 60
    user = UserFactory(email="waiting@example.org", email_verified=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.email_verification_resend(email="waiting@example.org")
            services.email_verification_resend(email="waiting@example.org")
    finally:
        cache.delete(f"accounts:verification-sent:{user.pk}")
    assert len(mailoutbox) == 1


def test_user_password_reset_marks_the_address_verified():
    user = UserFactory(email="c@example.org", email_verified=False)
    services.user_password_reset(user=user, password="a-fresh-long-passphrase")
    user.refresh_from_db()
    assert user.check_password("a-fresh-long-passphrase")
    assert user.email_verified is True


def test_citizen_profile_update_saves_cleaned_details():
    user = UserFactory(email="c@example.org", full_name="Old Name")
    services.citizen_profile_update(user=user, full_name=" Li  Lei ", phone="+86 138-0000-0000", id_number="11010519491231002X",
                                    address="1 Harbour Road")
    user.refresh_from_db()
    assert (user.full_name, user.phone, user.id_number, user.address) == (
        "Li Lei", "+86 138-0000-0000", "11010519491231002X", "1 Harbour Road")


def test_citizen_profile_update_refuses_bad_details_and_changes_nothing():
    user = UserFactory(email="c@example.org", full_name="Old Name", phone="123456")
    before = snapshot()
    with pytest.raises(InvalidProfile) as exc:
        services.citizen_profile_update(user=user, full_name="", phone="call me", id_number="12 34", address="x" * 256)
    assert exc.value.errors == {
        "full_name": ["Enter your full name."],
        "phone": ["Enter a phone number using digits, spaces and hyphens, with + before a country code, like +86 10 1234 5678."],
        "id_number": ["Enter the number exactly as printed on your identity document: letters, digits and hyphens only."],
        "address": ["Ensure this value has at most 255 characters (it has 256)."],
    }
    assert snapshot() == before


def test_citizen_profile_update_keeps_a_verified_identity_number():
    user = UserFactory(email="c@example.org", full_name="Old Name", id_number="11010519491231002X",
                       assurance=Assurance.SUBSTANTIAL, identity_verified_by="National e-ID")
    before = snapshot()
    with pytest.raises(InvalidProfile) as exc:
        services.citizen_profile_update(user=user, full_name="New Name", id_number="110105194912310011")
    assert exc.value.errors == {"id_number": [
        "Your identity number was verified by National e-ID and cannot be changed here. If it is wrong, contact the "
        "help desk."]}
    assert snapshot() == before
    with pytest.raises(InvalidProfile):  # nor removed
        services.citizen_profile_update(user=user, full_name="New Name", id_number="")
    # The same number (in any letter case) with other changes is saved.
    services.citizen_profile_update(user=user, full_name="New Name", id_number="11010519491231002x", phone="+86 138 1")
    user.refresh_from_db()
    assert (user.full_name, user.phone, user.id_number) == ("New Name", "+86 138 1", "11010519491231002X")


def test_citizen_profile_update_is_for_citizens_only(departments):
    staff = officer(departments["health"], email="o@example.gov")
    before = snapshot()
    with pytest.raises(AccountError) as exc:
        services.citizen_profile_update(user=staff, full_name="New Name")
    assert exc.value.messages == ["Only citizens keep a profile here."]
    assert snapshot() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_citizen_register_twice_at_once_creates_one_account(mailoutbox):
    """A double click on "Create the account": both requests answer alike, one account exists, its
    holder gets the verification link and the notice of the second attempt."""

    def register():
        return services.citizen_register(**REGISTRATION)

    results = run_together(register, register)
    user = User.objects.get()
    assert sorted(results, key=lambda r: r is None) == [user, None]
    assert sorted(m.subject for m in mailoutbox) == [
        "Confirm your email address for the one-stop portal",
        "Someone tried to register with your address on the one-stop portal",
    ]
    assert {tuple(m.to) for m in mailoutbox} == {("chen.jianguo@example.org",)}
