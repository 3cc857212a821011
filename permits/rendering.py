"""Rendering permits to PDF, through core.pdf (our own templates only, and a fetcher that reads
nothing but our static files and data: URLs). A permit is one bilingual page (English /
Simplified Chinese, Noto CJK embedded), PDF/A-3b with its data attached as permit.json for
machines, a QR code to its public verification address (with its verification code), and a
PAdES signature (permits.signing)."""

import json
import re
import unicodedata

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from catalogue.durations import calendar_duration
from core import pdf as core_pdf
from core.i18n import translated

from . import fonts
from .signing import sign_pdf

PERMIT_TEMPLATE = "permits/permit.html"
PERMIT_STYLESHEET = "permits/permit.css"
DATA_ATTACHMENT = "permit.json"
PDF_VARIANT = "pdf/a-3b"
# Longest text of a field printed on the permit; longer values end in an ellipsis.
TEXT_LIMITS = {"holder": 120, "business_name": 200, "site_address": 300, "conditions": 600}
# Bidirectional overrides and isolates would reorder what is printed around them; other control
# characters have no place on a certificate. Both are dropped from printed text.
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def printable(value, limit: int | None = None) -> str:
    """Text as it may be printed: no control or direction-override characters, whitespace
    collapsed, and at most ``limit`` characters (an ellipsis marks the cut)."""
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in str(value or ""))
    text = " ".join(_INVISIBLE.sub("", text).split())
    if limit and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _both(text) -> dict:
    return {"en": translated(text, "en"), "zh": translated(text, "zh-hans")}


def _approvals(application) -> list[dict]:
    reviews = application.reviews.select_related("department").order_by("stage", "department__code")
    return [
        {"department": r.department.code, "name": _both(r.department.name),
         "approved_on": timezone.localdate(r.decided_at).isoformat() if r.decided_at else "",
         "conditions": printable(r.conditions, TEXT_LIMITS["conditions"])}
        for r in reviews
    ]


def _member(application) -> dict:
    """What a permit states about one application it stands for."""
    schema = application.service_version.schema
    return {
        "application": application.reference or "",
        "service": _both(schema["service"]["name"]),
        "title": _both(schema["service"]["permit_title"]),
        "service_version": application.service_version.number,
        "valid_days": schema["service"]["permit_valid_days"],
        "approvals": _approvals(application),
    }


def permit_facts(application, bundle_application=None) -> dict:
    """What a permit states about its application, as stored on the permit (Permit.data) so
    that an issued permit keeps saying what it said, and a re-issue can correct it. A combined
    permit (``bundle_application``) states the bundle's reference and name, and lists each permit
    it stands for (``permits``) with its departments and conditions; its ``approvals`` are all of
    theirs, so what reads one permit's approvals reads a combined one's alike."""
    members = [application]
    if bundle_application is not None:
        members = list(bundle_application.children.select_related("service_version").order_by("pk"))
        members.sort(key=lambda child: child.pk != application.pk)  # the first child first
    answers = {}
    for member in reversed(members):
        answers.update(member.answers or {})
    facts = {
        "holder": printable(application.applicant.full_name or application.applicant.email, TEXT_LIMITS["holder"]),
        "business_name": printable(answers.get("business_name", ""), TEXT_LIMITS["business_name"]),
        "site_address": printable(answers.get("site_address", ""), TEXT_LIMITS["site_address"]),
        **_member(application),
    }
    del facts["valid_days"]
    if bundle_application is not None:
        name = bundle_application.schema["bundle"]["name"]
        permits = [_member(member) for member in members]
        facts.update({
            "application": bundle_application.reference or "", "service": _both(name),
            "title": {"en": f"Combined permit: {translated(name, 'en')}", "zh": f"一业一证：{translated(name, 'zh-hans')}"},
            "service_version": "", "permits": permits,
            "approvals": [approval for member in permits for approval in member["approvals"]],
        })
    return facts


def verify_url(permit) -> str:
    """The address printed on the permit and in its QR code: its number and its own code."""
    return f"{settings.SITE_URL}{reverse('permits:verify_code', args=[permit.number, permit.verify_code])}"


def permit_document(permit, facts: dict) -> dict:
    """The permit.json attached to the PDF: the facts plus the permit's own identity."""
    return {
        "format": "one-stop-portal/permit/1",
        "number": permit.number,
        "issued_at": permit.issued_at.isoformat(),
        "valid_from": permit.valid_from.isoformat(),
        "valid_until": permit.valid_until.isoformat(),
        "replaces": permit.replaces.number if permit.replaces_id else None,
        "verify_url": verify_url(permit),
        **facts,
    }


def qr_data_uri(url: str) -> str:
    """The QR code as a PNG data: URL of four pixels per module, which permit.css draws at its
    size without smoothing (image-rendering: pixelated, which also keeps the image's
    /Interpolate false, as PDF/A asks): a few hundred bytes to encode, decode and compress,
    where eight pixels per module cost four times as much, and one pixel per module loses
    modules when a viewer samples it at low resolution."""
    import segno

    return segno.make(url, error="m").png_data_uri(scale=4, border=2)


def validity(permit) -> dict:
    """How long the permit is valid, said in both of the permit's languages: {"en": "3 years", "zh": "3 年"}."""
    result = {}
    for key, language in (("en", "en"), ("zh", "zh-hans")):
        with translation.override(language):
            result[key] = calendar_duration(permit.valid_days)
    return result


def permit_html(permit, facts: dict) -> str:
    document = permit_document(permit, facts)
    with translation.override("en"):
        return render_to_string(PERMIT_TEMPLATE, {
            "permit": permit, "d": document, "qr": qr_data_uri(document["verify_url"]), "validity": validity(permit),
        })


def _producer_as_the_signature_writes_it(document, pdf) -> None:
    """PDF/A wants the document information dictionary to agree with the XMP packet. Signing
    (an incremental update) sets the XMP producer to pyHanko's name and appends that name to
    the dictionary's; naming it here already makes both the same after signing."""
    import pydyf
    from pyhanko.pdf_utils.metadata.model import VENDOR

    pdf.info["Producer"] = pydyf.String(VENDOR)


def permit_pdf_unsigned(permit, facts: dict) -> bytes:
    from weasyprint import Attachment

    document = json.dumps(permit_document(permit, facts), ensure_ascii=False, indent=1, sort_keys=True)
    attachment = Attachment(string=document, name=DATA_ATTACHMENT, relationship="Data",
                            description="Permit data (JSON)", url_fetcher=core_pdf.safe_url_fetcher())
    return core_pdf.html_to_pdf(permit_html(permit, facts), stylesheets=(PERMIT_STYLESHEET,),
                                font_files=fonts.font_files(), pdf_variant=PDF_VARIANT, attachments=[attachment],
                                finisher=_producer_as_the_signature_writes_it)


def render_permit_pdf(permit) -> bytes:
    """The signed permit PDF. Uses the facts stored on the permit (Permit.data)."""
    return sign_pdf(permit_pdf_unsigned(permit, permit.data or permit_facts(permit.application, permit.bundle_application)))
