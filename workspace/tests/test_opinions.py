"""The department asked gives its opinion on a share: structured, one per share, final, audited;
the asking department sees it on its review page and its supervisors are told."""

import importlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from approvals import opinions, sharing
from approvals.models import ApplicationShare, Notification, NotificationKind, ShareOpinion
from approvals.notifications import build_email
from approvals.opinion_deadlines import opinion_due_backfill, opinion_scan
from approvals.tasks import sla_scan_task
from audit.models import Action, AuditEvent
from core.errors import Conflict, ValidationFailed
from tests.concurrent import run_together

from .share_fixtures import *  # noqa: F403 -- application, health, building

pytestmark = pytest.mark.django_db

backfill_migration = importlib.import_module("approvals.migrations.0021_opinion_due_backfill")


@pytest.fixture
def share(health, officers, building):
    return sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                     department_id=building["department"].pk, days=7, reason="Is the layout safe?")


def give(share, who, **fields):
    return opinions.opinion_give(share_id=share.pk, actor=who, **{"verdict": "agree", **fields})


def test_an_officer_of_the_department_asked_gives_a_final_opinion(share, building, officers, health):
    opinion = give(share, building["officer"], verdict="agree_with_conditions", conditions="  Fire exits marked ",
                   reasons="ignored", comment="Checked the plan.")
    opinion.refresh_from_db()
    assert (opinion.share_id, opinion.verdict, opinion.conditions, opinion.reasons, opinion.comment, opinion.given_by) == (
        share.pk, "agree_with_conditions", "Fire exits marked", "", "Checked the plan.", building["officer"])
    event = AuditEvent.objects.get(action=Action.OPINION_GIVEN)
    assert (event.actor, event.object_type, event.object_id, event.purpose, event.details["verdict"],
            event.details["shared_with"]) == (building["officer"], "applicationshare", str(share.pk), "opinion",
                                              "agree_with_conditions", "building")
    told = Notification.objects.filter(kind=NotificationKind.OPINION_GIVEN)
    assert [(n.recipient, n.review_id, n.params["verdict"]) for n in told] == [
        (officers["health_supervisor"], health.pk, "agree_with_conditions")]
    email = build_email(told.get())
    ref = share.application.reference
    assert f"Building Bureau gave its opinion on application {ref}. Open your review to read it." in email.body
    with pytest.raises(Conflict, match="already gave its opinion"):
        give(share, building["supervisor"], verdict="disagree", reasons="No.")
    assert ShareOpinion.objects.count() == 1


@pytest.mark.parametrize(("fields", "errors"), [
    ({"verdict": "maybe"}, {"verdict"}),
    ({"verdict": "agree_with_conditions", "conditions": "   "}, {"conditions"}),
    ({"verdict": "disagree"}, {"reasons"}),
    ({"verdict": "disagree", "reasons": "x" * 2001}, {"reasons"}),
    ({"verdict": "agree", "comment": "x" * 2001}, {"comment"}),
])
def test_an_incomplete_opinion_is_refused_and_nothing_written(share, building, fields, errors):
    with pytest.raises(ValidationFailed) as caught:
        give(share, building["officer"], **fields)
    assert set(caught.value.errors) == errors
    assert not ShareOpinion.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.OPINION_GIVEN).exists()


def test_only_members_of_the_department_asked_may_answer(share, officers):
    for outsider in (officers["health_supervisor"], officers["tax"]):
        with pytest.raises(ApplicationShare.DoesNotExist):
            give(share, outsider)
    assert not ShareOpinion.objects.exists()


def test_a_revoked_or_expired_share_can_no_longer_be_answered(share, building, officers):
    ApplicationShare.objects.filter(pk=share.pk).update(created_at=timezone.now() - timedelta(days=8),
                                                       expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Conflict, match="expired"):
        give(share, building["officer"])
    ApplicationShare.objects.filter(pk=share.pk).update(expires_at=timezone.now() + timedelta(days=1))
    sharing.share_revoke(share_id=share.pk, actor=officers["health_supervisor"])
    with pytest.raises(Conflict, match="withdrew this share"):
        give(share, building["officer"])
    assert not ShareOpinion.objects.exists()


def test_the_opinion_page_takes_the_opinion_and_the_review_page_shows_it(client, share, building, officers, health):
    client.force_login(building["supervisor"])
    page = client.get(reverse("departments:opinion", args=[share.pk])).content.decode()
    assert 'name="opinion-verdict"' in page and 'for="id_opinion-conditions"' in page
    url = reverse("departments:opinion_give", args=[share.pk])
    refused = client.post(url, {"opinion-verdict": "disagree", "opinion-reasons": ""})
    assert refused.status_code == 400
    assert "Say why your department disagrees." in refused.content.decode()
    assert not ShareOpinion.objects.exists()
    response = client.post(url, {"opinion-verdict": "disagree", "opinion-reasons": "Too close to the river."})
    assert (response.status_code, response["Location"]) == (302, reverse("departments:opinion", args=[share.pk]))
    page = client.get(reverse("departments:opinion", args=[share.pk])).content.decode()
    assert "Too close to the river." in page and 'name="opinion-verdict"' not in page
    again = client.post(url, {"opinion-verdict": "agree"}, follow=True)
    assert "already gave its opinion" in again.content.decode()
    assert ShareOpinion.objects.get().verdict == "disagree"

    client.force_login(officers["health_supervisor"])
    review_page = client.get(reverse("departments:review", args=[health.pk])).content.decode()
    assert "Disagree" in review_page and "Too close to the river." in review_page
    assert building["supervisor"].get_full_name() in review_page


