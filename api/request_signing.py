"""Signed writes: what a department system writes into the citizens' wallets (a certificate pushed
or revoked) is signed with its department's signing secret, besides its bearer token.

The scheme is the portal's webhook signature (api.webhooks.sign), in the other direction, so a
system that checks the portal's deliveries signs with the same code: ``X-Portal-Timestamp`` (the
time of signing, Unix seconds) and ``X-Portal-Signature: v1=<hex HMAC-SHA256 of
"<timestamp>." + the request body as sent>``. A timestamp more than SIGNATURE_TOLERANCE_SECONDS
from the portal's clock is refused, so a captured request cannot be sent again later.

The secret is not a webhook subscription's: a bearer token may subscribe and so obtain a
webhook secret, which would make a signature prove no more than the token. A signing secret is
issued by an administrator (``manage.py certificate_signing_secret``), shown once, kept sealed as
webhook secrets are (api.webhook_secrets); a stolen token alone cannot push."""

import hmac
import time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions

from .models import SigningSecret
from .webhook_secrets import SecretUnreadable, new_secret, secret_open, secret_seal
from .webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

SIGNATURE_TOLERANCE_SECONDS = 300


class SignatureMissing(exceptions.AuthenticationFailed):
    """An unsigned write: 401 ``signature_required`` (on record as the API's 401s are)."""

    api_code = reason = "signature_required"


class SignatureRefused(exceptions.PermissionDenied):
    """A signature that does not hold: 403 ``bad_signature`` (on record as the API's 403s are)."""

    api_code = "bad_signature"

    def __init__(self, detail, *, why: str):
        self.details = {"signature": why}  # on record with the refusal (api.refusals)
        super().__init__(detail)


def signature_check(request) -> None:
    """The write is signed with a current signing secret of the token's department; else
    SignatureMissing or SignatureRefused."""
    django_request = getattr(request, "_request", request)
    signature = django_request.headers.get(SIGNATURE_HEADER, "").strip()
    timestamp = django_request.headers.get(TIMESTAMP_HEADER, "").strip()
    if not signature or not timestamp:
        raise SignatureMissing(_("Sign the request: send X-Portal-Timestamp and X-Portal-Signature, made with your "
                                 "department's signing secret (see the API documentation)."))
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise SignatureRefused(_("X-Portal-Timestamp must be the time of signing in seconds since 1970 (UTC)."),
                               why="malformed_timestamp")
    if abs(time.time() - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
        raise SignatureRefused(_("The signature's time is more than 5 minutes from the portal's clock: sign the "
                                 "request when you send it."), why="stale")
    secrets = department_secrets(request.auth.department_id)
    if not secrets:
        raise SignatureRefused(_("Your department has no signing secret yet: ask the portal's administrators for one."),
                               why="no_secret")
    body = django_request.body
    if not any(hmac.compare_digest(sign(secret, timestamp, body), signature) for secret in secrets):
        raise SignatureRefused(_("The signature does not match the request body and your department's signing secret."),
                               why="mismatch")


def department_secrets(department_id: int) -> list[str]:
    """The department's current signing secrets, newest first (one that no key opens is left out)."""
    secrets = []
    for sealed in SigningSecret.objects.filter(department_id=department_id, retired_at__isnull=True).values_list(
            "secret_sealed", flat=True):
        try:
            secrets.append(secret_open(sealed))
        except SecretUnreadable:
            continue
    return secrets


@transaction.atomic
def signing_secret_issue(*, department) -> tuple[SigningSecret, str]:
    """A new signing secret for the department's systems, returned in clear once. Those issued
    before stay current until retired, so a system moves to the new one without a gap."""
    clear = new_secret()
    return SigningSecret.objects.create(department=department, secret_sealed=secret_seal(clear)), clear


def signing_secret_retire(*, department, secret_id: int) -> bool:
    """Stop accepting one of the department's secrets; False when it has no such current secret."""
    return bool(SigningSecret.objects.filter(department=department, pk=secret_id, retired_at__isnull=True)
                .update(retired_at=timezone.now()))
