"""Webhooks: the sealed audit chain is the outbox.

Every engine transition writes its audit events in its own transaction, and ``audit_seal``
gives committed events a gap-free ``seq`` in seal order under the chain's lock (the lock is a
transaction-level advisory lock, so seal N+1 starts only after seal N committed: whoever sees
``seq = n`` sees every lower one). ``webhook_dispatch`` reads the events after a stored cursor,
under a row lock on the cursor, and writes one delivery row per matching subscription and
event (UNIQUE, so a rerun adds nothing), in the same transaction that moves the cursor. The
engine never knows webhooks exist.

``webhook_deliver`` sends one delivery: signed, with short timeouts and no redirects followed, to
an address checked just before (``api.webhook_targets``) and connected to as checked.
A failure schedules the next attempt in a column (exponential backoff) that beat scans; after
``API_WEBHOOK_RETRY_HOURS`` the delivery is failed, and the admin can send it again."""

import hashlib
import hmac
import json
import logging
import ssl
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from approvals.models import Application, Review
from audit.chain import audit_seal
from audit.models import Action, AuditEvent
from core.nudges import publish

from .models import DeliveryStatus, WebhookCursor, WebhookDelivery, WebhookEvent, WebhookSubscription
from .webhook_secrets import SecretUnreadable, secret_open
from .webhook_targets import Target, TargetRefused, webhook_target

log = logging.getLogger(__name__)

DISPATCH_BATCH = 1000
DELIVER_BATCH = 200
SIGNATURE_HEADER = "X-Portal-Signature"
TIMESTAMP_HEADER = "X-Portal-Timestamp"
EVENT_ID_HEADER = "X-Portal-Event-Id"
EVENT_TYPE_HEADER = "X-Portal-Event"

# Audit action → webhook event.
EVENT_OF_ACTION = {
    Action.REVIEW_ROUTED: WebhookEvent.REVIEW_ROUTED,
    Action.REVIEW_APPROVED: WebhookEvent.REVIEW_DECIDED,
    Action.REVIEW_REJECTED: WebhookEvent.REVIEW_DECIDED,
    Action.REVIEW_CORRECTION: WebhookEvent.REVIEW_DECIDED,
    Action.REVIEW_CANCELLED: WebhookEvent.REVIEW_CANCELLED,
    Action.APPLICATION_APPROVED: WebhookEvent.APPLICATION_APPROVED,
    Action.APPLICATION_REJECTED: WebhookEvent.APPLICATION_REJECTED,
    Action.PERMIT_ISSUED: WebhookEvent.PERMIT_ISSUED,
    Action.PERMIT_REVOKED: WebhookEvent.PERMIT_REVOKED,
    Action.PERMIT_CANCELLATION_TOLD: WebhookEvent.PERMIT_CANCELLED,
    Action.FILING_CREATED: WebhookEvent.FILING_CREATED,
}
DECISION_OF_ACTION = {
    Action.REVIEW_APPROVED: "approve", Action.REVIEW_REJECTED: "reject", Action.REVIEW_CORRECTION: "correction",
}
# Events about one department's review or filing, or telling it of a cancellation, go to that
# department; the others to every department reviewing the application.
DEPARTMENT_EVENTS = frozenset({WebhookEvent.REVIEW_ROUTED, WebhookEvent.REVIEW_DECIDED, WebhookEvent.REVIEW_CANCELLED,
                               WebhookEvent.FILING_CREATED, WebhookEvent.PERMIT_CANCELLED})


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value: HMAC-SHA256 over "<timestamp>." + body, hex."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={mac}"


def _payload(event: AuditEvent, event_type: str, reference: str | None) -> dict:
    data = {"application_id": event.application_id, "reference": reference}
    if event.object_type == "review":
        data["review_id"] = int(event.object_id)
    if event.object_type == "filing":  # ids only: the system reads the filing through the API
        data["filing_id"] = int(event.object_id)
    if event.department_code:
        data["department"] = event.department_code
    if event.action in DECISION_OF_ACTION:
        data["decision"] = DECISION_OF_ACTION[event.action]
    if event.object_type == "permit":
        data["permit_number"] = event.details.get("number", "")
    return {"id": f"evt_{event.pk}", "type": str(event_type), "created": event.at.isoformat(), "data": data}


