"""Permit rendering speed: ms per permit, render + sign (template, QR code, WeasyPrint PDF/A-3b
with the JSON attachment, PAdES signature), against the same HTML through raw
``weasyprint.HTML(...).write_pdf()``, interleaved in one run. Prints JSON.

Run by bench/run.py (BENCH_ONLY=permits) on a database where seed_demo issued a permit."""

import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

import logging  # noqa: E402

import django  # noqa: E402

django.setup()
logging.getLogger("weasyprint").setLevel(logging.ERROR)

from pypdf import PdfReader  # noqa: E402
from weasyprint import HTML  # noqa: E402

from core import pdf as core_pdf  # noqa: E402
from permits import rendering  # noqa: E402
from permits.models import Permit  # noqa: E402

RUNS = int(os.environ.get("BENCH_PERMIT_RUNS", "60"))
WARMUP = 3


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main():
    permit = Permit.objects.select_related("application__applicant", "application__service_version", "replaces").filter(
        rendered_at__isnull=False).order_by("pk").first()
    facts = permit.data or rendering.permit_facts(permit.application)
    permit.data = facts
    html = rendering.permit_html(permit, facts)
    base = core_pdf.static_base()
    ours, raw = [], []
    for i in range(WARMUP + RUNS):
        start = time.perf_counter()
        pdf = rendering.render_permit_pdf(permit)
        middle = time.perf_counter()
        plain = HTML(string=html, base_url=base, url_fetcher=core_pdf.safe_url_fetcher()).write_pdf()
        end = time.perf_counter()
        if i >= WARMUP:
            ours.append((middle - start) * 1000)
            raw.append((end - middle) * 1000)
    p50, p95 = statistics.median(ours), percentile(ours, 95)
    raw50, raw95 = statistics.median(raw), percentile(raw, 95)
    print(json.dumps({
        "runs": RUNS, "permit": permit.number, "pages": len(PdfReader(io.BytesIO(pdf)).pages),
        "bytes": len(pdf), "raw_bytes": len(plain),
        "ours": {"p50": round(p50, 1), "p95": round(p95, 1)}, "raw": {"p50": round(raw50, 1), "p95": round(raw95, 1)},
        "ratio": {"p50": round(p50 / raw50, 3), "p95": round(p95 / raw95, 3)},
    }))


if __name__ == "__main__":
    main()
