"""Account mails (verification). Built in the language the citizen used and sent after commit:
a mail never announces an account that was rolled back. A failed send is logged, not raised;
the citizen can ask for a new link."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .tokens import email_verification_token, verification_timeout_text

log = logging.getLogger(__name__)


def verification_url(user) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = email_verification_token.make_token(user)
    return settings.SITE_URL + reverse("accounts:verify", kwargs={"uidb64": uidb64, "token": token})


def verification_message(user) -> EmailMessage:
    context = {"user": user, "url": verification_url(user), "valid_for": verification_timeout_text(),
               "SITE_URL": settings.SITE_URL}
    subject = " ".join(render_to_string("accounts/email/verify_subject.txt", context).split())
    body = render_to_string("accounts/email/verify_body.txt", context)
    return EmailMessage(subject=subject, body=body, to=[user.email])


def send_verification(user_id: int, language: str) -> None:
    user = get_user_model().objects.filter(pk=user_id, email_verified=False, is_active=True).first()
    if user is None:
        return
    try:
        with translation.override(language):
            message = verification_message(user)
        message.send()
    except Exception:
        log.exception("verification mail to user %s failed", user_id)
