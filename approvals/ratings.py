"""Rating the service (好差评): after a final decision the applicant rates it once, 1 to 5,
with an optional comment. A low rating is flagged to the supervisors of every department
that reviewed the application."""

from django.db import transaction
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import audit_record
from core.errors import InvalidTransition, ValidationFailed
from departments.models import MembershipRole

from .events import engine_event
from .locks import lock_application
from .models import (
    APPLICATION_RATEABLE,
    RATING_COMMENT_MAX_LENGTH,
    RATING_MAX,
    RATING_MIN,
    NotificationKind,
    Rating,
    Review,
)
from .notifications import department_staff_ids, notify
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
    if isinstance(score, bool) or not isinstance(score, int) or not RATING_MIN <= score <= RATING_MAX:
        raise ValidationFailed({"score": [_("Choose a score from %(min)s to %(max)s.") % {
            "min": RATING_MIN, "max": RATING_MAX}]})
    comment = (comment or "").strip()
    if len(comment) > RATING_COMMENT_MAX_LENGTH:
        raise ValidationFailed({"comment": [
            _("Keep your comment to %(max)s characters or fewer (it has %(count)s).")
            % {"max": RATING_COMMENT_MAX_LENGTH, "count": len(comment)},
        ]})
    rating = Rating.objects.create(application=application, rated_by=actor, score=score, comment=comment)
    if rating.is_low:
        for review in reviewed_by(application.pk).only("pk", "department_id"):
            notify(recipient_ids=department_staff_ids(review.department_id, role=MembershipRole.SUPERVISOR),
                   kind=NotificationKind.LOW_RATING, application=application, review=review, params={"score": score})
    audit_record(engine_event(Action.RATING_GIVEN, application, actor=actor, obj=rating, ip=ip, score=score))
    return rating
