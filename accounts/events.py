"""The audit events of a person's account that have no Django signal of their own: a second
factor added or removed, a recovery code used, a person confirming it is them again.

accounts sits beside the audit log and never imports it: ``record`` sends
``accounts.signals.account_event``, which portal.auth_audit writes to the audit log in the
caller's transaction (the event commits or rolls back with the change it describes)."""

from django.core.exceptions import ImproperlyConfigured

from . import signals


def record(action: str, *, user, actor, ip: str | None = None, details: dict | None = None) -> None:
    """Record the event ``action`` (a member name of ``audit.models.Action``) about ``user``'s
    account; ``actor`` is who did it (the person themselves, an administrator, or None for a
    command run by the deployment)."""
    if not signals.account_event.has_listeners():
        # An event nobody records would vanish: refuse instead (portal.auth_audit connects at start-up).
        raise ImproperlyConfigured("Nothing records accounts.signals.account_event (portal.auth_audit does).")
    signals.account_event.send(sender=None, action=action, user=user, actor=actor, ip=ip, details=details or {})
