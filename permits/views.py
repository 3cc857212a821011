from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from audit.services import access_denied
from catalogue.i18n import translated

from . import selectors
from .models import PermitStatus


@require_GET
@login_required
def download(request, number):
    try:
        permit = selectors.permit_for_holder(request.user, number)
    except Http404:
        access_denied(request, object_type="permit", object_id=number)
        raise
    return FileResponse(permit.file.open("rb"), as_attachment=True, filename=f"{permit.number}.pdf",
                        content_type="application/pdf")


@require_GET
def verify(request, number):
    """Public: is this permit genuine and valid? Only what the permit itself shows."""
    permit = selectors.permit_for_verification(number)
    context = {"number": number, "permit": permit}
    if permit is not None:
        schema = permit.application.service_version.schema
        expired = permit.valid_until < timezone.localdate()
        context.update({
            "holder": selectors.mask_name(permit.application.applicant.full_name),
            "service": translated(schema["service"]["name"]),
            "departments": [translated(r["department_name"]) for r in schema["reviews"]],
            "state": "revoked" if permit.status == PermitStatus.REVOKED else
                     "superseded" if permit.status == PermitStatus.SUPERSEDED else "expired" if expired else "valid",
        })
    return render(request, "permits/verify.html", context, status=200 if permit else 404)
