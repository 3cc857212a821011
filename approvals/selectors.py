"""Reads of applications for citizens. Another citizen's application does not exist (404)."""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext

from audit.models import Action, AuditEvent
from audit.selectors import department_system, describe_access, describe_purpose, front_desk_name, staff_accesses
from catalogue.models import IdentityDetail, Register
from catalogue.registers import REGISTERS
from departments.models import Department
from permits.models import Permit, PermitStatus

from .models import (
    APPLICATION_RATEABLE,
    REVIEW_OPEN,
    Application,
    ApplicationStatus,
    Filing,
    Message,
    MessageSide,
    Notification,
    Rating,
    Review,
    ReviewStatus,
)
from .receipts import stage_plan
from .sla import clock_now, local_today, sla_calendars


def _current_permits() -> Prefetch:
    return Prefetch("permits", queryset=Permit.objects.exclude(status=PermitStatus.SUPERSEDED), to_attr="current_permits")


def applications_for_citizen(user):
    return (
        Application.objects.filter(applicant=user)
        .select_related("service")
        .prefetch_related(Prefetch("reviews", queryset=Review.objects.select_related("department")), _current_permits())
        .order_by("-created_at")
    )


def drafts_for_citizen(user, service) -> list[Application]:
    """The citizen's drafts of one service, latest first (what "Start application" offers)."""
    return list(Application.objects.filter(applicant=user, service=service, status=ApplicationStatus.DRAFT)
                .select_related("service").order_by("-created_at", "-pk"))


def application_for_citizen(user, pk: int) -> Application:
    return get_object_or_404(
        Application.objects.select_related("service", "service_version")
        .prefetch_related(
            Prefetch("reviews", queryset=Review.objects.select_related("department").order_by("stage", "department__code")),
            "attachments", _current_permits(),
        ),
        pk=pk, applicant=user,
    )


# --- The application page: where each review stands, in one wording per state ----------------------


class ReviewPhase:
    """Where a review stands as its applicant reads it; one wording each on the page."""

    WAITING = "waiting"  # its stage has not started
    QUEUED = "queued"  # in the department's queue, first round
    REVIEWING = "reviewing"  # an officer holds it, first round
    BACK = "back"  # with the department again after the applicant's correction
    CORRECTION = "correction"  # waiting for the applicant's correction
    APPROVED = "approved"
    REJECTED = "rejected"
    STOPPED = "stopped"  # cancelled: another department rejected, or the applicant withdrew


class StageState:
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"
    STOPPED = "stopped"


@dataclass
class ReviewProgress:
    review: Review
    phase: str
    due_date: date | None = None  # the due date the engine holds today
    paused_days: int = 0  # working days the clock stood still waiting on the applicant
    back_since: datetime | None = None
    withdrawn: bool = False  # STOPPED by the applicant's withdrawal (else by a rejection)

    @property
    def department(self) -> Department:
        return self.review.department


@dataclass
class StageProgress:
    number: int
    state: str
    expected_by: date | None
    reviews: list[ReviewProgress]


def _reopened_at(application: Application) -> dict[int, datetime]:
    """When each review of the application last went back to its department (one query)."""
    reopened = {}
    for object_id, at in (AuditEvent.objects.filter(application_id=application.pk, action=Action.REVIEW_REOPENED,
                                                     object_type="review").order_by("at").values_list("object_id", "at")):
        reopened[int(object_id)] = at
    return reopened


def _phase(review: Review, reopened: dict[int, datetime]) -> str:
    if review.status == ReviewStatus.WAITING:
        return ReviewPhase.WAITING
    if review.status in REVIEW_OPEN:
        # Back after a correction round: the requesting review keeps the day it asked.
        if review.pk in reopened or review.decided_at is not None:
            return ReviewPhase.BACK
        return ReviewPhase.REVIEWING if review.status == ReviewStatus.IN_PROGRESS else ReviewPhase.QUEUED
    return {
        ReviewStatus.CORRECTION_REQUESTED: ReviewPhase.CORRECTION, ReviewStatus.APPROVED: ReviewPhase.APPROVED,
        ReviewStatus.REJECTED: ReviewPhase.REJECTED,
    }.get(review.status, ReviewPhase.STOPPED)


def _stage_state(reviews: list[ReviewProgress]) -> str:
    phases = {r.phase for r in reviews}
    if phases <= {ReviewPhase.WAITING}:
        return StageState.NOT_STARTED
    if phases & {ReviewPhase.QUEUED, ReviewPhase.REVIEWING, ReviewPhase.BACK, ReviewPhase.CORRECTION}:
        return StageState.IN_PROGRESS
    # A stage that took the rejection finished with it; one cut short by it, or by a withdrawal, stopped.
    stopped = ReviewPhase.STOPPED in phases and ReviewPhase.REJECTED not in phases
    return StageState.STOPPED if stopped else StageState.FINISHED


