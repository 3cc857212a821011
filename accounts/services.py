"""Every write to accounts: staff accounts, citizen registration and verification, profile.

Functions are keyword-only and atomic; they check everything before writing anything and raise
an ``accounts.errors.AccountError`` that views and commands show as a message. Mail is sent
after commit (accounts.mail)."""

from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _

from . import mail, signals
from .errors import (
    AccountError,
    InvalidProfile,
    VerificationExpired,
    VerificationFailed,
    WeakPassword,
)
from .models import SERVICE_ACCOUNT_DOMAIN, Role
from .tokens import TokenState, email_verification_token
from .validators import PROFILE_VALIDATORS

User = get_user_model()

DEFAULT_RESEND_INTERVAL = 60


def normalize_email(email: str) -> str:
    """The form every address is stored in: trimmed and lower-case (login is case-insensitive)."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise AccountError(_("Enter a valid email address."), field="email")
    return email


def password_check(password: str, user) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise WeakPassword(messages=exc.messages)


def _send_verification_on_commit(user, next_url: str = "") -> None:
    language = translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(partial(mail.send_verification, user.pk, language, next_url))


def _mail_allowed(kind: str, user) -> bool:
    """At most one mail of ``kind`` per account every EMAIL_VERIFICATION_RESEND_SECONDS (a
    minute by default), so that a form cannot be used to flood someone's mailbox."""
    interval = int(getattr(settings, "EMAIL_VERIFICATION_RESEND_SECONDS", DEFAULT_RESEND_INTERVAL))
    return interval <= 0 or cache.add(f"accounts:{kind}:{user.pk}", 1, timeout=interval)


# --- Citizens -----------------------------------------------------------------------------------


@transaction.atomic
def citizen_register(*, email: str, full_name: str, password: str, phone: str = "", id_number: str = "",
                     address: str = "", language: str = "en", next_url: str = "") -> User | None:
    """A new citizen account, unverified until the link mailed after commit is followed; the link
    carries ``next_url`` (a local address the caller has checked), where the citizen goes on to.

    An address that already has an account (in any letter case) gets exactly the same answer, so
    the form does not tell who is registered: nothing is created or changed, and the holder of the
    address is mailed instead that someone tried to register with it (as password reset does).
    Returns the new account, or None for a known address."""
    email = normalize_email(email)
    details = _clean_profile(full_name=full_name, phone=phone, id_number=id_number, address=address)
    user = User(email=email, role=Role.CITIZEN, email_verified=False, language=language_supported(language), **details)
    password_check(password, user)
    user.set_password(password)  # hashed for a known address too: both answers take as long
    existing = User.objects.filter(email__iexact=email).first()
    if existing is None:
        try:
            with transaction.atomic():
                user.save(force_insert=True)
        except IntegrityError:  # registered concurrently
            existing = User.objects.filter(email__iexact=email).first()
        else:
            _send_verification_on_commit(user, next_url)
            return user
    if existing is not None and existing.is_active and not existing.email.endswith("@" + SERVICE_ACCOUNT_DOMAIN) \
            and _mail_allowed("registration-attempt", existing):
        transaction.on_commit(partial(mail.send_registration_attempt, existing.pk))
    return None


def _user_from_uid(uidb64: str, *, lock: bool):
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    users = User.objects.select_for_update() if lock else User.objects
    return users.filter(pk=pk).first()


def _verification_user(uidb64: str, token: str, *, lock: bool) -> User:
    """The account a verification link is for, if the link is genuine, unused and in time, and
    the account active; else VerificationExpired or VerificationFailed."""
    user = _user_from_uid(uidb64, lock=lock)
    state = email_verification_token.token_state(user, token) if user is not None else TokenState.INVALID
    if state is TokenState.EXPIRED:
        raise VerificationExpired()
    if state is not TokenState.VALID or not user.is_active:
        raise VerificationFailed()
    return user


def email_verification_check(*, uidb64: str, token: str) -> User:
    """Whether a verification link works, changing nothing. Opening the link only checks it: mail
    scanners and link previews open links before the person does, so verifying takes a POST."""
    return _verification_user(uidb64, token, lock=False)


