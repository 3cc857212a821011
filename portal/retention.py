"""Records kept only as long as they serve: each kind's retention is a setting (RETENTION_DAYS,
API_IDEMPOTENCY_HOURS), and beat's job deletes what is past it. Deletion goes a batch at a time
(RETENTION_BATCH_SIZE rows), each batch its own short transaction that skips rows another
transaction holds (SKIP LOCKED) and walks the primary key forward (keyset), so no table is ever
locked for long and a busy row is simply taken the next night. Each run writes one audit event
with its counts.

The audit trail and permits are never deleted here, nor anything that names them: a draft was
never submitted, so no permit, review or payment belongs to it. See docs/backup.md#retention."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from api.models import DeliveryStatus, IdempotencyRecord, WebhookDelivery
from approvals.models import Application, ApplicationStatus, Attachment, EmailStatus, Notification
from audit.models import Action
from audit.services import Event, audit_record


@dataclass(frozen=True)
class Kind:
    model: type[models.Model]
    # The rows past retention, given the cutoff.
    expired: Callable[[datetime], Q]
    # The retention as a timedelta, read from the settings at each run.
    keep: Callable[[], timedelta]
    # Called in the batch's transaction with the ids about to be deleted (a draft's files).
    before_delete: Callable[[list], None] | None = None


def _forget_draft_files(ids: list) -> None:
    """A draft's uploads and their disarmed copies leave the storage once its rows are gone."""
    stored = [(f.storage, f.name) for attachment in Attachment.objects.filter(application_id__in=ids)
              for f in (attachment.file, attachment.disarmed_file) if f]
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in stored])


def _days(kind: str) -> Callable[[], timedelta]:
    return lambda: timedelta(days=settings.RETENTION_DAYS[kind])


KINDS = {
    # Drafts never submitted, from their last change; a draft that is a bundle's member goes with
    # its bundle, never alone, and one a complaint or a payment order names stays with them.
    "drafts": Kind(Application, lambda cutoff: Q(status=ApplicationStatus.DRAFT, submitted_at__isnull=True,
                                                 bundle_application__isnull=True, updated_at__lt=cutoff,
                                                 complaints__isnull=True, payment_orders__isnull=True),
                   _days("drafts"), _forget_draft_files),
    # A notification whose mail is still to be sent is the mail's outbox row: kept until sent.
    "notifications": Kind(Notification, lambda cutoff: Q(created_at__lt=cutoff) & ~Q(
        email_status__in=[EmailStatus.PENDING, EmailStatus.SENDING]), _days("notifications")),
    "sessions": Kind(Session, lambda cutoff: Q(expire_date__lt=cutoff), _days("sessions")),
    "idempotency_keys": Kind(IdempotencyRecord, lambda cutoff: Q(created_at__lt=cutoff),
                             lambda: timedelta(hours=settings.API_IDEMPOTENCY_HOURS)),
    # Pending deliveries are the webhooks' outbox: kept until delivered or given up.
    "webhook_deliveries": Kind(WebhookDelivery, lambda cutoff: Q(created_at__lt=cutoff) & ~Q(
        status=DeliveryStatus.PENDING), _days("webhook_deliveries")),
}


def _purge(kind: Kind, *, cutoff: datetime, batch: int) -> int:
    deleted, after = 0, None
    expired = kind.model._default_manager.filter(kind.expired(cutoff)).order_by("pk")
    while True:
        with transaction.atomic():
            rows = expired if after is None else expired.filter(pk__gt=after)
            ids = list(rows.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[:batch])
            if not ids:
                return deleted
            if kind.before_delete:
                kind.before_delete(ids)
            # Only the rows of this model: what cascades from them (a draft's answers and uploads).
            kind.model._default_manager.filter(pk__in=ids).delete()
        deleted += len(ids)
        after = ids[-1]


def retention_purge(*, kinds: list[str] | None = None, now: datetime | None = None) -> dict[str, int]:
    """Delete every record past its kind's retention (all kinds, or those named); returns the
    count per kind, which the run's audit event records too."""
    now = now or timezone.now()
    counts = {}
    for name in kinds or KINDS:
        kind = KINDS[name]
        counts[name] = _purge(kind, cutoff=now - kind.keep(), batch=settings.RETENTION_BATCH_SIZE)
    audit_record(Event(action=Action.RETENTION_PURGED, object_type="retention", object_id="", details=counts))
    return counts
