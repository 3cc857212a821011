"""The public progress check: anyone holding an application's reference and check code (printed on
the receipt, approvals.check_codes) sees where it stands without signing in.

What it tells is the application's own state and nothing about the person: the service, the
day it was submitted, its status and stage, each department's status (pending, in review,
correction asked, approved, rejected, not needed) and the permit's state once issued. Never a
name, an answer, an address, a file, an officer, a message or why a review is not needed (that
is worded from the answers). A bundle's reference and code show each of its permits so.

A wrong code and a wrong reference are one answer (None), after the same work: one indexed read
by reference, then a constant-time comparison, against a code no row has when the reference
is unknown. Every successful check is on the applicant's record ("who viewed my data") as
``application.progress_checked``, with the address it came from."""

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import Action
from audit.services import audit_record
from core.i18n import translated
from permits.models import PermitState

from .bundle_flow import bundle_children
from .check_codes import codes_match, normalize_check_code
from .events import bundle_event, engine_event
from .models import Application, BundleApplication, Review, ReviewStatus

# Compared against when no row has the reference, so that an unknown reference costs what a
# wrong code does. Not of the alphabet: no code typed ever matches it.
_NO_CODE = "--------"

STATUS_LABELS = {
    "pending": _("Pending"),
    "in_review": _("In review"),
    "correction_asked": _("Correction asked"),
    "approved": _("Approved"),
    "rejected": _("Rejected"),
    "not_needed": _("Not needed"),
}
_BY_REVIEW = {
    ReviewStatus.WAITING: "pending",
    ReviewStatus.PENDING: "pending",
    ReviewStatus.IN_PROGRESS: "in_review",
    ReviewStatus.CORRECTION_REQUESTED: "correction_asked",
    ReviewStatus.APPROVED: "approved",
    ReviewStatus.REJECTED: "rejected",
    ReviewStatus.CANCELLED: "not_needed",  # no longer needed: a correction, a rejection, a withdrawal
}


@dataclass(frozen=True)
class DepartmentProgress:
    department: str  # the department's name, in the active language
    status: str  # a key of STATUS_LABELS

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass
class ApplicationProgress:
    reference: str
    service: str
    status: str  # ApplicationStatus
    status_label: str
    submitted_on: date | None
    stage: int | None
    stages: int
    departments: list[DepartmentProgress] = field(default_factory=list)
    permit_state: str = ""  # permits.models.PermitState, once a permit exists
    permit_state_label: str = ""


@dataclass
class Progress:
    reference: str
    applications: list[ApplicationProgress]
    bundle: str = ""  # the bundle's name, for a bundle's reference


def _application_progress(application: Application) -> ApplicationProgress:
    schema = application.schema
    reviews = {review.department.code: review for review in application.reviews.all()}
    departments = [
        DepartmentProgress(department=translated(spec.get("department_name")) or spec["department"],
                           status=_BY_REVIEW[reviews[spec["department"]].status]
                           if spec["department"] in reviews else "not_needed")
        for spec in sorted(schema.reviews, key=lambda spec: spec["stage"])
    ]
    permit = max(application.permits.all(), key=lambda p: p.issued_at, default=None)
    state = permit.state() if permit is not None else ""
    return ApplicationProgress(
        reference=application.reference, service=translated(schema.data["service"]["name"]),
        status=application.status, status_label=application.get_status_display(),
        submitted_on=timezone.localdate(application.submitted_at) if application.submitted_at else None,
        stage=application.current_stage, stages=len(schema.stages), departments=departments,
        permit_state=state, permit_state_label=str(PermitState(state).label) if state else "",
    )


def _with_progress(queryset):
    return queryset.filter(reference__isnull=False).select_related("service_version").prefetch_related(
        Prefetch("reviews", queryset=Review.objects.select_related("department")), "permits")


@transaction.atomic
def progress_check(*, reference: str, code: str, ip: str | None = None) -> Progress | None:
    """The progress of the submitted application (or bundle application) with this reference,
    if ``code`` is its check code; else None, the same for a wrong code as for a wrong reference."""
    reference, code = reference.strip().upper(), normalize_check_code(code)
    model = BundleApplication if reference.startswith("B-") else Application
    row = model.objects.filter(reference=reference).only("pk", "check_code", "applicant_id").first()
    if not codes_match(code, row.check_code if row is not None else _NO_CODE) or row is None:
        return None
    if model is Application:
        application = _with_progress(Application.objects).get(pk=row.pk)
        audit_record(engine_event(Action.PROGRESS_CHECKED, application, ip=ip))
        return Progress(reference=reference, applications=[_application_progress(application)])
    bundle_application = BundleApplication.objects.select_related("bundle").get(pk=row.pk)
    order = [child.pk for child in bundle_children(bundle_application) if child.reference]
    rows = _with_progress(Application.objects.filter(pk__in=order)).in_bulk()
    children = [rows[pk] for pk in order]
    audit_record(bundle_event(Action.PROGRESS_CHECKED, bundle_application, ip=ip))
    return Progress(reference=reference, bundle=translated(bundle_application.bundle.name),
                    applications=[_application_progress(child) for child in children])