def test_the_review_page_says_a_share_is_waiting(client, share, officers, health):
    client.force_login(officers["health_supervisor"])
    assert "waiting for the opinion" in client.get(reverse("departments:review", args=[health.pk])).content.decode()


def test_an_outsider_posting_an_opinion_gets_a_404(client, share, officers):
    client.force_login(officers["tax"])
    response = client.post(reverse("departments:opinion_give", args=[share.pk]), {"opinion-verdict": "agree"})
    assert response.status_code == 404
    assert not ShareOpinion.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_people_answering_at_once_yield_one_opinion(share, building):
    def answer(who, verdict):
        def call():
            try:
                return give(share, who, verdict=verdict, reasons="No.").verdict
            except Conflict:
                return "refused"
        return call

    results = run_together(answer(building["officer"], "agree"), answer(building["supervisor"], "disagree"))
    assert sorted(results, key=str) in (["agree", "refused"], ["disagree", "refused"])
    assert ShareOpinion.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.OPINION_GIVEN).count() == 1


# --- The deadline and its reminders ---------------------------------------------------------------

FRIDAY = datetime(2026, 12, 4, 10, 0, tzinfo=ZoneInfo(settings.TIME_ZONE))


@pytest.fixture
def friday_share(time_machine, health, officers, building):
    time_machine.move_to(FRIDAY, tick=False)
    return sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                     department_id=building["department"].pk, days=7, reason="Is the layout safe?")


def test_the_opinion_is_due_three_working_days_after_the_share_never_after_it_ends(friday_share, health, officers,
                                                                                  building, settings):
    assert friday_share.opinion_due == date(2026, 12, 9)  # Friday + 3 working days: Wednesday
    settings.OPINION_SLA_DAYS = 5
    short = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                      department_id=building["department"].pk, days=1, reason="Quick look?")
    assert short.opinion_due == date(2026, 12, 5)  # the share ends on Saturday


def test_the_department_asked_is_reminded_once_before_and_once_after_the_due_date(friday_share, building):
    asked = {building["officer"].pk, building["supervisor"].pk}
    assert opinion_scan(today=date(2026, 12, 7)) == {"opinion_due": 0, "opinion_overdue": 0}
    assert opinion_scan(today=date(2026, 12, 8)) == {"opinion_due": 1, "opinion_overdue": 0}
    assert opinion_scan(today=date(2026, 12, 9)) == {"opinion_due": 0, "opinion_overdue": 0}
    reminded = Notification.objects.filter(kind=NotificationKind.OPINION_DUE)
    assert {n.recipient_id for n in reminded} == asked
    assert {n.params["due_date"] for n in reminded} == {"2026-12-09"}
    assert opinion_scan(today=date(2026, 12, 10)) == {"opinion_due": 0, "opinion_overdue": 1}
    assert opinion_scan(today=date(2026, 12, 11)) == {"opinion_due": 0, "opinion_overdue": 0}
    overdue = Notification.objects.filter(kind=NotificationKind.OPINION_OVERDUE)
    assert {n.recipient_id for n in overdue} == asked
    assert "was due on 2026-12-09 and is overdue" in build_email(overdue.first()).body
    friday_share.refresh_from_db()
    assert friday_share.opinion_reminded_at == friday_share.opinion_overdue_at == FRIDAY


def test_an_answered_or_revoked_share_is_not_reminded(friday_share, building, health, officers):
    give(friday_share, building["officer"])
    other = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                      department_id=building["department"].pk, days=7, reason="And the yard?")
    sharing.share_revoke(share_id=other.pk, actor=officers["health_supervisor"])
    assert opinion_scan(today=date(2026, 12, 10)) == {"opinion_due": 0, "opinion_overdue": 0}
    assert not Notification.objects.filter(kind__in=[NotificationKind.OPINION_DUE,
                                                     NotificationKind.OPINION_OVERDUE]).exists()


