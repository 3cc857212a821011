"""Writes of the API app: tokens and webhook subscriptions. Webhook delivery is in webhooks.py."""

import hashlib
import re
import secrets
import uuid
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import SERVICE_ACCOUNT_DOMAIN, Role
from audit.models import Action
from audit.services import Event, audit_record
from core.errors import ValidationFailed, WorkflowError
from departments.models import Department, Membership, MembershipRole
from departments.staff_events import staff_change_events

from .acting import token_actor
from .models import ApiToken, TokenKind, WebhookEvent, WebhookSubscription
from .scopes import scopes_of_kind
from .webhook_secrets import new_secret, secret_seal
from .webhook_targets import TargetRefused, webhook_target

TOKEN_PREFIX = "pt_"  # noqa: S105  (the marker of a portal token, not a secret)
TOKEN_SHAPE = re.compile(r"pt_([0-9a-f]{10})_")  # the marker, the token's public prefix, then the secret
NAME_MAX_LENGTH = 100


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": [_("Give the token a name.")]})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed({"name": [_("Keep the name to %(max)s characters or fewer.") % {"max": NAME_MAX_LENGTH}]})
    return name


class TokenExpired(WorkflowError):
    """A known, unrevoked token past its expiry (``prefix`` names it)."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        super().__init__()


def _clean_lifetime(days) -> int:
    """Days the token works: at most API_TOKEN_LIFETIME_DAYS (the default), never unlimited."""
    longest = settings.API_TOKEN_LIFETIME_DAYS
    if days in (None, ""):
        return longest
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= longest:
        raise ValidationFailed({"lifetime_days": [
            _("Give a number of days from 1 to %(max)s.") % {"max": longest}]})
    return days


def _clean_scopes(kind: str, scopes) -> list[str]:
    """The scopes asked for, in the table's order; none asked for: all of the kind's."""
    allowed = scopes_of_kind(kind)
    if scopes is None:
        return list(allowed)
    asked = {scopes} if isinstance(scopes, str) else {str(s) for s in scopes}
    if not asked:
        raise ValidationFailed({"scopes": [_("Choose at least one scope.")]})
    if stray := sorted(asked - set(allowed)):
        raise ValidationFailed({"scopes": [
            _("A token of this kind cannot have these scopes: %(scopes)s.") % {"scopes": ", ".join(stray)}]})
    return [s for s in allowed if s in asked]


def _service_account(*, label: str, full_name: str, department: Department | None):
    """A user the token acts as: never signs in (no usable password), a member of the
    department for a department system, so the engine applies its ordinary rules."""
    user = get_user_model().objects.create_user(
        email=f"{label}-{uuid.uuid4().hex[:12]}@{SERVICE_ACCOUNT_DOMAIN}", full_name=full_name[:150],
        role=Role.OFFICER if department else Role.CITIZEN, email_verified=True,
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    if department is not None:
        Membership.objects.create(user=user, department=department, role=MembershipRole.OFFICER)
    return user


@transaction.atomic
def api_token_create(*, kind: str, name: str, user=None, department: Department | None = None,
                     created_by=None, lifetime_days: int | None = None,
                     scopes: list[str] | None = None) -> tuple[ApiToken, str]:
    """A new token and its clear text, which is never stored and cannot be shown again. It works
    for ``lifetime_days`` (at most, and by default, API_TOKEN_LIFETIME_DAYS) and for ``scopes``
    (by default every scope of its kind, api.scopes)."""
    name = _clean_name(name)
    if kind not in TokenKind.values:
        raise ValidationFailed({"kind": [_("Unknown kind of token.")]})
    lifetime_days = _clean_lifetime(lifetime_days)
    scopes = _clean_scopes(kind, scopes)
    if kind == TokenKind.DEPARTMENT:
        if department is None:
            raise ValidationFailed({"department": [_("Choose the department.")]})
        # Named after the department, as the citizen ("who viewed my data") and its officers read it.
        user = _service_account(label=f"dept-{department.code}", department=department,
                                full_name=_("%(department)s system: %(name)s") % {
                                    "department": department.display_name, "name": name})
        # The system's account is an officer of the department: on record like any staff change.
        audit_record(*staff_change_events([user], {user.pk: None}, {user.pk: {}}, actor=created_by,
                                          department_code=department.code))
    elif kind == TokenKind.FRONT_DESK:
        user = _service_account(label="desk", department=None,
                                full_name=_("Front desk: %(name)s") % {"name": name})
    elif kind == TokenKind.CITIZEN:
        if user is None or user.role != Role.CITIZEN:
            raise ValidationFailed({"user": [_("Only a citizen account can have a citizen token.")]})
    prefix = secrets.token_hex(5)
    clear = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    now = timezone.now()
    token = ApiToken.objects.create(name=name, kind=kind, prefix=prefix, digest=token_digest(clear), user=user,
                                    department=department if kind == TokenKind.DEPARTMENT else None,
                                    created_at=now, expires_at=now + timedelta(days=lifetime_days), scopes=scopes,
                                    created_by=created_by)
    audit_record(Event(action=Action.API_TOKEN_CREATED, object_type="api_token", object_id=token.pk,
                       actor=created_by or (user if kind == TokenKind.CITIZEN else None),
                       department_code=department.code if department else "",
                       details={"kind": kind, "prefix": prefix, "name": name, "scopes": scopes,
                                "expires_at": token.expires_at.isoformat()}))
    return token, clear


@transaction.atomic
def api_token_revoke(*, token_id: int, actor=None, owner=None) -> ApiToken:
    """Revoke a token (at once: the next request with it answers 401). ``owner`` limits the
    token to one user's own (a citizen revoking from the profile page)."""
    tokens = ApiToken.objects.select_for_update()
    if owner is not None:
        tokens = tokens.filter(user=owner, kind=TokenKind.CITIZEN)
    token = tokens.get(pk=token_id)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(Event(action=Action.API_TOKEN_REVOKED, object_type="api_token", object_id=token.pk, actor=actor,
                           department_code=token.department.code if token.department_id else "",
                           details={"prefix": token.prefix, "name": token.name}))
    return token


