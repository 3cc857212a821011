"""The issued file: PDF/A-3b with its data attached, Noto CJK embedded (its GB 2312 subset, and the
full font for a character outside it), a QR code to the
verification page, and a PAdES signature that poppler and pyHanko accept and that one changed
byte breaks. Checked with the real tools (poppler-utils, zbar-tools)."""

import hashlib
import io
import json
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from approvals.permit_flow import permit_render, permit_revoke
from core.pdf import html_to_pdf
from permits.pdfa import pdfa_problems
from permits.rendering import printable, render_permit_pdf
from permits.signing import check_signature
from tests.client import PortalClient

from .conftest import local_copy, stored_bytes

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=False).stdout


def tampered(content: bytes, tmp_path: Path) -> Path:
    """The file with one byte changed inside the signed part (the page's content stream)."""
    data = bytearray(content)
    position = data.index(b"stream", len(data) // 3) + 20
    data[position] ^= 0x01
    out = tmp_path / "tampered.pdf"
    out.write_bytes(bytes(data))
    return out


def test_the_issued_file_is_signed_and_verified_by_pdfsig_and_pyhanko(issued_permit, tmp_path):
    path = Path(local_copy(issued_permit, tmp_path))
    report = run("pdfsig", str(path))
    assert "Signature Field Name: PermitSignature" in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report
    check = check_signature(path.read_bytes())
    assert (check.signed, check.intact, check.valid, check.trusted, check.whole_file) == (True, True, True, True, True)
    assert "One-stop portal permits" in check.signer
    assert issued_permit.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()

    bad = tampered(path.read_bytes(), tmp_path)
    report = run("pdfsig", str(bad))
    assert "Signature Validation: Signature is Valid." not in report
    assert re.search(r"Signature Validation: (Digest Mismatch|Signature is Invalid)", report), report
    check = check_signature(bad.read_bytes())
    assert check.signed and not check.ok
    assert not check.intact


def test_a_byte_appended_after_signing_is_not_the_whole_file(issued_permit):
    data = stored_bytes(issued_permit.file) + b"\n% added later\n"
    check = check_signature(data)
    assert check.intact and check.valid and check.trusted
    assert not check.whole_file and not check.ok


def embedded_fonts(path) -> dict[str, list[str]]:
    """pdffonts' fonts by name without the subset prefix: [emb, sub, uni]."""
    lines = [line.split() for line in run("pdffonts", str(path)).splitlines()[2:]]
    return {line[0].split("+", 1)[1]: line[-5:-2] for line in lines}


def test_pdffonts_lists_the_embedded_noto_cjk_font(issued_permit, tmp_path):
    # Only the GB 2312 subset of Noto Sans CJK SC is needed for this permit: embedded (as a
    # subset of it) with its Unicode map.
    path = local_copy(issued_permit, tmp_path)
    assert embedded_fonts(path) == {"Noto-Sans-CJK-SC-GB2312": ["yes", "yes", "yes"]}
    text = run("pdftotext", "-layout", path, "-")
    for words in ("Restaurant operating permit", "餐饮经营许可证", "持证人", issued_permit.number, "Wang Fang",
                  f"{issued_permit.valid_until:%Y-%m-%d} (3 years / 3 年)"):
        assert words in text


def test_a_name_outside_gb2312_prints_from_the_full_font(approved_permit, tmp_path):
    applicant = approved_permit.application.applicant
    applicant.full_name = "王堃 (Wang Kun)"  # 堃 is not in GB 2312
    applicant.save(update_fields=["full_name"])
    assert permit_render(permit_id=approved_permit.pk) == "rendered"
    approved_permit.refresh_from_db()
    path = local_copy(approved_permit, tmp_path)
    assert "王堃 (Wang Kun)" in PdfReader(path).pages[0].extract_text()
    assert "王堃 (Wang Kun)" in run("pdftotext", "-layout", path, "-")
    assert embedded_fonts(path) == {"Noto-Sans-CJK-SC-GB2312": ["yes", "yes", "yes"],
                                    "Noto-Sans-CJK-SC": ["yes", "yes", "yes"]}
    assert pdfa_problems(Path(path).read_bytes()) == []


def test_the_issued_file_passes_the_pdf_a_3b_structural_check(issued_permit):
    content = stored_bytes(issued_permit.file)
    assert pdfa_problems(content) == []
    # What the check finds in a plain WeasyPrint file, and in the permit made unfit for PDF/A.
    assert pdfa_problems(html_to_pdf("<p>Permit 证照</p>")) == [
        "the trailer has no file identifier (/ID)", "no XMP metadata", "no PDF/A output intent with an ICC profile"]
    with pikepdf.open(io.BytesIO(content)) as pdf:
        del pdf.Root.OutputIntents
        del pdf.Root.Names.EmbeddedFiles.Names[1].AFRelationship
        pdf.Root.Names.JavaScript = pikepdf.Dictionary()
        qr = next(obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image")
        assert qr.Interpolate is False  # permit.css draws the QR code pixelated
        qr.Interpolate = True
        broken = io.BytesIO()
        pdf.save(broken)
    assert pdfa_problems(broken.getvalue()) == [
        "no PDF/A output intent with an ICC profile", "attachment permit.json has no AFRelationship",
        f"image {qr.objgen[0]} asks the viewer to interpolate it", "the document has JavaScript"]


def test_pdf_a_3b_with_the_permit_data_attached_as_json(issued_permit, tmp_path):
    path = local_copy(issued_permit, tmp_path)
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    xmp = reader.xmp_metadata
    assert xmp is not None
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    # Signing (an incremental update) keeps the PDF/A identification of the XMP packet.
    assert re.search(r'pdfaid:part(="|>)3', metadata) and re.search(r'pdfaid:conformance(="|>)B', metadata), metadata
    info = reader.trailer["/Info"].get_object()
    assert info["/Producer"] == "pyHanko 0.38.0" and 'pdf:Producer="pyHanko 0.38.0"' in metadata
    assert info["/Title"] == f"Restaurant operating permit {issued_permit.number}"
    assert run("pdfdetach", "-list", path).split("\n", 1)[1].strip() == "1: permit.json"
    document = json.loads(reader.attachments["permit.json"][0])
    application = issued_permit.application
    assert document == {
        "format": "one-stop-portal/permit/1",
        "number": issued_permit.number,
        "issued_at": issued_permit.issued_at.isoformat(),
        "valid_from": issued_permit.valid_from.isoformat(),
        "valid_until": issued_permit.valid_until.isoformat(),
        "replaces": None,
        "verify_url": f"http://127.0.0.1:8000/permits/verify/{issued_permit.number}/{issued_permit.verify_code}/",
        "holder": "Wang Fang", "business_name": "Golden Dragon", "site_address": "1 Harbour Road",
        "application": application.reference,
        "service": {"en": "Open a restaurant", "zh": "开办餐饮店"},
        "title": {"en": "Restaurant operating permit", "zh": "餐饮经营许可证"},
        "service_version": 1,
        "approvals": [
            {"department": code, "name": {"en": f"{code.title()} Bureau", "zh": f"{code}局"},
             "approved_on": document["approvals"][0]["approved_on"], "conditions": f"Condition of {code}."}
            for code in ("health", "registration", "tax", "fire")
        ],
    }
    assert issued_permit.data == {k: v for k, v in document.items() if k in issued_permit.data}


def test_two_renders_of_a_permit_print_the_same_text_and_are_both_signed(issued_permit):
    first, second = render_permit_pdf(issued_permit), render_permit_pdf(issued_permit)
    text = [PdfReader(io.BytesIO(pdf)).pages[0].extract_text() for pdf in (stored_bytes(issued_permit.file), first,
                                                                            second)]
    assert text[0] == text[1] == text[2]
    assert "Permit No. / 证照编号 " + issued_permit.number in text[0]
    assert [check_signature(pdf).ok for pdf in (first, second)] == [True, True]
    assert [pdfa_problems(pdf) for pdf in (first, second)] == [[], []]


def test_the_qr_code_decodes_to_the_verification_page_which_says_valid_then_revoked(
        issued_permit, officers, tmp_path, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"
    path = local_copy(issued_permit, tmp_path)
    expected = f"http://127.0.0.1:8000/permits/verify/{issued_permit.number}/{issued_permit.verify_code}/"
    for resolution in ("72", "100", "150"):  # a screen's, and a scanner's
        run("pdftoppm", "-r", resolution, "-png", "-singlefile", path, str(tmp_path / "page"))
        url = run("zbarimg", "-q", "--raw", str(tmp_path / "page.png")).strip()
        assert (resolution, url) == (resolution, expected)

    path = url.removeprefix(settings.SITE_URL)
    page = PortalClient().get(path)
    assert page.status_code == 200
    assert f"Permit {issued_permit.number} was issued by this portal and is valid." in page.content.decode()

    permit_revoke(permit_id=issued_permit.pk, actor=officers["fire_supervisor"], reason="Kitchen closed by inspection.")
    page = PortalClient().get(path).content.decode()
    assert "was revoked on" in page and "Kitchen closed by inspection." not in page
    assert "is valid" not in page


def test_printable_text_drops_controls_and_overrides_and_cuts_long_values():
    assert printable("Golden\u202eDragon\u2066 \u200f Inn\x00\n") == "GoldenDragon Inn"
    assert printable("x" * 500, 10) == "x" * 9 + "…"
    assert printable("🍜 面馆 <b>") == "🍜 面馆 <b>"
