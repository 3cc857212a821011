"""Hostile text in every field that reaches the permit: printed literally or cut, nothing
fetched, rendering never fails."""

import io
import json
import subprocess

import pytest
from pypdf import PdfReader

from approvals.models import Review
from approvals.permit_flow import permit_render
from core import pdf
from permits import rendering
from tests.factories import VALID_ANSWERS

from .conftest import approve_all, stored_bytes

pytestmark = pytest.mark.django_db

HOSTILE = {
    "html": '<b>Bold</b><img src="file:///etc/passwd"><script>alert(1)</script>',
    "css": '<style>body{background:url(file:///etc/passwd)}</style><div style="background:url(http://169.254.169.254/)">x</div>',
    "attachment": '<link rel=attachment href="file:///etc/passwd"><a rel="attachment" href="file:///etc/hostname">a</a>',
    "rtl": "Dragon\u202eevil.exe\u202c Inn",
    "emoji": "🍜🔥👩‍🍳 Noodles 面馆",
}


@pytest.fixture
def fetched(monkeypatch):
    """Every URL WeasyPrint asks the fetcher for, and what it answered."""
    asked = []
    real = pdf.safe_url_fetcher

    def recording():
        fetcher = real()
        fetch = fetcher.fetch

        def spy(url, headers=None):
            try:
                response = fetch(url, headers)
            except pdf.FetchRefused:
                asked.append((url, "refused"))
                raise
            asked.append((url.split(",")[0], "served"))
            return response

        fetcher.fetch = spy
        return fetcher

    monkeypatch.setattr(pdf, "safe_url_fetcher", recording)
    return asked


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_text_is_printed_literally_and_nothing_is_fetched(kind, submit, citizen, officers, fetched):
    text = HOSTILE[kind]
    citizen.full_name = text[:120]
    citizen.save(update_fields=["full_name"])
    application = submit(answers={**VALID_ANSWERS, "business_name": text[:120], "site_address": text[:200]})
    permit = approve_all(application, officers)
    Review.objects.filter(application=application).update(conditions=text)
    assert permit_render(permit_id=permit.pk) == "rendered"
    permit.refresh_from_db()

    # Only the QR code's data: URL, whatever the text says (the renderer reads our stylesheet itself).
    assert fetched == [("data:image/png;base64", "served")]
    content = stored_bytes(permit.file)
    reader = PdfReader(io.BytesIO(content))
    assert list(reader.attachments) == ["permit.json"]
    assert len(reader.pages) <= 2  # the long hostile text fills four departments' conditions too
    expected = rendering.printable(text, 120)
    assert json.loads(reader.attachments["permit.json"][0])["holder"] == expected
    assert permit.data["holder"] == expected
    pdf_text = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True).stdout.decode()
    assert "passwd" not in pdf_text or "file:///etc/passwd" in " ".join(pdf_text.split()).replace("- ", "")
    if kind == "html":
        assert "<b>Bold</b>" in pdf_text
    if kind == "rtl":
        assert "\u202e" not in pdf_text and "Dragonevil.exe Inn" in pdf_text
    if kind == "emoji":
        assert "Noodles 面馆" in pdf_text


def test_very_long_values_are_cut_gracefully(submit, citizen, officers, fetched):
    citizen.full_name = "Wang " + "Fang" * 36
    citizen.save(update_fields=["full_name"])
    application = submit(answers={**VALID_ANSWERS, "business_name": "W" * 120, "site_address": "长" * 200})
    permit = approve_all(application, officers)
    Review.objects.filter(application=application).update(conditions="Keep the kitchen clean. " * 400)
    assert permit_render(permit_id=permit.pk) == "rendered"
    permit.refresh_from_db()
    assert len(permit.data["holder"]) == 120 and permit.data["holder"].endswith("Fa…")
    assert all(len(a["conditions"]) == 600 for a in permit.data["approvals"])
    assert len(PdfReader(io.BytesIO(stored_bytes(permit.file))).pages) <= 3
    assert len(fetched) == 1


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "http://169.254.169.254/latest/meta-data/", "https://example.org/x.css",
    "http://127.0.0.1:8000/static/../../../etc/passwd", "http://127.0.0.1:8000/static/permits/../../manage.py",
    "http://127.0.0.1:8000/media-not-served/permits/P-2026-000001.pdf", "ftp://example.org/a",
])
def test_the_fetcher_refuses_everything_but_our_static_files_and_data_urls(url):
    fetcher = pdf.safe_url_fetcher()
    with pytest.raises(pdf.FetchRefused):
        fetcher.fetch(url)
    assert fetcher.fetch("http://127.0.0.1:8000/static/permits/permit.css").headers["Content-Type"] == "text/css"
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
