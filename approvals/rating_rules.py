"""What a rating of the service must be, wherever it is given: the first rating
(approvals.ratings) and the one after a rectification (approvals.rectifications)."""

from django.utils.translation import gettext as _

from core.errors import ValidationFailed

from .models import RATING_COMMENT_MAX_LENGTH, RATING_MAX, RATING_MIN


def rating_checked(score, comment: str) -> str:
    """The comment as kept (stripped); ValidationFailed for a score out of range or a comment too long."""
    if isinstance(score, bool) or not isinstance(score, int) or not RATING_MIN <= score <= RATING_MAX:
        raise ValidationFailed({"score": [_("Choose a score from %(min)s to %(max)s.") % {
            "min": RATING_MIN, "max": RATING_MAX}]})
    comment = (comment or "").strip()
    if len(comment) > RATING_COMMENT_MAX_LENGTH:
        raise ValidationFailed({"comment": [
            _("Keep your comment to %(max)s characters or fewer (it has %(count)s).")
            % {"max": RATING_COMMENT_MAX_LENGTH, "count": len(comment)},
        ]})
    return comment
