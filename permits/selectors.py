"""Reads of permits: the holder's download, public verification and the staff's pages.

Permit numbers are sequential, so public verification tells by the number alone only whether a
valid permit has it. What the permit prints (and nothing more) is shown with the number and the
permit's verification code (printed on it, in its QR code), or for its file: whoever has either
holds the permit's text already. A wrong code is answered like a number never issued."""

import hashlib
import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404
from django.utils.translation import get_language

from departments.access import acting_supervisors, acts_as_administrator, administrator_ids, supervisor_memberships

from .codes import codes_match, normalize_code
from .models import Permit, PermitState, ReissueRequest, ReissueRequestStatus
from .rendering import permit_facts
from .services import CORRECTABLE, CORRECTABLE_LABELS
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


def _local(text: dict | str) -> str:
    if isinstance(text, str):
        return text
    zh = (get_language() or "").lower().startswith("zh")
    return (text.get("zh") if zh else None) or text.get("en") or ""


@dataclass
class Verification:
    """What verification says about one permit to whoever holds it: its state, and what it prints."""

    permit: Permit
    state: str
    holder: str = ""
    business_name: str = ""
    site_address: str = ""
    service: str = ""
    application: str = ""
    departments: list = field(default_factory=list)
    replaced_by: str = ""
    replaced_for: str = ""  # what replaced it: "renewal", "amendment" (the replacing application's kind)
    replaces: str = ""
    # What each department attached at approval, as (department, conditions), in review order.
    conditions: list = field(default_factory=list)
    valid_days: int = 0
    # A combined permit: each permit it stands for, as (title, application, departments).
    members: list = field(default_factory=list)


def permit_data(permit: Permit) -> dict:
    """What the permit states: stored since its file was produced; for a permit produced
    before the facts were stored, read from its application."""
    if permit.data or not permit.rendered_at:
        return permit.data or {}
    return permit_facts(permit.application, permit.bundle_application)


def _verification(permit: Permit) -> Verification:
    data = permit_data(permit)
    replaced_by = (getattr(permit, "replaced_by", None)
                   if permit.status == "superseded" or permit.superseded_from else None)
    return Verification(
        permit=permit, state=permit.state(),
        holder=data.get("holder", ""),
        business_name=data.get("business_name", ""), site_address=data.get("site_address", ""),
        service=_local(data.get("service", "")), application=data.get("application", ""),
        departments=[_local(a["name"]) for a in data.get("approvals", [])],
        conditions=[(_local(a["name"]), a["conditions"]) for a in data.get("approvals", []) if a.get("conditions")],
        valid_days=permit.valid_days,
        members=[(_local(m["title"]), m["application"], [_local(a["name"]) for a in m["approvals"]])
                 for m in data.get("permits", [])],
        replaced_by=replaced_by.number if replaced_by else "",
        replaced_for=replaced_by.application.kind if replaced_by else "",
        replaces=permit.replaces.number if permit.replaces_id else "",
    )


def _verification_query():
    return Permit.objects.select_related("replaces", "replaced_by__application", "application__applicant",
                                         "application__service_version")


def valid_by_number(number: str) -> bool:
    """All the number alone tells: whether a permit with it is valid today."""
    permit = Permit.objects.only("status", "rendered_at", "valid_until", "cancelled_from").filter(number=number).first()
    return permit is not None and permit.state() == PermitState.VALID


def verification_by_code(number: str, code: str) -> Verification | None:
    """The permit with this number and verification code (any issue, superseded ones too), or
    None: a wrong code and a number never issued are the same answer."""
    code = normalize_code(code)
    permit = _verification_query().filter(number=number).first() if code else None
    if permit is None or not codes_match(code, permit.verify_code):
        return None
    return _verification(permit)


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


def managed_permits(user):
    """The permits ``user`` manages: every permit for an active administrator; for an active
    supervisor, the permits of applications one of their departments reviewed (it approved them:
    a permit is issued only when every department has); none for anyone else
    (departments.access: who acts as a supervisor or an administrator). The one rule of the
    staff's permit pages and of the permit actions (approvals.access.may_manage_permit)."""
    if acts_as_administrator(user):
        return Permit.objects.all()
    departments = supervisor_memberships(user).values("department_id")
    # A combined permit: any department that reviewed one of the permits it stands for.
    return Permit.objects.filter(Q(application__reviews__department_id__in=departments)
                                 | Q(bundle_application__children__reviews__department_id__in=departments)).distinct()


