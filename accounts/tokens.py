"""Single-use, expiring links for email verification, built on Django's reset-token machinery.

The hash covers the account's email address and its ``email_verified`` flag, so a link stops
working once it has been used (the flag changed) or the address changed."""

import enum

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int
from django.utils.translation import ngettext

DEFAULT_EMAIL_VERIFICATION_TIMEOUT = 24 * 3600


class TokenState(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


def verification_timeout() -> int:
    """Seconds a verification link stays valid (settings.EMAIL_VERIFICATION_TIMEOUT, default 24 hours):
    confirming it signs the citizen in, so it is kept short."""
    return int(getattr(settings, "EMAIL_VERIFICATION_TIMEOUT", DEFAULT_EMAIL_VERIFICATION_TIMEOUT))


def verification_timeout_text() -> str:
    """The validity of a link in words, for mails and pages: hours up to two days ("24 hours")."""
    return duration_text(verification_timeout())


def duration_text(seconds: int) -> str:
    """A link's validity in words: hours up to two days ("24 hours"), then whole days ("3 days")."""
    if seconds >= 2 * 86400 and seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    hours = max(1, seconds // 3600)
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}|{user.email.lower()}|{int(user.email_verified)}|{timestamp}"

    def check_token(self, user, token):
        return self.token_state(user, token) is TokenState.VALID

    def token_state(self, user, token) -> TokenState:
        """Whether ``token`` is a genuine, unused link for ``user``, and if so whether it is
        still within the timeout. An altered or used link is INVALID, whatever its age."""
        if not (user and token):
            return TokenState.INVALID
        try:
            ts_b36, _hash = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return TokenState.INVALID
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token):
                break
        else:
            return TokenState.INVALID
        if self._num_seconds(self._now()) - timestamp > verification_timeout():
            return TokenState.EXPIRED
        return TokenState.VALID


email_verification_token = EmailVerificationTokenGenerator()


class StaffPasswordResetTokenGenerator(PasswordResetTokenGenerator):
    """A staff member's reset link works for STAFF_PASSWORD_RESET_TIMEOUT (an hour), however long
    Django's PASSWORD_RESET_TIMEOUT (the citizens') is: a staff account opens other people's data."""

    def check_token(self, user, token):
        if not super().check_token(user, token):
            return False
        timestamp = base36_to_int(token.split("-")[0])
        return self._num_seconds(self._now()) - timestamp <= settings.STAFF_PASSWORD_RESET_TIMEOUT


# Both make the same links; each checks its role's lifetime.
citizen_password_reset_token = PasswordResetTokenGenerator()
staff_password_reset_token = StaffPasswordResetTokenGenerator()


def password_reset_token_for(user) -> PasswordResetTokenGenerator:
    return citizen_password_reset_token if user is None or user.is_citizen else staff_password_reset_token


def password_reset_valid_for(user) -> str:
    """How long a reset link for ``user`` works, in words ("1 hour", "3 days")."""
    seconds = settings.PASSWORD_RESET_TIMEOUT if user.is_citizen else settings.STAFF_PASSWORD_RESET_TIMEOUT
    return duration_text(seconds)
