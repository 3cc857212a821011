"""Account mails: verification, the warning to the holder of an address someone tried to
register again, and the link with which a citizen registered at a front desk claims the account.
Built after commit (a mail never announces an account that was rolled back), in the language the
citizen used or, for the holder of an address, their own; never to a reserved address. A failed
send is logged, not raised; the citizen can ask for a new link."""

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import mailable
from .tokens import duration_text, email_verification_token, verification_timeout_text

log = logging.getLogger(__name__)


def verification_url(user, next_url: str = "") -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = email_verification_token.make_token(user)
    url = settings.SITE_URL + reverse("accounts:verify", kwargs={"uidb64": uidb64, "token": token})
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def user_message(user, template: str, **context) -> EmailMessage:
    """The mail of ``template`` (``<app>/email/<name>``: its ``_subject.txt`` and ``_body.txt``)
    to ``user``, rendered in the active language."""
    context = {"user": user, "SITE_URL": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}_body.txt", context)
    return EmailMessage(subject=subject, body=body, to=[user.email])


def _message(template: str, user, **context) -> EmailMessage:
    return user_message(user, f"accounts/email/{template}", **context)


def verification_message(user, next_url: str = "") -> EmailMessage:
    return _message("verify", user, url=verification_url(user, next_url), valid_for=verification_timeout_text())


def send_user_mail(user_id: int, language: str | None, build, **filters) -> str:
    """Send ``build(user)`` to the active user (matching ``filters``), written in ``language`` or
    else their own: "sent", "no_address" (gone, or a reserved address) or "failed" (logged)."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True, **filters).first()
    if user is None or not mailable(user.email):
        return "no_address"
    try:
        with translation.override(language or user.language):
            message = build(user)
        message.send()
    except Exception:
        log.exception("%s mail to user %s failed", build.__name__, user_id)
        return "failed"
    return "sent"


def send_verification(user_id: int, language: str, next_url: str = "") -> None:
    def verification(user):
        return verification_message(user, next_url)

    send_user_mail(user_id, language, verification, email_verified=False)


def registration_attempt_message(user) -> EmailMessage:
    return _message("registration_attempt", user, login_url=settings.SITE_URL + reverse("accounts:login"),
                    reset_url=settings.SITE_URL + reverse("accounts:password_reset"))


def send_registration_attempt(user_id: int) -> None:
    """Tell the holder of an address that someone tried to register with it, in their language."""
    send_user_mail(user_id, None, registration_attempt_message)


def claim_url(code: str) -> str:
    """The address of a claim code (mailed, or printed on the desk's letter)."""
    return settings.SITE_URL + reverse("accounts:claim_link", kwargs={"code": code})


def claim_message(user, code: str, valid_for: str) -> EmailMessage:
    return _message("claim", user, url=claim_url(code), valid_for=valid_for)


def send_claim(user_id: int, code: str, language: str, valid_seconds: int) -> None:
    """The claim link for a citizen registered at a front desk, who gave this address there. The
    clear code lives only in this mail (the database keeps its digest)."""

    def claim(user):
        return claim_message(user, code, duration_text(valid_seconds))

    send_user_mail(user_id, language, claim, email_verified=False)
