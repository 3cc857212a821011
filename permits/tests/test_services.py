"""Revoking and re-issuing permits: who may, what changes, what is recorded, who is told;
and the render task's idempotence."""


import pytest
from django.core.files.storage import default_storage

from accounts.models import Role
from approvals.models import Notification, NotificationKind
from approvals.permit_flow import permit_reissue_propose, permit_render, permit_revoke
from audit.models import Action, AuditEvent
from core.errors import InvalidTransition, NotAllowed, ValidationFailed
from permits.models import Permit, PermitState, PermitStatus
from permits.selectors import FileOutcome, check_file
from tests.factories import UserFactory

from .conftest import OUTSIDERS, outsider, reissued, stored_bytes

pytestmark = pytest.mark.django_db


def snapshot(permit):
    permit.refresh_from_db()
    return (permit.status, permit.revoked_at, permit.revocation_reason, Permit.objects.count(),
            Notification.objects.filter(kind=NotificationKind.PERMIT_REVOKED).count(),
            AuditEvent.objects.filter(action__in=[Action.PERMIT_REVOKED, Action.PERMIT_SUPERSEDED]).count())


def test_a_supervisor_of_an_approving_department_revokes_and_the_holder_is_told(issued_permit, officers, citizen):
    supervisor = officers["health_supervisor"]
    permit = permit_revoke(permit_id=issued_permit.pk, actor=supervisor, reason="  Kitchen   closed by inspection. ",
                           ip="203.0.113.7")
    permit.refresh_from_db()
    assert (permit.status, permit.revoked_by, permit.revocation_reason) == (
        PermitStatus.REVOKED, supervisor, "Kitchen closed by inspection.")
    assert permit.revoked_at is not None and permit.state() == PermitState.REVOKED
    notice = Notification.objects.get(kind=NotificationKind.PERMIT_REVOKED)
    assert (notice.recipient, notice.application_id, notice.params) == (
        citizen, permit.application_id, {"permit_number": permit.number, "reason": "Kitchen closed by inspection."})
    event = AuditEvent.objects.get(action=Action.PERMIT_REVOKED)
    assert (event.actor, event.object_type, event.object_id, event.subject, event.ip, event.details) == (
        supervisor, "permit", str(permit.pk), citizen, "203.0.113.7",
        {"number": permit.number, "reason": "Kitchen closed by inspection."})

    with pytest.raises(InvalidTransition):
        permit_revoke(permit_id=permit.pk, actor=supervisor, reason="Again.")


def test_an_administrator_may_revoke(issued_permit):
    admin = UserFactory(email="admin@example.gov", role=Role.ADMIN)
    assert permit_revoke(permit_id=issued_permit.pk, actor=admin, reason="Fraud.").status == PermitStatus.REVOKED


@pytest.mark.parametrize("who", OUTSIDERS)
def test_nobody_else_may_revoke_and_nothing_changes(who, issued_permit, officers, citizen):
    actor = outsider(who, officers, citizen)
    before = snapshot(issued_permit)
    with pytest.raises(NotAllowed):
        permit_revoke(permit_id=issued_permit.pk, actor=actor, reason="No.")
    with pytest.raises(NotAllowed):
        permit_reissue_propose(permit_id=issued_permit.pk, actor=actor, reason="No.", corrections={"holder": "X"})
    assert snapshot(issued_permit) == before


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001])
def test_a_revocation_needs_a_reason_of_reasonable_length(reason, issued_permit, officers):
    before = snapshot(issued_permit)
    with pytest.raises(ValidationFailed) as error:
        permit_revoke(permit_id=issued_permit.pk, actor=officers["fire_supervisor"], reason=reason)
    assert list(error.value.errors) == ["reason"]
    assert snapshot(issued_permit) == before


def test_reissue_after_a_correction_keeps_the_history_and_the_old_file_verifies_as_superseded(
        issued_permit, officers, citizen):
    old_file = stored_bytes(issued_permit.file)
    supervisor = officers["fire_supervisor"]  # approves what the health supervisor proposes
    new = reissued(issued_permit, officers, {"holder": "Wang Fang", "business_name": "Golden Dragon Noodles",
                                             "site_address": "1 Harbour Road", "ignored": "x"},
                   reason="The business name was misspelt.")
    issued_permit.refresh_from_db()
    assert (issued_permit.status, issued_permit.superseded_at is not None) == (PermitStatus.SUPERSEDED, True)
    assert new.number == f"{issued_permit.number}-2"
    assert (new.replaces, new.status, new.valid_until, new.rendered_at) == (
        issued_permit, PermitStatus.VALID, issued_permit.valid_until, None)
    assert new.data == {**issued_permit.data, "business_name": "Golden Dragon Noodles"}
    assert new.state() == PermitState.PENDING
    events = AuditEvent.objects.filter(action__in=[Action.PERMIT_SUPERSEDED, Action.PERMIT_ISSUED], actor=supervisor)
    assert sorted((e.action, e.details.get("number")) for e in events) == [
        (Action.PERMIT_ISSUED, new.number), (Action.PERMIT_SUPERSEDED, issued_permit.number)]

    assert permit_render(permit_id=new.pk) == "rendered"
    new.refresh_from_db()
    assert new.state() == PermitState.VALID
    assert Notification.objects.filter(kind=NotificationKind.PERMIT_READY, params__permit_number=new.number,
                                       recipient=citizen).count() == 1
    old = check_file(old_file)
    assert (old.outcome, old.verification.state, old.verification.replaced_by) == (
        FileOutcome.ISSUED, PermitState.SUPERSEDED, new.number)
    assert old.signature.ok
    current = check_file(stored_bytes(new.file))
    assert (current.outcome, current.verification.state, current.verification.replaces) == (
        FileOutcome.ISSUED, PermitState.VALID, issued_permit.number)
    assert current.verification.business_name == "Golden Dragon Noodles"
    assert Permit.objects.filter(application=new.application).count() == 2

    # The superseded permit can be neither revoked nor re-issued; the new one can be corrected again.
    with pytest.raises(InvalidTransition):
        permit_revoke(permit_id=issued_permit.pk, actor=supervisor, reason="Old.")
    third = reissued(new, officers, {"site_address": "2 Harbour Road"}, reason="Site moved.")
    assert third.number == f"{issued_permit.number}-3"
    assert third.verify_code not in {issued_permit.verify_code, new.verify_code}


def test_rendering_twice_keeps_one_file_one_number_and_one_hash(issued_permit):
    first = (issued_permit.number, issued_permit.file.name, issued_permit.sha256, stored_bytes(issued_permit.file))
    assert permit_render(permit_id=issued_permit.pk) == "skipped"
    issued_permit.refresh_from_db()
    assert (issued_permit.number, issued_permit.file.name, issued_permit.sha256,
            stored_bytes(issued_permit.file)) == first
    assert default_storage.listdir("permits") == ([], [f"{issued_permit.number}.pdf"])
