"""The holder's own steps with their issued permit (approvals.permit_life): cancelling and
renewing it."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from approvals import bundle_selectors
from approvals.permit_life import permit_cancel, permit_renew_start, renewable
from approvals.sla import local_today
from audit.services import client_ip
from core.errors import ValidationFailed, WorkflowError
from core.forms import apply_errors
from permits.models import Permit, PermitState, PermitStatus

from .permit_life_forms import PermitCancelForm
from .views import citizen_required, own_application


def _cancellable(application) -> Permit:
    """The application's current permit if its holder may cancel it now; else a 404 (the
    application page says what the permit is)."""
    permit = bundle_selectors.permit_of(application)
    if permit is None or permit.status != PermitStatus.VALID or permit.state(local_today()) != PermitState.VALID:
        raise Http404
    return permit


@require_http_methods(["GET", "POST"])
@citizen_required
def cancel(request, pk):
    application = own_application(request, pk)
    permit = _cancellable(application)
    form = PermitCancelForm(request.POST or None, permit=permit)
    if request.method == "POST" and form.is_valid():
        try:
            permit = permit_cancel(permit_id=permit.pk, actor=request.user, reason=form.cleaned_data["reason"],
                                   cancelled_from=form.cleaned_data["cancelled_from"], ip=client_ip(request))
        except ValidationFailed as failed:
            apply_errors(form, failed.errors)
        except (WorkflowError, Permit.DoesNotExist) as refused:
            messages.error(request, getattr(refused, "message", _("This permit can no longer be cancelled.")))
            return redirect("approvals:detail", pk=pk)
        else:
            messages.success(request, _("Permit %(number)s is cancelled from %(date)s.") % {
                "number": permit.number, "date": formats.date_format(permit.cancelled_from, "SHORT_DATE_FORMAT")})
            return redirect("approvals:detail", pk=pk)
    return render(request, "approvals/permit_cancel.html", {"application": application, "permit": permit, "form": form},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@citizen_required
def renew(request, pk):
    """Renew the application's permit: a page with a button (the reminder mail links here, so
    following a link changes nothing), whose POST starts the renewal, or continues the one in
    progress, and opens its first question."""
    application = own_application(request, pk)
    permit = bundle_selectors.permit_of(application)
    if permit is None or permit.application_id != application.pk:
        raise Http404
    if request.method == "POST":
        try:
            renewal = permit_renew_start(permit_id=permit.pk, actor=request.user, ip=client_ip(request))
        except (WorkflowError, Permit.DoesNotExist) as refused:
            messages.error(request, getattr(refused, "message", _("This permit can no longer be renewed.")))
            return redirect("approvals:detail", pk=pk)
        if renewal.submitted_at:
            messages.info(request, _("This permit's renewal is already submitted."))
            return redirect("approvals:detail", pk=renewal.pk)
        return redirect("approvals:resume", pk=renewal.pk)
    return render(request, "approvals/permit_renew.html", {
        "application": application, "permit": permit, "asks": renewal_questions(application),
        "renewable": renewable(permit, application.service, local_today()),
    })


def renewal_questions(application) -> list:
    """The labels of the questions a renewal of ``application``'s service asks again."""
    schema = application.service.current_version.schema if application.service.current_version_id else {}
    fields = {spec["key"]: spec["label"] for spec in (schema or {}).get("fields", [])}
    return [fields[key] for key in (schema or {}).get("service", {}).get("renewal_asks", []) if key in fields]
