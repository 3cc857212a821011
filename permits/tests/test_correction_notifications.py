"""A proposed correction of a permit waits for a second person (four eyes), so the people who may
approve it are told (in the portal and by mail, in each one's language, after commit), and the
proposer is told when it is approved or rejected. Nobody else hears of it."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from accounts.models import Role
from api.models import TokenKind
from api.services import api_token_create
from approvals.access import may_manage_permit
from approvals.models import Notification, NotificationKind
from approvals.notifications import notification_send_email
from approvals.permit_flow import (
    permit_reissue_approve,
    permit_reissue_propose,
    permit_reissue_reject,
    permit_render,
    permit_revoke,
)
from departments.models import Department, Membership
from permits.models import Permit
from permits.selectors import permit_manager_ids
from tests.factories import DepartmentFactory, UserFactory, officer

pytestmark = pytest.mark.django_db

SITE = "https://portal.example.gov"
PROPOSED, APPROVED, REJECTED = (NotificationKind.PERMIT_CORRECTION_PROPOSED, NotificationKind.PERMIT_CORRECTION_APPROVED,
                                NotificationKind.PERMIT_CORRECTION_REJECTED)


@pytest.fixture
def people(officers, settings):
    """Besides each department's officer and supervisor: an administrator (who reads Chinese), a
    deactivated administrator, a deactivated supervisor and one whose role changed (of health), a
    supervisor of a department that reviewed nothing, one of that department and of tax, and
    the tax system's account (an officer of tax)."""
    settings.SITE_URL = SITE
    health = Department.objects.get(code="health")
    parks = DepartmentFactory(code="parks")
    both = officer(parks, role="supervisor", email="supervisor.parks.tax@example.gov")
    Membership.objects.create(user=both, department=Department.objects.get(code="tax"), role="supervisor")
    left = officer(health, role="supervisor", email="left.health@example.gov")
    left.is_active = False
    left.save(update_fields=["is_active"])
    demoted = officer(health, role="supervisor", email="demoted.health@example.gov")
    demoted.role = Role.OFFICER
    demoted.save(update_fields=["role"])
    return {
        **officers, "both": both, "left": left, "demoted": demoted,
        "admin": UserFactory(email="root@example.gov", full_name="Li Qiang", role=Role.ADMIN, language="zh-hans"),
        "former_admin": UserFactory(email="old.root@example.gov", role=Role.ADMIN, is_active=False),
        "parks": officer(parks, role="supervisor"),
        "system": api_token_create(kind=TokenKind.DEPARTMENT, name="Tax integration",
                                   department=Department.objects.get(code="tax"))[0].user,
    }


def sent(kind=None) -> list[tuple]:
    rows = Notification.objects.filter(**({"kind": kind} if kind else {})).select_related("recipient")
    return sorted((n.recipient.email, n.kind, n.application_id, n.params) for n in rows)


def propose(permit, actor, corrections=None):
    return permit_reissue_propose(permit_id=permit.pk, actor=actor, reason="Renamed in the register.",
                                  corrections=corrections or {"business_name": "Golden Dragon Inn"})


def test_the_others_who_may_approve_a_correction_are_told_and_no_one_else(issued_permit, people,
                                                                           django_capture_on_commit_callbacks):
    proposer = people["health_supervisor"]
    before = Notification.objects.count()
    with django_capture_on_commit_callbacks() as callbacks:
        request = propose(issued_permit, proposer, {"business_name": "Golden Dragon Inn", "holder": "Wang Fang"})
    params = {"permit_number": issued_permit.number, "request": request.pk, "by": proposer.full_name,
              "details": ["business_name"]}
    assert sent(PROPOSED) == sorted(
        (people[who].email, PROPOSED, issued_permit.application_id, params)
        for who in ("registration_supervisor", "tax_supervisor", "fire_supervisor", "both", "admin"))
    assert Notification.objects.count() == before + 5
    assert len(callbacks) == 1  # the mails are nudged after commit
    # Exactly those the rule lets approve it, but the proposer.
    managers = {u.pk for u in people.values() if may_manage_permit(u, issued_permit)}
    assert set(permit_manager_ids(issued_permit)) == managers
    assert {n.recipient_id for n in Notification.objects.filter(kind=PROPOSED)} == managers - {proposer.pk}


def test_nothing_is_told_when_the_proposal_rolls_back(issued_permit, people, django_capture_on_commit_callbacks):
    before = sent()
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        with transaction.atomic():
            propose(issued_permit, people["health_supervisor"])
            raise RuntimeError("the request failed after the proposal")
    assert sent() == before
    assert callbacks == []


