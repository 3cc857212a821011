"""The code an authenticator app shows, computed with django-otp's own TOTP."""

import time

from django_otp.oath import TOTP

from accounts.factors import totp_secret_key


def totp_code(secret: str, *, steps: int = 0) -> str:
    """The 6-digit code for the base32 ``secret`` (as the enrolment page shows it, or as given to
    ``add_staff --totp-secret``) now, or ``steps`` time steps (of 30 s) later or earlier."""
    return _code(bytes.fromhex(totp_secret_key(secret)), steps)


def device_code(device, *, steps: int = 0) -> str:
    """The code the app holding ``device``'s key shows."""
    return _code(device.bin_key, steps)


def unused_code(device) -> str:
    """The first code the device still takes: the app's code now or, when the person has just
    used that one, the one after the last they used (the portal takes a code a step early, and
    follows a clock that runs a step ahead; each code works once)."""
    device.refresh_from_db()
    now = int(time.time()) // device.step
    return device_code(device, steps=max(0, device.last_t + 1 - now))


def _code(key: bytes, steps: int) -> str:
    totp = TOTP(key)
    totp.time = time.time() + steps * totp.step
    return f"{totp.token():06d}"
