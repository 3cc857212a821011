"""Token expiry: the lifetime issuers may choose, the 401 of an expired token, the warning mails
before the end (each threshold once, whoever runs the scan and however often), and the
migration that gave existing tokens their end."""

import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from accounts.models import Role
from api.expiry import api_token_expiry_warn, expiry_recipients
from api.models import ApiToken, TokenKind
from api.services import api_token_create, api_token_revoke
from api.tasks import api_token_expiry_warn_task
from api.tests.conftest import Api, department_token
from audit.models import Action, AuditEvent
from core.errors import ValidationFailed
from tests.celery_worker import *  # noqa: F403  (the fixtures celery_queue and start_worker)
from tests.celery_worker import broker_idle, mails_in, wait_for
from tests.concurrent import run_together
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def sent() -> list[tuple[list[str], str]]:
    return [(m.to, m.subject) for m in mail.outbox]


def local(moment, fmt="%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(moment).strftime(fmt)


# --- Lifetime --------------------------------------------------------------------------------------


def test_a_token_works_a_year_by_default_or_the_shorter_life_chosen(citizen, settings):
    token, _ = api_token_create(kind=TokenKind.CITIZEN, name="phone", user=citizen)
    assert token.expires_at - token.created_at == timedelta(days=365)
    settings.API_TOKEN_LIFETIME_DAYS = 90
    token, _ = api_token_create(kind=TokenKind.CITIZEN, name="phone", user=citizen)
    assert token.expires_at - token.created_at == timedelta(days=90)
    token, _ = api_token_create(kind=TokenKind.FRONT_DESK, name="desk", lifetime_days=7)
    assert token.expires_at - token.created_at == timedelta(days=7)


@pytest.mark.parametrize("days", [366, 0, -5, "forever", 10**9])
def test_no_life_longer_than_the_setting_and_none_unlimited(citizen, days):
    with pytest.raises(ValidationFailed) as refused:
        api_token_create(kind=TokenKind.CITIZEN, name="phone", user=citizen, lifetime_days=days)
    assert refused.value.errors == {"lifetime_days": ["Give a number of days from 1 to 365."]}
    assert ApiToken.objects.count() == 0


def test_create_api_token_takes_a_shorter_life(restaurant, capsys):
    call_command("create_api_token", "--front-desk", "--name", "Counter 3", "--days", "30")
    out, err = capsys.readouterr()
    token = ApiToken.objects.get()
    assert token.expires_at - token.created_at == timedelta(days=30)
    assert f"works until {local(token.expires_at)} CST. It is shown only now:" in err
    with pytest.raises(CommandError, match="lifetime_days: Give a number of days from 1 to 365."):
        call_command("create_api_token", "--front-desk", "--days", "400")
    assert ApiToken.objects.count() == 1


# --- The answer to an expired token ----------------------------------------------------------------


def test_an_expired_token_is_a_401_that_says_so(citizen, citizen_token, time_machine):
    token, clear = citizen_token
    api = Api(clear)
    time_machine.move_to(token.expires_at - timedelta(seconds=1))
    assert api.get("/api/v1/applications/").status_code == 200
    time_machine.move_to(token.expires_at)
    response = api.get("/api/v1/applications/")
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "token_expired", "message": "The token has expired.", "fields": {}}}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    [denied] = AuditEvent.objects.filter(action=Action.ACCESS_DENIED)
    assert (denied.actor_id, denied.actor_label, denied.details) == (
        None, "anonymous", {"path": "/api/v1/applications/", "reason": "expired_token", "token": token.prefix})
    # Revoked and expired: the revocation is what is said; an unknown token is not "expired".
    api_token_revoke(token_id=token.pk)
    assert api.get("/api/v1/applications/").json()["error"] == {
        "code": "not_authenticated", "message": "The token is not valid or has been revoked.", "fields": {}}
    unknown = Api(clear[:-4] + "AAAA").get("/api/v1/applications/")
    assert unknown.json()["error"]["message"] == "The token is not valid or has been revoked."


# --- Warning mails ---------------------------------------------------------------------------------


