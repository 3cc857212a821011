"""The sample files the demo, the history and the simulator attach: made when first asked for,
never when a module is imported (so importing the simulator or seed_demo renders no PDF)."""

import io
import os
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

from devtools.samples import blank_pdf, sample_files, sample_upload

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_tools_builds_no_pdf():
    code = ("import django; django.setup(); import pypdf; pypdf.PdfWriter = None; "
            "import devtools.simulation, devtools.history, devtools.management.commands.seed_demo; print('imported')")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test"})
    assert (result.returncode, result.stdout) == (0, "imported\n"), result.stderr


def test_the_sample_files_are_made_once_and_pass_as_what_they_claim():
    assert sample_files() is sample_files()
    assert set(sample_files()) == {"application/pdf", "image/png"}
    assert len(PdfReader(io.BytesIO(blank_pdf())).pages) == 1
    upload = sample_upload({"key": "plan", "accept": ["image/jpeg", "image/png"]})
    assert (upload.name, upload.content_type, upload.read()) == ("image.png", "image/png", sample_files()["image/png"][0])
    pdf = sample_upload({"key": "plan"})
    assert (pdf.name, pdf.content_type, pdf.read()) == ("document.pdf", "application/pdf", sample_files()["application/pdf"][0])