def application_progress(application: Application) -> list[StageProgress]:
    """The application page's timeline: each stage and each review with its phase and the due
    date the engine holds today. Reads the prefetched reviews, plus one query for the reviews
    that went back to their department, whatever their number."""
    plan = stage_plan(application)
    if not plan:
        return []
    calendars, today = sla_calendars(), local_today()
    reopened = _reopened_at(application)
    withdrawn = application.status == ApplicationStatus.WITHDRAWN
    progress = []
    for stage in plan:
        reviews = []
        for review in stage.reviews:
            phase = _phase(review, reopened)
            clock = clock_now(calendar=calendars.of(review.department_id), review=review, today=today)
            reviews.append(ReviewProgress(
                review=review, phase=phase, due_date=clock["due_date"], paused_days=clock["paused_days"],
                back_since=(reopened.get(review.pk) or review.pending_since) if phase == ReviewPhase.BACK else None,
                withdrawn=withdrawn,
            ))
        state = _stage_state(reviews)
        open_stage = state in (StageState.NOT_STARTED, StageState.IN_PROGRESS) and not application.is_final
        progress.append(StageProgress(number=stage.number, state=state, reviews=reviews,
                                      expected_by=stage.expected_by if open_stage else None))
    return progress


@dataclass
class ToldBody:
    """A body told of the applicant's approval, as the applicant reads it: the department, what it
    was told (the questions' labels, the details of their identity), when, and whether it
    acknowledged it; never who in it."""

    filing: Filing
    answers: list  # the labels (translations) of the answers it was told
    identity: list[str]  # the labels of the applicant's details it was told

    @property
    def department(self) -> Department:
        return self.filing.department


def filings_for_citizen(application: Application) -> list[ToldBody]:
    """The bodies told of the application's approval by filing (none before it is approved)."""
    if application.status not in (ApplicationStatus.APPROVED, ApplicationStatus.ISSUED):
        return []
    schema = application.schema
    filings = (Filing.objects.filter(application=application).select_related("department")
               .only("application_id", "department__code", "department__name", "created_at", "acknowledged_at")
               .order_by("department__code"))
    return [ToldBody(filing=f, answers=[schema.fields_by_key[k].get("label") for k in schema.filing_fields(
        f.department.code)], identity=[str(IdentityDetail(d).label) for d in schema.filing_identity(f.department.code)])
        for f in filings]


def notifications_for(user, *, limit: int = 20):
    return Notification.objects.filter(recipient=user).select_related("application").order_by("-created_at")[:limit]


def notifications_for_application(user, application, *, limit: int = 50):
    """The user's notifications about one application, newest first."""
    return list(Notification.objects.filter(recipient=user, application=application).order_by("-created_at", "-pk")[:limit])


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


# --- Consultation threads, ratings, "who viewed my data" --------------------------------------------


@dataclass
class Thread:
    """One department's consultation thread on an application, as its applicant sees it."""

    department: Department
    review: Review
    messages: list = field(default_factory=list)

    def _unread(self) -> list:
        return [m for m in self.messages if m.side == MessageSide.DEPARTMENT and m.read_by_citizen_at is None]

    @property
    def unread(self) -> int:
        return len(self._unread())

    @property
    def newest_unread(self) -> int | None:
        """The id of the newest message the applicant has not read (what "Mark as read" marks up to)."""
        return max((m.pk for m in self._unread()), default=None)


def message_threads_for_citizen(application: Application) -> list[Thread]:
    """Every reviewing department's thread with the applicant, in review order, empty ones
    included (the applicant may start any of them)."""
    reviews = Review.objects.filter(application=application).select_related("department").order_by("stage", "department__code")
    threads = {r.department_id: Thread(department=r.department, review=r) for r in reviews}
    for message in Message.objects.filter(application=application).order_by("created_at", "pk"):
        if message.department_id in threads:
            threads[message.department_id].messages.append(message)
    return list(threads.values())


def department_thread(review: Review) -> list[Message]:
    """The thread between the review's department and the applicant; never another department's."""
    return list(
        Message.objects.filter(application_id=review.application_id, department_id=review.department_id)
        .select_related("author").order_by("created_at", "pk")
    )


def rating_for(application: Application) -> Rating | None:
    return Rating.objects.filter(application=application).first()


def can_rate(application: Application, rating: Rating | None) -> bool:
    return rating is None and application.status in APPLICATION_RATEABLE


