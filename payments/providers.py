"""Payment providers: who tells the portal that money arrived, and how their word is checked.

A provider has a ``slug`` (what Payment.provider and the notification URL name), ``verify``s a
notification (its signature, its freshness) and ``parse``s it into a ``Notice``; the API face
then hands the notice to the engine (approvals.payment_flow.payment_record), which records it once.
Adding a provider: a class with these three members, registered in PROVIDERS (docs/payments.md).

The signed provider ("signed") posts JSON and signs it with HMAC-SHA256 under a secret shared with
the portal (settings.PAYMENT_PROVIDER_SECRETS):

    X-Payment-Timestamp: <Unix seconds>
    X-Payment-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>." + body)>

    {"transaction_id": "...", "code": "<payment code>", "amount": "300.00", "currency": "CNY",
     "paid_at": "2026-12-07T10:30:00+08:00"}

A timestamp more than PAYMENT_NOTIFY_WINDOW seconds from now is refused (a replay of an old
notification); a notification within the window told twice is recorded once (by its transaction)."""

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Protocol

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from core.json_text import has_nul, valid_unicode


@dataclass(frozen=True)
class Notice:
    """A payment as a provider tells it."""

    transaction_id: str
    code: str
    amount: Decimal
    currency: str
    paid_at: datetime
    details: dict = field(default_factory=dict)


class NotificationRefused(Exception):
    """A notification the portal does not believe or cannot read: ``status`` 401 (not the
    provider's, or too old) or 400 (not readable as a payment), ``code`` for the answer."""

    def __init__(self, status: int, code: str, message):
        super().__init__(str(message))
        self.http_status, self.code, self.message = status, code, message


class Provider(Protocol):
    slug: str

    def verify(self, *, headers, body: bytes, now: datetime) -> None:
        """Raise NotificationRefused unless the notification is the provider's and fresh."""

    def parse(self, body: bytes) -> Notice:
        """The payment the notification tells (NotificationRefused when it tells none)."""


TIMESTAMP_HEADER = "X-Payment-Timestamp"
SIGNATURE_HEADER = "X-Payment-Signature"


def notification_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp`` (providers and tests sign with it)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class SignedProvider:
    slug = "signed"
    fields = ("transaction_id", "code", "amount", "currency", "paid_at")

    def _secret(self) -> str:
        secret = settings.PAYMENT_PROVIDER_SECRETS.get(self.slug, "")
        if not secret:
            raise NotificationRefused(401, "provider_not_configured", _("This provider has no secret configured."))
        return secret

    def verify(self, *, headers, body: bytes, now: datetime) -> None:
        secret = self._secret()
        timestamp, signature = headers.get(TIMESTAMP_HEADER, ""), headers.get(SIGNATURE_HEADER, "")
        if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
            raise NotificationRefused(401, "bad_signature", _("The notification has no valid timestamp."))
        if abs(now.timestamp() - int(timestamp)) > settings.PAYMENT_NOTIFY_WINDOW:
            raise NotificationRefused(401, "stale_notification", _(
                "The notification's timestamp is outside the accepted window: it is refused as a replay."))
        expected = notification_signature(secret, timestamp, body)
        if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
            raise NotificationRefused(401, "bad_signature", _("The notification's signature does not match."))

    def parse(self, body: bytes) -> Notice:
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise NotificationRefused(400, "invalid_request", _("The notification is not JSON."))
        if not isinstance(data, dict):
            raise NotificationRefused(400, "invalid_request", _("The notification must be a JSON object."))
        if has_nul(data) or not valid_unicode(data):  # kept as received with an issue: storable text only
            raise NotificationRefused(400, "invalid_request", _("The notification contains text that is not valid Unicode."))
        missing = [name for name in self.fields if not isinstance(data.get(name), str) or not data[name].strip()]
        if missing:
            raise NotificationRefused(400, "invalid_request", _("Give these as text: %(fields)s.") % {
                "fields": ", ".join(missing)})
        if len(data["transaction_id"]) > 100 or len(data["code"]) > 100:
            raise NotificationRefused(400, "invalid_request", _("The transaction or code is too long."))
        try:
            amount = Decimal(data["amount"])
        except InvalidOperation:
            raise NotificationRefused(400, "invalid_request", _(
                "The amount must be a decimal number as text, such as \"300.00\"."))
        try:
            paid_at = parse_datetime(data["paid_at"]) if len(data["paid_at"]) <= 40 else None
        except ValueError:  # well formed, but no such day or time
            paid_at = None
        if paid_at is None or paid_at.tzinfo is None:
            raise NotificationRefused(400, "invalid_request", _("paid_at must be an ISO 8601 time with its offset."))
        return Notice(transaction_id=data["transaction_id"], code=data["code"], amount=amount, currency=data["currency"],
                      paid_at=paid_at, details=data)


PROVIDERS: dict[str, Provider] = {provider.slug: provider for provider in (SignedProvider(),)}


def provider_for(slug: str) -> Provider | None:
    return PROVIDERS.get(slug)
