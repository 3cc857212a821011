"""Permit rendering speed, side by side in one run (prints JSON):

- ``ours``: the portal's render + sign of the demo permit (template, QR code, WeasyPrint PDF/A-3b
  with permit.json attached, PAdES signature), as the render task does it;
- ``raw_minimal``: plain ``weasyprint.HTML(string=...).write_pdf()`` of a minimal bilingual page with
  the permit's own text (every heading, paragraph and table row of the permit, in its order, as
  plain HTML: no stylesheet but the fonts and their size, no QR code, no PDF/A, no attachment, no
  signature) in the permit's fonts: the floor a permit is held to;
- ``raw_minimal_warm``: the same page through the same plain call, but with one font configuration
  kept from one page to the next and the subset known to it (as the portal's renderer keeps it), so
  the share of the floor that is WeasyPrint setting up its fonts for each document shows;
- ``raw_permit``: the same plain call on the permit's own HTML and stylesheet.

Latency: ms per document in one process, the kinds interleaved, after warm-up renders; p50 and
p95 of the wall time, and the median CPU time of the process (which a busy shared machine
disturbs far less than the wall time). Throughput: documents per second from WORKERS processes rendering at once, each kind in
turn, ROUNDS times; the median. The fonts are those of the settings: with PERMIT_CJK_SUBSET=false (the full Noto
Sans CJK alone) or true (its GB 2312 subset first), so bench/run.py runs this once for each.

Run by bench/run.py (BENCH_ONLY=permits) on a database where seed_demo issued a permit."""

import gc
import html
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

import tinyhtml5  # noqa: E402
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

# The permit's blocks whose text the minimal page repeats, as the plain element that holds it there.
TEXT_BLOCKS = {"h1": "h1", "h2": "h2", "p": "p", "th": "th", "td": "td"}


def font_face() -> str:
    """The fonts a permit uses now, for plain WeasyPrint: the subset through an @font-face rule
    (the plain way to use a font file) when the portal uses it; else the installed full font."""
    if not fonts.font_files():
        return ""
    return f'@font-face {{ font-family: "{fonts.SUBSET_FAMILY}"; src: url("{fonts.subset_path().as_uri()}"); }}'


def _text(element) -> str:
    """An element's text with its line breaks (<br>) kept, escaped for HTML."""
    parts = [html.escape(element.text or "")]
    for child in element:
        parts.append("<br>" if child.tag == "br" else _text(child))
        parts.append(html.escape(child.tail or ""))
    return "".join(parts)


def minimal_page(permit_html: str) -> str:
    """The minimal bilingual page: the permit's text (each heading, paragraph and table row of
    its HTML, in order) as plain HTML in the fonts a permit uses now, with nothing else."""
    document = tinyhtml5.parse(permit_html, namespace_html_elements=False)
    body = []
    for element in document.find("body").iter():
        if element.tag == "tr":
            cells = "".join(f"<{c.tag}>{_text(c)}</{c.tag}>" for c in element if c.tag in ("th", "td"))
            body.append(f"<tr>{cells}</tr>")
        elif element.tag in ("h1", "h2", "p"):
            body.append(f"<{element.tag}>{_text(element)}</{element.tag}>")
    blocks, rows = [], []
    for block in body:  # consecutive rows make one table
        if block.startswith("<tr>"):
            rows.append(block)
            continue
        if rows:
            blocks.append(f"<table>{''.join(rows)}</table>")
            rows = []
        blocks.append(block)
    if rows:
        blocks.append(f"<table>{''.join(rows)}</table>")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><style>{font_face()} body {{ font-family: '
            f'"{fonts.SUBSET_FAMILY}", "Noto Sans CJK SC", sans-serif; font-size: 10pt }} '
            f"h1, h2, th {{ font-weight: normal }}</style></head><body>{''.join(blocks)}</body></html>")


def page_text(pdf: bytes) -> list[str]:
    """The words a PDF shows, sorted: the same for two documents of the same text."""
    return sorted("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


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
    """The ways of rendering, each a function of no argument returning PDF bytes."""
    stylesheet = font_face() + Path(finders.find(rendering.PERMIT_STYLESHEET)).read_text()
    permit_html = rendering.permit_html(permit, permit.data)
    page = minimal_page(permit_html)
    html = permit_html.replace("</head>", f"<style>{stylesheet}</style></head>", 1)
    base = core_pdf.static_base()
    warm_page = page.replace(font_face(), "", 1)
    return {
        "ours": lambda: rendering.render_permit_pdf(permit),
        "raw_minimal": lambda: HTML(string=page).write_pdf(),
        "raw_minimal_warm": lambda: HTML(string=warm_page).write_pdf(
            font_config=core_pdf._font_config(fonts.font_files())),
        "raw_permit": lambda: HTML(string=html, base_url=base).write_pdf(),
    }


def latency(permit) -> tuple[dict, dict]:
    render = renderers(permit)
    times = {name: [] for name in render}
    cpu = {name: [] for name in render}
    last = {}
    for i in range(WARMUP + RUNS):
        for name, function in render.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            last[name] = function()
            if i >= WARMUP:
                times[name].append((time.perf_counter() - start) * 1000)
                cpu[name].append((time.process_time() - start_cpu) * 1000)
    return {name: {**summary(values), "cpu": round(statistics.median(cpu[name]), 1)}
            for name, values in times.items()}, last


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
    rounds = {name: [] for name in ("ours", "raw_minimal", "raw_minimal_warm", "raw_permit")}
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
        "same_text": page_text(last["ours"]) == page_text(last["raw_minimal"]),
        "ratio": {"p50": round(ours["p50"] / floor["p50"], 3), "p95": round(ours["p95"] / floor["p95"], 3),
                  "cpu": round(ours["cpu"] / floor["cpu"], 3)},
        "rate": rates,
        "rate_ratio": round(rates["ours"]["per_second"] / rates["raw_minimal"]["per_second"], 3),
    }))
    remove_font_copies()


if __name__ == "__main__":
    main()
