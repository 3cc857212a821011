"""The staff's permit pages: the list of permits they manage, one permit with its history,
revoking it, and correcting it with four eyes: one person proposes the corrected permit, and
another approves (which re-issues it) or rejects the proposal (engine steps,
approvals.permit_flow). Served under /permits/ in the permits namespace, beside the public
verification pages."""

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
from approvals.permit_flow import permit_reissue_approve, permit_reissue_propose, permit_reissue_reject, permit_revoke
from audit.services import access_denied, client_ip
from core.errors import ValidationFailed, WorkflowError
from core.forms import apply_errors
from permits import selectors
from permits.forms import ReissueForm, RejectCorrectionForm, RevokeForm
from permits.models import PermitStatus
from permits.services import CORRECTABLE

# --- Staff: list, revoke, propose a correction ----------------------------------------------------


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
    return render(request, "permits/manage_list.html", {
        "permits": permits, "more": more, "q": query, "waiting": selectors.waiting_corrections_count(request.user),
    })


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
        "waiting": selectors.waiting_correction(permit),
        "revoke_form": revoke_form or RevokeForm(),
        "reissue_form": reissue_form,
    }, status=status)


@require_GET
@login_required
def manage(request, number):
    permit, history = _managed(request, number)
    return _render_manage(request, permit, history)


def _submit(request, form, action, *, back: str, again):
    """Run ``action(cleaned_data)`` for a valid form and answer what it answers; the engine's
    refusal is a message on the page ``back``; invalid input (the form's or the engine's) is the
    page again with the form's errors (``again(form)``)."""
    if form.is_valid():
        try:
            return action(form.cleaned_data)
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return redirect(back)
    return again(form)


def _act(request, number, form_class, action, success):
    permit, history = _managed(request, number)

    def done(data):
        result = action(permit, data)
        messages.success(request, success % {"number": result.number})
        return redirect("permits:manage", number=result.number)

    if form_class is ReissueForm:  # the holder is corrected only by someone shown the applicant's name
        form, key = ReissueForm(request.POST, holder=_name_shown(request, permit)), "reissue_form"
    else:
        form, key = form_class(request.POST), "revoke_form"
    return _submit(request, form, done, back=_manage_page(request, permit.number),
                   again=lambda form: _render_manage(request, permit, history, status=400, **{key: form}))


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
    """Propose a correction: nothing is issued until another person approves it."""
    return _act(request, number, ReissueForm, lambda permit, data: permit_reissue_propose(
        permit_id=permit.pk, actor=request.user, reason=data["reason"], ip=client_ip(request),
        corrections={key: data[key] for key in CORRECTABLE if key in data},
    ).permit, _("Your correction of permit %(number)s waits for the approval of a second supervisor."))


# --- Staff: corrections waiting for a second person -----------------------------------------------


@require_GET
@login_required
def corrections(request):
    _staff_only(request)
    try:
        after = int(request.GET.get("after", "") or 0) or None
    except ValueError:
        after = None
    waiting, more = selectors.waiting_corrections(request.user, after=after)
    return render(request, "permits/corrections.html", {"requests": waiting, "more": more})


def _correction(request, pk):
    try:
        return selectors.staff_correction(request.user, pk)
    except Http404:
        access_denied(request, object_type="permit_correction", object_id=str(pk)[:40])
        raise


def _render_correction(request, item, *, reject_form=None, status=200):
    own = item.proposed_by_id == request.user.pk
    rows = selectors.correction_rows(item)
    if not _name_shown(request, item.permit):  # the holder, as now and as proposed, masked
        rows = [(label, *(selectors.mask_name(v) for v in values)) if key == "holder" else (label, *values)
                for key, (label, *values) in zip(selectors.correction_keys(item), rows, strict=True)]
    return render(request, "permits/correction.html", {
        "item": item, "rows": rows, "own": own,
        "reject_form": reject_form or RejectCorrectionForm(withdraw=own),
    }, status=status)


@require_GET
@login_required
def correction(request, pk):
    return _render_correction(request, _correction(request, pk))


def _correction_page(request, pk) -> str:
    return reverse("permits:reissue_request", args=[pk])


@require_POST
@login_required
@fresh_second_factor_required(form_page=_correction_page)
def correction_approve(request, pk):
    item = _correction(request, pk)
    try:
        new = permit_reissue_approve(request_id=item.pk, actor=request.user, ip=client_ip(request))
    except ValidationFailed as exc:  # the permit's details changed since: nothing left to correct
        for errors in exc.errors.values():
            for message in errors:
                messages.error(request, message)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Permit %(number)s is issued in place of the old one; its file is being "
                                    "produced.") % {"number": new.number})
        return redirect("permits:manage", number=new.number)
    return redirect("permits:reissue_request", pk=item.pk)


@require_POST
@login_required
@fresh_second_factor_required(form_page=_correction_page)
def correction_reject(request, pk):
    item = _correction(request, pk)
    page = _correction_page(request, item.pk)

    def done(data):
        permit_reissue_reject(request_id=item.pk, actor=request.user, reason=data["reason"], ip=client_ip(request))
        messages.success(request, _("The correction of permit %(number)s is closed; the permit is unchanged.")
                         % {"number": item.permit.number})
        return redirect(page)

    return _submit(request, RejectCorrectionForm(request.POST, withdraw=item.proposed_by_id == request.user.pk), done,
                   back=page, again=lambda form: _render_correction(request, item, reject_form=form, status=400))
