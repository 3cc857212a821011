"""Internal notes: kept inside the reviewing department, never shown to the applicant or to
another department."""

from django.db import transaction
from django.utils.translation import gettext as _

from core.errors import ValidationFailed
from departments.access import member_role

from .models import NOTE_MAX_LENGTH, InternalNote, Review


def review_for_member(actor, review_id: int) -> tuple[Review, str]:
    """The review and the actor's role in its department; another department's review does not
    exist for this actor."""
    review = Review.objects.select_related("department", "application").get(pk=review_id)
    role = member_role(actor, review.department_id)
    if role is None:
        raise Review.DoesNotExist
    return review, role


@transaction.atomic
def note_add(*, review_id: int, actor, body: str) -> InternalNote:
    """A note kept inside the department of the review."""
    review, _role_name = review_for_member(actor, review_id)
    body = (body or "").strip()
    if not body:
        raise ValidationFailed({"body": [_("Write the note.")]})
    if len(body) > NOTE_MAX_LENGTH:
        raise ValidationFailed({"body": [_("A note is at most %(max)s characters.") % {"max": NOTE_MAX_LENGTH}]})
    return InternalNote.objects.create(review=review, author=actor, body=body)


