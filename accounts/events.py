"""The audit events accounts write: a second factor added or removed, a recovery code used, a
person confirming it is them again.

accounts and audit sit side by side in the layers and never import each other, so accounts
names the audit action (a member name of ``audit.models.Action``) and the project hands in the
writer once, at start-up (``portal.apps.PortalConfig.ready``). The writer appends to the audit
log in the caller's transaction, like every audit write: the event commits or rolls back with
the change it describes."""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

_writer: Callable[..., None] | None = None


def connect(writer: Callable[..., None]) -> None:
    """``writer(action=, user=, actor=, ip=, details=)`` appends one audit event."""
    global _writer
    _writer = writer


def record(action: str, *, user, actor, ip: str | None = None, details: dict | None = None) -> None:
    """Append the event ``action`` about ``user``'s account; ``actor`` is who did it (the person
    themselves, an administrator, or None for a command run by the deployment)."""
    if _writer is None:
        raise ImproperlyConfigured("No audit writer is connected to accounts.events (portal.apps does it).")
    _writer(action=action, user=user, actor=actor, ip=ip, details=details or {})
