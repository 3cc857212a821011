"""The citizen's application page says one consistent thing at every step of the engine:
submit → correction requested → corrected → approved or rejected, with the due dates the engine
uses (a paused clock moves them by the working days it stood still).

Submitted and routed on Friday 2026-11-20 (Monday to Friday, no holidays in November):

    department    stage  limit  due date
    health        1      5      Fri 11-27
    registration  1      3      Wed 11-25
    tax           1      2      Tue 11-24
    fire          2      5      waiting
"""

import html
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from approvals import workflow
from approvals.models import Application, Review
from approvals.permit_flow import permit_render, permit_revoke
from permits.models import Permit
from tests.engine_fixtures import submitted_application
from tests.factories import restaurant_service

pytestmark = pytest.mark.django_db

TZ = ZoneInfo(settings.TIME_ZONE)


def shown(day: date) -> str:
    """A date as the page shows it (Django's date filter, the site's format)."""
    return date_filter(day)


@pytest.fixture
def travel(time_machine, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")

    def _travel(day: date, hour: int = 12) -> None:
        time_machine.move_to(datetime(day.year, day.month, day.day, hour, tzinfo=TZ), tick=False)

    return _travel


@pytest.fixture(autouse=True)
def _english_after_each_test():
    yield
    translation.activate(settings.LANGUAGE_CODE)  # a page in Chinese leaves its language active in the thread


def _text(markup: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


class Page:
    """What the citizen reads: the application's status, each stage's heading and each
    department's entry of the progress timeline, as text."""

    def __init__(self, client, application, *, sign_in=True, language="en"):
        if sign_in:  # days pass between the steps: a new session each time
            client.logout()
            client.force_login(application.applicant)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = client.get(reverse("approvals:detail", args=[application.pk]))
        assert response.status_code == 200
        self.html = response.content.decode()
        self.text = _text(self.html)
        status = re.search(r'<dl class="facts-list">\s*<div><dt>[^<]*</dt><dd>(.*?)</dd>', self.html, re.S)
        self.status = _text(status.group(1))
        self.stages = [_text(h) for h in re.findall(r'<h3 class="h5" id="stage-\d+">(.*?)</h3>', self.html, re.S)]
        self.reviews = [_text(item) for item in re.findall(r'<li class="timeline-item[^"]*">(.*?)</li>', self.html, re.S)]


def decide(application, code, officers, decision="approve", **kwargs):
    review = application.reviews.get(department__code=code)
    return workflow.review_decide(review_id=review.pk, actor=officers[code], decision=decision, **kwargs)


@pytest.fixture
def corrected(submit, citizen, officers, client, travel):
    """Walks an application up to its corrected state, checking the page at each step; returns it."""
    travel(date(2026, 11, 20), 10)
    application = submit()
    client.force_login(citizen)

    page = Page(client, application)
    assert page.status == "In review"
    assert page.stages == [f"Stage 1 · in progress · decisions expected by {shown(date(2026, 11, 27))}",
                           f"Stage 2 · not started yet · decisions expected by {shown(date(2026, 12, 4))}"]
    assert page.reviews == [
        "Health Bureau In the department's queue Time limit 5 working days",
        "Registration Bureau In the department's queue Time limit 3 working days",
        "Tax Bureau In the department's queue Time limit 2 working days",
        "Fire Bureau Waiting for an earlier stage Time limit 5 working days",
    ]

    workflow.application_route(application_ids=[application.pk])
    page = Page(client, application)
    assert page.reviews == [
        f"Health Bureau In the department's queue Decision due {shown(date(2026, 11, 27))}",
        f"Registration Bureau In the department's queue Decision due {shown(date(2026, 11, 25))}",
        f"Tax Bureau In the department's queue Decision due {shown(date(2026, 11, 24))}",
        "Fire Bureau Waiting for an earlier stage Time limit 5 working days",
    ]

    # Tuesday: tax approves, registration starts, health asks for a correction.
    travel(date(2026, 11, 24), 11)
    decide(application, "tax", officers, conditions="File monthly.")
    workflow.review_claim(review_id=application.reviews.get(department__code="registration").pk,
                          actor=officers["registration"])
    decide(application, "health", officers, "correction", correction_fields=["seats", "floor_plan"],
           message="Count the outdoor seats too.")
    page = Page(client, application)
    assert page.status == "Needs your correction"
    assert page.stages[0] == f"Stage 1 · in progress · decisions expected by {shown(date(2026, 11, 27))}"
    assert page.reviews == [
        f"Health Bureau Waiting for your correction Asked on {shown(date(2026, 11, 24))} "
        f"What to correct Count the outdoor seats too. Decision due {shown(date(2026, 11, 27))}, if you answer today",
        f"Registration Bureau Being reviewed Decision due {shown(date(2026, 11, 25))}",
        f"Tax Bureau Approved Approved on {shown(date(2026, 11, 24))} Conditions File monthly.",
        "Fire Bureau Waiting for an earlier stage Time limit 5 working days",
    ]

    # Friday: three working days later the health decision would be due three days later too.
    travel(date(2026, 11, 27), 9)
    page = Page(client, application)
    assert page.reviews[0] == (
        f"Health Bureau Waiting for your correction Asked on {shown(date(2026, 11, 24))} "
        f"What to correct Count the outdoor seats too. Decision due {shown(date(2026, 12, 2))}, if you answer today")
    assert page.stages == [f"Stage 1 · in progress · decisions expected by {shown(date(2026, 12, 2))}",
                           f"Stage 2 · not started yet · decisions expected by {shown(date(2026, 12, 9))}"]

    # The citizen answers: health has the application again, due three working days later.
    travel(date(2026, 11, 27), 10)
    workflow.application_resubmit(application_id=application.pk, actor=citizen, data={"seats": "38"})
    health = application.reviews.get(department__code="health")
    assert health.due_date == date(2026, 12, 2)  # the engine's own date, which the page shows
    page = Page(client, application)
    assert page.status == "In review"
    assert page.reviews[0] == (
        f"Health Bureau Back with the department Back with the Health Bureau since {shown(date(2026, 11, 27))}, "
        f"after your correction. Decision due {shown(date(2026, 12, 2))} "
        "Paused for your correction 3 working days, added to the due date")
    assert page.stages[0] == f"Stage 1 · in progress · decisions expected by {shown(date(2026, 12, 2))}"
    for leftover in ("Decided", "Asked on", "Count the outdoor seats too. Decision", "What to correct"):
        assert leftover not in " ".join(page.reviews)
    return application


def test_the_page_follows_a_corrected_application_to_its_permit(corrected, client, officers, travel):
    application = corrected
    travel(date(2026, 11, 30), 10)
    decide(application, "registration", officers)
    decide(application, "health", officers, conditions="Keep the kitchen door closed.")
    page = Page(client, application)
    assert page.stages == ["Stage 1 · finished", f"Stage 2 · in progress · decisions expected by {shown(date(2026, 12, 7))}"]
    assert page.reviews == [
        f"Health Bureau Approved Approved on {shown(date(2026, 11, 30))} Conditions Keep the kitchen door closed.",
        f"Registration Bureau Approved Approved on {shown(date(2026, 11, 30))}",
        f"Tax Bureau Approved Approved on {shown(date(2026, 11, 24))} Conditions File monthly.",
        "Fire Bureau In the department's queue Time limit 5 working days",
    ]
    workflow.application_route(application_ids=[application.pk])
    fire = Page(client, application).reviews[3]
    assert fire == f"Fire Bureau In the department's queue Decision due {shown(date(2026, 12, 7))}"

    travel(date(2026, 12, 1), 10)
    decide(application, "fire", officers)
    page = Page(client, application)
    assert page.status == "Approved"
    assert page.stages == ["Stage 1 · finished", "Stage 2 · finished"]
    assert page.reviews[3] == f"Fire Bureau Approved Approved on {shown(date(2026, 12, 1))}"
    assert "Every department approved. Your permit is being prepared" in page.text

    permit_render(permit_id=Permit.objects.get(application=application).pk)
    page = Page(client, application)
    assert page.status == "Permit issued"
    assert "Decided" not in page.text


def test_the_page_follows_a_corrected_application_to_its_rejection(corrected, client, officers, travel):
    application = corrected
    travel(date(2026, 11, 30), 10)
    decide(application, "health", officers, "reject", reason="The kitchen is too small.")
    page = Page(client, application)
    assert page.status == "Rejected"
    assert page.stages == ["Stage 1 · finished", "Stage 2 · stopped"]
    assert page.reviews == [
        f"Health Bureau Rejected Rejected on {shown(date(2026, 11, 30))} Reason The kitchen is too small.",
        "Registration Bureau Stopped Another department rejected the application.",
        f"Tax Bureau Approved Approved on {shown(date(2026, 11, 24))} Conditions File monthly.",
        "Fire Bureau Stopped Another department rejected the application.",
    ]
    assert "Decided" not in page.text and "Decision due" not in page.text


def test_a_withdrawn_application_says_who_stopped_it(submit, citizen, officers, client, travel):
    travel(date(2026, 11, 20), 10)
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    decide(application, "tax", officers)
    workflow.application_withdraw(application_id=application.pk, actor=citizen)
    client.force_login(citizen)
    page = Page(client, application)
    assert page.status == "Withdrawn"
    assert page.stages == ["Stage 1 · stopped", "Stage 2 · stopped"]
    assert page.reviews == [
        "Health Bureau Stopped You withdrew the application.",
        "Registration Bureau Stopped You withdrew the application.",
        f"Tax Bureau Approved Approved on {shown(date(2026, 11, 20))}",
        "Fire Bureau Stopped You withdrew the application.",
    ]


def _corrected_application(service, citizen, officers, codes):
    """An application of ``service``: the first department asked for a correction that was
    answered, the second approved; the rest in their queues."""

    application = submitted_application(service, citizen)
    workflow.application_route(application_ids=[application.pk])
    decide(application, codes[0], officers, "correction", correction_fields=["business_name"], message="Spell it out.")
    decide(application, codes[1], officers, conditions="Fine.")
    workflow.application_resubmit(application_id=application.pk, actor=citizen, data={"business_name": "Golden Dragon Ltd"})
    return application


def test_the_page_reads_every_review_in_a_constant_number_of_queries(client, citizen, officers, travel):
    travel(date(2026, 11, 20), 10)
    three = restaurant_service(slug="three", reviews=[
        ("health", 1, 5, ["business_name", "seats", "cuisine", "site_address", "floor_plan"]),
        ("registration", 1, 3, ["business_name"]), ("tax", 1, 2, ["business_name"])])
    four = restaurant_service(slug="four", reviews=[
        ("health", 1, 5, ["business_name", "seats", "cuisine", "site_address", "floor_plan"]),
        ("registration", 1, 3, ["business_name"]), ("tax", 1, 2, ["business_name"]), ("fire", 2, 5, ["business_name"])])
    small = _corrected_application(three, citizen, officers, ["health", "registration"])
    large = _corrected_application(four, citizen, officers, ["health", "registration"])
    client.force_login(citizen)
    Page(client, small)  # the first request of a session also writes it
    with CaptureQueriesContext(connection) as n:
        assert len(Page(client, small, sign_in=False).reviews) == 3
    with CaptureQueriesContext(connection) as n_plus_one:
        page = Page(client, large, sign_in=False)
    assert len(page.reviews) == 4 and page.reviews[0].startswith("Health Bureau Back with the department")
    assert len(n_plus_one) == len(n), "\n".join(q["sql"] for q in n_plus_one.captured_queries)


def test_the_page_in_chinese_after_a_correction(corrected, client, citizen):
    page = Page(client, corrected, language="zh-hans")
    with translation.override("zh-hans"):
        since, due = shown(date(2026, 11, 27)), shown(date(2026, 12, 2))
    assert page.status == "审批中"
    assert page.reviews[0] == (
        f"health局 部门重新审查中 您已补正，health局自 {since} 起重新审查。 "
        f"审批截止日期 {due} 因补正暂停计时 3 个工作日，截止日期相应顺延")


def test_my_applications_and_the_application_page_say_how_long_the_permit_is_valid(submit, citizen, officers, client,
                                                                                  travel):

    travel(date(2026, 11, 20), 10)
    application = submit()
    for code in ("health", "registration", "tax", "fire"):
        decide(application, code, officers)
    permit = Permit.objects.get(application=application)
    permit_render(permit_id=permit.pk)
    line = f"{permit.number}, valid for 3 years, until {shown(date(2029, 11, 19))}"
    client.force_login(citizen)
    assert f"Permit {line}" in _text(client.get(reverse("approvals:my_applications")).content.decode())
    assert f"Your permit is ready {line}" in Page(client, application).text

    permit_revoke(permit_id=permit.pk, actor=officers["fire_supervisor"], reason="Closed.")
    revoked = f"Permit {permit.number}, revoked on {shown(date(2026, 11, 20))}"
    assert f"Status Permit revoked {revoked}" in _text(client.get(reverse("approvals:my_applications")).content.decode())
    assert Page(client, application).status == "Permit revoked"  # not "Permit issued" beside the revocation


REVIEW_WORDING = {
    # review status: (badge, what follows it on the health review's line)
    "waiting": ("Waiting for an earlier stage", "Time limit 5 working days"),
    "pending": ("In the department's queue", f"Decision due {shown(date(2026, 11, 27))}"),
    "in_progress": ("Being reviewed", f"Decision due {shown(date(2026, 11, 27))}"),
    "correction_requested": ("Waiting for your correction", f"Asked on {shown(date(2026, 11, 20))} What to correct Fix it. "
                                                            f"Decision due {shown(date(2026, 11, 27))}, if you answer today"),
    "approved": ("Approved", f"Approved on {shown(date(2026, 11, 20))}"),
    "rejected": ("Rejected", f"Rejected on {shown(date(2026, 11, 20))} Reason Too small."),
    "cancelled": ("Stopped", "Another department rejected the application."),
}
APPLICATION_WORDING = {
    "in_review": "In review", "needs_correction": "Needs your correction", "approved": "Approved",
    "issued": "Permit issued", "rejected": "Rejected", "withdrawn": "Withdrawn",
}


@pytest.mark.parametrize("application_status", list(APPLICATION_WORDING))
@pytest.mark.parametrize("review_status", list(REVIEW_WORDING))
def test_every_status_pair_has_one_wording(submit, client, travel, application_status, review_status):

    travel(date(2026, 11, 20), 10)
    application = submit()
    workflow.application_route(application_ids=[application.pk])
    Application.objects.filter(pk=application.pk).update(status=application_status)
    decided = review_status not in ("waiting", "pending", "in_progress")
    Review.objects.filter(application=application, department__code="health").update(
        status=review_status, decided_at=datetime(2026, 11, 20, 11, tzinfo=TZ) if decided else None,
        correction_message="Fix it." if review_status == "correction_requested" else "",
        reason="Too small." if review_status == "rejected" else "",
        paused_on=date(2026, 11, 20) if review_status == "correction_requested" else None)
    page = Page(client, application)
    badge, facts = REVIEW_WORDING[review_status]
    if review_status == "cancelled" and application_status == "withdrawn":
        facts = "You withdrew the application."
    assert page.status == APPLICATION_WORDING[application_status]
    assert page.reviews[0] == f"Health Bureau {badge} {facts}"
    assert page.html.count("status-badge") == 1 + len(page.reviews)  # one for the application, one per review
    assert "Decided" not in page.text
