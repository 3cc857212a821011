"""Webhook signing secrets at rest: encrypted (Fernet: AES-128-CBC with an HMAC-SHA256) with the
keys of API_WEBHOOK_SECRET_KEYS, kept out of the database. The first key seals; every key opens, so
a key is changed by putting a new one first, running ``manage.py webhook_secret_keys --reseal``,
then dropping the old one. The secret itself is shown once, to the department system that
subscribed or rotated it: the receiver needs it as it is to check signatures, so it is encrypted,
not hashed."""

import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SECRET_PREFIX = "whsec_"  # noqa: S105  (the marker of a signing secret, not a secret)

_fernets: dict[tuple[str, ...], MultiFernet] = {}


class SecretUnreadable(Exception):
    """No key of API_WEBHOOK_SECRET_KEYS opens the secret (a key was dropped too early)."""


def new_secret() -> str:
    return f"{SECRET_PREFIX}{secrets.token_urlsafe(32)}"


def _fernet() -> MultiFernet:
    keys = tuple(settings.API_WEBHOOK_SECRET_KEYS)
    if keys not in _fernets:
        if not keys:
            raise ImproperlyConfigured("API_WEBHOOK_SECRET_KEYS is empty: give one key or more "
                                       "(`manage.py webhook_secret_keys` prints a new one).")
        try:
            _fernets[keys] = MultiFernet([Fernet(key) for key in keys])
        except ValueError:
            raise ImproperlyConfigured("API_WEBHOOK_SECRET_KEYS holds a key that is not a Fernet key (32 bytes in "
                                       "URL-safe base64; `manage.py webhook_secret_keys` prints a new one).")
    return _fernets[keys]


def secret_seal(clear: str) -> str:
    """``clear`` encrypted with the first key, as text for the database."""
    return _fernet().encrypt(clear.encode()).decode("ascii")


def secret_open(sealed: str) -> str:
    """The secret ``sealed`` holds; raises SecretUnreadable when no key opens it."""
    try:
        return _fernet().decrypt(sealed.encode("ascii")).decode()
    except InvalidToken:
        raise SecretUnreadable("No key of API_WEBHOOK_SECRET_KEYS opens this webhook's signing secret.")


def secret_reseal(sealed: str) -> str:
    """``sealed`` encrypted again with the first key (the secret unchanged)."""
    try:
        return _fernet().rotate(sealed.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise SecretUnreadable("No key of API_WEBHOOK_SECRET_KEYS opens this webhook's signing secret.")


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")
