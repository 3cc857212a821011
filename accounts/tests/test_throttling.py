"""Sign-in throttling (accounts.throttling on django-axes): a progressive delay per account across
addresses and per address across accounts, a spraying alert, and an officer who still gets in."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import Sum
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts import throttling
from audit.models import Action, AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SPRAYED = ["Spring2026!", "Password123", "Welcome-2026", "Portal-2026"]


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def attempt(username, password, ip, client=None):
    return (client or Client()).post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def counted() -> int:
    return AccessAttempt.objects.aggregate(n=Sum("failures_since_start"))["n"] or 0


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id")
                .values("actor_id", "actor_label", "object_type", "object_id", "subject_id", "ip", "details"))


def test_spraying_from_one_address_over_20_accounts_lets_exactly_20_through(clock, caplog):
    people = [UserFactory(email=f"person{n:02}@example.org") for n in range(20)]
    caplog.set_level(logging.WARNING, logger="accounts.throttling")
    statuses = []
    for password in SPRAYED:  # each password against every account, as a sprayer does
        for person in people:
            statuses.append(attempt(person.email, password, "203.0.113.66").status_code)

    # 20 checked (the 20th starts the wait and already answers with the lockout page), 60 refused unchecked.
    assert statuses == [200] * 19 + [429] * 61
    assert counted() == 20
    assert len(events(Action.SIGN_IN_FAILED)) == 20
    assert events(Action.SPRAYING_SUSPECTED) == [{
        "actor_id": None, "actor_label": "anonymous", "object_type": "address", "object_id": "203.0.113.66",
        "subject_id": None, "ip": "203.0.113.66", "details": {"accounts": 5, "failures": 5}}]
    assert events(Action.LOCKED_OUT) == [{
        "actor_id": None, "actor_label": "anonymous", "object_type": "user", "object_id": str(people[19].pk),
        "subject_id": people[19].pk, "ip": "203.0.113.66",
        "details": {"key": "address", "failures": 20, "wait_seconds": 60}}]
    assert "Password spraying suspected from 203.0.113.66: 5 failures on 5 accounts" in caplog.text

    # The address waits, whoever it names: a right password is not even checked.
    refused = attempt(people[0].email, PASSWORD, "203.0.113.66")
    assert refused.status_code == 429
    assert "Sign-in is paused for your network" in refused.content.decode()
    # Another address is not slowed down by this one.
    assert attempt(people[0].email, PASSWORD, "198.51.100.1").status_code == 302

    # After the wait one more guess is checked, and the next wait is twice as long.
    clock.shift(60)
    assert attempt(people[1].email, SPRAYED[0] + "x", "203.0.113.66").status_code == 429
    assert counted() == 21
    assert events(Action.LOCKED_OUT)[-1]["details"] == {"key": "address", "failures": 21, "wait_seconds": 120}
    clock.shift(119)
    assert attempt(people[2].email, PASSWORD, "203.0.113.66").status_code == 429
    assert counted() == 21


def test_per_account_delay_across_addresses_doubles_up_to_the_cap(clock):
    officer = UserFactory(email="officer@example.gov", role="officer")
    hosts = iter(range(1, 250))

    def from_anywhere(password=None):
        return attempt("Officer@Example.gov ", password or "guess-1234567", f"203.0.113.{next(hosts)}").status_code

    assert [from_anywhere() for _ in range(5)] == [200, 200, 200, 200, 429]
    waits = []
    for _ in range(7):
        wait = events(Action.LOCKED_OUT)[-1]["details"]["wait_seconds"]
        waits.append(wait)
        # Refused while waiting, even with the right password, and not counted: the wait does not grow.
        before = counted()
        clock.shift(wait - 1)
        assert from_anywhere(PASSWORD) == 429
        assert counted() == before
        clock.shift(1)
        assert from_anywhere() == 429  # checked, wrong, and the next wait begins
        assert counted() == before + 1
    assert waits == [60, 120, 240, 480, 900, 900, 900]
    assert {e["details"]["key"] for e in events(Action.LOCKED_OUT)} == {"account"}
    assert {e["object_id"] for e in events(Action.LOCKED_OUT)} == {str(officer.pk)}
    # The last failure was counted just now: the right password waits the capped 15 minutes, then goes in.
    clock.shift(900)
    assert from_anywhere(PASSWORD) == 302


def test_the_real_officer_still_gets_in(clock):
    officer = UserFactory(email="officer@example.gov", role="officer")
    desk = Client()
    assert attempt(officer.email, PASSWORD, "192.0.2.10", desk).status_code == 302  # their usual address
    desk.post(reverse("accounts:logout"))

    # An attacker guesses from many addresses and keeps hammering while the account waits.
    for n in range(1, 31):  # one guess every 5 seconds for two and a half minutes
        attempt(officer.email, f"guess-{n}-abcdefgh", f"203.0.113.{n}")
        clock.shift(5)
    assert counted() == 6  # 5 free, one more after the first minute's wait; the rest refused unchecked

    # From their own address the officer signs in at once: only that address's failures count there.
    assert attempt(officer.email, PASSWORD, "192.0.2.10", desk).status_code == 302
    assert desk.session["_auth_user_id"] == str(officer.pk)

    # From an address never used before (travelling), they wait, at most LOGIN_DELAY_MAX_SECONDS
    # after the attacker's last counted failure, however the attacker goes on meanwhile.
    last = AccessAttempt.objects.latest("attempt_time").attempt_time
    laptop = Client()
    response = attempt(officer.email, PASSWORD, "198.51.100.20", laptop)
    assert response.status_code == 429
    assert "You can try again in 1 minute." in response.content.decode()  # 50 s left of 120 s
    clock.move_to(last + timedelta(seconds=120), tick=False)
    assert attempt(officer.email, PASSWORD, "198.51.100.20", laptop).status_code == 302


def test_a_wrong_second_factor_code_counts_like_a_wrong_password(clock):
    citizen = UserFactory(email="c@example.org")
    for _ in range(4):
        attempt(citizen.email, "wrong-password", "192.0.2.7")
    request = RequestFactory().post("/accounts/login/code/", REMOTE_ADDR="192.0.2.7")
    assert throttling.retry_after(request, citizen.email) is None
    throttling.record_failure(request, "C@example.org")
    assert request.axes_locked_out is True  # the response becomes the lockout page (AxesMiddleware)
    assert throttling.retry_after(RequestFactory().post("/", REMOTE_ADDR="192.0.2.7"), citizen.email) == timedelta(seconds=60)
    assert [e["details"] for e in events(Action.SIGN_IN_FAILED)] == [{"stage": "password"}] * 4 + [
        {"stage": "second_factor"}]
    assert events(Action.SIGN_IN_FAILED)[-1] == {
        "actor_id": None, "actor_label": "anonymous", "object_type": "user", "object_id": str(citizen.pk),
        "subject_id": citizen.pk, "ip": "192.0.2.7", "details": {"stage": "second_factor"}}


def test_signing_in_clears_only_this_addresss_failures_and_failures_are_forgotten(clock, settings):
    citizen = UserFactory(email="c@example.org")
    for ip in ("192.0.2.1", "192.0.2.1", "192.0.2.2"):
        attempt(citizen.email, "wrong-password", ip)
    assert attempt(citizen.email, PASSWORD, "192.0.2.1").status_code == 302
    assert list(AccessAttempt.objects.values_list("ip_address", "failures_since_start")) == [("192.0.2.2", 1)]
    clock.shift(settings.LOGIN_FAILURE_MEMORY_HOURS * 3600 + 1)
    attempt("someone@example.org", "wrong-password", "192.0.2.3")  # any failure clears what is forgotten
    assert list(AccessAttempt.objects.values_list("ip_address", "failures_since_start")) == [("192.0.2.3", 1)]


def test_behind_the_proxy_a_forged_forwarded_for_changes_nothing(clock, settings):
    """The proxy overwrites X-Forwarded-For with the address it saw; even an appending proxy leaves
    the client's own entries on the left, which are never read."""
    settings.PROXY_COUNT = 1
    UserFactory(email="c@example.org")
    statuses = [Client().post(LOGIN, {"username": "c@example.org", "password": "wrong-password"}, REMOTE_ADDR="10.0.0.2",
                              HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.9").status_code for n in range(7)]
    assert statuses == [200, 200, 200, 200, 429, 429, 429]
    assert list(AccessAttempt.objects.values_list("ip_address", "failures_since_start")) == [("203.0.113.9", 5)]


def test_delays():
    assert [throttling.delay_after(n, 5) for n in (0, 4)] == [None, None]
    assert [throttling.delay_after(n, 5).total_seconds() for n in (5, 6, 7, 8, 9, 10, 500)] == [
        60, 120, 240, 480, 900, 900, 900]


def test_sign_in_records_are_pruned_once_they_no_longer_count(clock, settings):
    """Addresses and browsers of sign-ins are personal data: kept only while they decide a wait
    (LOGIN_KNOWN_ADDRESS_DAYS for a known address, LOGIN_FAILURE_MEMORY_HOURS for failures)."""
    from axes.models import AccessLog

    from accounts.tasks import sign_in_records_prune_task

    person = UserFactory(email="clerk@example.org")
    assert attempt(person.email, PASSWORD, "198.51.100.7").status_code == 302
    assert attempt(person.email, "wrong", "198.51.100.8").status_code == 200
    clock.move_to(START + timedelta(hours=settings.LOGIN_FAILURE_MEMORY_HOURS, seconds=1), tick=False)
    assert sign_in_records_prune_task() == {"failures": 1, "sign_ins": 0}
    assert AccessLog.objects.count() == 1
    clock.move_to(START + timedelta(days=settings.LOGIN_KNOWN_ADDRESS_DAYS, seconds=1), tick=False)
    assert sign_in_records_prune_task() == {"failures": 0, "sign_ins": 1}
    assert (AccessLog.objects.count(), AccessAttempt.objects.count()) == (0, 0)
    assert sign_in_records_prune_task() == {"failures": 0, "sign_ins": 0}
