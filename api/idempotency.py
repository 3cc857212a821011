"""Idempotency-Key on POST: the same key with the same request replays the first answer; the
same key with another request is a 422; a key whose first request is still running is a 409.
A first request that died without answering (its process killed, the database gone before the
key could be given back) leaves its key unanswered: once API_IDEMPOTENCY_IN_FLIGHT_SECONDS have
passed, longer than any request may run, the next request with the key takes it over and acts
(safe: the work itself is guarded by state, a submitted application is not submitted again)."""

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer

from .models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
KEY_MAX_LENGTH = 200


class Replay(Exception):
    def __init__(self, record: IdempotencyRecord):
        self.record = record


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was used for another request."
    default_code = "idempotency_mismatch"


class KeyInFlight(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this Idempotency-Key is still being processed."
    default_code = "conflict"


def fingerprint(request) -> str:
    django_request = request._request
    digest = hashlib.sha256()
    for part in (django_request.method, django_request.path, django_request.content_type or ""):
        digest.update(part.encode() + b"\0")
    if (django_request.content_type or "").startswith("multipart/"):
        # The boundary differs on every send: compare the fields and the files' contents.
        for key in sorted(request.data):
            for value in request.data.getlist(key):
                if hasattr(value, "chunks"):
                    part = hashlib.sha256()
                    for chunk in value.chunks():
                        part.update(chunk)
                    value.seek(0)
                    value = f"file:{part.hexdigest()}:{value.name}"
                digest.update(f"{key}={value}".encode() + b"\0")
    else:
        digest.update(django_request.body)
    return digest.hexdigest()


def idempotency_begin(request) -> IdempotencyRecord | None:
    """None without a key; the new record of a first request; raises Replay, KeyReused or KeyInFlight."""
    key = request.META.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > KEY_MAX_LENGTH or not key.isprintable() or not key.isascii():
        raise exceptions.ValidationError({"Idempotency-Key": [_("Use 1 to 200 printable ASCII characters.")]})
    fp = fingerprint(request)
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(token=request.auth, key=key, fingerprint=fp)
    except IntegrityError:
        pass
    record = IdempotencyRecord.objects.filter(token=request.auth, key=key).first()
    if record is None:  # the first request failed and gave the key back just now
        raise KeyInFlight()
    if record.fingerprint != fp:
        raise KeyReused(_("This Idempotency-Key was used for another request."))
    if record.status_code is None:
        if _take_over(record):
            return record
        raise KeyInFlight(_("A request with this Idempotency-Key is still being processed."))
    raise Replay(record)


def _take_over(record: IdempotencyRecord) -> bool:
    """Claim the key of a first request that can no longer be running; of two takers one wins."""
    now = timezone.now()
    dead_before = now - timedelta(seconds=settings.API_IDEMPOTENCY_IN_FLIGHT_SECONDS)
    record.created_at = now
    return bool(IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True, created_at__lte=dead_before)
                .update(created_at=now))


def idempotency_finish(record: IdempotencyRecord, response) -> None:
    """Keep the answer for replays; a server error gives the key back. A view sets
    ``response.replay_data`` when the answer holds a secret shown once (a claim code): the replay
    gets that instead."""
    if response.status_code >= 500 or not hasattr(response, "data"):
        record.delete()
        return
    body = getattr(response, "replay_data", response.data)
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=response.status_code, body=json.loads(JSONRenderer().render(body)))

