"""Rendering permits (and later receipts) to PDF with WeasyPrint.

Only our own templates are rendered, with autoescaped data, and WeasyPrint may fetch nothing
but our static files and data: URLs (its default fetcher would read local files)."""

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation

from catalogue.i18n import translated


class FetchRefused(ValueError):
    pass


def _static_base() -> str:
    return f"{settings.SITE_URL}{settings.STATIC_URL}"


def safe_url_fetcher():
    """A WeasyPrint fetcher that serves data: URLs, and URLs under our static base from our
    own static directories (read locally, never over the network); it refuses the rest."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class SafeFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            base = _static_base()
            if url.startswith(base):
                relative = url[len(base):].split("?")[0].split("#")[0]
                path = finders.find(relative) if ".." not in Path(relative).parts else None
                if path:
                    return URLFetcherResponse(url, Path(path).read_bytes(), {"Content-Type": _mime(path)})
            raise FetchRefused(f"refused to fetch {url!r}")

    return SafeFetcher(allowed_protocols=["data", "http", "https"], fail_on_errors=False, allow_redirects=False)


def _mime(path: str) -> str:
    return {".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".ttf": "font/ttf"}.get(
        Path(path).suffix, "application/octet-stream"
    )


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML  # heavy import: only in processes that render

    html = render_to_string(template, context)
    return HTML(string=html, base_url=_static_base(), url_fetcher=safe_url_fetcher()).write_pdf()


def permit_context(permit) -> dict:
    application = permit.application
    schema = application.service_version.schema
    reviews = list(application.reviews.select_related("department").order_by("stage", "department__code"))
    return {
        "permit": permit,
        "application": application,
        "holder": application.applicant,
        "service_name_en": translated(schema["service"]["name"], "en"),
        "service_name_zh": translated(schema["service"]["name"], "zh-hans"),
        "title_en": translated(schema["service"]["permit_title"], "en"),
        "title_zh": translated(schema["service"]["permit_title"], "zh-hans"),
        "version": application.service_version.number,
        "approvals": [
            {"en": translated(r.department.name, "en"), "zh": translated(r.department.name, "zh-hans"),
             "decided_at": r.decided_at, "conditions": r.conditions}
            for r in reviews
        ],
        "business_name": application.answers.get("business_name", ""),
        "site_address": application.answers.get("site_address", ""),
        "verify_url": f"{settings.SITE_URL}/permits/verify/{permit.number}/",
    }


def render_permit_pdf(permit) -> bytes:
    with translation.override("en"):
        return render_pdf("permits/permit.html", permit_context(permit))
