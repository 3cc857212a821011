"""Writes of the API app: tokens and webhook subscriptions. Webhook delivery is in webhooks.py."""

import hashlib
import re
import secrets
import uuid

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import SERVICE_ACCOUNT_DOMAIN, Role
from audit.models import Action
from audit.services import Event, audit_record
from core.errors import ValidationFailed
from departments.models import Department, Membership, MembershipRole
from departments.staff_events import staff_change_events

from .models import ApiToken, TokenKind, WebhookEvent, WebhookSubscription

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
                     created_by=None) -> tuple[ApiToken, str]:
    """A new token and its clear text, which is never stored and cannot be shown again."""
    name = _clean_name(name)
    if kind == TokenKind.DEPARTMENT:
        if department is None:
            raise ValidationFailed({"department": [_("Choose the department.")]})
        user = _service_account(label=f"dept-{department.code}", department=department,
                                full_name=_("%(department)s system: %(name)s") % {"department": department.code, "name": name})
        # The system's account is an officer of the department: on record like any staff change.
        audit_record(*staff_change_events([user], {user.pk: None}, {user.pk: {}}, actor=created_by,
                                          department_code=department.code))
    elif kind == TokenKind.FRONT_DESK:
        user = _service_account(label="desk", department=None,
                                full_name=_("Front desk: %(name)s") % {"name": name})
    elif kind == TokenKind.CITIZEN:
        if user is None or user.role != Role.CITIZEN:
            raise ValidationFailed({"user": [_("Only a citizen account can have a citizen token.")]})
    else:
        raise ValidationFailed({"kind": [_("Unknown kind of token.")]})
    prefix = secrets.token_hex(5)
    clear = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(name=name, kind=kind, prefix=prefix, digest=token_digest(clear), user=user,
                                    department=department if kind == TokenKind.DEPARTMENT else None)
    audit_record(Event(action=Action.API_TOKEN_CREATED, object_type="api_token", object_id=token.pk,
                       actor=created_by or (user if kind == TokenKind.CITIZEN else None),
                       department_code=department.code if department else "",
                       details={"kind": kind, "prefix": prefix, "name": name}))
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
    """The active token with this clear text, or None (unknown, malformed or revoked)."""
    if not clear.startswith(TOKEN_PREFIX) or len(clear) > 200:
        return None
    token = (ApiToken.objects.select_related("user", "department")
             .filter(digest=token_digest(clear), revoked_at__isnull=True, user__is_active=True).first())
    if token is None:
        return None
    now = timezone.now()
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


@transaction.atomic
def webhook_subscribe(*, department: Department, url: str, events: list[str]) -> WebhookSubscription:
    events = list(dict.fromkeys(events or []))
    errors = {}
    if not events:
        errors["events"] = [_("Choose at least one event.")]
    elif stray := [e for e in events if e not in WebhookEvent.values]:
        errors["events"] = [_("Unknown events: %(events)s.") % {"events": ", ".join(map(str, stray))}]
    if not str(url).lower().startswith(("http://", "https://")):
        errors["url"] = [_("Give an http or https address.")]
    if errors:
        raise ValidationFailed(errors)
    return WebhookSubscription.objects.create(department=department, url=url, events=events,
                                              secret=f"whsec_{secrets.token_urlsafe(32)}")


@transaction.atomic
def webhook_unsubscribe(*, department: Department, subscription_id: int) -> None:
    WebhookSubscription.objects.filter(department=department, pk=subscription_id).get().delete()
