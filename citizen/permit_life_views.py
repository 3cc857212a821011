"""The holder's own steps with their issued permit (approvals.permit_life): cancelling, renewing
and amending it."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from approvals import bundle_selectors
from approvals.permit_life import amendment_refusal, permit_amend_start, permit_cancel, permit_renew_start, renewable
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


def _own_permit(request, pk):
    """The application and its own current permit (not a combined one), or a 404."""
    application = own_application(request, pk)
    permit = bundle_selectors.permit_of(application)
    if permit is None or permit.application_id != application.pk:
        raise Http404
    return application, permit


def _follow_on_started(request, pk, start, permit, *, refused_message: str, submitted_message: str):
    """Start (or continue) a renewal or an amendment of ``permit`` with ``start`` (the engine's),
    then open its first question; a refusal is told on the application's page."""
    try:
        follow_on = start(permit_id=permit.pk, actor=request.user, ip=client_ip(request))
    except (WorkflowError, Permit.DoesNotExist) as refused:
        messages.error(request, getattr(refused, "message", refused_message))
        return redirect("approvals:detail", pk=pk)
    if follow_on.submitted_at:
        messages.info(request, submitted_message)
        return redirect("approvals:detail", pk=follow_on.pk)
    return redirect("approvals:resume", pk=follow_on.pk)


def _current_schema(application) -> dict:
    service = application.service
    return service.current_version.schema if service.current_version_id else {}


@require_http_methods(["GET", "POST"])
@citizen_required
def renew(request, pk):
    """Renew the application's permit: a page with a button (the reminder mail links here, so
    following a link changes nothing), whose POST starts the renewal, or continues the one in
    progress, and opens its first question."""
    application, permit = _own_permit(request, pk)
    if request.method == "POST":
        return _follow_on_started(request, pk, permit_renew_start, permit,
                                  refused_message=_("This permit can no longer be renewed."),
                                  submitted_message=_("This permit's renewal is already submitted."))
    return render(request, "approvals/permit_renew.html", {
        "application": application, "permit": permit, "asks": renewal_questions(application),
        "renewable": renewable(permit, application.service, local_today()),
    })


def renewal_questions(application) -> list:
    """The labels of the questions a renewal of ``application``'s service asks again."""
    schema = _current_schema(application)
    fields = {spec["key"]: spec["label"] for spec in schema.get("fields", [])}
    return [fields[key] for key in schema.get("service", {}).get("renewal_asks", []) if key in fields]


@require_http_methods(["GET", "POST"])
@citizen_required
def amend(request, pk):
    """Change details of the application's valid permit: a page saying what may be changed and
    who reviews a change of each, whose POST starts the amendment, or continues the one in
    progress, and opens its first question."""
    application, permit = _own_permit(request, pk)
    if request.method == "POST":
        return _follow_on_started(request, pk, permit_amend_start, permit,
                                  refused_message=_("This permit's details can no longer be changed."),
                                  submitted_message=_("This permit's amendment is already submitted."))
    refusal = amendment_refusal(permit, application.service, local_today())
    return render(request, "approvals/permit_amend.html", {
        "application": application, "permit": permit, "refusal": refusal,
        "details": amendable_details(application) if refusal is None else [],
    }, status=200)


def amendable_details(application) -> list[dict]:
    """What a holder may change on the permit of ``application``'s service (its current version),
    each with the departments that review a change of it (none: recorded at once)."""
    schema = _current_schema(application)
    fields = {spec["key"]: spec["label"] for spec in schema.get("fields", [])}
    return [{"label": fields[key], "reviewed_by": [review["department_name"] for review in schema.get("reviews", [])
                                                   if key in review.get("reviews_changes_of", ())]}
            for key in schema.get("service", {}).get("amendable", []) if key in fields]
