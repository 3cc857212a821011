"""How a person proves it is them beyond the password: authenticator apps (django-otp's
TOTPDevice), passkeys (django-otp-webauthn's WebAuthnCredential) and one set of single-use recovery
codes (django-otp's StaticDevice: one StaticToken per code, deleted when it is used); and confirming
it is them again before a sensitive action.

Reads, and every write. Writes are keyword-only and atomic, lock the person's row so that two
tabs cannot remove both of their last factors, check before writing, and record their audit event
(accounts.events) in the same transaction. A wrong code is not written back as an error inside
the transaction: django-otp counts it on the device (its growing delay between attempts) and that
count must commit."""

import binascii
import math
from base64 import b32decode, b32encode
from enum import StrEnum

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.utils import get_credential_model

from . import events
from .errors import (
    AccountError,
    InvalidTotpSecret,
    LastFactor,
    TooManyCodes,
    WrongCode,
    WrongPassword,
    WrongRecoveryCode,
)

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
PASSKEY_NAME = "Passkey"
RECOVERY_DEVICE_NAME = "Recovery codes"


class FactorKind(StrEnum):
    TOTP = "totp"
    PASSKEY = "passkey"


def passkey_model():
    return get_credential_model()


def _model(kind: str):
    return {FactorKind.TOTP: TOTPDevice, FactorKind.PASSKEY: passkey_model()}[FactorKind(kind)]


def kind_of(device) -> FactorKind | None:
    if isinstance(device, TOTPDevice):
        return FactorKind.TOTP
    if isinstance(device, passkey_model()):
        return FactorKind.PASSKEY
    return None


# --- Reads --------------------------------------------------------------------------------------


def totp_devices(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk")


def passkeys(user):
    return passkey_model().objects.filter(user=user, confirmed=True).order_by("pk")


def factors(user) -> list:
    """The ways the person confirms it is them: authenticator apps, then passkeys, oldest first.
    Recovery codes are a way back in, not a factor of their own."""
    return [*totp_devices(user), *passkeys(user)]


def has_factor(user) -> bool:
    return totp_devices(user).exists() or passkeys(user).exists()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def totp_secret_text(device: TOTPDevice) -> str:
    """The key as apps ask for it when typed: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def recovery_code_text(code: str) -> str:
    """A code as shown: two groups of four (what is typed may carry the hyphen, spaces, any case)."""
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


def _wait_seconds(info: dict | None) -> int:
    until = (info or {}).get("locked_until")
    return math.ceil((until - timezone.now()).total_seconds()) if until else 1


def _lock(user) -> None:
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


# --- Authenticator apps -------------------------------------------------------------------------


@transaction.atomic
def totp_device_pending(*, user) -> TOTPDevice:
    """The authenticator app being set up: one unconfirmed device per person, kept until it is
    confirmed, so that coming back to the page shows the same key."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)


def totp_device_confirm(*, user, device_id: int, token: str, ip: str | None = None) -> list[str] | None:
    """Confirm the app being set up with one code it shows. Returns the recovery codes made for a
    person who had none yet (to be shown once), else None."""
    error = None
    with transaction.atomic():
        _lock(user)
        device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
        if device is None:
            raise AccountError(_("This set-up is no longer open. Start again."), field="code")
        allowed, info = device.verify_is_allowed()
        if not allowed:
            error = TooManyCodes(_wait_seconds(info))
        elif not device.verify_token(token):
            error = WrongCode()
        else:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            events.record("SECOND_FACTOR_ADDED", user=user, actor=user, ip=ip,
                          details={"kind": FactorKind.TOTP.value, "device": device.pk})
            if recovery_codes_left(user):
                return None
            return _recovery_codes_replace(user=user, ip=ip)
    raise error


def totp_secret_key(secret: str) -> str:
    """The hex key django-otp stores for a base32 secret as authenticator apps show it (any case,
    spaces allowed, padding optional); InvalidTotpSecret for anything else."""
    text = "".join((secret or "").split()).upper().rstrip("=")
    if not 16 <= len(text) <= 64:
        raise InvalidTotpSecret()
    try:
        return binascii.hexlify(b32decode(text + "=" * (-len(text) % 8))).decode()
    except (binascii.Error, ValueError):
        raise InvalidTotpSecret()


def totp_device_set(*, user, secret: str, actor=None) -> bool:
    """Make the app holding ``secret`` (base32) the person's only authenticator app: scripted
    set-ups (``add_staff --totp-secret``, the demo). Passkeys and recovery codes stay. Returns
    whether anything changed: the same secret again changes nothing."""
    key = totp_secret_key(secret)  # checked before anything is written
    with transaction.atomic():
        _lock(user)
        devices = list(TOTPDevice.objects.select_for_update().filter(user=user).order_by("pk"))
        kept = next((d for d in devices if d.confirmed and d.key == key), None)
        others = [d for d in devices if d is not kept]
        if kept is not None and not others:
            return False
        for device in others:
            device_id = device.pk
            device.delete()
            if device.confirmed:
                events.record("SECOND_FACTOR_REMOVED", user=user, actor=actor,
                              details={"kind": FactorKind.TOTP.value, "device": device_id})
        if kept is None:
            kept = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, key=key, confirmed=True)
            events.record("SECOND_FACTOR_ADDED", user=user, actor=actor,
                          details={"kind": FactorKind.TOTP.value, "device": kept.pk})
    return True