def test_the_citizen_is_warned_30_and_7_days_before_once_each(citizen, citizen_token, time_machine, settings):
    token, _ = citizen_token
    expected_subject = f'Your API token "my phone" expires on {local(token.expires_at, "%Y-%m-%d")}'
    time_machine.move_to(token.expires_at - 31 * DAY)
    assert api_token_expiry_warn_task() == 0
    assert mail.outbox == []

    time_machine.move_to(token.expires_at - 30 * DAY + timedelta(hours=3))
    assert api_token_expiry_warn_task() == 1
    assert sent() == [(["wang.fang@example.org"], expected_subject)]
    assert mail.outbox[0].body == (
        "Dear Wang Fang,\n\n"
        f'Your API token "my phone" (starts with pt_{token.prefix}) stops working on {local(token.expires_at)}. '
        "An app that uses it will then no longer reach your applications.\n\n"
        "To keep the app working, create a new token on your API tokens page, give it to the app, and then "
        "revoke the old one:\n\n"
        f"{settings.SITE_URL}/api/tokens/\n\n"
        "One-stop government service portal\n")
    assert api_token_expiry_warn_task() == 0  # the same day again: nothing more
    time_machine.move_to(token.expires_at - 8 * DAY)
    assert api_token_expiry_warn_task() == 0
    assert len(mail.outbox) == 1

    time_machine.move_to(token.expires_at - 7 * DAY)
    assert api_token_expiry_warn_task() == 1
    assert sent() == [(["wang.fang@example.org"], expected_subject)] * 2
    for day in (6, 1):
        time_machine.move_to(token.expires_at - day * DAY)
        assert api_token_expiry_warn_task() == 0
    time_machine.move_to(token.expires_at + DAY)
    assert api_token_expiry_warn_task() == 0
    assert len(mail.outbox) == 2
    token.refresh_from_db()
    assert token.expiry_warned_days == 7


def test_a_missed_scan_sends_only_the_nearest_warning(citizen_token, time_machine):
    token, _ = citizen_token
    time_machine.move_to(token.expires_at - 5 * DAY)
    assert api_token_expiry_warn_task() == 1
    assert api_token_expiry_warn_task() == 0
    assert len(mail.outbox) == 1
    token.refresh_from_db()
    assert token.expiry_warned_days == 7


def test_a_window_open_before_the_token_was_issued_is_not_warned_about(citizen, time_machine):
    short, _ = api_token_create(kind=TokenKind.CITIZEN, name="a trial", user=citizen, lifetime_days=20)
    tiny, _ = api_token_create(kind=TokenKind.CITIZEN, name="an hour's test", user=citizen, lifetime_days=5)
    assert api_token_expiry_warn_task() == 0
    time_machine.move_to(short.expires_at - 7 * DAY)
    assert api_token_expiry_warn_task() == 1
    assert [m.subject for m in mail.outbox] == [
        f'Your API token "a trial" expires on {local(short.expires_at, "%Y-%m-%d")}']
    assert tiny.pk and api_token_expiry_warn_task() == 0


def test_revoked_and_expired_tokens_are_not_warned_about(citizen, time_machine):
    revoked, _ = api_token_create(kind=TokenKind.CITIZEN, name="old app", user=citizen, lifetime_days=40)
    api_token_revoke(token_id=revoked.pk)
    time_machine.move_to(revoked.expires_at - 10 * DAY)
    assert api_token_expiry_warn_task() == 0
    time_machine.move_to(revoked.expires_at + DAY)
    assert api_token_expiry_warn_task() == 0
    assert mail.outbox == []


def test_a_departments_supervisors_and_the_issuer_are_warned_not_its_officers(officers, time_machine):
    admin = UserFactory(email="root@example.gov", full_name="Li Qiang", role=Role.ADMIN, language="zh-hans")
    token, _ = api_token_create(kind=TokenKind.DEPARTMENT, name="Tax case system", created_by=admin,
                                department=officers["tax"].memberships.get().department)
    assert expiry_recipients(token) == [officers["tax_supervisor"].pk, admin.pk]
    time_machine.move_to(token.expires_at - 30 * DAY)
    assert api_token_expiry_warn_task() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["root@example.gov", "supervisor.tax@example.gov"]
    english = next(m for m in mail.outbox if m.to == ["supervisor.tax@example.gov"])
    assert english.subject == f'The API token "Tax case system" expires on {local(token.expires_at, "%Y-%m-%d")}'
    assert english.body == (
        f"Dear {officers['tax_supervisor'].full_name},\n\n"
        f'The API token "Tax case system" (starts with pt_{token.prefix}) of the department Tax Bureau stops '
        f"working on {local(token.expires_at)}. The system that uses it will then be refused by the portal.\n\n"
        "Before then, ask an administrator of the portal for a new token (issued in the admin's API tokens page "
        "or with manage.py create_api_token), put it in the system, and have the old one revoked.\n\n"
        "One-stop government service portal\n")
    chinese = next(m for m in mail.outbox if m.to == ["root@example.gov"])  # in the language the admin uses
    assert chinese.body.startswith("尊敬的Li Qiang：\n\n") and chinese.body.endswith("\n一网通办政务服务平台\n")
    assert api_token_expiry_warn_task() == 0
    assert len(mail.outbox) == 2


def test_a_front_desk_token_without_an_issuer_warns_the_administrators(db, time_machine):
    first = UserFactory(email="root@example.gov", role=Role.ADMIN)
    UserFactory(email="former@example.gov", role=Role.ADMIN, is_active=False)
    UserFactory(email="manager@example.gov", role=Role.MANAGER)
    second = UserFactory(email="ops@example.gov", role=Role.ADMIN)
    token, _ = api_token_create(kind=TokenKind.FRONT_DESK, name="Counter 3")
    assert expiry_recipients(token) == [first.pk, second.pk]
    time_machine.move_to(token.expires_at - 7 * DAY)
    assert api_token_expiry_warn_task() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["ops@example.gov", "root@example.gov"]
    assert mail.outbox[0].body.splitlines()[2] == (
        f'The front-desk API token "Counter 3" (starts with pt_{token.prefix}) stops working on '
        f"{local(token.expires_at)}. The desk's system that uses it will then be refused by the portal.")