@transaction.atomic
def email_verify(*, uidb64: str, token: str) -> User:
    """Confirm the address of a verification link: marks it verified. The row is locked while the
    token is checked, so a link works exactly once even when confirmed twice at the same time."""
    user = _verification_user(uidb64, token, lock=True)
    user.email_verified = True
    user.save(update_fields=["email_verified"])
    return user


@transaction.atomic
def email_verification_resend(*, email: str, next_url: str = "") -> None:
    """Mail a new link to an unverified citizen account, at most once a minute per account. The
    link carries ``next_url`` (a local address the caller has checked), as the first one did.

    Says nothing about whether the address has an account: the page answers the same either way."""
    try:
        email = normalize_email(email)
    except AccountError:
        return
    user = User.objects.filter(email__iexact=email, role=Role.CITIZEN, email_verified=False, is_active=True).first()
    if user is None:
        return
    if not _mail_allowed("verification-sent", user):
        return
    _send_verification_on_commit(user, next_url)


@transaction.atomic
def user_password_reset(*, user, password: str, ip: str | None = None) -> User:
    """Set a new password from a reset link. The link reached the mailbox, so the address
    counts as verified from now on. Every other session of the account ends (Django checks
    the password's hash on each request)."""
    password_check(password, user)
    user.set_password(password)
    user.email_verified = True
    user.save(update_fields=["password", "email_verified"])
    signals.password_changed.send(sender=__name__, user=user, ip=ip, reset=True)
    return user


@transaction.atomic
def user_password_change(*, user, current_password: str, password: str, ip: str | None = None) -> User:
    """A signed-in person chooses a new password, giving the current one. Every other session of
    the account ends; the caller keeps the current one (update_session_auth_hash)."""
    if not user.check_password(current_password):
        raise AccountError(_("Your current password is not right. Enter it again."), field="old_password")
    password_check(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    signals.password_changed.send(sender=__name__, user=user, ip=ip, reset=False)
    return user


def _clean_profile(**values) -> dict:
    cleaned, errors = {}, {}
    for name, value in values.items():
        value = " ".join((value or "").split())
        for validator in PROFILE_VALIDATORS.get(name, ()):
            try:
                validator(value)
            except ValidationError as exc:
                errors.setdefault(name, []).extend(exc.messages)
        cleaned[name] = value
    if errors:
        raise InvalidProfile(errors)
    return cleaned


@transaction.atomic
def citizen_profile_update(*, user, full_name: str, phone: str = "", id_number: str = "", address: str = "") -> User:
    """Save the details a citizen gives once and every combined form reuses. A rename reaches
    the reviews through approvals.applicants.applicant_profile_update, which calls this. Once the
    identity is verified (by an identity service or at a counter), the identity number stays."""
    if not user.is_citizen:
        raise AccountError(_("Only citizens keep a profile here."))
    details = _clean_profile(full_name=full_name, phone=phone, id_number=id_number, address=address)
    if user.identity_verified and details["id_number"].upper() != user.id_number.upper():
        raise InvalidProfile({"id_number": [_(
            "Your identity number was verified by %(verifier)s and cannot be changed here. If it is wrong, contact "
            "the help desk."
        ) % {"verifier": user.identity_verified_by or _("the portal")}]})
    if user.identity_verified:
        details["id_number"] = user.id_number  # as it was verified, whatever the letter case typed
    for name, value in details.items():
        setattr(user, name, value)
    user.save(update_fields=list(details))
    return user


def language_supported(code: str | None) -> str:
    """One of the portal's languages for a language code ("zh-Hans", "zh-hans", "en-gb" ...)."""
    try:
        return translation.get_supported_language_variant((code or "").lower())
    except LookupError:
        return settings.LANGUAGE_CODE


def user_set_language(*, user, language: str) -> None:
    """Remember the language a signed-in person chose, for the mail the portal sends them."""
    language = language_supported(language)
    if user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


def user_set_large_text(*, user, on: bool) -> None:
    """Remember the larger-text mode a signed-in person chose in the header."""
    if user.large_text != on:
        User.objects.filter(pk=user.pk).update(large_text=on)
        user.large_text = on
