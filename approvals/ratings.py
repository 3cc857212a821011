"""Rating the service (好差评): after a final decision the applicant rates it once, 1 to 5,
with an optional comment. A low rating is flagged to the supervisors of every department
that reviewed the application, and opens a rectification case for each of them in the same
transaction (approvals.rectifications)."""

from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import audit_record
from core.errors import InvalidTransition
from departments.models import MembershipRole

from .events import engine_event
from .locks import lock_application
from .models import (
    APPLICATION_RATEABLE,
    NotificationKind,
    Rating,
    Review,
)
from .notifications import department_staff_ids, notify
from .rating_rules import rating_checked
from .rectifications import rectifications_open
from .workflow import _own


def reviewed_by(application_id: int):
    """The reviews of departments that took a decision on the application (approved,
    rejected or asked for a correction); cancelled and never-started reviews are not."""
    return Review.objects.filter(application_id=application_id, decided_by__isnull=False)


@transaction.atomic
def rating_give(*, application_id: int, actor, score: int, comment: str = "", ip: str | None = None) -> Rating:
    """Record the applicant's one rating of a decided application. The application row lock
    serializes a double submit; the UNIQUE constraint on the application is the backstop."""
    application = lock_application(application_id)
    _own(application, actor)
    if application.status not in APPLICATION_RATEABLE:
        raise InvalidTransition(_("You can rate the service once a final decision has been made on your application."))
    if Rating.objects.filter(application=application).exists():
        raise InvalidTransition(_("You have already rated the service for this application."))
    comment = rating_checked(score, comment)
    rating = Rating.objects.create(application=application, rated_by=actor, score=score, comment=comment)
    opened = []
    if rating.is_low:
        reviews = list(reviewed_by(application.pk).select_related("department").only("pk", "department", "department__code"))
        for review in reviews:
            notify(recipient_ids=department_staff_ids(review.department_id, role=MembershipRole.SUPERVISOR),
                   kind=NotificationKind.LOW_RATING, application=application, review=review, params={"score": score})
        opened = rectifications_open(application=application, rating=rating, reviews=reviews)
    audit_record(engine_event(Action.RATING_GIVEN, application, actor=actor, obj=rating, ip=ip, score=score), *opened)
    return rating
