"""Reads of applications for citizens. Another citizen's application does not exist (404)."""

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext

from audit.selectors import describe_access, describe_purpose, staff_accesses
from departments.models import Department
from permits.models import Permit, PermitStatus

from .models import APPLICATION_RATEABLE, Application, ApplicationStatus, Message, MessageSide, Notification, Rating, Review


def applications_for_citizen(user):
    return (
        Application.objects.filter(applicant=user)
        .select_related("service")
        .prefetch_related(Prefetch("reviews", queryset=Review.objects.select_related("department")))
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
            "attachments",
            Prefetch("permits", queryset=Permit.objects.exclude(status=PermitStatus.SUPERSEDED), to_attr="current_permits"),
        ),
        pk=pk, applicant=user,
    )


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

    @property
    def unread(self) -> int:
        return sum(1 for m in self.messages if m.side == MessageSide.DEPARTMENT and m.read_by_citizen_at is None)


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


def feedback_context(application: Application, user) -> dict:
    """What templates/approvals/includes/thread.html and rating.html need, for the application
    page to merge into its context: {"threads", "rating", "message_form", "rating_form"}.
    ``message_form`` is None on a draft and ``rating_form`` None unless the applicant can rate now."""
    from .forms import MessageForm, RatingForm  # forms belong to the faces; built here for the page

    if application.applicant_id != getattr(user, "pk", None):
        raise Http404
    threads = message_threads_for_citizen(application) if application.submitted_at else []
    rating = rating_for(application)
    departments = [(t.department.pk, t.department.display_name) for t in threads]
    return {
        "threads": threads,
        "rating": rating,
        "message_form": MessageForm(departments=departments) if departments else None,
        "rating_form": RatingForm() if can_rate(application, rating) else None,
    }


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
    """One page (newest first) of staff accesses to the user's data; ``page.object_list`` holds
    ``Access`` rows. At most four queries whatever the page holds: count, events with their
    actors, the applications' references, the departments' names."""
    page = Paginator(staff_accesses(user.pk), per_page).get_page(page_number)
    events = list(page.object_list)
    references = dict(
        Application.objects.filter(applicant=user, pk__in={e.application_id for e in events if e.application_id})
        .values_list("pk", "reference")
    )
    codes = {e.department_code for e in events if e.department_code}
    departments = {d.code: d.display_name for d in Department.objects.filter(code__in=codes)} if codes else {}
    page.object_list = [
        Access(
            at=e.at, staff_name=e.actor.full_name or gettext("A member of staff"), staff_role=e.actor.get_role_display(),
            department=departments.get(e.department_code, e.department_code), action=describe_access(e),
            purpose=describe_purpose(e), application_id=e.application_id if e.application_id in references else None,
            reference=references.get(e.application_id) or "",
        )
        for e in events
    ]
    return page
