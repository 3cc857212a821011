"""Reads of the audit log."""

from collections.abc import Iterator
from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from . import objects
from .models import Action, AuditEvent, ChainCheck
from .services import API_TOKEN, FRONT_DESK

# What a citizen sees under "who viewed my data": staff and department systems opening,
# downloading or deciding on their data, and everything a front desk did for them
# (audit.services.TokenActor). Their own actions (through their own API token too) and the
# system's are not accesses by someone else.
STAFF_ACCESS_ACTIONS = (
    Action.APPLICATION_VIEWED,
    Action.REVIEW_VIEWED,
    Action.ATTACHMENT_VIEWED,
    Action.REVIEW_APPROVED,
    Action.REVIEW_REJECTED,
    Action.REVIEW_CORRECTION,
    Action.APPLICATION_SHARED,
    Action.SHARE_REVOKED,
    Action.PERSONAL_DATA_VIEWED,
    Action.CERTIFICATE_CHECKED,
    Action.CERTIFICATE_ADDED,
    Action.CERTIFICATE_REVOKED,
    Action.FILING_VIEWED,
    Action.FILING_ACKNOWLEDGED,
    Action.COMPLAINT_VIEWED,
    Action.RECTIFICATION_VIEWED,
)

# A register answering the portal with the person's data for their application: the register is
# the event's actor (no account: ``actor_label``, the register's code in the details).
REGISTER_ACCESS_ACTIONS = (Action.REGISTER_LOOKUP,)
# Someone holding an application's reference and check code saw its progress (no account).
ANONYMOUS_ACCESS_ACTIONS = (Action.PROGRESS_CHECKED,)

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
    Action.PERSONAL_DATA_VIEWED: _("Opened your account and personal details in the administration site"),
    Action.CERTIFICATE_CHECKED: _("Checked whether one of your e-certificates is valid"),
    Action.CERTIFICATE_ADDED: _("Added an e-certificate it issued to your wallet"),
    Action.CERTIFICATE_REVOKED: _("Revoked an e-certificate it issued to you"),
    Action.FILING_VIEWED: _("Read what it is told of your approved application"),
    Action.FILING_ACKNOWLEDGED: _("Acknowledged being told of your approved application"),
    Action.PROGRESS_CHECKED: _("Checked the progress of your application with its reference and check code"),
    Action.COMPLAINT_VIEWED: _("Opened your complaint to handle it"),
    Action.RECTIFICATION_VIEWED: _("Opened your application to answer your rating"),
    # What a front desk does for the citizen.
    Action.IDENTITY_VERIFIED: _("Verified your identity in person"),
    Action.CLAIM_LETTER_PRINTED: _("Printed a letter to claim your account"),
    Action.APPLICATION_CREATED: _("Started an application for you, with your signed consent"),
    Action.ANSWERS_SAVED: _("Saved answers on your application"),
    Action.ATTACHMENT_UPLOADED: _("Uploaded a document to your application"),
    Action.APPLICATION_SUBMITTED: _("Submitted your application"),
    Action.APPLICATION_RESUBMITTED: _("Sent your corrections"),
    Action.REVIEW_REOPENED: _("Sent your corrections to the department"),
}

PURPOSES = {
    "review": _("Reviewing the application"),
    "download": _("Reviewing the application"),
    "opinion": _("Giving the reviewing department an opinion"),
    "opinion_file": _("Reading a department's opinion on the application"),
    "share": _("Asking another department for an opinion"),
    "share_revoked": _("Ending another department's access"),
    "share_expired": _("Ending another department's access"),
    "audit": _("Auditing"),
    "supervision": _("Supervising the departments"),
    "administration": _("Administering the portal's accounts"),
    "api": _("Reviewing the application, through the department's system"),
    "counter": _("Serving you at a front desk"),
    "certificate_issue": _("Keeping the register of the certificates it issues"),
    "certificate_check": _("Checking a certificate of yours, with your consent or as its issuer"),
    "filing": _("Being told of your approved application (filing after approval)"),
    "rectification": _("Answering your rating of the service"),
    "register_lookup": _("Filling in your application from the registers the government keeps"),
    "certificate_reuse": _("Using what the government already holds instead of asking you for it"),
    "complaint": _("Handling your complaint"),
    "finance": _("Handling your payment"),
}
DECISIONS = frozenset({Action.REVIEW_APPROVED, Action.REVIEW_REJECTED, Action.REVIEW_CORRECTION})


def staff_accesses(subject_id: int):
    """Every access by someone else to this person's data, everything a front desk did for them,
    every register that answered the portal with their data and every certificate of theirs used
    as evidence, newest first, with the actor."""
    by_people = (Q(action__in=STAFF_ACCESS_ACTIONS) | Q(details__has_key=FRONT_DESK)) & Q(actor__isnull=False)
    # A certificate of theirs used as evidence is listed although the citizen's own act: what is
    # told is that the issuing department's record stood in for a document (approvals.evidence).
    reused = Q(action=Action.CERTIFICATE_USED)
    return (
        AuditEvent.objects.filter(by_people | reused | Q(action__in=(*REGISTER_ACCESS_ACTIONS, *ANONYMOUS_ACCESS_ACTIONS)),
                                  subject_id=subject_id)
        .exclude(Q(actor_id=subject_id) & ~reused)
        .select_related("actor")
        .order_by("-at", "-id")
    )


def front_desk_name(event: AuditEvent) -> str:
    """"Front desk: <its name>" for what a front desk did, else ""."""
    name = event.details.get(FRONT_DESK) if isinstance(event.details, dict) else None
    return gettext("Front desk: %(name)s") % {"name": name} if name else ""


