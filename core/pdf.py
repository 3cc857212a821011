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


def _font_config(font_files: tuple[str, ...] = ()):
    """One font configuration per rendering thread, reused from one document to the next
    (building it loads fontconfig's configuration each time), with ``font_files`` added."""
    from weasyprint.text.fonts import FontConfiguration  # heavy import: only in processes that render

    if getattr(_local, "font_config", None) is None:
        _local.font_config, _local.font_files = FontConfiguration(), set()
    for path in font_files:
        if path not in _local.font_files:
            _add_font_file(_local.font_config, path)
            _local.font_files.add(path)
    return _local.font_config


def _add_font_file(font_config, path: str) -> None:
    """Make a font file of ours known to a font configuration where it lies. (An @font-face rule
    would copy it into a temporary folder that WeasyPrint removes only when the configuration is
    collected, which a Celery worker child that ends with os._exit never does.)"""
    from weasyprint.text.ffi import ffi, fontconfig, pangoft2

    if not fontconfig.FcConfigAppFontAddFile(font_config._config, str(path).encode()):
        raise ValueError(f"fontconfig cannot read the font {path}")
    pangoft2.pango_fc_font_map_config_changed(ffi.cast("PangoFcFontMap *", font_config.font_map))


def _stylesheet(name: str, font_config):
    """A static stylesheet of ours, parsed once per rendering thread and again when its file
    changes."""
    from weasyprint import CSS  # heavy import: only in processes that render

    path = finders.find(name)
    if not path:
        raise FetchRefused(f"no static stylesheet {name!r}")
    stamp = (Path(path).stat().st_mtime_ns, static_base())
    cache = _local.__dict__.setdefault("stylesheets", {})  # name -> (stamp, parsed)
    if cache.get(name, (None,))[0] != stamp:
        cache[name] = (stamp, CSS(string=Path(path).read_text(), base_url=f"{static_base()}{name}",
                                  url_fetcher=safe_url_fetcher(), font_config=font_config))
    return cache[name][1]


def html_to_pdf(html: str, *, stylesheets: tuple[str, ...] = (), font_files: tuple[str, ...] = (),
                **options) -> bytes:
    """One HTML document of ours to PDF, through the safe fetcher. ``stylesheets``: static
    stylesheets of ours (parsed once per thread); ``font_files``: fonts they name that are not
    installed on the system."""
    from weasyprint import HTML  # heavy import: only in processes that render

    font_config = _font_config(font_files)
    return HTML(string=html, base_url=static_base(), url_fetcher=safe_url_fetcher()).write_pdf(
        font_config=font_config, stylesheets=[_stylesheet(name, font_config) for name in stylesheets], **options)


def render_pdf(template: str, context: dict) -> bytes:
    """A template of ours as a plain (unsigned) PDF: the submission receipt."""
    return html_to_pdf(render_to_string(template, context))
