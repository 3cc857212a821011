"""Permit pages: the holder's download, public verification (no sign-in, rate-limited per
client address) and the staff's list, revoke and re-issue."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from approvals.errors import ValidationFailed, WorkflowError
from audit.services import access_denied, client_ip
from core.forms import apply_errors

from . import selectors, services
from .forms import ReissueForm, RevokeForm, VerifyFileForm, VerifyNumberForm
from .models import PermitStatus


@require_GET
@login_required
def download(request, number):
    try:
        permit = selectors.permit_for_holder(request.user, number)
    except Http404:
        access_denied(request, object_type="permit", object_id=number[:40])
        raise
    return FileResponse(permit.file.open("rb"), as_attachment=True, filename=f"{permit.number}.pdf",
                        content_type="application/pdf")


# --- Public verification ------------------------------------------------------------------------


def _client_key(group, request) -> str:
    return client_ip(request) or "unknown"


def _limited(request, group: str, rate: str) -> bool:
    return is_ratelimited(request, group=group, key=_client_key, rate=rate, increment=True)


def _too_many(request):
    return render(request, "permits/verify_limited.html", status=429)


def _start(request, *, number_form=None, file_form=None, status=200):
    return render(request, "permits/verify_start.html", {
        "number_form": number_form or VerifyNumberForm(), "file_form": file_form or VerifyFileForm(),
    }, status=status)


@require_GET
def verify_start(request):
    """Check a permit by its number (the form sends ?number=) or by its file."""
    if "number" not in request.GET:
        return _start(request)
    if _limited(request, "permits.verify", settings.PERMIT_VERIFY_RATE):
        return _too_many(request)
    form = VerifyNumberForm(request.GET)
    if form.is_valid():
        return redirect("permits:verify", number=form.cleaned_data["number"])
    return _start(request, number_form=form, status=400)


@require_GET
def verify(request, number):
    """Public: is this permit genuine and valid? Only what the permit itself shows."""
    if _limited(request, "permits.verify", settings.PERMIT_VERIFY_RATE):
        return _too_many(request)
    canonical = selectors.normalize_number(number)
    if canonical is None:
        return render(request, "permits/verify.html", {"number": number[:40], "malformed": True}, status=400)
    if canonical != number:
        return redirect("permits:verify", number=canonical)
    verification = selectors.verification_by_number(canonical)
    return render(request, "permits/verify.html", {"number": canonical, "v": verification},
                  status=200 if verification else 404)


@require_http_methods(["GET", "POST"])
def verify_file(request):
    """Public: "is this file the one you issued?" by its hash and its signature."""
    if request.method == "GET":
        return _start(request)
    if _limited(request, "permits.verify_file", settings.PERMIT_VERIFY_UPLOAD_RATE):
        return _too_many(request)
    form = VerifyFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _start(request, file_form=form, status=400)
    upload = form.cleaned_data["file"]
    upload.seek(0)
    check = selectors.check_file(upload.read())
    return render(request, "permits/verify_file.html", {"check": check, "v": check.verification,
                                                         "name": upload.name[:120]})


# --- Staff: list, revoke, re-issue ----------------------------------------------------------------


def _staff_only(request):
    if not services.may_manage_any(request.user):
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
    return render(request, "permits/manage_list.html", {"permits": permits, "more": more, "q": query})


def _managed(request, number):
    try:
        return selectors.staff_permit(request.user, number)
    except Http404:
        access_denied(request, object_type="permit", object_id=number[:40])
        raise


def _render_manage(request, permit, history, *, revoke_form=None, reissue_form=None, status=200):
    data = selectors.permit_data(permit)
    initial = {key: data.get(key, "") for key in services.CORRECTABLE}
    return render(request, "permits/manage.html", {
        "permit": permit, "history": history, "state": permit.state(),
        "can_change": permit.status == PermitStatus.VALID,
        "revoke_form": revoke_form or RevokeForm(),
        "reissue_form": reissue_form or ReissueForm(initial=initial),
    }, status=status)


@require_GET
@login_required
def manage(request, number):
    permit, history = _managed(request, number)
    return _render_manage(request, permit, history)


def _act(request, number, form_class, action, success):
    permit, history = _managed(request, number)
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


@require_POST
@login_required
def revoke(request, number):
    return _act(request, number, RevokeForm, lambda permit, data: services.permit_revoke(
        permit_id=permit.pk, actor=request.user, reason=data["reason"], ip=client_ip(request),
    ), _("Permit %(number)s is revoked. The holder has been told."))


@require_POST
@login_required
def reissue(request, number):
    return _act(request, number, ReissueForm, lambda permit, data: services.permit_reissue(
        permit_id=permit.pk, actor=request.user, reason=data["reason"], ip=client_ip(request),
        corrections={key: data[key] for key in services.CORRECTABLE},
    ), _("Permit %(number)s is issued in place of the old one; its file is being produced."))