def api_token_authenticate(clear: str) -> ApiToken | None:
    """The active token with this clear text, or None (unknown, malformed or revoked); raises
    TokenExpired for one past its expiry."""
    if not clear.startswith(TOKEN_PREFIX) or len(clear) > 200:
        return None
    token = (ApiToken.objects.select_related("user", "department")
             .filter(digest=token_digest(clear), revoked_at__isnull=True, user__is_active=True).first())
    if token is None:
        return None
    now = timezone.now()
    if token.expires_at <= now:
        raise TokenExpired(token.prefix)
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)  # at most once a minute per token
    return token


def api_token_refusal(clear: str) -> dict:
    """Why ``api_token_authenticate`` refused ``clear``, for the audit log: {"reason", "prefix"}.
    The reason is "revoked_token", "inactive_account" (its user is deactivated) or
    "unknown_token"; the prefix is the token's public part when ``clear`` has a token's shape
    (it names the token, as the token list does; the secret part is never kept)."""
    match = TOKEN_SHAPE.match(clear)
    prefix = match.group(1) if match else ""
    row = None
    if prefix and len(clear) <= 200:
        row = ApiToken.objects.filter(digest=token_digest(clear)).values_list("revoked_at", "user__is_active").first()
    if row is not None and row[0] is not None:
        reason = "revoked_token"
    elif row is not None and not row[1]:
        reason = "inactive_account"
    else:
        reason = "unknown_token"
    return {"reason": reason, "prefix": prefix}


def _webhook_event(action: str, sub: WebhookSubscription, token, **details) -> Event:
    """A change of a subscription, by ``token`` (the department system's: api.acting), on record.
    The address without its query, fragment or credentials: a receiver may carry a key in them."""
    parts = urlsplit(sub.url)
    url = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))
    event = Event(action=action, object_type="webhook", object_id=sub.pk, department_code=sub.department.code,
                  details={"url": url, **details})
    return token_actor(token).stamp(event) if token is not None else event


def webhook_subscribe(*, department: Department, url: str, events: list[str], token=None) -> tuple[WebhookSubscription, str]:
    """A new subscription and its signing secret, which is stored only encrypted and cannot be
    shown again. The address must be one webhooks may go to (api.webhook_targets), and the
    department may have at most API_WEBHOOK_MAX_PER_DEPARTMENT active subscriptions."""
    events = list(dict.fromkeys(events or []))
    errors = {}
    if not events:
        errors["events"] = [_("Choose at least one event.")]
    elif stray := [e for e in events if e not in WebhookEvent.values]:
        errors["events"] = [_("Unknown events: %(events)s.") % {"events": ", ".join(map(str, stray))}]
    url = str(url or "").strip()
    try:
        webhook_target(url)  # looked up before the lock below is taken, never while holding it
    except TargetRefused as refused:
        errors["url"] = [refused.message]
    if errors:
        raise ValidationFailed(errors)
    return _subscription_create(department=department, url=url, events=events, token=token)


@transaction.atomic
def _subscription_create(*, department: Department, url: str, events: list[str], token) -> tuple[WebhookSubscription, str]:
    # The department's row lock serializes its subscribes, so two at the last place cannot both
    # count one free (NO KEY: rows that point at the department are still inserted meanwhile).
    Department.objects.select_for_update(no_key=True).filter(pk=department.pk).first()
    cap = settings.API_WEBHOOK_MAX_PER_DEPARTMENT
    if WebhookSubscription.objects.filter(department=department, active=True).count() >= cap:
        raise ValidationFailed({}, _("Your department already has %(max)s active webhook subscriptions, the most "
                                     "allowed; delete one first.") % {"max": cap})
    secret = new_secret()
    sub = WebhookSubscription.objects.create(department=department, url=url, events=events,
                                             secret_sealed=secret_seal(secret))
    audit_record(_webhook_event(Action.WEBHOOK_SUBSCRIBED, sub, token, events=events))
    return sub, secret


@transaction.atomic
def webhook_rotate_secret(*, department: Department, subscription_id: int, token=None) -> tuple[WebhookSubscription, str]:
    """A new signing secret for the department's subscription, shown once; deliveries sent from
    now on are signed with it."""
    sub = WebhookSubscription.objects.select_for_update().get(department=department, pk=subscription_id)
    secret = new_secret()
    sub.secret_sealed = secret_seal(secret)
    sub.save(update_fields=["secret_sealed"])
    audit_record(_webhook_event(Action.WEBHOOK_SECRET_ROTATED, sub, token))
    return sub, secret


@transaction.atomic
def webhook_unsubscribe(*, department: Department, subscription_id: int, token=None) -> None:
    sub = WebhookSubscription.objects.select_related("department").get(department=department, pk=subscription_id)
    audit_record(_webhook_event(Action.WEBHOOK_UNSUBSCRIBED, sub, token))
    sub.delete()
