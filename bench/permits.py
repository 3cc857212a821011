"""Permit rendering speed, side by side in one run (prints JSON):

- ``ours``: the portal's render + sign of the demo permit (template, QR code, WeasyPrint PDF/A-3b
  with permit.json attached, PAdES signature), as the render task does it;
- ``raw_minimal``: plain ``weasyprint.HTML(string=...).write_pdf()`` of a minimal bilingual page (a
  title and a six-row table in English and Chinese) in the permit's fonts: the floor a permit is
  held to;
- ``raw_permit``: the same plain call on the permit's own HTML and stylesheet.

Latency: ms per document in one process, the three interleaved, after warm-up renders; p50 and
p95. Throughput: documents per second from WORKERS processes rendering at once, each kind in
turn, ROUNDS times; the median. The fonts are those of the settings: with PERMIT_CJK_SUBSET=false (the full Noto
Sans CJK alone) or true (its GB 2312 subset first), so bench/run.py runs this once for each.

Run by bench/run.py (BENCH_ONLY=permits) on a database where seed_demo issued a permit."""

import gc
import io
import json
import multiprocessing
import os
import resource
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

from django.contrib.staticfiles import finders  # noqa: E402
from django.db import connections  # noqa: E402
from pypdf import PdfReader  # noqa: E402
from weasyprint import HTML  # noqa: E402

from core import pdf as core_pdf  # noqa: E402
from permits import fonts, rendering  # noqa: E402
from permits.models import Permit  # noqa: E402
from permits.pdfa import pdfa_problems  # noqa: E402

RUNS = int(os.environ.get("BENCH_PERMIT_RUNS", "60"))
WARMUP = 3
WORKERS = int(os.environ.get("BENCH_PERMIT_WORKERS", "2"))
PER_WORKER = int(os.environ.get("BENCH_PERMIT_PER_WORKER", "40"))
ROUNDS = int(os.environ.get("BENCH_PERMIT_ROUNDS", "3"))

ROWS = [("Holder", "持证人", "Wang Fang", "王芳"), ("Business name", "商户名称", "Golden Dragon", "金龙餐厅"),
        ("Business site", "经营场所", "1 Harbour Road", "海港路1号"), ("Service", "办理事项", "Open a restaurant", "开办餐饮店"),
        ("Issued on", "发证日期", "2026-12-07", "2026年12月7日"), ("Valid", "有效期", "3 years", "3 年")]


def font_face() -> str:
    """The fonts a permit uses now, for plain WeasyPrint: the subset through an @font-face rule
    (the plain way to use a font file) when the portal uses it; else the installed full font."""
    if not fonts.font_files():
        return ""
    return f'@font-face {{ font-family: "{fonts.SUBSET_FAMILY}"; src: url("{fonts.subset_path().as_uri()}"); }}'


def minimal_page() -> str:
    """The minimal bilingual page, in the fonts a permit uses now."""
    face = font_face()
    rows = "".join(f"<tr><th>{en}<br>{zh}</th><td>{value}<br>{value_zh}</td></tr>" for en, zh, value, value_zh in ROWS)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><style>{face} body {{ font-family: '
            f'"{fonts.SUBSET_FAMILY}", "Noto Sans CJK SC", sans-serif; font-size: 10pt }} h1, th {{ font-weight: normal }}'
            f"</style></head><body><h1>Restaurant operating permit<br>餐饮经营许可证</h1><table>{rows}</table></body></html>")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(values) -> dict:
    return {"p50": round(statistics.median(values), 1), "p95": round(percentile(values, 95), 1)}


def demo_permit() -> Permit:
    permit = Permit.objects.select_related("application__applicant", "application__service_version", "replaces").filter(
        rendered_at__isnull=False).order_by("pk").first()
    permit.data = permit.data or rendering.permit_facts(permit.application)
    return permit


def renderers(permit):
    """The three ways of rendering, each a function of no argument returning PDF bytes."""
    stylesheet = font_face() + Path(finders.find(rendering.PERMIT_STYLESHEET)).read_text()
    page = minimal_page()
    html = rendering.permit_html(permit, permit.data).replace("</head>", f"<style>{stylesheet}</style></head>", 1)
    base = core_pdf.static_base()
    return {
        "ours": lambda: rendering.render_permit_pdf(permit),
        "raw_minimal": lambda: HTML(string=page).write_pdf(),
        "raw_permit": lambda: HTML(string=html, base_url=base).write_pdf(),
    }


def latency(permit) -> tuple[dict, dict]:
    render = renderers(permit)
    times = {name: [] for name in render}
    last = {}
    for i in range(WARMUP + RUNS):
        for name, function in render.items():
            start = time.perf_counter()
            last[name] = function()
            if i >= WARMUP:
                times[name].append((time.perf_counter() - start) * 1000)
    return {name: summary(values) for name, values in times.items()}, last


def _worker(name, permit, barrier, results):
    function = renderers(permit)[name]
    for _ in range(WARMUP):
        function()
    barrier.wait()
    start = time.perf_counter()
    for _ in range(PER_WORKER):
        function()
    results.put((start, time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
    remove_font_copies()


def remove_font_copies():
    """Plain WeasyPrint copies an @font-face font into a temporary folder per document and removes
    it when that document's font configuration is collected; collecting now, before the process
    ends (a forked child by os._exit), removes the copies."""
    gc.collect()


def throughput(permit, name: str) -> dict:
    """Documents per second from WORKERS processes rendering ``name`` at once (forked after the
    permit is read: each renders it PER_WORKER times after its own warm-up)."""
    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(WORKERS), context.Queue()
    processes = [context.Process(target=_worker, args=(name, permit, barrier, results)) for _ in range(WORKERS)]
    for process in processes:
        process.start()
    spans = [results.get(timeout=900) for _ in processes]
    for process in processes:
        process.join()
    seconds = max(end for _, end, _ in spans) - min(start for start, _, _ in spans)
    return {"per_second": round(WORKERS * PER_WORKER / seconds, 1), "peak_rss_mb": round(max(r for _, _, r in spans), 1)}


def main():
    permit = demo_permit()
    timings, last = latency(permit)
    ours, floor = timings["ours"], timings["raw_minimal"]
    rounds = {name: [] for name in ("ours", "raw_minimal", "raw_permit")}
    for _ in range(ROUNDS):  # the kinds in turn, ROUNDS times: a busy spell of the machine hits each
        for name, results in rounds.items():
            results.append(throughput(permit, name))
    rates = {name: {"per_second": round(statistics.median(r["per_second"] for r in results), 1),
                    "peak_rss_mb": max(r["peak_rss_mb"] for r in results)} for name, results in rounds.items()}
    print(json.dumps({
        "subset": bool(fonts.font_files()), "runs": RUNS, "workers": WORKERS, "per_worker": PER_WORKER,
        "rounds": ROUNDS,
        "permit": permit.number, "pages": len(PdfReader(io.BytesIO(last["ours"])).pages),
        "bytes": {name: len(pdf) for name, pdf in last.items()},
        "pdfa_problems": pdfa_problems(last["ours"]),
        **timings,
        "ratio": {"p50": round(ours["p50"] / floor["p50"], 3), "p95": round(ours["p95"] / floor["p95"], 3)},
        "rate": rates,
        "rate_ratio": round(rates["ours"]["per_second"] / rates["raw_minimal"]["per_second"], 3),
    }))
    remove_font_copies()


if __name__ == "__main__":
    main()