def test_the_proposer_is_told_of_the_approval(issued_permit, people):
    proposer, approver = people["health_supervisor"], people["fire_supervisor"]
    request = propose(issued_permit, proposer)
    before = Notification.objects.count()
    new = permit_reissue_approve(request_id=request.pk, actor=approver)
    assert sent(APPROVED) == [(proposer.email, APPROVED, issued_permit.application_id, {
        "permit_number": issued_permit.number, "request": request.pk, "by": approver.full_name,
        "reissued": new.number})]
    assert Notification.objects.count() == before + 1


def test_the_proposer_is_told_of_a_rejection_but_not_of_their_own_withdrawal(issued_permit, people):
    proposer = people["health_supervisor"]
    request = propose(issued_permit, proposer)
    permit_reissue_reject(request_id=request.pk, actor=people["admin"], reason="Not in the register.")
    assert sent(REJECTED) == [(proposer.email, REJECTED, issued_permit.application_id, {
        "permit_number": issued_permit.number, "request": request.pk, "by": people["admin"].full_name})]

    Notification.objects.filter(kind=REJECTED).delete()
    withdrawn = propose(issued_permit, proposer)
    before = Notification.objects.count()
    permit_reissue_reject(request_id=withdrawn.pk, actor=proposer, reason="Proposed by mistake.")
    assert Notification.objects.count() == before


def test_revoking_the_permit_tells_the_proposer_their_correction_is_rejected(issued_permit, people):
    proposer, revoker = people["health_supervisor"], people["tax_supervisor"]
    request = propose(issued_permit, proposer)
    permit_revoke(permit_id=issued_permit.pk, actor=revoker, reason="Closed down.")
    assert sent(REJECTED) == [(proposer.email, REJECTED, issued_permit.application_id, {
        "permit_number": issued_permit.number, "request": request.pk, "by": revoker.full_name})]


def mail_of(user, kind):
    notification = Notification.objects.get(recipient=user, kind=kind)
    mail.outbox.clear()
    assert notification_send_email(notification_id=notification.pk) == "sent"
    [message] = mail.outbox
    return message


def mail_body(recipient, text: str, request) -> str:
    """A staff mail as it is sent: the greeting, ``text``, the correction's address, the signature."""
    return (f"Dear {recipient.full_name},\n\n{text}\n\n{SITE}/permits/manage/corrections/{request.pk}/\n\n"
            "One-stop government service portal\n")


def test_the_mails_say_what_waits_and_where_in_each_recipients_language(issued_permit, people):
    proposer, approver = people["health_supervisor"], people["fire_supervisor"]
    request = propose(issued_permit, proposer, {"business_name": "Golden Dragon Inn", "site_address": "2 Harbour Road"})
    ref, number = issued_permit.application.reference, issued_permit.number
    url = f"{SITE}/permits/manage/corrections/{request.pk}/"

    message = mail_of(approver, PROPOSED)
    assert message.to == [approver.email]
    assert message.subject == f"[{ref}] Permit correction waiting for your approval"
    assert message.body == mail_body(approver, (
        f"{proposer.full_name} proposes a correction of permit {number} (application {ref}): Business name, "
        "Business site. Another supervisor must approve or reject it before anything is issued."), request)
    assert f'<a href="{url}">Open the correction</a>' in message.alternatives[0][0]
    # Need to know: no detail's value, no holder, no reason in a mail.
    for text in ("Golden Dragon", "Harbour Road", "Wang Fang", "Renamed"):
        assert text not in message.body

    chinese = mail_of(people["admin"], PROPOSED)
    assert chinese.body.startswith("尊敬的Li Qiang：\n\n") and chinese.body.endswith("一网通办政务服务平台\n")

    new = permit_reissue_approve(request_id=request.pk, actor=approver)
    message = mail_of(proposer, APPROVED)
    assert message.subject == f"[{ref}] Your permit correction was approved"
    assert message.body == mail_body(proposer, (
        f"{approver.full_name} approved your correction of permit {number}: permit {new.number} is issued in "
        "its place."), request)

    assert permit_render(permit_id=new.pk) == "rendered"
    other = propose(Permit.objects.get(pk=new.pk), proposer, {"business_name": "Golden Dragon House"})
    permit_reissue_reject(request_id=other.pk, actor=approver, reason="No.")
    message = mail_of(proposer, REJECTED)
    assert message.subject == f"[{ref}] Your permit correction was rejected"
    assert message.body == mail_body(proposer, (
        f"{approver.full_name} rejected your correction of permit {new.number}; the permit is unchanged. "
        "The correction's page gives the reason."), other)


def test_the_notifications_page_links_to_the_correction(client, issued_permit, people):
    request = propose(issued_permit, people["health_supervisor"])
    client.force_login(people["fire_supervisor"])
    page = client.get(reverse("approvals:notifications")).content.decode()
    assert "<strong>Permit correction waiting for your approval</strong>" in page
    assert (f'<a href="{reverse("permits:reissue_request", args=[request.pk])}">'
            f'{issued_permit.number} · {issued_permit.application.reference}</a>') in page
