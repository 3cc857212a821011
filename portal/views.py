"""Site chrome: the home page (services by life event), a service's page, and health."""

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from catalogue import selectors as catalogue_selectors

from .health import check_health


@require_GET
def home(request):
    return render(request, "portal/home.html", {"life_events": catalogue_selectors.services_by_life_event()})


@require_GET
def service_detail(request, slug):
    service = catalogue_selectors.service_for_page(slug=slug)
    if service is None:
        raise Http404
    return render(request, "portal/service_detail.html", {"service": service})


@require_GET
@never_cache
def healthz(request):
    report = check_health()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)
