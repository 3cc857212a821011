"""Reads for officers: their queues and the need-to-know view of one review."""

from django.http import Http404

from approvals.models import Review, ReviewStatus

from .models import Membership

QUEUE_STATUSES = {
    "pending": [ReviewStatus.PENDING],
    "in_progress": [ReviewStatus.IN_PROGRESS],
    "waiting": [ReviewStatus.CORRECTION_REQUESTED],
    "decided": [ReviewStatus.APPROVED, ReviewStatus.REJECTED],
}
PAGE_SIZE = 50


def department_ids(user) -> list[int]:
    return list(Membership.objects.filter(user=user, user__is_active=True).values_list("department_id", flat=True))


def review_queue(user, *, tab: str = "pending", limit: int = PAGE_SIZE):
    statuses = QUEUE_STATUSES.get(tab, QUEUE_STATUSES["pending"])
    order = ["-decided_at"] if tab == "decided" else ["due_date", "pending_since", "pk"]
    return (
        Review.objects.filter(department_id__in=department_ids(user), status__in=statuses)
        .select_related("application__service", "application__applicant", "department", "assignee")
        .order_by(*order)[:limit]
    )


def review_for_officer(user, pk: int) -> tuple[Review, str]:
    """The review with its application, and the user's role in its department; 404 for a
    review of another department."""
    review = (
        Review.objects.select_related("application__service_version", "application__applicant", "department", "assignee")
        .filter(pk=pk).first()
    )
    role = None
    if review is not None:
        role = Membership.objects.filter(user=user, department_id=review.department_id).values_list("role", flat=True).first()
    if role is None:
        raise Http404
    return review, role


def need_to_know(review: Review) -> dict:
    """Only the answers and files the department's requirement lists."""
    schema = review.application.schema
    keys = schema.department_fields(review.department.code)
    specs = [schema.fields_by_key[k] for k in keys if k in schema.fields_by_key]
    answers = review.application.answers
    files = list(review.application.attachments.filter(field_key__in=keys))
    return {
        "rows": [{"spec": s, "value": answers.get(s["key"]),
                  "files": [f for f in files if f.field_key == s["key"]]} for s in specs],
        "keys": keys,
        "other_reviews": list(
            review.application.reviews.exclude(pk=review.pk).select_related("department").order_by("stage", "department__code")
        ),
    }
