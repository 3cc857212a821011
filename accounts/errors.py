"""Domain errors of accounts. Views, forms and commands turn them into a message, never a 500."""

from django.utils.translation import gettext_lazy as _


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

