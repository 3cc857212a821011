"""Reads of permits: the holder's download, public verification (by number and by file) and
the staff list. Verification shows what the permit itself prints, the holder's name masked."""

import hashlib
import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404
from django.utils.translation import get_language

from accounts.models import Role
from departments.models import MembershipRole

from .models import Permit
from .rendering import permit_facts
from .signing import NotAPdf, check_signature

# P-2026-000123, and P-2026-000123-2 for its re-issues.
NUMBER_PATTERN = re.compile(r"P-[0-9]{4}-[0-9]{6,10}(?:-[0-9]{1,3})?", re.ASCII)
STAFF_PAGE_SIZE = 25


def permit_for_holder(user, number: str) -> Permit:
    permit = Permit.objects.select_related("application").filter(number=number, application__applicant=user).first()
    if permit is None or not permit.file:
        raise Http404
    return permit


def normalize_number(raw) -> str | None:
    """The permit number in its canonical form, or None when it cannot be one."""
    text = str(raw or "").strip().upper()
    return text if NUMBER_PATTERN.fullmatch(text) else None


def mask_name(name: str) -> str:
    """Show enough to recognise the holder, not enough to learn a full name: 'W** F**'."""
    return " ".join(part[:1] + "*" * max(1, len(part) - 1) for part in name.split()) if name else ""


def _local(text: dict | str) -> str:
    if isinstance(text, str):
        return text
    zh = (get_language() or "").lower().startswith("zh")
    return (text.get("zh") if zh else None) or text.get("en") or ""


@dataclass
class Verification:
    """What the public verification page says about one permit."""

    permit: Permit
    state: str
    holder: str = ""
    business_name: str = ""
    site_address: str = ""
    service: str = ""
    departments: list = field(default_factory=list)
    replaced_by: str = ""
    replaces: str = ""
    # What each department attached at approval, as (department, conditions), in review order.
    conditions: list = field(default_factory=list)
    valid_days: int = 0


def permit_data(permit: Permit) -> dict:
    """What the permit states: stored since its file was produced; for a permit produced
    before the facts were stored, read from its application."""
    if permit.data or not permit.rendered_at:
        return permit.data or {}
    return permit_facts(permit.application)


def _verification(permit: Permit) -> Verification:
    data = permit_data(permit)
    replaced_by = getattr(permit, "replaced_by", None) if permit.status == "superseded" else None
    return Verification(
        permit=permit, state=permit.state(),
        holder=mask_name(data.get("holder", "")),
        business_name=data.get("business_name", ""), site_address=data.get("site_address", ""),
        service=_local(data.get("service", "")),
        departments=[_local(a["name"]) for a in data.get("approvals", [])],
        conditions=[(_local(a["name"]), a["conditions"]) for a in data.get("approvals", []) if a.get("conditions")],
        valid_days=permit.valid_days,
        replaced_by=replaced_by.number if replaced_by else "",
        replaces=permit.replaces.number if permit.replaces_id else "",
    )


def _verification_query():
    return Permit.objects.select_related("replaces", "replaced_by", "application__applicant",
                                         "application__service_version")


def verification_by_number(number: str) -> Verification | None:
    permit = _verification_query().filter(number=number).first()
    return _verification(permit) if permit else None


class FileOutcome:
    ISSUED = "issued"  # byte for byte a file this portal issued
    ALTERED = "altered"  # carries our signature, but is not a file we issued (changed after signing)
    UNKNOWN = "unknown"  # a PDF without a valid signature of ours
    NOT_PDF = "not_pdf"


@dataclass
class FileCheck:
    outcome: str
    sha256: str
    verification: Verification | None = None
    signature: object = None  # permits.signing.SignatureCheck, when the file could be read


def check_file(data: bytes) -> FileCheck:
    """Is this file one we issued? First by its SHA-256 (every issued file's hash is stored,
    superseded ones too), then by its signature, which tells an altered copy of ours from a
    file that never was ours."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        signature = check_signature(data)
    except NotAPdf:
        return FileCheck(FileOutcome.NOT_PDF, digest)
    permit = _verification_query().filter(sha256=digest).first()
    if permit is not None:
        return FileCheck(FileOutcome.ISSUED, digest, _verification(permit), signature)
    if signature.signed and signature.ours:
        return FileCheck(FileOutcome.ALTERED, digest, signature=signature)
    return FileCheck(FileOutcome.UNKNOWN, digest, signature=signature)


# --- Staff ----------------------------------------------------------------------------------------


def _staff_scope(user):
    if user.role == Role.ADMIN:
        return Permit.objects.all()
    return Permit.objects.filter(application__reviews__department__memberships__user=user,
                                 application__reviews__department__memberships__role=MembershipRole.SUPERVISOR).distinct()


def staff_permits(user, *, query: str = "", before: int | None = None) -> tuple[list[Permit], int | None]:
    """A page of the permits this supervisor (or administrator) manages, newest first, keyset
    by id; returns the page and the id to continue before, if there is more."""
    permits = _staff_scope(user).select_related("application__applicant", "application__service")
    if query:
        permits = permits.filter(Q(number__istartswith=query.strip()) | Q(application__reference__iexact=query.strip()))
    if before:
        permits = permits.filter(pk__lt=before)
    page = list(permits.order_by("-pk")[: STAFF_PAGE_SIZE + 1])
    more = page[STAFF_PAGE_SIZE - 1].pk if len(page) > STAFF_PAGE_SIZE else None
    return page[:STAFF_PAGE_SIZE], more


def staff_permit(user, number: str) -> tuple[Permit, list[Permit]]:
    """One permit this user manages and every issue of its application (the history); 404 else."""
    permit = (_staff_scope(user).select_related("application__applicant", "application__service", "revoked_by")
              .filter(number=number).first())
    if permit is None:
        raise Http404
    history = list(Permit.objects.filter(application_id=permit.application_id).order_by("issued_at", "pk"))
    return permit, history

