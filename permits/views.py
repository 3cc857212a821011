"""Permit pages: the holder's download and public verification (no sign-in, rate-limited per
client address). The staff's list, revoke and re-issue pages are in the officer workspace
(workspace.permit_views), through the engine's permit flow."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from audit.services import access_denied, client_ip

from . import selectors
from .forms import VerifyFileForm, VerifyNumberForm


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
@never_cache  # the holder's name, and a revocation must show at once: no cache keeps the answer
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
@never_cache
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
