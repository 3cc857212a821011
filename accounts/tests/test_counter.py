"""Walk-in citizens (accounts.counter) and the pages with which they claim their account: the
mailed link, the printed letter's code, and every way a link can no longer work."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import counter
from accounts.errors import AlreadyClaimed, DocumentAlreadyVerified, InvalidProfile
from accounts.models import SERVICE_ACCOUNT_DOMAIN, AccountClaim, ClaimChannel, DocumentType
from approvals.models import EmailStatus, Notification, NotificationKind
from approvals.notifications import notification_send_email, notify
from audit.models import Action, AuditEvent
from tests.concurrent import run_together
from tests.factories import UserFactory

from .conftest import link_path

pytestmark = pytest.mark.django_db

User = get_user_model()
RIC = "11010519491231002X"
PASSWORD = "quiet-harbour-lantern-42"


@pytest.fixture
def desk(db):
    return UserFactory(email=f"desk-counter3@{SERVICE_ACCOUNT_DOMAIN}", full_name="Front desk: counter 3")


@pytest.fixture
def walk_in(desk, mailoutbox, django_capture_on_commit_callbacks):
    """Register a walk-in; returns (user, the clear claim code of the mail or the letter)."""

    def _register(*, email="zhao.min@example.org", letter=False, number="11010519491231002x"):
        with django_capture_on_commit_callbacks(execute=True):
            done = counter.walk_in_register(
                desk=desk, desk_name="counter 3", officer_name="Li Na", officer_staff_number="A1023",
                full_name="Zhao Min", document_type=DocumentType.RESIDENT_ID_CARD, document_number=number,
                phone="+86 10 6512 3456", email=email, claim_letter=letter)
        if letter or not email:
            return done.user, done.letter.code if letter else None
        path = link_path(mailoutbox[-1].body, "/accounts/claim/")
        return done.user, path.split("/")[3]

    return _register


@pytest.mark.parametrize(("kind", "typed", "stored"), [
    (DocumentType.RESIDENT_ID_CARD, " 110105 19491231 002x ", RIC),
    (DocumentType.RESIDENT_ID_CARD, "360426199101010071", "360426199101010071"),
    (DocumentType.PASSPORT, "e1234-5678", "E12345678"),
    (DocumentType.TRAVEL_PERMIT, "H 1234 5678", "H12345678"),
])
def test_document_numbers_are_stored_compact(kind, typed, stored):
    assert counter.document_number_clean(kind, typed) == stored


@pytest.mark.parametrize(("kind", "typed", "code"), [
    (DocumentType.RESIDENT_ID_CARD, "110105194912310021", "checksum"),
    (DocumentType.RESIDENT_ID_CARD, "11010519491231002", "format"),
    (DocumentType.RESIDENT_ID_CARD, "1101051949123100XX", "format"),
    (DocumentType.RESIDENT_ID_CARD, "110105194913310021", "component"),
    (DocumentType.PASSPORT, "E1", "invalid_id_number"),
    (DocumentType.PASSPORT, "", "required"),
])
def test_wrong_document_numbers_are_refused(kind, typed, code):
    with pytest.raises(ValidationError) as refused:
        counter.document_number_clean(kind, typed)
    assert refused.value.code == code


def test_registration_checks_everything_before_writing(desk):
    with pytest.raises(InvalidProfile) as refused:
        counter.walk_in_register(desk=desk, desk_name="counter 3", officer_name="", officer_staff_number=" ",
                                 full_name="", document_type="driving_licence", document_number="x", phone="call me",
                                 email="x@counter.portal.invalid")
    assert refused.value.errors == {
        "officer_name": ["Give the name of the officer who checked the identity document."],
        "officer_staff_number": ["Give the staff number of the officer who checked the identity document."],
        "full_name": ["Enter your full name."],
        "phone": ["Enter a phone number using digits, spaces and hyphens, with + before a country code, like "
                  "+86 10 1234 5678."],
        "document_type": ["Choose the kind of identity document that was checked."],
        "email": ["Enter a valid email address."],
    }
    assert User.objects.count() == 1  # the desk


def test_the_same_document_is_registered_once(walk_in, desk):
    walk_in(email="")
    with pytest.raises(DocumentAlreadyVerified):
        walk_in(email="other@example.org", number=RIC)
    assert User.objects.filter(id_number=RIC).count() == 1


# --- Claiming by the mailed link ---------------------------------------------------------------------


def test_a_mailed_link_sets_the_password_verifies_the_address_and_signs_in(client, walk_in, mailoutbox):
    user, code = walk_in()
    assert "The link works for 3 days and only once." in mailoutbox[0].body
    response = client.get(f"/accounts/claim/{code}/")
    assert response.status_code == 302 and response["Location"] == "/accounts/claim/account/"
    form = client.get("/accounts/claim/account/")
    assert form.status_code == 200
    assert set(form.context["form"].fields) == {"id_number", "password", "password_confirm"}
    assert code not in form.content.decode()  # the code left the address bar: it is in the session

    response = client.post("/accounts/claim/account/", {"id_number": "110105 19491231 002x", "password": PASSWORD,
                                                        "password_confirm": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/start/"
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.email_verified
    assert client.session[SESSION_KEY] == str(user.pk)
    assert AccountClaim.objects.filter(user=user, used_at__isnull=True).count() == 0
    event = AuditEvent.objects.get(action=Action.ACCOUNT_CLAIMED)
    assert (event.actor_id, event.actor_label, event.object_type, event.object_id, event.subject_id, event.ip,
            event.purpose, event.details) == (
        user.pk, "zhao.min@example.org", "user", str(user.pk), user.pk, "127.0.0.1", "claim", {"channel": "mail"})
    assert len(mailoutbox) == 1  # the mailed link proved the address: no verification mail


def test_a_used_link_gets_a_clear_page(client, walk_in):
    user, code = walk_in()
    client.get(f"/accounts/claim/{code}/")
    client.post("/accounts/claim/account/", {"id_number": RIC, "password": PASSWORD, "password_confirm": PASSWORD})
    client.logout()
    again = client.get(f"/accounts/claim/{code}/")
    assert again.status_code == 400
    assert again.context["message"] == (
        "This link or code is not valid, or it has already been used. If you have set a password already, sign in; "
        "otherwise ask the front desk for a new letter.")
    assert "<h1>This link is not valid</h1>" in again.content.decode()
    assert client.get("/accounts/claim/account/")["Location"] == "/accounts/claim/"
    assert AuditEvent.objects.filter(action=Action.ACCOUNT_CLAIMED).count() == 1


def test_an_expired_link_gets_a_clear_page_and_changes_nothing(client, walk_in):
    user, code = walk_in()
    AccountClaim.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(f"/accounts/claim/{code}/")
    assert response.status_code == 400
    assert response.context["message"] == "This link or code has expired. Ask the front desk for a new letter."
    assert "<h1>This link has expired</h1>" in response.content.decode()
    # A form opened before it expired is refused on sending, too.
    user2, code2 = walk_in(email="qian@example.org", number="360426199101010071")
    client.get(f"/accounts/claim/{code2}/")
    AccountClaim.objects.filter(user=user2).update(expires_at=timezone.now() - timedelta(seconds=1))
    sent = client.post("/accounts/claim/account/", {"id_number": "360426199101010071", "password": PASSWORD,
                                                    "password_confirm": PASSWORD})
    assert sent.status_code == 400 and sent.context["expired"]
    user2.refresh_from_db()
    assert not user2.has_usable_password()
    assert not AuditEvent.objects.filter(action=Action.ACCOUNT_CLAIMED).exists()


def test_an_account_that_has_a_password_is_not_claimed(client, walk_in):
    user, code = walk_in()
    user.set_password("set-some-other-way-99")
    user.save(update_fields=["password"])
    response = client.get(f"/accounts/claim/{code}/")
    assert response.status_code == 400
    assert response.context["message"] == (
        "This account already has a password: sign in with it, or reset it if you forgot it.")
    assert "<h1>This account already has a password</h1>" in response.content.decode()
    with pytest.raises(AlreadyClaimed):
        counter.account_claim(code=code, id_number=RIC, password=PASSWORD)
    user.refresh_from_db()
    assert user.check_password("set-some-other-way-99")


def test_the_wrong_document_number_or_a_weak_password_changes_nothing(client, walk_in):
    user, code = walk_in()
    client.get(f"/accounts/claim/{code}/")
    response = client.post("/accounts/claim/account/", {"id_number": "360426199101010071", "password": "short",
                                                        "password_confirm": "short"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "id_number": ["This is not the number of the identity document the front desk checked: enter it as printed "
                      "on the document."],
        "password": ["This password is too short. It must contain at least 10 characters."],
    }
    user.refresh_from_db()
    assert (user.has_usable_password(), user.email_verified) == (False, False)
    assert AccountClaim.objects.get(user=user).used_at is None
    assert not AuditEvent.objects.filter(action=Action.ACCOUNT_CLAIMED).exists()


def test_unknown_codes_and_signed_in_visitors(client, walk_in):
    assert client.get("/accounts/claim/NOT-A-CODE/").status_code == 400
    assert client.get("/accounts/claim/account/")["Location"] == "/accounts/claim/"
    _user, code = walk_in()
    client.force_login(UserFactory(email="someone@example.org"))
    assert client.get(f"/accounts/claim/{code}/")["Location"] == "/start/"


# --- Claiming with a printed letter ------------------------------------------------------------------


def test_a_letter_code_typed_in_asks_for_the_address_and_mails_a_verification_link(client, walk_in, mailoutbox,
                                                                                   django_capture_on_commit_callbacks):
    user, code = walk_in(email="", letter=True)
    assert mailoutbox == []
    typed = code.lower().replace("-", " ").replace("0", "o")
    start = client.post("/accounts/claim/", {"code": typed})
    assert start.status_code == 302 and start["Location"] == "/accounts/claim/account/"
    form = client.get("/accounts/claim/account/")
    assert set(form.context["form"].fields) == {"id_number", "email", "password", "password_confirm"}
    assert form.context["form"].initial["email"] == ""  # the reserved login is no address to offer

    UserFactory(email="taken@example.org")
    taken = client.post("/accounts/claim/account/", {"id_number": RIC, "email": "Taken@example.org",
                                                     "password": PASSWORD, "password_confirm": PASSWORD})
    assert taken.context["form"].errors == {"email": ["This address already has an account on the portal: use "
                                                      "another one."]}
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/accounts/claim/account/", {"id_number": RIC, "email": "Zhao.Min@Example.org",
                                                        "password": PASSWORD, "password_confirm": PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/accounts/login/"
    user.refresh_from_db()
    assert (user.email, user.email_verified, user.check_password(PASSWORD)) == ("zhao.min@example.org", False, True)
    assert SESSION_KEY not in client.session  # signed in once the address is confirmed
    [message] = mailoutbox
    assert message.to == ["zhao.min@example.org"] and "/accounts/verify/" in message.body
    event = AuditEvent.objects.get(action=Action.ACCOUNT_CLAIMED)
    assert (event.actor_id, event.subject_id, event.details) == (user.pk, user.pk, {"channel": "letter"})


def test_a_wrong_typed_code_is_a_form_error(client):
    response = client.post("/accounts/claim/", {"code": "ABCD-EFGH-JKMN-PQRS-TVWX"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"code": [
        "This link or code is not valid, or it has already been used. If you have set a password already, sign in; "
        "otherwise ask the front desk for a new letter."]}


def test_a_new_letter_withdraws_the_earlier_one(walk_in, desk):
    user, first = walk_in(email="", letter=True)
    second = counter.claim_letter_issue(desk=desk, user_id=user.pk)
    claims = {c.channel: c for c in AccountClaim.objects.filter(user=user, used_at__isnull=True)}
    assert list(claims) == [ClaimChannel.LETTER]
    with pytest.raises(counter.ClaimFailed):
        counter.claim_check(code=first)
    assert counter.claim_check(code=second.code).user == user


# --- A reserved login is never mailed ------------------------------------------------------------------


def test_notifications_to_a_walk_in_without_an_address_are_not_mailed(walk_in, mailoutbox):
    user, _code = walk_in(email="", letter=True)
    [notification] = notify(recipient_ids=[user.pk], kind=NotificationKind.SUBMITTED)
    assert notification_send_email(notification_id=notification.pk) == "no_address"
    assert Notification.objects.get(pk=notification.pk).email_status == EmailStatus.NONE
    assert mailoutbox == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_code_sent_twice_at_once_claims_once(walk_in):
    user, code = walk_in()

    def claim():
        try:
            return counter.account_claim(code=code, id_number=RIC, password=PASSWORD).channel
        except counter.ClaimFailed as exc:
            return type(exc).__name__

    assert sorted(run_together(claim, claim)) == ["ClaimFailed", "mail"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.email_verified


def test_signing_in_with_the_e_id_can_withdraw_every_code(walk_in):
    user, code = walk_in(letter=True)
    assert counter.claim_codes_withdraw(user=user) == 2  # the mailed link and the letter
    with pytest.raises(counter.ClaimFailed):
        counter.claim_check(code=code)


# --- Guessing: the sign-in throttle's progressive delay ----------------------------------------------


def test_guessing_the_document_number_waits_like_guessing_a_password(client, walk_in, time_machine, settings):
    """Whoever holds a link or a letter must still know the document number: wrong numbers count
    on the account like wrong passwords, so guessing it soon waits."""
    time_machine.move_to(timezone.now(), tick=False)
    user, code = walk_in()
    client.get(f"/accounts/claim/{code}/")
    wrong = {"id_number": "360426199101010071", "password": PASSWORD, "password_confirm": PASSWORD}
    statuses = [client.post("/accounts/claim/account/", wrong).status_code
                for _ in range(settings.LOGIN_ACCOUNT_FREE_FAILURES + 1)]
    # The failure that starts the wait answers with the lockout page, as a wrong password does.
    assert statuses == [200] * (settings.LOGIN_ACCOUNT_FREE_FAILURES - 1) + [429, 429]
    right = client.post("/accounts/claim/account/", {**wrong, "id_number": RIC})
    assert right.status_code == 429  # waiting: not even checked
    user.refresh_from_db()
    assert not user.has_usable_password()
    failed = AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).order_by("id")
    assert [(e.subject_id, e.details) for e in failed] == [
        (user.pk, {"stage": "claim_document"})] * settings.LOGIN_ACCOUNT_FREE_FAILURES
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT, subject_id=user.pk).count() == 1
    time_machine.shift(timedelta(seconds=settings.LOGIN_DELAY_SECONDS + 1))
    assert client.post("/accounts/claim/account/", {**wrong, "id_number": RIC}).status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("how", ["typed", "link"])
def test_guessing_codes_from_one_address_waits(client, walk_in, time_machine, settings, how):
    time_machine.move_to(timezone.now(), tick=False)
    settings.LOGIN_ADDRESS_FREE_FAILURES = 3
    _user, code = walk_in(email="", letter=True)

    def send(candidate):
        if how == "typed":
            return client.post("/accounts/claim/", {"code": candidate}).status_code
        return client.get(f"/accounts/claim/{candidate.replace('-', '')}/").status_code

    unknown = 400 if how == "link" else 200
    guesses = [send(f"ABCD-EFGH-JKMN-PQRS-TV{n:02}") for n in range(4)]
    assert guesses == [unknown, unknown, 429, 429]
    assert send(code) == 429  # the real code waits too, from this address
    assert AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED, details={"stage": "claim_code"}).count() == 3
    other = type(client)()
    assert other.post("/accounts/claim/", {"code": code}, REMOTE_ADDR="198.51.100.9").status_code == 302
