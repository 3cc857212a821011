"""Rendering permits (and later receipts) to PDF with WeasyPrint.

Only our own templates are rendered, with autoescaped data, and WeasyPrint may fetch nothing
but our static files and data: URLs (its default fetcher would read local files)."""

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation

from catalogue.i18n import translated


class FetchRefused(Exception):
    pass


def safe_url_fetcher(url: str, *args, **kwargs):
    """Serve data: URLs and files under STATIC_URL from our static directories; refuse the rest."""
    from weasyprint.urls import default_url_fetcher

    if url.startswith("data:"):
        return default_url_fetcher(url, *args, **kwargs)
    prefix = "static:///"
    if url.startswith(prefix):
        relative = url[len(prefix):]
        path = finders.find(relative)
        if path and ".." not in Path(relative).parts:
            return {"string": Path(path).read_bytes(), "mime_type": _mime(path), "redirected_url": url}
    raise FetchRefused(f"refused to fetch {url!r}")


def _mime(path: str) -> str:
    return {".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".ttf": "font/ttf"}.get(
        Path(path).suffix, "application/octet-stream"
    )


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML  # heavy import: only in processes that render

    html = render_to_string(template, context)
    return HTML(string=html, base_url="static:///", url_fetcher=safe_url_fetcher).write_pdf()


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
