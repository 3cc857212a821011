"""Warnings before an API token expires: beat runs ``api_token_expiry_warn`` daily and mails
whoever must replace the token, API_TOKEN_EXPIRY_WARNING_DAYS before its end (30 and 7 days by
default), once per threshold.

Each mail is claimed by a conditional UPDATE of ``expiry_warned_days`` (the smallest threshold
already warned about), so two beats at once, or a second run the same day, send nothing more. A
scan that was missed catches up: a token found already inside a later window gets that one
warning only. A window that opened before the token was issued (a token made for 20 days is
inside the 30-day one from the start) is skipped: its issuer chose that end. If no recipient's
mail could be sent (the mail server down) the claim is released and the next day's run tries
again."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.mail import send_user_mail, user_message
from accounts.models import Role
from approvals.notifications import department_staff_ids
from departments.models import MembershipRole

from .models import ApiToken, TokenKind

log = logging.getLogger(__name__)


def expiry_recipients(token: ApiToken) -> list[int]:
    """Who is told that ``token`` ends: for a citizen's own token, the citizen. For a department
    system's, the department's supervisors, who answer for its work and its members (the system
    acts as one) and notice first when it stops, with whoever issued it; officers are not mailed,
    as the token is not theirs to replace. For a front desk's, whoever issued it. Nobody of
    these: the portal's administrators, who issue tokens."""
    if token.kind == TokenKind.CITIZEN:
        return [token.user_id]
    ids = department_staff_ids(token.department_id, role=MembershipRole.SUPERVISOR) if token.department_id else []
    if token.created_by_id is not None:
        ids.append(token.created_by_id)
    if not ids:
        ids = list(get_user_model().objects.filter(role=Role.ADMIN, is_active=True).order_by("pk")
                   .values_list("pk", flat=True))
    return list(dict.fromkeys(ids))


def _threshold(token: ApiToken, now, thresholds: list[int]) -> int | None:
    """The warning due for ``token`` now: the nearest threshold it is inside, unless that window
    opened before the token was issued."""
    left = token.expires_at - now
    inside = [days for days in thresholds if left <= timedelta(days=days)]
    if not inside:
        return None
    days = min(inside)
    return days if token.created_at <= token.expires_at - timedelta(days=days) else None


def _claim(token: ApiToken, days: int) -> bool:
    """Take the right to send this threshold's warning (one UPDATE: True for one caller only)."""
    return bool(
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True)
        .filter(Q(expiry_warned_days__isnull=True) | Q(expiry_warned_days__gt=days))
        .update(expiry_warned_days=days)
    )


def _warn(token: ApiToken) -> bool:
    """Mail each recipient in their language; False when every mail failed."""
    context = {"token": token, "tokens_url": settings.SITE_URL + reverse("api:tokens")}

    def token_expiring(user):
        return user_message(user, "api/email/token_expiring", **context)

    results = [send_user_mail(user_id, None, token_expiring) for user_id in expiry_recipients(token)]
    return "failed" not in results or "sent" in results


def api_token_expiry_warn(*, now=None) -> int:
    """Mail the warnings due today; returns how many tokens were warned about."""
    now = now or timezone.now()
    thresholds = sorted(settings.API_TOKEN_EXPIRY_WARNING_DAYS)
    if not thresholds:
        return 0
    candidates = (
        ApiToken.objects.filter(revoked_at__isnull=True, expires_at__gt=now,
                                expires_at__lte=now + timedelta(days=thresholds[-1]))
        .filter(Q(expiry_warned_days__isnull=True) | Q(expiry_warned_days__gt=thresholds[0]))
        .select_related("department").order_by("expires_at", "pk")
    )
    warned = 0
    for token in candidates:
        days = _threshold(token, now, thresholds)
        if days is None or (token.expiry_warned_days is not None and token.expiry_warned_days <= days):
            continue
        if not _claim(token, days):
            continue  # another run sends it
        if _warn(token):
            warned += 1
        else:
            log.warning("expiry warning for API token %s not sent; the next run tries again", token.prefix)
            ApiToken.objects.filter(pk=token.pk, expiry_warned_days=days).update(
                expiry_warned_days=token.expiry_warned_days)
    return warned
