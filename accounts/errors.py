"""Domain errors of accounts. Views, forms and commands turn them into a message, never a 500."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class AccountError(ValueError):
    """A refused account change. ``field`` names the input the problem is about (or None),
    ``messages`` lists every problem found (a password can break several rules at once)."""

    default_message = _("This change to the account is not possible.")
    field: str | None = None

    def __init__(self, message=None, *, field=None, messages=None):
        self.messages = list(messages) if messages else [message or self.default_message]
        self.message = self.messages[0]
        if field is not None:
            self.field = field
        super().__init__(" ".join(str(m) for m in self.messages))


class WeakPassword(AccountError):
    default_message = _("This password is not strong enough.")
    field = "password"


class UnknownRole(AccountError):
    field = "role"


class UnknownDepartment(AccountError):
    field = "departments"


class InvalidProfile(AccountError):
    """Some details were refused; ``errors`` maps each field to its messages."""

    default_message = _("Some details need your attention.")

    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__(messages=[m for messages in errors.values() for m in messages])


class VerificationFailed(AccountError):
    default_message = _(
        "This verification link is not valid or has already been used. If your email address is already "
        "verified, sign in; otherwise ask for a new link."
    )


class VerificationExpired(VerificationFailed):
    default_message = _("This verification link has expired. Ask for a new one below.")


class IdentityServiceError(AccountError):
    """The identity service's answer cannot be used (not answering, a sign-in not started here or
    already finished, a token that does not verify, details that are not valid): nobody is signed
    in and nothing is written."""

    default_message = _("The sign-in with the identity service could not be completed. Start it again.")


class IdentityRefused(AccountError):
    """The identity is genuine but cannot be bound to an account (see accounts.identities)."""


# --- Walk-ins registered at a front desk (accounts.counter) --------------------------------------


class DocumentAlreadyVerified(AccountError):
    """Another account already has this identity document verified; its details stay private."""

    default_message = _(
        "This identity document is already verified on another account, so no new account was made. The citizen "
        "may already have one: ask them to sign in with the national e-ID or their e-mail address, and file for "
        "that account."
    )
    field = "document_number"


class EmailHasAccount(AccountError):
    default_message = _(
        "A citizen account already uses this e-mail address, so no new account was made. File for the citizen "
        "with this address (applicant_email) and their signed consent."
    )
    field = "email"


class NotRegisteredHere(AccountError):
    default_message = _("No citizen registered at this front desk has this id.")


class ClaimFailed(AccountError):
    default_message = _(
        "This link or code is not valid, or it has already been used. If you have set a password already, sign "
        "in; otherwise ask the front desk for a new letter."
    )
    field = "code"


class ClaimExpired(ClaimFailed):
    default_message = _("This link or code has expired. Ask the front desk for a new letter.")


class AlreadyClaimed(ClaimFailed):
    default_message = _("This account already has a password: sign in with it, or reset it if you forgot it.")


# --- Second factor ------------------------------------------------------------------------------


class WrongCode(AccountError):
    default_message = _("That code is not right, or it has been used already. Enter the code your app shows now.")
    field = "code"


class WrongRecoveryCode(WrongCode):
    default_message = _("That recovery code is not right, or it has been used already. Each code works once.")


class WrongPassword(AccountError):
    default_message = _("That password is not right.")
    field = "password"


class TooManyCodes(AccountError):
    """Wrong codes in a row slow the device down (django-otp: 1, 2, 4, 8 … seconds)."""

    field = "code"

    def __init__(self, seconds: int):
        self.seconds = max(int(seconds), 1)
        super().__init__(ngettext(
            "Too many wrong codes. Wait %(seconds)d second, then try again.",
            "Too many wrong codes. Wait %(seconds)d seconds, then try again.", self.seconds,
        ) % {"seconds": self.seconds})


class InvalidTotpSecret(AccountError):
    default_message = _("The TOTP secret must be base32 (the letters A to Z and the digits 2 to 7) of 16 to 64 "
                        "characters.")
    field = "totp_secret"


class LastFactor(AccountError):
    default_message = _("This is your only way to confirm it is you. Add another one before you remove it.")
