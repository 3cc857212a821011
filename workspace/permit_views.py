"""The staff's permit pages: the list of permits they manage, one permit with its history,
and revoking or re-issuing it (engine steps, approvals.permit_flow). Served under /permits/
in the permits namespace, beside the public verification pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.second_factor import fresh_second_factor_required
from approvals.access import may_manage_any_permit
from approvals.need_to_know import names_shown_to_supervisor
from approvals.permit_flow import permit_reissue, permit_revoke
from audit.services import access_denied, client_ip
from core.errors import ValidationFailed, WorkflowError
from core.forms import apply_errors
from permits import selectors
from permits.forms import ReissueForm, RevokeForm
from permits.models import PermitStatus
from permits.services import CORRECTABLE

# --- Staff: list, revoke, re-issue ----------------------------------------------------------------


def _staff_only(request):
    if not may_manage_any_permit(request.user):
        access_denied(request, object_type="permit", object_id="list")
        raise Http404


@require_GET
@login_required
def manage_list(request):
    _staff_only(request)
    query = request.GET.get("q", "")[:40]
    try:
        before = int(request.GET.get("before", "") or 0) or None
    except ValueError:
        before = None
    permits, more = selectors.staff_permits(request.user, query=query, before=before)
    shown = names_shown_to_supervisor(request.user, [p.application for p in permits])
    for permit in permits:
        permit.holder_display = _holder(permit, permit.application_id in shown)
    return render(request, "permits/manage_list.html", {"permits": permits, "more": more, "q": query})


def _holder(permit, shown: bool) -> str:
    """The holder as the permit states it, masked as the public verification page shows it for a
    supervisor whose departments are not shown the applicant's name (approvals.need_to_know)."""
    holder = (permit.data or {}).get("holder") or permit.application.applicant.full_name
    return holder if shown else selectors.mask_name(holder)


def _name_shown(request, permit) -> bool:
    return permit.application_id in names_shown_to_supervisor(request.user, [permit.application])




def _managed(request, number):
    try:
        return selectors.staff_permit(request.user, number)
    except Http404:
        access_denied(request, object_type="permit", object_id=number[:40])
        raise


def _render_manage(request, permit, history, *, revoke_form=None, reissue_form=None, status=200):
    data = selectors.permit_data(permit)
    shown = _name_shown(request, permit)
    # The re-issue form corrects the holder only for someone shown the applicant's name.
    reissue_form = reissue_form or ReissueForm(initial={key: data.get(key, "") for key in CORRECTABLE}, holder=shown)
    return render(request, "permits/manage.html", {
        "permit": permit, "history": history, "state": permit.state(), "holder": _holder(permit, shown),
        "can_change": permit.status == PermitStatus.VALID,
        "revoke_form": revoke_form or RevokeForm(),
        "reissue_form": reissue_form,
    }, status=status)


@require_GET
@login_required
def manage(request, number):
    permit, history = _managed(request, number)
    return _render_manage(request, permit, history)


def _act(request, number, form_class, action, success):
    permit, history = _managed(request, number)
    if form_class is ReissueForm:
        form = ReissueForm(request.POST, holder=_name_shown(request, permit))
    else:
        form = form_class(request.POST)
    if form.is_valid():
        try:
            result = action(permit, form.cleaned_data)
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return redirect("permits:manage", number=permit.number)
        else:
            messages.success(request, success % {"number": result.number})
            return redirect("permits:manage", number=result.number)
    forms = {"revoke_form" if form_class is RevokeForm else "reissue_form": form}
    return _render_manage(request, permit, history, status=400, **forms)


def _manage_page(request, number) -> str:
    return reverse("permits:manage", args=[number])


@require_POST
@login_required
@fresh_second_factor_required(form_page=_manage_page)
def revoke(request, number):
    return _act(request, number, RevokeForm, lambda permit, data: permit_revoke(
        permit_id=permit.pk, actor=request.user, reason=data["reason"], ip=client_ip(request),
    ), _("Permit %(number)s is revoked. The holder has been told."))


@require_POST
@login_required
@fresh_second_factor_required(form_page=_manage_page)
def reissue(request, number):
    return _act(request, number, ReissueForm, lambda permit, data: permit_reissue(
        permit_id=permit.pk, actor=request.user, reason=data["reason"], ip=client_ip(request),
        corrections={key: data[key] for key in CORRECTABLE if key in data},
    ), _("Permit %(number)s is issued in place of the old one; its file is being produced."))
