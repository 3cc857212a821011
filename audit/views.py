"""The auditor's view of the audit log: browse, export and check the chain. Every look and every
export is itself on record; anyone but an auditor or an administrator gets a 404, also on record."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .chain import audit_chain_status
from .exports import csv_response
from .forms import AuditFilterForm
from .models import Action
from .selectors import AUDIT_PAGE, audit_log, audit_log_all, chain_checks
from .services import Event, access_denied, access_record, chain_check_revive, chain_check_start, client_ip
from .tasks import chain_check_nudge_on_commit

FILTERS = ("actor", "department", "application", "action", "date_from", "date_to")


def auditors_only(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.may_read_audit_log:
            access_denied(request, object_type="url", object_id=request.path[:40])
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _filters(form) -> tuple[dict, dict]:
    """The selectors' arguments, and the same filters as recorded in the audit event."""
    data = form.cleaned_data
    filters = {k: data[k] for k in ("actor", "department", "action", "date_from", "date_to")}
    shown = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in filters.items() if v}
    if data["application"] is not None:
        shown["application"] = data["application"]
    return {**filters, "application_id": data["application"]}, shown


def _audit(request, action, object_id: str, details: dict) -> None:
    access_record(Event(action=action, object_type="audit_log", object_id=object_id, actor=request.user,
                        ip=client_ip(request), purpose="audit", details=details))


@auditors_only
def log(request):
    form = AuditFilterForm(request.GET)
    context = {"form": form, "chain": audit_chain_status()}
    if not form.is_valid():
        return render(request, "audit/log.html", context, status=400)
    filters, shown = _filters(form)
    events = audit_log(before=form.cleaned_data["before"], **filters)
    more = len(events) > AUDIT_PAGE
    events = events[:AUDIT_PAGE]
    _audit(request, Action.AUDIT_LOG_VIEWED, "log", shown)
    query = {k: request.GET.get(k, "") for k in FILTERS}
    next_query = {**query, "before": events[-1].pk if events else ""}
    context.update(events=events, more=more, next_query=urlencode(next_query), export_query=urlencode(query))
    return render(request, "audit/log.html", context)


def _actor(event) -> str:
    return f"{event.actor.get_full_name()} <{event.actor.email}>" if event.actor else event.actor_label


def _csv_rows(events, language: str):
    # Streamed after the view has returned: names and words in the language of the request.
    with translation.override(language):
        for e in events:
            yield [e.pk, e.seq, timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"), _actor(e),
                   e.get_action_display(), e.object_label, e.reference, e.department_name, e.ip, e.purpose_label]


@auditors_only
def export(request):
    """The events the page's filters select, every one of them, as a streamed CSV."""
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "audit/log.html", {"form": form, "chain": audit_chain_status()}, status=400)
    filters, shown = _filters(form)
    _audit(request, Action.EXPORT_DOWNLOADED, "export", shown)
    header = [_("Event id"), _("Chain position"), _("Time"), _("Actor"), _("Action"), _("Object"), _("Application"),
              _("Department"), _("IP address"), _("Purpose")]
    return csv_response(header, _csv_rows(audit_log_all(**filters), translation.get_language()),
                        filename="audit-log.csv")


def _check_context() -> dict:
    running, last = chain_checks()
    if running is not None and chain_check_revive(running):  # its task was lost: send it again
        chain_check_nudge_on_commit(running.pk)
    return {"running": running, "last": last}


@auditors_only
@require_http_methods(["GET", "POST"])
def check(request):
    """Check the whole chain in the background (as ``verify_audit`` does) and follow its progress:
    the page polls ``check_progress`` with JavaScript, and reloads by a link without it."""
    if request.method == "POST":
        started, nudge = chain_check_start(actor=request.user, ip=client_ip(request))
        if nudge:
            chain_check_nudge_on_commit(started.pk)
        return redirect("audit:check")
    return render(request, "audit/check.html", _check_context())


@auditors_only
@require_GET
def check_progress(request):
    return render(request, "audit/includes/check_status.html", _check_context())
