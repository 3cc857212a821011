"""Retention (portal.retention): each kind of record deleted exactly once past its retention, in
short batches that skip rows another transaction holds, a draft's files with it, each run audited;
the audit trail and permits never."""

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.models import DeliveryStatus, IdempotencyRecord, TokenKind, WebhookDelivery, WebhookSubscription
from api.services import api_token_create
from api.webhook_secrets import secret_seal
from approvals import workflow
from approvals.models import Application, Attachment, EmailStatus, Notification
from audit.models import Action, AuditEvent
from permits.models import Permit
from permits.tests.conftest import approve_all
from portal.retention import retention_purge
from tests.engine_fixtures import pdf_upload

pytestmark = pytest.mark.postgres

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
KEEP = {"drafts": timedelta(days=180), "notifications": timedelta(days=365), "sessions": timedelta(days=1),
        "idempotency_keys": timedelta(hours=24), "webhook_deliveries": timedelta(days=90)}
MODELS = {"drafts": Application, "notifications": Notification, "sessions": Session,
          "idempotency_keys": IdempotencyRecord, "webhook_deliveries": WebhookDelivery}


@pytest.fixture
def records(restaurant, citizen, settings, tmp_path):
    """One record of each kind made at ``moment``, with the outbox rows that are never purged."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    token, _clear = api_token_create(kind=TokenKind.CITIZEN, name="phone", user=citizen)
    subscription = WebhookSubscription.objects.create(department=restaurant.requirements.first().department,
                                                      url="https://hooks.example.org/in", events=["permit.issued"],
                                                      secret_sealed=secret_seal("s"))
    made = []

    def make(moment: datetime, *, key: str) -> None:
        with time_machine.travel(moment, tick=False):
            draft = workflow.application_start(applicant=citizen, service=restaurant)
            workflow.application_attach(application_id=draft.pk, actor=citizen, field_key="floor_plan",
                                        uploaded=pdf_upload())
            Notification.objects.create(recipient=citizen, kind="submitted", email_status=EmailStatus.SENT)
            Notification.objects.create(recipient=citizen, kind="approved", email_status=EmailStatus.PENDING)
            Session.objects.create(session_key=f"session-{key}", session_data="", expire_date=moment)
            IdempotencyRecord.objects.create(token=token, key=key, fingerprint="f")
            for status in (DeliveryStatus.DELIVERED, DeliveryStatus.PENDING):
                WebhookDelivery.objects.create(subscription=subscription, audit_event_id=len(made), event_id=key,
                                               event_type="permit.issued", payload={}, status=status,
                                               give_up_at=moment)
                made.append(status)

    return make


@pytest.mark.parametrize("kind", list(KEEP))
def test_a_record_is_kept_for_exactly_its_retention_and_deleted_after(records, kind, django_capture_on_commit_callbacks):
    records(T0, key="first")
    records(T0 + SECOND, key="second")
    model = MODELS[kind]
    total = model.objects.count()
    with time_machine.travel(T0 + KEEP[kind], tick=False):
        assert retention_purge(kinds=[kind]) == {kind: 0}
    assert model.objects.count() == total
    with time_machine.travel(T0 + KEEP[kind] + SECOND, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert retention_purge(kinds=[kind]) == {kind: 1}
    assert model.objects.count() == total - 1
    with time_machine.travel(T0 + KEEP[kind] + 2 * SECOND, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert retention_purge(kinds=[kind]) == {kind: 1}
    assert model.objects.count() == total - 2
    # Each run is on record with its counts.
    runs = AuditEvent.objects.filter(action=Action.RETENTION_PURGED).order_by("pk")
    assert [event.details for event in runs] == [{kind: 0}, {kind: 1}, {kind: 1}]
    assert {event.actor_label for event in runs} == {"system"}


def test_outbox_rows_stay_until_sent_however_old(records):
    records(T0, key="first")
    with time_machine.travel(T0 + timedelta(days=3650), tick=False):
        counts = retention_purge()
    assert counts == {"drafts": 1, "notifications": 1, "sessions": 1, "idempotency_keys": 1, "webhook_deliveries": 1}
    assert list(Notification.objects.values_list("email_status", flat=True)) == [EmailStatus.PENDING]
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == [DeliveryStatus.PENDING]


def test_a_drafts_upload_and_its_copy_leave_the_storage(records, django_capture_on_commit_callbacks):
    records(T0, key="first")
    attachment = Attachment.objects.get()
    names = [attachment.file.name, attachment.disarmed_file.name]
    assert [default_storage.exists(name) for name in names] == [True, True]
    with time_machine.travel(T0 + timedelta(days=181), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert retention_purge(kinds=["drafts"]) == {"drafts": 1}
    assert (Application.objects.count(), Attachment.objects.count()) == (0, 0)
    assert [default_storage.exists(name) for name in names] == [False, False]


def test_the_audit_trail_and_permits_are_never_deleted(submit, officers, settings):
    with time_machine.travel(T0, tick=False):
        permit = approve_all(submit(), officers)
    events = AuditEvent.objects.count()
    settings.RETENTION_DAYS = dict.fromkeys(settings.RETENTION_DAYS, 1)
    with time_machine.travel(T0 + timedelta(days=36500), tick=False):
        counts = retention_purge()
    assert counts["drafts"] == 0
    assert list(Permit.objects.values_list("pk", flat=True)) == [permit.pk]
    assert Application.objects.filter(pk=permit.application_id).exists()
    assert AuditEvent.objects.count() == events + 1  # the run's own event, nothing taken away


def test_deletion_goes_in_batches_of_the_configured_size(records, settings):
    for index in range(5):
        records(T0 + index * SECOND, key=f"k{index}")
    settings.RETENTION_BATCH_SIZE = 2
    with time_machine.travel(T0 + timedelta(days=366), tick=False), CaptureQueriesContext(connection) as queries:
        assert retention_purge(kinds=["notifications"]) == {"notifications": 5}
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('DELETE FROM "approvals_notification"')]
    assert len(deletes) == 3  # 2 + 2 + 1, each batch its own transaction
    assert sum("SKIP LOCKED" in q["sql"] for q in queries.captured_queries) == 4  # the last finds none left


@pytest.mark.django_db(transaction=True)
def test_a_row_another_transaction_holds_is_skipped_not_waited_for(records):
    records(T0, key="first")
    records(T0 + SECOND, key="second")
    held = Notification.objects.filter(email_status=EmailStatus.SENT).order_by("pk").first()
    database = connection.settings_dict
    with psycopg.connect(host=database["HOST"] or "127.0.0.1", port=database["PORT"] or 5432, user=database["USER"],
                         password=database["PASSWORD"] or None, dbname=database["NAME"]) as other:
        other.execute("SELECT id FROM approvals_notification WHERE id = %s FOR UPDATE", [held.pk])
        with time_machine.travel(T0 + timedelta(days=366), tick=False):
            assert retention_purge(kinds=["notifications"]) == {"notifications": 1}
        other.rollback()
    assert list(Notification.objects.filter(email_status=EmailStatus.SENT).values_list("pk", flat=True)) == [held.pk]
