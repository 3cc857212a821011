"""The PDF receipt of a bundle application: its one reference, and for each permit its own
reference, the departments reviewing it and when its decision is expected (approvals.receipts'
stage plan, per child). Each permit's answers are on its own receipt."""

from django.conf import settings
from django.utils import timezone, translation

from core.pdf import render_pdf

from .models import BundleApplication
from .receipts import stage_plan


def bundle_receipt_context(bundle_application: BundleApplication, children) -> dict:
    permits = []
    for child in children:
        plan = stage_plan(child)
        permits.append({"application": child, "stages": plan, "final_decision_by": plan[-1].expected_by if plan else None})
    return {
        "row": bundle_application, "applicant": bundle_application.applicant, "permits": permits,
        "issued_at": timezone.localtime(timezone.now(), timezone.get_default_timezone()),
        "language": translation.get_language(), "site_url": settings.SITE_URL,
    }


def render_bundle_receipt_pdf(bundle_application: BundleApplication, children) -> bytes:
    """The receipt in the active language (the citizen's), as PDF bytes."""
    return render_pdf("bundles/receipt_pdf.html", bundle_receipt_context(bundle_application, children))
