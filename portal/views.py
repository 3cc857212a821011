"""Site chrome: the home page (services by life event), search, a service's page, the site's own
pages (help, contact, privacy, accessibility, terms), health and metrics."""

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from prometheus_client import CONTENT_TYPE_LATEST

from accounts import services as account_services
from catalogue import selectors as catalogue_selectors
from catalogue.durations import expected_working_days

from . import display, selectors
from .forms import SearchForm
from .health import check_health
from .landing import landing_url
from .metrics import exposition, metrics_authorized


@require_GET
def home(request):
    return render(request, "portal/home.html", {
        "life_events": catalogue_selectors.services_by_life_event(), "search_form": SearchForm(),
        "bundles": list(catalogue_selectors.bundles()),
    })


@require_GET
def search(request):
    """GET /search/?q=…: services matching the query in either language. Without ``q`` the
    page shows the empty search box; an empty or over-long query is explained next to the box."""
    if "q" not in request.GET:
        return render(request, "portal/search.html", {"form": SearchForm(), "searched": False})
    form = SearchForm(request.GET)
    results = catalogue_selectors.search_services(form.cleaned_data["q"]) if form.is_valid() else []
    return render(request, "portal/search.html", {
        "form": form, "searched": form.is_valid(), "query": form.cleaned_data.get("q", ""), "results": results,
    }, status=200 if form.is_valid() else 400)


@require_GET
def service_detail(request, slug):
    service = catalogue_selectors.service_for_page(slug=slug)
    if service is None:
        raise Http404
    return render(request, "portal/service_detail.html", {
        "service": service, "expected_days": expected_working_days(service.schema.reviews),
        "conditional_reviews": [review for review in service.schema.reviews if review.get("when")],
        "guide": catalogue_selectors.guide_for_page(service),
    })


@require_GET
def service_guide_print(request, slug):
    """The guide alone, for an A4 page (static/portal/guide.css)."""
    service = catalogue_selectors.service_for_page(slug=slug)
    if service is None:
        raise Http404
    return render(request, "portal/service_guide_print.html", {
        "service": service, "guide": catalogue_selectors.guide_for_page(service)})


@require_GET
def service_guide_file(request, slug, name):
    """A guide's template or sample: always a download, of the type checked at load time."""
    row = catalogue_selectors.guide_file(slug=slug, name=name)
    if row is None:
        raise Http404
    try:
        handle = row.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=get_valid_filename(row.name),
                            content_type=row.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def site_page(request, slug):
    page = selectors.site_page(slug=slug)
    if page is None:
        raise Http404
    return render(request, "portal/site_page.html", {"page": page})


@require_POST
def text_size(request):
    """The header's switch: larger text on or off, then back to the page it was pressed on."""
    on = request.POST.get("large_text") == "1"
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if request.user.is_authenticated:
        account_services.user_set_large_text(user=request.user, on=on)
    else:
        display.remember_large_text(request, response, on=on)
    return response


@require_GET
@never_cache
def healthz(request):
    report = check_health()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@never_cache
@require_GET
def metrics(request):
    """Prometheus metrics (portal.metrics), only for a bearer of METRICS_TOKEN; off (404) without one."""
    if not settings.METRICS_TOKEN:
        raise Http404
    if not metrics_authorized(request.headers.get("Authorization")):
        response = HttpResponse(_("Send the metrics token as a bearer token."), status=401,
                                content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


def landing(request):
    """Where the sign-in pages send a person when nothing asked for another page."""
    return redirect(landing_url(request.user))