def test_the_shared_queue_marks_an_overdue_opinion(client, friday_share, building, time_machine):
    client.force_login(building["officer"])
    page = client.get(reverse("departments:shared")).content.decode()
    assert "Opinion due 9 Dec 2026" in page and "overdue" not in page
    time_machine.move_to(datetime(2026, 12, 10, 9, 0, tzinfo=ZoneInfo(settings.TIME_ZONE)), tick=False)
    client.force_login(building["officer"])  # a new session: the first went idle
    page = client.get(reverse("departments:shared")).content.decode()
    assert '<span class="badge text-bg-danger">overdue</span>' in page
    opinion_page = client.get(reverse("departments:opinion", args=[friday_share.pk])).content.decode()
    assert '<span class="badge text-bg-danger">overdue</span>' in opinion_page


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_remind_once(friday_share, building):
    results = run_together(*[lambda: opinion_scan(today=date(2026, 12, 8))] * 2)
    assert sorted(r["opinion_due"] for r in results) == [0, 1]
    assert Notification.objects.filter(kind=NotificationKind.OPINION_DUE).count() == 2  # officer and supervisor


def test_the_beat_scan_sends_the_opinion_reminders(friday_share, time_machine):
    time_machine.move_to(datetime(2026, 12, 8, 9, 0, tzinfo=ZoneInfo(settings.TIME_ZONE)), tick=False)
    assert sla_scan_task() == {"reminders": 0, "yellow": 0, "red": 0, "opinion_due": 1, "opinion_overdue": 0,
                               "rectification_reminders": 0, "rectification_escalations": 0}


def test_the_reminders_link_straight_to_the_opinion_page(client, friday_share, building, settings):
    settings.SITE_URL = "https://portal.example.gov"
    opinion_scan(today=date(2026, 12, 8))
    opinion_scan(today=date(2026, 12, 10))
    page = reverse("departments:opinion", args=[friday_share.pk])
    for kind in (NotificationKind.OPINION_DUE, NotificationKind.OPINION_OVERDUE):
        told = Notification.objects.filter(kind=kind, recipient=building["officer"]).get()
        assert told.params == {"due_date": "2026-12-09", "share": friday_share.pk}
        email = build_email(told)
        assert email.body.split("\n\n")[2] == f"https://portal.example.gov{page}"
        assert f'<a href="https://portal.example.gov{page}">Give your department\'s opinion</a>' in \
            email.alternatives[0][0]
    client.force_login(building["officer"])
    listing = client.get(reverse("approvals:notifications")).content.decode()
    assert listing.count(f'<a href="{page}">{friday_share.application.reference}</a>') == 2
    assert client.get(page).status_code == 200


# --- Shares made before opinions had a deadline ---------------------------------------------------


def test_the_backfill_dates_the_shares_still_waiting_and_tells_nobody_of_a_past_date(friday_share, health, officers,
                                                                                      building, time_machine):
    def shared(reason, **changes):
        share = sharing.application_share(review_id=health.pk, actor=officers["health_supervisor"],
                                          department_id=building["department"].pk, days=7, reason=reason)
        ApplicationShare.objects.filter(pk=share.pk).update(opinion_due=None, **changes)
        return share

    ApplicationShare.objects.filter(pk=friday_share.pk).update(opinion_due=None)  # Friday 4 Dec: due Wednesday 9
    time_machine.move_to(datetime(2026, 12, 7, 11, 0, tzinfo=ZoneInfo(settings.TIME_ZONE)), tick=False)
    monday = shared("Made on Monday")  # due Thursday 10 December
    answered = shared("Answered")
    give(answered, building["officer"])
    revoked = shared("Revoked", revoked_at=timezone.now(), ended_at=timezone.now())
    ended = shared("Expired", expires_at=timezone.now() + timedelta(minutes=1))

    time_machine.move_to(datetime(2026, 12, 10, 8, 0, tzinfo=ZoneInfo(settings.TIME_ZONE)), tick=False)
    migrated = timezone.now()
    assert opinion_due_backfill() == 2
    dates = {s.pk: (s.opinion_due, s.opinion_reminded_at, s.opinion_overdue_at)
             for s in ApplicationShare.objects.all()}
    assert dates == {
        friday_share.pk: (date(2026, 12, 9), None, migrated),  # past: claimed, told to nobody
        monday.pk: (date(2026, 12, 10), None, None),  # due today: reminded as any other
        answered.pk: (None, None, None), revoked.pk: (None, None, None), ended.pk: (None, None, None)}
    assert opinion_scan(today=date(2026, 12, 10)) == {"opinion_due": 1, "opinion_overdue": 0}
    assert opinion_scan(today=date(2026, 12, 11)) == {"opinion_due": 0, "opinion_overdue": 1}
    told = Notification.objects.filter(kind__in=[NotificationKind.OPINION_DUE, NotificationKind.OPINION_OVERDUE])
    assert {n.params["share"] for n in told} == {monday.pk}
    assert opinion_due_backfill() == 0  # run again: nothing left to date


def test_the_migration_calls_the_backfill_with_its_historical_model(monkeypatch):
    from django.apps import apps

    called = []
    monkeypatch.setattr("approvals.opinion_deadlines.opinion_due_backfill", lambda model: called.append(model))
    backfill_migration.backfill(apps, None)
    assert called == [apps.get_model("approvals", "ApplicationShare")]
