"""Reads of the audit log."""

from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Action, AuditEvent

# What a citizen sees under "who viewed my data": staff opening, downloading or deciding on
# their data. Their own actions and the system's are not accesses by someone else.
STAFF_ACCESS_ACTIONS = (
    Action.APPLICATION_VIEWED,
    Action.REVIEW_VIEWED,
    Action.ATTACHMENT_VIEWED,
    Action.REVIEW_APPROVED,
    Action.REVIEW_REJECTED,
    Action.REVIEW_CORRECTION,
    Action.APPLICATION_SHARED,
    Action.SHARE_REVOKED,
)

# The same actions in the words of the person whose data it is.
ACCESS_DESCRIPTIONS = {
    Action.APPLICATION_VIEWED: _("Viewed your application"),
    Action.REVIEW_VIEWED: _("Opened your application to review it"),
    Action.ATTACHMENT_VIEWED: _("Downloaded a document you attached"),
    Action.REVIEW_APPROVED: _("Approved your application for the department"),
    Action.REVIEW_REJECTED: _("Rejected your application for the department"),
    Action.REVIEW_CORRECTION: _("Asked you to correct your application"),
    Action.APPLICATION_SHARED: _("Shared your application with another department for its opinion"),
    Action.SHARE_REVOKED: _("Ended another department's access to your application"),
}

PURPOSES = {
    "review": _("Reviewing the application"),
    "download": _("Reviewing the application"),
    "opinion": _("Giving the reviewing department an opinion"),
    "share": _("Asking another department for an opinion"),
    "share_revoked": _("Ending another department's access"),
    "share_expired": _("Ending another department's access"),
}
DECISIONS = frozenset({Action.REVIEW_APPROVED, Action.REVIEW_REJECTED, Action.REVIEW_CORRECTION})


def staff_accesses(subject_id: int):
    """Every access by someone else to this person's data, newest first, with the actor."""
    return (
        AuditEvent.objects.filter(subject_id=subject_id, action__in=STAFF_ACCESS_ACTIONS, actor__isnull=False)
        .exclude(actor_id=subject_id)
        .select_related("actor")
        .order_by("-at", "-id")
    )


def describe_access(event: AuditEvent) -> str:
    return str(ACCESS_DESCRIPTIONS.get(event.action) or event.get_action_display())


def describe_purpose(event: AuditEvent) -> str:
    if not event.purpose and event.action in DECISIONS:
        return str(_("Deciding on the application"))
    return str(PURPOSES.get(event.purpose, event.purpose))


AUDIT_PAGE = 50


def audit_log(*, actor: str = "", department: str = "", application_id: int | None = None, action: str = "",
              date_from=None, date_to=None, before: int | None = None) -> list[AuditEvent]:
    """A page of the audit log, newest first (keyset on the id: a page costs the same at any depth),
    plus one row to tell whether more follow."""
    query = AuditEvent.objects.select_related("actor")
    if actor:
        query = query.filter(actor__email__iexact=actor.strip())
    if department:
        query = query.filter(department_code=department.strip())
    if application_id is not None:
        query = query.filter(application_id=application_id)
    if action:
        query = query.filter(action=action)
    zone = timezone.get_default_timezone()
    if date_from:
        query = query.filter(at__gte=datetime.combine(date_from, time(), zone))
    if date_to:
        query = query.filter(at__lt=datetime.combine(date_to + timedelta(days=1), time(), zone))
    if before:
        query = query.filter(pk__lt=before)
    return list(query.order_by("-pk")[:AUDIT_PAGE + 1])
