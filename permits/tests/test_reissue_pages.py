"""The staff's pages of four eyes on a re-issue: the proposal on the permit's page, the list of
corrections waiting for a second supervisor, and the page that approves or rejects one."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.permit_flow import permit_reissue_propose, permit_render
from audit.models import Action, AuditEvent
from permits.models import Permit, PermitStatus, ReissueRequest, ReissueRequestStatus
from tests.factories import DepartmentFactory, officer

from .conftest import OUTSIDERS, approve_all, outsider

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def propose(permit, actor, corrections=None, reason="Name as registered."):
    return permit_reissue_propose(permit_id=permit.pk, actor=actor, reason=reason,
                                  corrections=corrections or {"business_name": "Golden Dragon Noodles"})


def test_a_correction_proposed_on_the_permits_page_is_approved_by_a_second_supervisor(client, issued_permit, officers):
    client.force_login(officers["health_supervisor"])
    manage = reverse("permits:manage", args=[issued_permit.number])
    page = text(client.get(manage))
    assert "Propose a correction" in page and "another supervisor" in page
    response = client.post(reverse("permits:reissue", args=[issued_permit.number]), {
        "reissue-holder": "Wang Fang", "reissue-business_name": "Golden Dragon Noodles",
        "reissue-site_address": "1 Harbour Road", "reissue-reason": "Name as registered."})
    request = ReissueRequest.objects.get()
    assert (response.status_code, response.url) == (302, manage)
    page = text(client.get(manage))
    assert (f"Your correction of permit {issued_permit.number} waits for the approval of a second supervisor."
            in page)
    assert "A correction of this permit waits for a second supervisor" in page
    assert "Propose the correction" not in page  # one proposal at a time

    detail = reverse("permits:reissue_request", args=[request.pk])
    html = client.get(detail).content.decode()
    assert "You proposed this correction: another supervisor must approve it." in text(client.get(detail))
    assert "Approve and issue" not in html and "Withdraw the proposal" in html
    response = client.post(reverse("permits:reissue_approve", args=[request.pk]))
    assert (response.status_code, response.url) == (302, detail)
    assert "You proposed this correction: another supervisor must approve it." in text(client.get(detail))
    assert Permit.objects.count() == 1

    client.force_login(officers["fire_supervisor"])
    page = text(client.get(detail))
    assert "Business name Golden Dragon Golden Dragon Noodles" in page  # the detail, now, proposed
    assert "Reason Name as registered." in page and officers["health_supervisor"].email in page
    response = client.post(reverse("permits:reissue_approve", args=[request.pk]))
    new = Permit.objects.get(replaces=issued_permit)
    assert (response.status_code, response.url) == (302, reverse("permits:manage", args=[new.number]))
    assert f"Permit {new.number} is issued in place of the old one" in text(client.get(response.url))
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.reissued) == (
        ReissueRequestStatus.APPROVED, officers["fire_supervisor"], new)
    page = text(client.get(detail))
    assert f"Approved by {officers['fire_supervisor'].email}" in page and new.number in page


def test_a_rejection_on_the_page_needs_a_reason(client, issued_permit, officers):
    request = propose(issued_permit, officers["health_supervisor"])
    client.force_login(officers["tax_supervisor"])
    url = reverse("permits:reissue_reject", args=[request.pk])
    response = client.post(url, {"reject-reason": ""})
    assert response.status_code == 400
    assert "Why you reject it: This field is required." in text(response)
    response = client.post(url, {"reject-reason": "Not registered yet."})
    assert response.status_code == 302
    assert f"The correction of permit {issued_permit.number} is closed; the permit is unchanged." in text(
        client.get(response.url))
    request.refresh_from_db()
    assert (request.status, request.decision_note) == (ReissueRequestStatus.REJECTED, "Not registered yet.")
    issued_permit.refresh_from_db()
    assert issued_permit.status == PermitStatus.VALID


def test_the_list_shows_the_corrections_waiting_in_the_supervisors_departments(client, issued_permit, officers, submit):
    mine = propose(issued_permit, officers["health_supervisor"])
    client.force_login(officers["fire_supervisor"])
    listed = reverse("permits:reissue_requests")
    response = client.get(listed)
    assert response.status_code == 200
    assert [r.pk for r in response.context["requests"]] == [mine.pk]
    page = text(response)
    assert f'aria-label="Review the correction of permit {issued_permit.number}">{issued_permit.number}</a>' in (
        response.content.decode())
    assert "Business name" in page and officers["health_supervisor"].email in page
    assert "1 correction waits for a second supervisor" in text(client.get(reverse("permits:manage_list")))

    client.force_login(officer(DepartmentFactory(code="parks"), role="supervisor"))
    assert list(client.get(listed).context["requests"]) == []
    assert client.get(reverse("permits:reissue_request", args=[mine.pk])).status_code == 404


@pytest.mark.parametrize("who", OUTSIDERS)
def test_the_correction_pages_do_not_exist_for_others(client, who, issued_permit, officers, citizen):
    request = propose(issued_permit, officers["health_supervisor"])
    user = outsider(who, officers, citizen)
    client.force_login(user)
    pages = [("get", reverse("permits:reissue_request", args=[request.pk])),
             ("post", reverse("permits:reissue_approve", args=[request.pk])),
             ("post", reverse("permits:reissue_reject", args=[request.pk]))]
    if who != "other_supervisor":  # a supervisor of any department has the (empty) list
        pages.append(("get", reverse("permits:reissue_requests")))
    for method, url in pages:
        assert getattr(client, method)(url, {"reject-reason": "x"}).status_code == 404, url
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=user).count() == len(pages)
    request.refresh_from_db()
    assert (request.status, Permit.objects.count()) == (ReissueRequestStatus.PENDING, 1)


def test_an_unknown_or_malformed_request_is_not_found(client, officers, issued_permit):
    client.force_login(officers["fire_supervisor"])
    assert client.get("/permits/manage/corrections/999999/").status_code == 404
    assert client.get("/permits/manage/corrections/99999999999999999999999/").status_code == 404
    assert client.post("/permits/manage/corrections/999999/approve/").status_code == 404


def test_the_list_query_count_does_not_grow_with_the_corrections(client, issued_permit, officers, submit):
    client.force_login(officers["tax_supervisor"])
    url = reverse("permits:reissue_requests")
    propose(issued_permit, officers["health_supervisor"])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.context["requests"])

    client.get(url)  # the first request after signing in also touches the session
    one, shown = count()
    other = approve_all(submit(), officers)
    assert permit_render(permit_id=other.pk) == "rendered"
    propose(other, officers["fire_supervisor"], {"holder": "Li Lei", "site_address": "2 Harbour Road"})
    more, shown_more = count()
    assert (shown, shown_more) == (1, 2)
    # The session, the person, the device of their second factor, their role, the page, the header's notices.
    assert more == one == 6