def closed_port() -> int:
    """A local port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_failed_send_is_tried_again_the_next_day(citizen_token, settings, time_machine):
    token, _ = citizen_token
    time_machine.move_to(token.expires_at - 30 * DAY)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    assert api_token_expiry_warn_task() == 0  # nobody listens on the port: the mail could not go
    token.refresh_from_db()
    assert token.expiry_warned_days is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    time_machine.move_to(token.expires_at - 29 * DAY)
    assert api_token_expiry_warn_task() == 1
    assert sent() == [(["wang.fang@example.org"], f'Your API token "my phone" expires on '
                                                 f'{local(token.expires_at, "%Y-%m-%d")}')]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_send_each_warning_once(citizen, officers, time_machine):
    tokens = [api_token_create(kind=TokenKind.CITIZEN, name=f"app {n}", user=citizen)[0] for n in range(3)]
    tokens.append(department_token("tax")[0])
    time_machine.move_to(tokens[0].expires_at - 30 * DAY + timedelta(hours=1), tick=False)
    now = timezone.now()
    results = run_together(*[lambda: api_token_expiry_warn(now=now)] * 4)
    assert sum(results) == 4
    assert sorted(m.subject for m in mail.outbox) == sorted(
        f'{"Your API token" if t.kind == TokenKind.CITIZEN else "The API token"} "{t.name}" expires on '
        f'{local(t.expires_at, "%Y-%m-%d")}' for t in tokens for _ in expiry_recipients(t))
    assert set(ApiToken.objects.values_list("expiry_warned_days", flat=True)) == {30}


def test_beat_runs_the_scan_daily(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["api-token-expiry"]
    assert schedule["task"] == "api.tasks.api_token_expiry_warn_task"
    assert (schedule["schedule"].hour, schedule["schedule"].minute) == ({9}, {0})


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_warning_as_the_application_role(citizen, start_worker, celery_queue, tmp_path):
    token, _ = api_token_create(kind=TokenKind.CITIZEN, name="my phone", user=citizen)
    # Issued 340 days ago: 25 days left, inside the 30-day window (the worker runs in real time).
    ApiToken.objects.filter(pk=token.pk).update(created_at=timezone.now() - 340 * DAY,
                                                expires_at=timezone.now() + 25 * DAY)
    mail_dir = tmp_path / "mail"
    start_worker(concurrency=1, mail_dir=mail_dir)
    api_token_expiry_warn_task.apply_async()
    api_token_expiry_warn_task.apply_async()  # a second beat the same day
    wait_for(lambda: ApiToken.objects.filter(pk=token.pk, expiry_warned_days=30).exists(), timeout=60,
             what="the worker to warn about the token")
    wait_for(lambda: broker_idle(celery_queue), timeout=60, what="both runs to finish")
    assert mails_in(mail_dir) == 1
    text = b"".join(path.read_bytes() for path in mail_dir.glob("*.log")).decode()
    assert "To: wang.fang@example.org" in text and f"(starts with pt_{token.prefix})" in text


# --- The migration --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_ends_existing_tokens_a_lifetime_after_issue_but_not_before_notice(citizen, restaurant):
    executor = MigrationExecutor(connection)
    executor.migrate([("api", "0002_filing_consent")])
    old_apps = executor.loader.project_state([("api", "0002_filing_consent")]).apps
    OldToken = old_apps.get_model("api", "ApiToken")
    now = timezone.now()
    desk_user = UserFactory(email="desk@api.portal.invalid")
    rows = {
        "recent": OldToken.objects.create(name="recent", kind="citizen", prefix="a1", digest="1" * 64,
                                          user_id=citizen.pk, created_at=now - 100 * DAY),
        "ending": OldToken.objects.create(name="ending", kind="citizen", prefix="a2", digest="2" * 64,
                                          user_id=citizen.pk, created_at=now - 360 * DAY),
        "ancient": OldToken.objects.create(name="ancient", kind="front_desk", prefix="a3", digest="3" * 64,
                                           user_id=desk_user.pk, created_at=now - 800 * DAY),
    }
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    tokens = {t.name: t for t in ApiToken.objects.all()}
    assert tokens["recent"].expires_at == rows["recent"].created_at + 365 * DAY
    for name in ("ending", "ancient"):  # a month's notice and a day, not a stop at the deploy
        assert now + 31 * DAY <= tokens[name].expires_at <= timezone.now() + 31 * DAY
    assert tokens["recent"].scopes == tokens["ending"].scopes == ["read", "file"]
    assert tokens["ancient"].scopes == ["read", "file", "register"]
    assert {t.expiry_warned_days for t in tokens.values()} == {None}
