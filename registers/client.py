"""The portal's client of the register interface, version 1 (catalogue.registers, docs/registers.md).

A register is another system, and it is treated like one: a short connect and read timeout
(REGISTER_CONNECT_TIMEOUT_SECONDS, REGISTER_READ_TIMEOUT_SECONDS), one retry at most and only
where nothing was answered (the connection failed, or 502/503/504), an answer read up to
ANSWER_MAX_BYTES. An answer is never trusted: it must be a JSON object that repeats the key asked
for, with every attribute of the interface as text within its length (one of its values where
the interface lists them) and without control characters; fields the interface does not define
are ignored. Every failure is a ``RegisterFailed`` with its outcome; nothing here writes."""

import functools
import json
import logging
import re
import ssl
import unicodedata
from urllib.parse import quote

import httpx
from django.conf import settings

from catalogue.registers import CONTRACT_VERSION, REGISTERS, RegisterKind

from .models import LookupOutcome

logger = logging.getLogger(__name__)

ANSWER_MAX_BYTES = 64 * 1024
RETRY_STATUSES = frozenset({502, 503, 504})
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class RegisterFailed(Exception):
    """No usable answer; ``outcome`` is a LookupOutcome other than FOUND."""

    def __init__(self, outcome: str, detail: str = ""):
        super().__init__(f"{outcome}: {detail}" if detail else outcome)
        self.outcome, self.detail = outcome, detail


@functools.cache
def _tls() -> ssl.SSLContext:
    """The system's trusted certificates, loaded once per process (loading them takes ~0.1 s)."""
    return ssl.create_default_context()


def register_url(code: str) -> str:
    return (settings.REGISTER_URLS.get(code) or "").rstrip("/")


def register_fetch(code: str, key: str) -> dict:
    """The record of ``key`` in register ``code``, as {attribute: text} checked against the
    interface. Raises RegisterFailed."""
    kind = REGISTERS[code]
    base = register_url(code)
    if not base:
        raise RegisterFailed(LookupOutcome.UNAVAILABLE, "no address configured")
    url = f"{base}/{CONTRACT_VERSION}/{kind.resource}/{quote(key, safe='')}"
    timeout = httpx.Timeout(settings.REGISTER_READ_TIMEOUT_SECONDS, connect=settings.REGISTER_CONNECT_TIMEOUT_SECONDS)
    with httpx.Client(timeout=timeout, verify=_tls(), follow_redirects=False,
                      headers={"Accept": "application/json"}) as client:
        for attempt in (1, 2):
            try:
                status, body = _get(client, url)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
                if attempt == 1:
                    continue
                raise _failed(code, LookupOutcome.UNAVAILABLE, f"{type(exc).__name__}")
            except httpx.HTTPError as exc:  # a read timeout is not asked again: the citizen has waited enough
                raise _failed(code, LookupOutcome.UNAVAILABLE, f"{type(exc).__name__}")
            if status in RETRY_STATUSES and attempt == 1:
                continue
            return _answer(code, kind, key, status, body)
    raise AssertionError("unreachable")


def _get(client: httpx.Client, url: str) -> tuple[int, bytes]:
    with client.stream("GET", url) as response:
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > ANSWER_MAX_BYTES:
                return response.status_code, b"\0too large"
            chunks.append(chunk)
        return response.status_code, b"".join(chunks)


def _failed(code: str, outcome: str, detail: str) -> RegisterFailed:
    logger.warning("register %s: %s (%s)", code, outcome, detail)  # never the key: it may be a person's number
    return RegisterFailed(outcome, detail)


def _json(body: bytes):
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _answer(code: str, kind: RegisterKind, key: str, status: int, body: bytes) -> dict:
    data = _json(body)
    if status == 200:
        return answer_values(code, kind, key, data)
    error = data.get("error") if isinstance(data, dict) else None
    error_code = error.get("code") if isinstance(error, dict) else None
    if status == 404 and error_code == "not_found":
        raise RegisterFailed(LookupOutcome.NOT_FOUND)
    if status == 400 and error_code == "malformed_key":
        raise _failed(code, LookupOutcome.MALFORMED_KEY, "refused the key")
    raise _failed(code, LookupOutcome.UNAVAILABLE, f"HTTP {status}")


def answer_values(code: str, kind: RegisterKind, key: str, data) -> dict:
    """The attributes of an answer, each checked against the interface; unknown fields ignored."""
    if not isinstance(data, dict):
        raise _failed(code, LookupOutcome.INVALID_ANSWER, "not a JSON object")
    if data.get(kind.key_name) != key:
        raise _failed(code, LookupOutcome.INVALID_ANSWER, f"{kind.key_name} is not the key asked for")
    values = {}
    for name, attribute in kind.attributes.items():
        value = data.get(name)
        if not isinstance(value, str):
            raise _failed(code, LookupOutcome.INVALID_ANSWER, f"{name} is not text")
        value = unicodedata.normalize("NFC", value).strip()
        if not value or len(value) > attribute.max_length or CONTROL.search(value):
            raise _failed(code, LookupOutcome.INVALID_ANSWER, f"{name} is empty, too long or has control characters")
        if attribute.choices and value not in attribute.choices:
            raise _failed(code, LookupOutcome.INVALID_ANSWER, f"{name} is not one of the interface's values")
        values[name] = value
    return values
