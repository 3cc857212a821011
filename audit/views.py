"""The auditor's view of the audit log. Every look at it is itself on record."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.http import urlencode

from accounts.models import Role

from .chain import audit_chain_status
from .forms import AuditFilterForm
from .models import Action
from .selectors import AUDIT_PAGE, audit_log
from .services import Event, access_denied, audit_record, client_ip

AUDITORS = frozenset({Role.AUDITOR, Role.ADMIN})


@login_required
def log(request):
    if request.user.role not in AUDITORS:
        access_denied(request, object_type="url", object_id=request.path[:40])
        raise Http404
    form = AuditFilterForm(request.GET)
    context = {"form": form, "chain": audit_chain_status()}
    if not form.is_valid():
        return render(request, "audit/log.html", context, status=400)
    data = form.cleaned_data
    filters = {k: data[k] for k in ("actor", "department", "action", "date_from", "date_to")}
    events = audit_log(application_id=data["application"], before=data["before"], **filters)
    more = len(events) > AUDIT_PAGE
    events = events[:AUDIT_PAGE]
    shown = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in filters.items() if v}
    if data["application"] is not None:
        shown["application"] = data["application"]
    audit_record(Event(action=Action.AUDIT_LOG_VIEWED, object_type="audit_log", object_id="log", actor=request.user,
                       ip=client_ip(request), purpose="audit", details=shown))
    next_query = {**{k: request.GET.get(k, "") for k in ("actor", "department", "application", "action", "date_from",
                                                          "date_to")}, "before": events[-1].pk if events else ""}
    context.update(events=events, more=more, next_query=urlencode(next_query))
    return render(request, "audit/log.html", context)
