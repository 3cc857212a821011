"""Supervisors assign open reviews to the officers of their department, one at a time or many
at once. Each function is one transaction; the review rows are locked (FOR NO KEY UPDATE, like
the application lock, so notification and audit rows pointing at them can still be written)
before they are checked and changed, and every change bumps the review's version."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import audit_record
from core.errors import Conflict, NotAllowed, ValidationFailed
from departments.access import member_roles
from departments.models import MembershipRole

from .events import engine_event
from .locks import lock_reviews
from .models import REVIEW_OPEN, NotificationKind, Review, ReviewStatus
from .notifications import notify
from .transitions import status_move_rows

BULK_MAX = 200


class SkipReason:
    NOT_FOUND = "not_found"  # not a review of a department the actor belongs to
    NOT_SUPERVISOR = "not_supervisor"
    NOT_OPEN = "not_open"
    NOT_A_MEMBER = "assignee_not_member"
    UNCHANGED = "unchanged"


@dataclass
class BulkResult:
    assigned: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # review id → SkipReason


def _locked(review_ids, *, department_ids) -> list[Review]:
    """The reviews among ``review_ids`` of these departments, locked, in pk order."""
    return lock_reviews(review_ids, department_ids=department_ids)


def _apply(reviews: list[Review], *, actor, assignee_id: int, ip: str | None) -> None:
    """Hand the (locked, checked) reviews to the assignee: one UPDATE, then the audit
    events and the assignee's notifications."""
    status_move_rows(Review.objects.filter(pk__in=[r.pk for r in reviews]), ReviewStatus.IN_PROGRESS,
                     from_states=REVIEW_OPEN, assignee_id=assignee_id, version=F("version") + 1)
    audit_record(*[
        engine_event(Action.REVIEW_ASSIGNED, review.application, obj=review, actor=actor, ip=ip,
                     department_code=review.department.code, assignee=assignee_id, previous=review.assignee_id)
        for review in reviews
    ])
    for review in reviews:
        notify(recipient_ids=[assignee_id], kind=NotificationKind.REVIEW_ROUTED, application=review.application,
               review=review, params={"due_date": review.due_date.isoformat() if review.due_date else ""})


@transaction.atomic
def review_assign(*, review_id: int, actor, assignee_id: int, ip: str | None = None) -> Review:
    """A supervisor gives an open review to an officer of its department: a pending review
    becomes in progress with that officer, one in progress changes hands."""
    roles = member_roles(actor)
    reviews = _locked([review_id], department_ids=list(roles))
    if not reviews:
        raise Review.DoesNotExist  # another department's review does not exist for the actor
    review = reviews[0]
    if roles[review.department_id] != MembershipRole.SUPERVISOR:
        raise NotAllowed(_("Only a supervisor of the department can assign its reviews."))
    if review.department_id not in member_roles(assignee_id, [review.department_id]):
        raise ValidationFailed({"assignee": [_("Choose an officer of the review's department.")]})
    if review.status not in REVIEW_OPEN:
        raise Conflict(_("This review is no longer open: it was decided or is waiting on the applicant."))
    if review.status == ReviewStatus.IN_PROGRESS and review.assignee_id == assignee_id:
        return review
    _apply([review], actor=actor, assignee_id=assignee_id, ip=ip)
    review.refresh_from_db()
    return review


@transaction.atomic
def reviews_assign_bulk(*, review_ids, actor, assignee_id: int, ip: str | None = None) -> BulkResult:
    """Assign every listed review that is still open, in a department the actor supervises and
    the assignee belongs to; the others are skipped with their reason."""
    ids = list(dict.fromkeys(int(pk) for pk in review_ids))
    if not ids:
        raise ValidationFailed({"reviews": [_("Select at least one review.")]})
    if len(ids) > BULK_MAX:
        raise ValidationFailed({"reviews": [_("Select at most %(max)d reviews at a time.") % {"max": BULK_MAX}]})
    actor_roles = member_roles(actor)
    supervised = [d for d, role in actor_roles.items() if role == MembershipRole.SUPERVISOR]
    if not supervised:
        raise NotAllowed(_("Only a supervisor of the department can assign its reviews."))
    assignee_departments = set(member_roles(assignee_id, supervised))
    if not assignee_departments:
        raise ValidationFailed({"assignee": [_("Choose an officer of the reviews' department.")]})
    reviews = _locked(ids, department_ids=list(actor_roles))

    result = BulkResult()
    found = {r.pk for r in reviews}
    to_assign = []
    for pk in ids:
        if pk not in found:
            result.skipped[pk] = SkipReason.NOT_FOUND
    for review in reviews:
        role = actor_roles.get(review.department_id)
        if role is None:
            result.skipped[review.pk] = SkipReason.NOT_FOUND
        elif role != MembershipRole.SUPERVISOR:
            result.skipped[review.pk] = SkipReason.NOT_SUPERVISOR
        elif review.department_id not in assignee_departments:
            result.skipped[review.pk] = SkipReason.NOT_A_MEMBER
        elif review.status not in REVIEW_OPEN:
            result.skipped[review.pk] = SkipReason.NOT_OPEN
        elif review.status == ReviewStatus.IN_PROGRESS and review.assignee_id == assignee_id:
            result.skipped[review.pk] = SkipReason.UNCHANGED
        else:
            to_assign.append(review)
    if to_assign:
        _apply(to_assign, actor=actor, assignee_id=assignee_id, ip=ip)
    result.assigned = [r.pk for r in to_assign]
    return result