def ratings_for_department(department_id: int):
    """Ratings of applications this department took a decision on (managers' dashboards)."""
    reviewed = Review.objects.filter(application_id=OuterRef("application_id"), department_id=department_id,
                                     decided_by__isnull=False)
    return Rating.objects.filter(Exists(reviewed)).select_related("application")


WHO_VIEWED_PAGE_SIZE = 50


@dataclass
class Access:
    """One line of "who viewed my data"."""

    at: object
    staff_name: str
    staff_role: str
    department: str
    action: str
    purpose: str
    application_id: int | None
    reference: str


def who_viewed_page(user, page_number=None, *, per_page: int = WHO_VIEWED_PAGE_SIZE) -> Page:
    """One page (newest first) of staff accesses to the user's data, and of what a front desk did
    for them (named "Front desk: <name>", never as the citizen); a department's system is named by
    its account ("<department> system: <name>") as a "Department system"; a register that answered
    the portal with their data by its name ("Company register") as a "Government register";
    ``page.object_list`` holds ``Access`` rows. At most five queries whatever the page holds: count,
    events with their actors, the applications' references, the departments' names, the registers'
    names (only with a register's answer on the page)."""
    page = Paginator(staff_accesses(user.pk), per_page).get_page(page_number)
    events = list(page.object_list)
    references = dict(
        Application.objects.filter(applicant=user, pk__in={e.application_id for e in events if e.application_id})
        .values_list("pk", "reference")
    )
    codes = {e.department_code for e in events if e.department_code}
    departments = {d.code: d.display_name for d in Department.objects.filter(code__in=codes)} if codes else {}
    register_codes = {e.details.get("register") for e in events if e.actor_id is None and isinstance(e.details, dict)}
    registers = ({r.code: r.display_name for r in Register.objects.filter(code__in=register_codes)}
                 if register_codes else {})
    page.object_list = [_access(e, references, departments, registers) for e in events]
    return page


def _register_access(event, registers: dict) -> tuple[str, str, str]:
    """A register's answer, in the citizen's words: its name, "Government register", what it gave."""
    code = event.details.get("register", "") if isinstance(event.details, dict) else ""
    kind = REGISTERS.get(code)
    labels = [str(kind.attributes[a].label) for a in event.details.get("attributes", []) if kind and a in kind.attributes]
    if event.details.get("outcome") == "found":
        action = gettext("Gave the portal your %(details)s for your application") % {"details": ", ".join(labels)}
    else:
        action = gettext("Answered the portal's question about your application; its answer named someone else "
                         "and was not used")
    return registers.get(code, code), gettext("Government register"), action


def _certificate_reuse(event, references: dict, departments: dict, mine: bool) -> Access:
    """A certificate used instead of a document, as the issuing department's (the portal's own
    for a permit it issued): what it provided, for which application."""
    code = event.department_code
    name = departments.get(code, code) if code else gettext("This portal")
    action = gettext("Provided your e-certificate %(number)s as evidence for your application") % {
        "number": event.details.get("number", "")}
    return Access(at=event.at, staff_name=name, staff_role=gettext("Issuer of the e-certificate"), department="",
                  action=action, purpose=describe_purpose(event), application_id=event.application_id if mine else None,
                  reference=(references[event.application_id] or gettext("Draft")) if mine else "")


def _access(event, references: dict, departments: dict, registers: dict) -> Access:
    mine = event.application_id in references
    if event.action == Action.PROGRESS_CHECKED:  # no account: whoever typed the reference and code
        return Access(at=event.at, staff_name=gettext("Someone holding the check code"),
                      staff_role=gettext("Public progress check"), department="", action=describe_access(event),
                      purpose="", application_id=event.application_id if mine else None,
                      reference=(references[event.application_id] or gettext("Draft")) if mine else "")
    if event.actor_id is None:
        name, role, action = _register_access(event, registers)
        return Access(at=event.at, staff_name=name, staff_role=role, department="", action=action,
                      purpose=describe_purpose(event), application_id=event.application_id if mine else None,
                      reference=(references[event.application_id] or gettext("Draft")) if mine else "")
    if event.action == Action.CERTIFICATE_USED:
        return _certificate_reuse(event, references, departments, mine)
    name, role = event.actor.full_name or gettext("A member of staff"), event.actor.get_role_display()
    if desk := front_desk_name(event):
        name, role = desk, ""
    elif department_system(event):  # its account is an officer only so that the engine's rules apply
        role = gettext("Department system")
    return Access(
        at=event.at, staff_name=name, staff_role=role,
        department=departments.get(event.department_code, event.department_code), action=describe_access(event),
        purpose=describe_purpose(event), application_id=event.application_id if mine else None,
        reference=(references[event.application_id] or gettext("Draft")) if mine else "",
    )
