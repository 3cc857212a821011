"""The citizen's wallet: every e-certificate they hold (portal permits and certificates department
systems pushed), one certificate's page with what it prints, and the consents that let a
department check it. Only the holder sees a certificate: anyone else's is a 404, on record."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.services import access_denied, client_ip
from certificates import selectors, services
from certificates.models import Certificate, CertificateConsent, CertificateState
from core.errors import ValidationFailed
from core.forms import apply_errors
from departments.models import Department

from .views import citizen_required
from .wallet_forms import ConsentForm

WALLET_PAGE_SIZE = 50
# How each state is marked: only a valid certificate is shown as good.
STATE_STYLES = {CertificateState.VALID: "text-bg-success", CertificateState.PENDING: "text-bg-info",
                CertificateState.NOT_YET_VALID: "text-bg-info"}


def _own(request, pk: int) -> Certificate:
    try:
        return selectors.wallet_certificate(request.user, pk)
    except Certificate.DoesNotExist:
        access_denied(request, object_type="certificate", object_id=pk)
        raise Http404


def _state(certificate: Certificate, today) -> dict:
    state = certificate.state(today)
    return {"code": state, "label": CertificateState(state).label, "style": STATE_STYLES.get(state, "text-bg-danger")}


@citizen_required
def wallet(request):
    today = timezone.localdate()
    page = Paginator(selectors.wallet_for(request.user), WALLET_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"certificate": c, "state": _state(c, today)} for c in page.object_list]
    return render(request, "certificates/wallet.html", {"page": page, "rows": rows})


def _consent_form(data=None) -> ConsentForm:
    departments = [(d.code, d.display_name) for d in Department.objects.all()]
    return ConsentForm(data, departments=departments)


def _detail(request, certificate: Certificate, form: ConsentForm, status: int = 200):
    permit = certificate.permit
    return render(request, "certificates/certificate.html", {
        "certificate": certificate, "state": _state(certificate, timezone.localdate()),
        "printed": selectors.printed(certificate), "consents": selectors.consents_for(certificate), "form": form,
        "replaced_by": Certificate.objects.filter(replaces=certificate).only("number").first(),
        "verify_url": reverse("permits:verify_code", args=[permit.number, permit.verify_code])
        if permit is not None and permit.rendered_at else "",
    }, status=status)


@citizen_required
def certificate(request, pk):
    return _detail(request, _own(request, pk), _consent_form())


@require_POST
@citizen_required
def consent_give(request, pk):
    certificate = _own(request, pk)
    form = _consent_form(request.POST)
    if form.is_valid():
        try:
            consent = services.consent_grant(user=request.user, certificate_id=certificate.pk,
                                             department_code=form.cleaned_data["department"],
                                             days=form.cleaned_data["days"], ip=client_ip(request))
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        else:
            messages.success(request, _("%(department)s may check this certificate until %(date)s.") % {
                "department": consent.department.display_name,
                "date": timezone.localtime(consent.expires_at).strftime("%Y-%m-%d %H:%M")})
            return redirect(f"{reverse('certificates:detail', args=[certificate.pk])}#consents")
    return _detail(request, certificate, form, status=400)


@require_POST
@citizen_required
def consent_withdraw(request, pk, consent_id):
    certificate = _own(request, pk)
    if not CertificateConsent.objects.filter(pk=consent_id, certificate=certificate).exists():
        access_denied(request, object_type="certificate_consent", object_id=consent_id)
        raise Http404
    consent = services.consent_withdraw(user=request.user, consent_id=consent_id, ip=client_ip(request))
    messages.success(request, _("%(department)s may no longer check this certificate.") % {
        "department": consent.department.display_name})
    return redirect(f"{reverse('certificates:detail', args=[certificate.pk])}#consents")