def totp_verify(*, user, token: str, ip: str | None = None, reauthenticating: bool = False) -> TOTPDevice:
    """The person's authenticator app that accepts ``token`` (each code works once). With
    ``reauthenticating``, the person is confirming it is them again (audited)."""
    error = WrongCode()
    with transaction.atomic():
        for device in totp_devices(user).select_for_update():
            allowed, info = device.verify_is_allowed()
            if not allowed:
                error = TooManyCodes(_wait_seconds(info))
            elif device.verify_token(token):
                if reauthenticating:
                    reauthentication_record(user=user, method=FactorKind.TOTP, ip=ip)
                return device
    raise error


# --- Recovery codes -----------------------------------------------------------------------------


def _recovery_codes_replace(*, user, ip: str | None) -> list[str]:
    device = StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    StaticToken.objects.filter(device__user=user).delete()
    codes = set()
    while len(codes) < RECOVERY_CODE_COUNT:
        codes.add(StaticToken.random_token())
    codes = sorted(codes)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    events.record("SECOND_FACTOR_ADDED", user=user, actor=user, ip=ip,
                  details={"kind": "recovery_codes", "count": RECOVERY_CODE_COUNT})
    return codes


@transaction.atomic
def recovery_codes_issue(*, user, ip: str | None = None) -> list[str]:
    """Ten new recovery codes in place of the old ones, to be shown once."""
    _lock(user)
    if not has_factor(user):
        raise AccountError(_("Set up an authenticator app or a passkey first."))
    return _recovery_codes_replace(user=user, ip=ip)


def recovery_code_use(*, user, code: str, ip: str | None = None, reauthenticating: bool = False) -> StaticDevice:
    """Use up one recovery code (typed with or without its hyphen, in any case)."""
    code = "".join((code or "").replace("-", " ").split()).lower()
    error = WrongRecoveryCode()
    with transaction.atomic():
        for device in StaticDevice.objects.filter(user=user, confirmed=True).select_for_update().order_by("pk"):
            allowed, info = device.verify_is_allowed()
            if not allowed:
                error = TooManyCodes(_wait_seconds(info))
            elif code and device.verify_token(code):
                events.record("RECOVERY_CODE_USED", user=user, actor=user, ip=ip,
                              details={"left": device.token_set.count()})
                if reauthenticating:
                    reauthentication_record(user=user, method="recovery_code", ip=ip)
                return device
    raise error


# --- Passkeys, and removing a factor ------------------------------------------------------------


def passkey_added(*, user, device, ip: str | None = None) -> None:
    """Record a passkey django-otp-webauthn has just saved (in the registration's transaction)."""
    if not device.name:
        device.name = PASSKEY_NAME
        device.save(update_fields=["name"])
    events.record("SECOND_FACTOR_ADDED", user=user, actor=user, ip=ip,
                  details={"kind": FactorKind.PASSKEY.value, "device": device.pk})


@transaction.atomic
def factor_remove(*, user, kind: str, device_id: int, ip: str | None = None) -> None:
    """Remove one of the person's own factors, never the last one."""
    _lock(user)
    try:
        device = _model(kind).objects.filter(user=user, pk=device_id, confirmed=True).first()
    except ValueError:  # not a kind of factor
        device = None
    if device is None:
        raise AccountError(_("That way of confirming it is you no longer exists."))
    if len(factors(user)) < 2:
        raise LastFactor()
    device.delete()
    events.record("SECOND_FACTOR_REMOVED", user=user, actor=user, ip=ip,
                  details={"kind": FactorKind(kind).value, "device": device_id})


@transaction.atomic
def factor_reset(*, device, actor, ip: str | None = None) -> None:
    """An administrator removes someone's factor or recovery codes (a lost phone or key). It may
    be the last one: the person then sets up a new one at their next sign-in."""
    user = device.user
    _lock(user)
    device_id, kind = device.pk, kind_of(device) or "recovery_codes"
    device.delete()
    events.record("SECOND_FACTOR_REMOVED", user=user, actor=actor, ip=ip, details={"kind": str(kind), "device": device_id})



# --- Confirming it is them again ----------------------------------------------------------------


def reauthentication_record(*, user, method: str, ip: str | None = None) -> None:
    """The person confirmed it is them again (a second factor; a citizen's password)."""
    events.record("REAUTHENTICATED", user=user, actor=user, ip=ip, details={"method": str(method)})


@transaction.atomic
def password_reconfirm(*, user, password: str, ip: str | None = None) -> None:
    """A person without a second factor (a citizen) confirms it is them with their password."""
    if not user.has_usable_password() or not user.check_password(password or ""):
        raise WrongPassword()
    reauthentication_record(user=user, method="password", ip=ip)
