"""Filings after approval in the workspace: the department's list (its own filings only, a constant
number of queries), the filing's page showing exactly what the filing lists with its opening on
record, another department refused on record, and acknowledging once with the button."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import Filing
from audit.models import Action, AuditEvent
from tests.filing_fixtures import approve

pytestmark = pytest.mark.django_db

WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)


def filing_of(application, code="subdistrict") -> Filing:
    return Filing.objects.get(application=application, department__code=code)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_filing_page_shows_exactly_what_the_filing_lists_and_its_opening_is_on_record(
        client, approved, told_staff):
    filing = filing_of(approved)
    client.force_login(told_staff["subdistrict"])
    url = reverse("departments:filing", args=[filing.pk])

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)

    assert response.status_code == 200
    page = text(response)
    # The answers listed, the applicant's name and the phone of their profile, the permit.
    assert re.search(r"<dd[^>]*>\s*40\s*</dd>", page)
    for shown in ("Golden Dragon", "+86 21 5555 0100", "Wang Fang", "+86 138 0000 0000",
                  approved.permits.get().number, approved.reference):
        assert shown in page, shown
    # Nothing else: not the e-mail address, the identity document number, the cuisine, the site.
    for hidden in ("wang.fang@example.org", "110101199001011234", "Chinese", "chinese", "1 Harbour Road"):
        assert hidden not in page, hidden
    assert [row["spec"]["key"] for row in response.context["rows"]] == ["contact_phone", "business_name", "seats"]
    assert '<button type="submit" class="btn btn-primary">Acknowledge</button>' in page
    # Opening it writes nothing but the record of the access (and the session's activity).
    writes = {m.group(2) for q in queries.captured_queries if (m := WRITE.match(q["sql"]))}
    assert writes <= {"audit_auditevent", "django_session"}
    viewed = AuditEvent.objects.get(action=Action.FILING_VIEWED)
    assert (viewed.actor, viewed.object_type, viewed.object_id, viewed.subject_id, viewed.application_id,
            viewed.department_code, viewed.purpose) == (
        told_staff["subdistrict"], "filing", str(filing.pk), approved.applicant_id, approved.pk, "subdistrict", "filing")
    # A reload within the minute is the same visit.
    client.get(url)
    assert AuditEvent.objects.filter(action=Action.FILING_VIEWED).count() == 1


def test_a_body_told_of_the_approval_alone_sees_no_answer_and_no_identity(client, approved, told_staff):
    client.force_login(told_staff["statistics"])
    response = client.get(reverse("departments:filing", args=[filing_of(approved, "statistics").pk]))
    page = text(response)
    assert "Chinese" in page
    for hidden in ("Golden Dragon", "Wang Fang", "+86 138 0000 0000", "+86 21 5555 0100", "wang.fang@example.org"):
        assert hidden not in page, hidden
    assert "No details of the applicant's identity are filed with your department." in page


@pytest.mark.parametrize("who", ["statistics", "registration", "subdistrict_elsewhere"])
def test_another_department_finds_no_such_filing_and_the_attempt_is_on_record(client, approved, told_staff, who):
    filing = filing_of(approved)
    if who == "subdistrict_elsewhere":  # a supervisor of the other body, not of this one
        who = "statistics_supervisor"
    client.force_login(told_staff[who])

    page = client.get(reverse("departments:filing", args=[filing.pk]))
    posted = client.post(reverse("departments:filing_acknowledge", args=[filing.pk]))

    assert (page.status_code, posted.status_code) == (404, 404)
    assert "Golden Dragon" not in text(page)
    denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED, object_type="filing").order_by("id")
    assert [(e.actor, e.object_id, e.details["path"]) for e in denied] == [
        (told_staff[who], str(filing.pk), reverse("departments:filing", args=[filing.pk])),
        (told_staff[who], str(filing.pk), reverse("departments:filing_acknowledge", args=[filing.pk]))]
    filing.refresh_from_db()
    assert filing.acknowledged_at is None
    assert not AuditEvent.objects.filter(action__in=[Action.FILING_VIEWED, Action.FILING_ACKNOWLEDGED]).exists()


def test_a_citizen_finds_no_filing(client, approved, citizen):
    client.force_login(citizen)
    assert client.get(reverse("departments:filing", args=[filing_of(approved).pk])).status_code == 404
    assert client.get(reverse("departments:filings")).status_code == 404


def test_acknowledging_with_the_button_once_and_a_second_time_is_told(client, approved, told_staff):
    filing = filing_of(approved)
    client.force_login(told_staff["subdistrict"])
    url = reverse("departments:filing_acknowledge", args=[filing.pk])
    assert client.get(url).status_code == 405  # a link opened acts on nothing

    response = client.post(url, follow=True)

    assert response.redirect_chain == [(reverse("departments:filing", args=[filing.pk]), 302)]
    assert [str(m) for m in response.context["messages"]] == ["The filing is acknowledged."]
    filing.refresh_from_db()
    assert filing.acknowledged_by == told_staff["subdistrict"]
    page = text(response)
    assert f"by {told_staff['subdistrict'].full_name}." in page and ">Acknowledge</button>" not in page
    event = AuditEvent.objects.get(action=Action.FILING_ACKNOWLEDGED)
    assert (event.actor, event.object_id, event.department_code, event.ip) == (
        told_staff["subdistrict"], str(filing.pk), "subdistrict", "127.0.0.1")

    # The supervisor, from a page drawn before: told, nothing more recorded.
    client.force_login(told_staff["subdistrict_supervisor"])
    response = client.post(url, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1 and messages[0].startswith("This filing was already acknowledged on ")
    filing.refresh_from_db()
    assert filing.acknowledged_by == told_staff["subdistrict"]
    assert AuditEvent.objects.filter(action=Action.FILING_ACKNOWLEDGED).count() == 1


# --- The list -------------------------------------------------------------------------------------


def test_the_list_holds_the_departments_own_filings_with_overdue_ones_flagged(
        client, told_submit, told_staff, time_machine):
    time_machine.move_to(datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo(settings.TIME_ZONE)), tick=False)
    first = approve(told_submit(), told_staff)  # to acknowledge by Monday 14 December
    time_machine.move_to(datetime(2026, 12, 10, 9, 0, tzinfo=ZoneInfo(settings.TIME_ZONE)), tick=False)
    second = approve(told_submit(), told_staff)  # by Thursday 17 December
    time_machine.move_to(datetime(2026, 12, 15, 9, 0, tzinfo=ZoneInfo(settings.TIME_ZONE)), tick=False)
    client.force_login(told_staff["subdistrict"])

    response = client.get(reverse("departments:filings"))

    assert [f.application.reference for f in response.context["filings"]] == [first.reference, second.reference]
    page = text(response)
    assert page.count('<span class="badge text-bg-danger">overdue</span>') == 1
    assert "Golden Dragon" not in page and "Wang Fang" not in page  # a row names no answer and no person
    assert not AuditEvent.objects.filter(action=Action.FILING_VIEWED).exists()
    # The queue links to it with the count.
    assert "Filings after approval</a>: 2 to acknowledge" in text(client.get(reverse("departments:queue")))

    client.post(reverse("departments:filing_acknowledge", args=[filing_of(first).pk]))
    assert [f.application.reference for f in client.get(reverse("departments:filings")).context["filings"]] == [
        second.reference]
    acknowledged = client.get(reverse("departments:filings"), {"tab": "acknowledged"})
    assert [f.application.reference for f in acknowledged.context["filings"]] == [first.reference]
    # The other body's list holds its own filings only.
    client.force_login(told_staff["statistics"])
    listed = client.get(reverse("departments:filings")).context["filings"]
    assert {f.department.code for f in listed} == {"statistics"} and len(listed) == 2


def test_the_list_costs_the_same_number_of_queries_for_one_filing_or_three(client, told_submit, told_staff):
    def count():
        client.get(reverse("departments:filings"))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("departments:filings"))
        return response, queries

    approve(told_submit(), told_staff)
    client.force_login(told_staff["subdistrict"])
    one_response, one = count()
    approve(told_submit(), told_staff)
    approve(told_submit(), told_staff)
    three_response, three = count()

    assert (len(one_response.context["filings"]), len(three_response.context["filings"])) == (1, 3)
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)
