"""The holder's own steps with their issued permit (approvals.permit_life): cancelling it."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from approvals import bundle_selectors
from approvals.permit_life import permit_cancel
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