def webhook_dispatch(*, batch: int = DISPATCH_BATCH) -> list[int]:
    """Turn sealed audit events after the cursor into delivery rows; returns the new rows' ids.
    Safe to run twice or at once (the cursor row is locked; deliveries are UNIQUE)."""
    created = []
    while True:
        ids, more = _dispatch_batch(batch)
        created += ids
        if not more:
            return created


@transaction.atomic
def _dispatch_batch(batch: int) -> tuple[list[int], bool]:
    cursor, _ = WebhookCursor.objects.get_or_create(pk=1)
    cursor = WebhookCursor.objects.select_for_update().get(pk=1)
    top = AuditEvent.objects.filter(seq__isnull=False).aggregate(top=Max("seq"))["top"] or 0
    end = min(top, cursor.last_seq + batch)
    if end <= cursor.last_seq:
        return [], False
    events = list(
        AuditEvent.objects.filter(seq__gt=cursor.last_seq, seq__lte=end, action__in=list(EVENT_OF_ACTION))
        .order_by("seq")
    )
    deliveries = _deliveries_for(events)
    if deliveries:
        # Rows made before (the cursor was moved back) stay as they are; the cursor's row lock
        # serializes dispatchers, and the UNIQUE constraint is the backstop.
        done = set(WebhookDelivery.objects.filter(audit_event_id__in=[e.pk for e in events])
                   .values_list("subscription_id", "audit_event_id"))
        deliveries = [d for d in deliveries if (d.subscription_id, d.audit_event_id) not in done]
        WebhookDelivery.objects.bulk_create(deliveries)
    cursor.last_seq = end
    cursor.save(update_fields=["last_seq"])
    new_ids = [d.pk for d in deliveries]
    if new_ids:
        transaction.on_commit(lambda: publish_deliveries(new_ids))
    return new_ids, end < top


def _deliveries_for(events: list[AuditEvent]) -> list[WebhookDelivery]:
    if not events:
        return []
    subscriptions = list(WebhookSubscription.objects.filter(active=True).select_related("department"))
    if not subscriptions:
        return []
    app_ids = {e.application_id for e in events if e.application_id}
    references = dict(Application.objects.filter(pk__in=app_ids).values_list("pk", "reference"))
    reviewing = {}
    for app_id, code in Review.objects.filter(application_id__in=app_ids).values_list("application_id", "department__code"):
        reviewing.setdefault(app_id, set()).add(code)
    now = timezone.now()
    give_up = now + timedelta(hours=settings.API_WEBHOOK_RETRY_HOURS)
    rows = []
    for event in events:
        event_type = EVENT_OF_ACTION[event.action]
        if event_type in DEPARTMENT_EVENTS:
            audience = {event.department_code}
        else:
            audience = reviewing.get(event.application_id, set())
        payload = None
        for sub in subscriptions:
            if sub.department.code in audience and event_type in sub.events:
                payload = payload or _payload(event, event_type, references.get(event.application_id))
                rows.append(WebhookDelivery(
                    subscription=sub, audit_event_id=event.pk, event_id=payload["id"], event_type=event_type,
                    payload=payload, next_attempt_at=now, give_up_at=give_up, created_at=now,
                ))
    return rows


def publish_deliveries(ids) -> None:
    for pk in ids:
        publish("api.tasks.webhook_deliver_task", pk)


def backoff_seconds(attempts: int) -> int:
    """Wait after the ``attempts``-th failed attempt: base · 2^(attempts-1), capped."""
    return min(settings.API_WEBHOOK_BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0),
               settings.API_WEBHOOK_BACKOFF_MAX_SECONDS)


def _claim(delivery_id: int) -> bool:
    now = timezone.now()
    stale = now - timedelta(seconds=settings.API_WEBHOOK_CLAIM_SECONDS)
    return bool(
        WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .update(claimed_at=now)
    )


