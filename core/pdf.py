"""Rendering our own HTML to PDF with WeasyPrint, through a fetcher that reads nothing else.

Only our own templates are rendered, with autoescaped data, and WeasyPrint may fetch nothing
but our static files and data: URLs (its default fetcher would read local files)."""

import threading
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string


class FetchRefused(ValueError):
    pass


def static_base() -> str:
    return f"{settings.SITE_URL}{settings.STATIC_URL}"


def safe_url_fetcher():
    """A WeasyPrint fetcher that serves data: URLs, and URLs under our static base from our
    own static directories (read locally, never over the network); it refuses the rest."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # heavy import: only in processes that render

    class SafeFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            base = static_base()
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


_local = threading.local()


def _font_config():
    """One font configuration per rendering thread, reused from one document to the next
    (building it loads fontconfig's configuration each time)."""
    from weasyprint.text.fonts import FontConfiguration  # heavy import: only in processes that render

    if getattr(_local, "font_config", None) is None:
        _local.font_config = FontConfiguration()
    return _local.font_config


def html_to_pdf(html: str, **options) -> bytes:
    """One HTML document of ours to PDF, through the safe fetcher."""
    from weasyprint import HTML  # heavy import: only in processes that render

    return HTML(string=html, base_url=static_base(), url_fetcher=safe_url_fetcher()).write_pdf(
        font_config=_font_config(), **options)


def render_pdf(template: str, context: dict) -> bytes:
    """A template of ours as a plain (unsigned) PDF: the submission receipt."""
    return html_to_pdf(render_to_string(template, context))
