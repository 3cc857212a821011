"""Where the time of one permit goes: cProfile over RUNS renders + signatures of the demo permit,
summed by stage (ms per permit, cumulative, so a stage includes what it calls), then the functions
that take the most time of their own. Prints Markdown (docs/profiles/permit-render.md).

    DATABASE_URL=... PERMIT_CJK_SUBSET=false .venv/bin/python bench/permit_profile.py

Run on a database where seed_demo issued a permit."""

import cProfile
import os
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

import logging  # noqa: E402

import django  # noqa: E402

django.setup()
logging.getLogger("weasyprint").setLevel(logging.ERROR)

from bench.permits import WARMUP, demo_permit  # noqa: E402
from permits import fonts, rendering  # noqa: E402

RUNS = int(os.environ.get("BENCH_PERMIT_RUNS", "20"))
# (stage, file suffix, function): cumulative time of that function.
STAGES = [
    ("Whole render + sign", "permits/rendering.py", "render_permit_pdf"),
    ("Template and QR code", "permits/rendering.py", "permit_html"),
    ("QR code", "permits/rendering.py", "qr_data_uri"),
    ("WeasyPrint: styles (cascade)", "weasyprint/css/__init__.py", "get_all_computed_styles"),
    ("WeasyPrint: layout", "weasyprint/layout/__init__.py", "layout_document"),
    ("WeasyPrint: drawing", "weasyprint/document.py", "paint"),
    ("WeasyPrint: PDF writing", "weasyprint/pdf/__init__.py", "generate_pdf"),
    ("… of which: font subsetting (HarfBuzz)", "weasyprint/pdf/fonts.py", "subset"),
    ("… of which: font file read in (whole face)", "weasyprint/text/fonts.py", "get_hb_object_data"),
    ("… of which: compression (zlib)", "~", "<method 'compress' of 'zlib.Compress' objects>"),
    ("PAdES signature", "permits/signing.py", "_sign_pdf"),
]


def main():
    permit = demo_permit()
    for _ in range(WARMUP):
        rendering.render_permit_pdf(permit)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(RUNS):
        rendering.render_permit_pdf(permit)
    profile.disable()
    stats = pstats.Stats(profile).stats
    font = "GB 2312 subset of Noto Sans CJK SC first" if fonts.font_files() else "full Noto Sans CJK SC"
    print(f"### {font}\n\ncProfile over {RUNS} renders after {WARMUP} warm-up renders; ms per permit (profiling "
          "slows Python code more than native code: read the shares, not the totals).\n")
    print("| stage | ms per permit |\n|---|---:|")
    for label, suffix, name in STAGES:
        total = sum(row[3] for (file, _, function), row in stats.items() if file.endswith(suffix) and function == name)
        print(f"| {label} | {total / RUNS * 1000:.1f} |")
    print("\nThe functions with the most time of their own:\n\n| function | ms per permit |\n|---|---:|")
    own = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:12]
    for (file, line, function), row in own:
        where = file.split("site-packages/")[-1] if "site-packages/" in file else Path(file).name
        print(f"| `{function}` ({where}:{line}) | {row[2] / RUNS * 1000:.1f} |")


if __name__ == "__main__":
    main()