def _post(target: Target, body: bytes, headers: dict) -> tuple[int | None, str]:
    """(HTTP status or None, error). The connection goes to the address checked, never to a
    second lookup of the name: the request's URL names that address, its Host header the host, and
    TLS asks for and checks the host's certificate (the ``sni_hostname`` extension). Short connect
    and read timeouts, redirects not followed, no proxy, at most a few KiB of the answer read."""
    import httpx

    timeout = httpx.Timeout(connect=settings.API_WEBHOOK_CONNECT_TIMEOUT, read=settings.API_WEBHOOK_READ_TIMEOUT,
                            write=settings.API_WEBHOOK_READ_TIMEOUT, pool=settings.API_WEBHOOK_CONNECT_TIMEOUT)
    url = httpx.URL(target.url)
    extensions = {} if url.host == target.address else {"sni_hostname": target.host}
    verify = ssl.create_default_context(cafile=settings.API_WEBHOOK_CA_FILE) if settings.API_WEBHOOK_CA_FILE else True
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False, verify=verify) as client:
            request = client.build_request("POST", url.copy_with(host=target.address), content=body,
                                           headers={**headers, "Host": url.netloc.decode("ascii")},
                                           extensions=extensions)
            response = client.send(request, stream=True)
            try:
                for _chunk in response.iter_bytes(4096):
                    break
                return response.status_code, ""
            finally:
                response.close()
    except httpx.TimeoutException as exc:
        return None, f"timeout: {type(exc).__name__}"
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300]


def _send(delivery: WebhookDelivery, body: bytes, headers: dict) -> tuple[int | None, str]:
    """Check the address again (the name may point elsewhere since the subscription was made) and
    send there; a refused address, or a secret no key opens, is never connected to."""
    subscription = delivery.subscription
    try:
        target = webhook_target(subscription.url)
        secret = secret_open(subscription.secret_sealed)
    except (TargetRefused, SecretUnreadable) as refused:
        error = f"refused: {getattr(refused, 'message', refused)}"[:300]
        log.warning("Webhook delivery %s to subscription %s not sent: %s", delivery.pk, subscription.pk, error)
        return None, error
    timestamp = str(int(time.time()))
    headers = {**headers, TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body)}
    return _post(target, body, headers)


def webhook_deliver(*, delivery_id: int) -> str:
    """Send one delivery if it is due and nobody else is sending it; returns its status."""
    if not _claim(delivery_id):
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    body = json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "portal-webhooks/1",
        EVENT_ID_HEADER: delivery.event_id,
        EVENT_TYPE_HEADER: delivery.event_type,
    }
    status_code, error = _send(delivery, body, headers)
    now = timezone.now()
    attempts = delivery.attempts + 1
    fields = {"attempts": attempts, "last_attempt_at": now, "last_status_code": status_code, "claimed_at": None}
    if status_code is not None and 200 <= status_code < 300:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now, last_error="")
    else:
        next_at = now + timedelta(seconds=backoff_seconds(attempts))
        fields["last_error"] = error or f"HTTP {status_code}"
        if next_at > delivery.give_up_at:
            fields["status"] = DeliveryStatus.FAILED
        else:
            fields["next_attempt_at"] = next_at
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    return fields.get("status", DeliveryStatus.PENDING)


def deliveries_due(*, limit: int = DELIVER_BATCH) -> list[int]:
    stale = timezone.now() - timedelta(seconds=settings.API_WEBHOOK_CLAIM_SECONDS)
    return list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]
    )


def webhook_tick() -> dict:
    """What beat runs: seal the audit chain, turn new events into deliveries, send what is due."""
    sealed = audit_seal()
    created = webhook_dispatch()
    due = [pk for pk in deliveries_due() if pk not in set(created)]
    publish_deliveries(due)
    return {"sealed": sealed, "created": len(created), "resent": len(due)}


@transaction.atomic
def webhook_resend(*, delivery_ids) -> int:
    """Send failed (or pending) deliveries again, with a fresh retry window."""
    now = timezone.now()
    count = WebhookDelivery.objects.filter(pk__in=list(delivery_ids)).exclude(status=DeliveryStatus.DELIVERED).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, claimed_at=None,
        give_up_at=now + timedelta(hours=settings.API_WEBHOOK_RETRY_HOURS),
    )
    ids = list(delivery_ids)
    transaction.on_commit(lambda: publish_deliveries(ids))
    return count
