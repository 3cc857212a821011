"""Permit pages: the holder's download and public verification (no sign-in, rate-limited per
client address: by number, by number and code, and by file). The staff's list, revoke and
re-issue pages are in the officer workspace (workspace.permit_views), through the engine's
permit flow."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from audit.services import access_denied, client_ip
from core.replica import replica_readable

from . import selectors
from .codes import normalize_code
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
    """Check a permit by its number (the form sends ?number=, and ?code= when typed) or by its file."""
    if "number" not in request.GET:
        return _start(request)
    if _limited(request, "permits.verify", settings.PERMIT_VERIFY_RATE):
        return _too_many(request)
    form = VerifyNumberForm(request.GET)
    if form.is_valid():
        if code := form.cleaned_data["code"]:
            return redirect("permits:verify_code", number=form.cleaned_data["number"], code=code)
        return redirect("permits:verify", number=form.cleaned_data["number"])
    return _start(request, number_form=form, status=400)


def _checked_number(request, number):
    """The canonical number, or the page that answers a number that cannot be one."""
    canonical = selectors.normalize_number(number)
    if canonical is None:
        return None, render(request, "permits/verify.html", {"number": number[:40], "malformed": True}, status=400)
    return canonical, None


@require_GET
# A revocation must show at once: no cache keeps the answer, and a replica is read only while it
# is at most REPLICA_MAX_LAG_SECONDS behind.
@never_cache
@replica_readable
def verify(request, number):
    """Public, by the number alone: is a permit with this number valid? Nothing more, since
    numbers are sequential and anyone can try them."""
    if _limited(request, "permits.verify", settings.PERMIT_VERIFY_RATE):
        return _too_many(request)
    canonical, answer = _checked_number(request, number)
    if answer:
        return answer
    if canonical != number:
        return redirect("permits:verify", number=canonical)
    valid = selectors.valid_by_number(canonical)
    return render(request, "permits/verify.html", {"number": canonical, "valid": valid},
                  status=200 if valid else 404)


@require_GET
@never_cache  # what the permit prints (the holder's name), and a revocation must show at once
@replica_readable
def verify_code(request, number, code):
    """Public, by the address printed on the permit: its state and what it prints. A wrong code
    gets the same answer as a number never issued, and counts on the same rate limit."""
    if _limited(request, "permits.verify", settings.PERMIT_VERIFY_RATE):
        return _too_many(request)
    canonical, answer = _checked_number(request, number)
    if answer:
        return answer
    code = code[:64]
    canonical_code = normalize_code(code) or code  # one that cannot be a code is answered like a wrong one
    if (canonical, canonical_code) != (number, code):
        return redirect("permits:verify_code", number=canonical, code=canonical_code)
    verification = selectors.verification_by_code(canonical, code)
    return render(request, "permits/verify_code.html", {"number": canonical, "v": verification},
                  status=200 if verification else 404)


@require_http_methods(["GET", "POST"])
@never_cache
@replica_readable
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
