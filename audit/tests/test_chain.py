"""The audit trail proves itself: verify_audit finds a tampered event at its position, the
PostgreSQL trigger refuses UPDATE and DELETE, and the auditor's page is filtered, paged and audited."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.chain import audit_seal, audit_verify
from audit.models import Action, AuditEvent
from audit.services import Event, audit_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def record(n: int, **extra) -> list[AuditEvent]:
    audit_record(*[Event(action=Action.APPLICATION_VIEWED, object_type="application", object_id=1000 + i,
                         application_id=1000 + i, purpose="review", **extra) for i in range(n)])
    return list(AuditEvent.objects.order_by("id"))


def tamper(event_id: int, **changes) -> None:
    """What an attacker with the database superuser's password would do: switch triggers off and edit."""
    with bypassing_triggers():
        AuditEvent.objects.filter(pk=event_id).update(**changes)


class bypassing_triggers:
    def __enter__(self):
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")

    def __exit__(self, *exc):
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")


def test_an_intact_chain_verifies(anchor_dir):
    record(5)
    audit_seal()
    out = StringIO()
    call_command("verify_audit", stdout=out)
    assert out.getvalue().strip() == f"OK: 5 events verified, 0 not yet sealed; no checkpoint in {anchor_dir} yet."


@pytest.mark.postgres
@pytest.mark.parametrize("changes, reason", [
    ({"purpose": "curiosity"}, "event content does not match its hash"),
    ({"details": {"note": "edited"}}, "event content does not match its hash"),
    ({"hash": "f" * 64}, "event content does not match its hash"),
    ({"prev_hash": "0" * 64}, "previous hash does not match"),
])
def test_tampering_with_one_event_is_found_at_its_position(changes, reason):
    events = record(8)
    audit_seal()
    victim = AuditEvent.objects.get(pk=events[5].pk)
    tamper(victim.pk, **changes)
    result = audit_verify()
    assert (result.ok, result.broken_position, result.broken_event_id, result.checked) == (False, victim.seq, victim.pk, 5)
    assert result.reason == reason
    with pytest.raises(CommandError) as error:
        call_command("verify_audit", "--no-seal", stdout=StringIO())
    assert str(error.value) == (f"BROKEN at position {victim.seq} (event id {victim.pk}): {reason}; "
                                f"5 events before it verified.\nRewritten or removed: position {victim.seq}.")


@pytest.mark.postgres
def test_a_deleted_event_leaves_a_gap_found_at_its_position():
    events = record(4)
    audit_seal()
    with bypassing_triggers(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    result = audit_verify()
    assert (result.ok, result.broken_position, result.broken_event_id) == (False, 2, events[2].pk)
    assert (result.reason, result.rewritten) == ("missing position 2", [(2, 2)])


@pytest.mark.postgres
@pytest.mark.parametrize("sql", [
    "UPDATE audit_auditevent SET purpose = 'curiosity' WHERE id = %s",
    "UPDATE audit_auditevent SET hash = repeat('f', 64) WHERE id = %s",
    "UPDATE audit_auditevent SET seq = NULL WHERE id = %s",
    "DELETE FROM audit_auditevent WHERE id = %s",
])
def test_the_trigger_refuses_changes_to_sealed_events(sql):
    event = record(1)[0]
    audit_seal()
    with pytest.raises(DatabaseError, match="audit events are append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).purpose == "review"
    assert audit_verify().ok


@pytest.mark.postgres
def test_the_trigger_lets_only_sealing_touch_an_unsealed_event():
    event = record(1)[0]
    for sql in ("UPDATE audit_auditevent SET action = 'access.denied' WHERE id = %s",
                "DELETE FROM audit_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    assert audit_seal() == 1
    assert AuditEvent.objects.get(pk=event.pk).seq == 1


# --- The auditor's page -------------------------------------------------------------------------------


def test_only_auditors_open_the_audit_log(client, db):
    for role in (Role.CITIZEN, Role.OFFICER, Role.SUPERVISOR, Role.MANAGER):
        user = UserFactory(email=f"{role}@example.gov", role=role)
        client.force_login(user)
        assert client.get(reverse("audit:log")).status_code == 404
        assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=user).exists()
    assert not AuditEvent.objects.filter(action=Action.AUDIT_LOG_VIEWED).exists()


def test_the_auditor_filters_and_the_look_is_audited(client, auditor):
    officer = UserFactory(email="li.na@example.gov", role=Role.OFFICER)
    record(3, actor=officer, department_code="health")
    audit_record(Event(action=Action.REVIEW_APPROVED, object_type="review", object_id=7, application_id=1001,
                       department_code="tax"))
    response = client.get(reverse("audit:log"), {"actor": "LI.NA@example.gov", "department": "health"})
    assert response.status_code == 200
    assert [e.application_id for e in response.context["events"]] == [1002, 1001, 1000]
    response = client.get(reverse("audit:log"), {"application": "A-2026-001001", "action": "review.approved"})
    assert [e.object_id for e in response.context["events"]] == ["7"]
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    response = client.get(reverse("audit:log"), {"date_from": (today + timedelta(days=1)).isoformat()})
    assert response.context["events"] == []
    looks = AuditEvent.objects.filter(action=Action.AUDIT_LOG_VIEWED, actor=auditor).order_by("id")
    assert [e.details for e in looks] == [
        {"actor": "LI.NA@example.gov", "department": "health"}, {"action": "review.approved", "application": 1001},
        {"date_from": (today + timedelta(days=1)).isoformat()}]


@pytest.mark.parametrize("params, message", [
    ({"date_from": "2026-05-01", "date_to": "2026-01-01"}, "The start date 2026-05-01 is after the end date 2026-01-01"),
    ({"date_from": "0001-01-01"}, "Choose dates between 2000-01-01 and a year from today."),
    ({"application": "A-2026-abc"}, "Give a reference such as A-2026-000123"),
    ({"action": "audit.deleted"}, "Select a valid choice."),
    ({"before": "-4"}, "Ensure this value is greater than or equal to 1."),
])
def test_bad_audit_filters_get_a_clear_message(client, auditor, params, message):
    response = client.get(reverse("audit:log"), params)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_audit_log_pages_with_constant_queries(client, auditor):
    officer = UserFactory(email="li.na@example.gov", role=Role.OFFICER)
    record(60, actor=officer)
    client.get(reverse("audit:log"))

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("audit:log"))
        return len(queries), response

    before, response = count()
    assert len(response.context["events"]) == 50 and response.context["more"]
    record(1, actor=UserFactory(email="other@example.gov", role=Role.OFFICER))
    after, _response = count()
    assert after == before
    last = response.context["events"][-1].pk
    older = client.get(reverse("audit:log") + "?" + response.context["next_query"])
    assert [e.pk for e in older.context["events"]] == list(
        AuditEvent.objects.filter(pk__lt=last).order_by("-pk").values_list("pk", flat=True)[:50])
    assert older.context["events"]