def permit_manager_ids(permit) -> list[int]:
    """Everyone ``managed_permits`` gives this permit (the same rule, from the permit's side), by
    id: the active administrators, and the acting supervisors of the departments that reviewed
    its application."""
    reviewed = Q(department__reviews__application_id=permit.application_id)
    if permit.bundle_application_id:
        reviewed |= Q(department__reviews__application__bundle_application_id=permit.bundle_application_id)
    supervisors = acting_supervisors().filter(reviewed)
    return sorted({*administrator_ids(), *supervisors.values_list("user_id", flat=True)})


def _page(queryset, *, past: int | None = None, newest_first: bool = True) -> tuple[list, int | None]:
    """A keyset page by id (continuing past the id ``past``), and the id to continue past, if there is more."""
    if past:
        queryset = queryset.filter(pk__lt=past) if newest_first else queryset.filter(pk__gt=past)
    page = list(queryset.order_by("-pk" if newest_first else "pk")[: STAFF_PAGE_SIZE + 1])
    more = page[STAFF_PAGE_SIZE - 1].pk if len(page) > STAFF_PAGE_SIZE else None
    return page[:STAFF_PAGE_SIZE], more


def staff_permits(user, *, query: str = "", before: int | None = None) -> tuple[list[Permit], int | None]:
    """A page of the permits this supervisor (or administrator) manages, newest first, keyset
    by id; returns the page and the id to continue before, if there is more."""
    permits = managed_permits(user).select_related("application__applicant", "application__service")
    if query:
        permits = permits.filter(Q(number__istartswith=query.strip()) | Q(application__reference__iexact=query.strip()))
    return _page(permits, past=before)


def staff_permit(user, number: str) -> tuple[Permit, list[Permit]]:
    """One permit this user manages and every issue of its application (the history); 404 else."""
    permit = (managed_permits(user).select_related("application__applicant", "application__service", "revoked_by",
                                                "reissue_request__proposed_by", "reissue_request__decided_by")
              .filter(number=number).first())
    if permit is None:
        raise Http404
    history = list(Permit.objects.filter(application_id=permit.application_id).order_by("issued_at", "pk"))
    return permit, history


# --- Staff: corrections waiting for a second person (four eyes) ----------------------------------


def _staff_requests(user):
    return ReissueRequest.objects.filter(permit__in=managed_permits(user))


def waiting_correction(permit: Permit) -> ReissueRequest | None:
    """The correction of this permit waiting for approval, if one does."""
    return (ReissueRequest.objects.select_related("proposed_by")
            .filter(permit=permit, status=ReissueRequestStatus.PENDING).first())


def waiting_corrections(user, *, after: int | None = None) -> tuple[list[ReissueRequest], int | None]:
    """A page of the corrections waiting for approval on the permits this user manages, the
    longest waiting first; returns the page and the id to continue after, if there is more."""
    requests = (_staff_requests(user).filter(status=ReissueRequestStatus.PENDING)
                .select_related("permit__application__service", "proposed_by"))
    page, more = _page(requests, past=after, newest_first=False)
    for request in page:
        request.changed_labels = [CORRECTABLE_LABELS[key] for key in CORRECTABLE if key in request.corrections]
    return page, more


def waiting_corrections_count(user) -> int:
    return _staff_requests(user).filter(status=ReissueRequestStatus.PENDING).count()


def staff_correction(user, pk) -> ReissueRequest:
    """One correction of a permit this user manages (whatever its state); 404 else."""
    request = (_staff_requests(user).select_related("permit__application__service", "proposed_by", "decided_by",
                                                    "reissued")
               .filter(pk=pk).first())
    if request is None:
        raise Http404
    return request


def correction_keys(request: ReissueRequest) -> list[str]:
    """The details a correction changes, in form order."""
    return [key for key in CORRECTABLE if key in request.corrections]


def correction_rows(request: ReissueRequest) -> list[tuple[str, str, str]]:
    """What a correction changes on the permit: (detail, printed now, proposed), in form order."""
    facts = permit_data(request.permit)
    return [(CORRECTABLE_LABELS[key], facts.get(key, ""), request.corrections[key]) for key in correction_keys(request)]


def mask_name(name: str) -> str:
    """Enough to recognise a name, not enough to learn it: 'W** F**' (the staff pages of someone
    whose departments are not shown the applicant's name, approvals.need_to_know)."""
    return " ".join(part[:1] + "*" * max(1, len(part) - 1) for part in name.split()) if name else ""