def department_system(event: AuditEvent) -> bool:
    """Whether a department's system did it, through its API token: a token's act that is no
    front desk's (a citizen's own token acts as the citizen, whose own acts are not listed)."""
    details = event.details if isinstance(event.details, dict) else {}
    return API_TOKEN in details and FRONT_DESK not in details


# A file a department gave with its opinion on the application, not one the person attached.
OPINION_FILE = "opinionattachment"


def describe_access(event: AuditEvent) -> str:
    if event.action == Action.ATTACHMENT_VIEWED and event.object_type == OPINION_FILE:
        return str(_("Downloaded a file a department gave with its opinion on your application"))
    return str(ACCESS_DESCRIPTIONS.get(event.action) or event.get_action_display())


def describe_purpose(event: AuditEvent) -> str:
    if not event.purpose and event.action in DECISIONS:
        return str(_("Deciding on the application"))
    return str(PURPOSES.get(event.purpose, event.purpose))


AUDIT_PAGE = 50
EXPORT_CHUNK = 1000

# The kinds of object the log names that have no reader of their own.
OBJECT_TYPES = {
    "attachment": pgettext_lazy("audit object", "Attachment"),
    OPINION_FILE: pgettext_lazy("audit object", "File of an opinion"),
    "applicationshare": pgettext_lazy("audit object", "Sharing"),
    "dashboard": pgettext_lazy("audit object", "Dashboard"),
    "audit_log": pgettext_lazy("audit object", "Audit log"),
    "api_token": pgettext_lazy("audit object", "API token"),
    "department": pgettext_lazy("audit object", "Department"),
    "url": pgettext_lazy("audit object", "Address"),
    "user": pgettext_lazy("audit object", "Account"),
    "address": pgettext_lazy("audit object", "Network address"),
    "chain_check": pgettext_lazy("audit object", "Chain check"),
    "certificate": pgettext_lazy("audit object", "E-certificate"),
    "complaint": pgettext_lazy("audit object", "Complaint"),
}
# Pages that were looked at or exported, by the name their events record.
PAGES = {
    "log": _("Audit log"),
    "export": _("Audit log, downloaded as CSV"),
    "dashboard": _("Dashboard"),
    "scorecard": _("Department scorecard"),
    "bottlenecks": _("Bottlenecks"),
    "overdue": _("Overdue reviews"),
    "oldest": _("Oldest open reviews"),
}


def _filtered(*, actor: str = "", department: str = "", application_id: int | None = None, action: str = "",
              date_from=None, date_to=None):
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
    return query


def audit_log(*, before: int | None = None, **filters) -> list[AuditEvent]:
    """A page of the audit log, newest first (keyset on the id: a page costs the same at any depth),
    plus one row to tell whether more follow; every event named (``name_events``)."""
    query = _filtered(**filters)
    if before:
        query = query.filter(pk__lt=before)
    return name_events(list(query.order_by("-pk")[:AUDIT_PAGE + 1]))


def audit_log_all(**filters) -> Iterator[AuditEvent]:
    """Every event the filters select, newest first, read and named a chunk at a time (for a
    streamed export: memory and queries per chunk, not per event)."""
    before = None
    while True:
        query = _filtered(**filters)
        if before is not None:
            query = query.filter(pk__lt=before)
        chunk = name_events(list(query.order_by("-pk")[:EXPORT_CHUNK]))
        yield from chunk
        if len(chunk) < EXPORT_CHUNK:
            return
        before = chunk[-1].pk


def name_events(events: list[AuditEvent]) -> list[AuditEvent]:
    """Say what each event is about, with one read per kind of object for the whole list: sets
    ``reference`` (the application's), ``department_name`` (the review's department, else the
    event's, in the active language), ``object_label`` and ``purpose_label``. What no longer resolves keeps its raw id."""
    def ids_of(kind):
        return {e.object_id for e in events if e.object_type == kind}

    review_departments = objects.read_names(objects.REVIEW_DEPARTMENT, ids_of("review"))
    permits = objects.read_names(objects.PERMIT_NUMBER, ids_of("permit"))
    references = objects.read_names(objects.APPLICATION_REFERENCE,
                                    {e.application_id for e in events} | ids_of("application"))
    departments = objects.read_names(objects.DEPARTMENT_NAME,
                                     {e.department_code for e in events} | set(review_departments.values()))
    for event in events:
        code = event.department_code
        if event.object_type == "review":
            code = review_departments.get(event.object_id, code)
        event.department_name = departments.get(code, code)
        application = "" if event.application_id is None else str(event.application_id)
        event.reference = references.get(application, application)
        event.object_label = _object_label(event, references, permits, review_departments)
        event.purpose_label = describe_purpose(event)
    return events


def _object_label(event, references, permits, review_departments) -> str:
    kind, key = event.object_type, event.object_id
    if kind == "application":
        return gettext("Application %(reference)s") % {"reference": references.get(key, key)}
    if kind == "review" and key in review_departments:
        return gettext("Review by %(department)s") % {"department": event.department_name}
    if kind == "review":
        return gettext("Review %(id)s") % {"id": key}
    if kind == "permit":
        return gettext("Permit %(number)s") % {"number": permits.get(key, key)}
    if kind == "certificate" and isinstance(event.details, dict) and event.details.get("number"):
        return gettext("E-certificate %(number)s") % {"number": event.details["number"]}
    if kind in ("audit_log", "dashboard") and key in PAGES:
        return str(PAGES[key])
    return f"{OBJECT_TYPES.get(kind, kind)} {key}"


def chain_checks() -> tuple[ChainCheck | None, ChainCheck | None]:
    """The chain check under way, if any, and the last finished one, with who asked for each."""
    checks = ChainCheck.objects.select_related("requested_by")
    return (checks.filter(active=True).first(),
            checks.filter(active=False).order_by("-finished_at", "-pk").first())
