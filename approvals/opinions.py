"""The opinion the department asked gives back on a share: agree, agree with conditions (which
it states) or disagree (with its reasons), plus an optional comment. One per share, given by
an officer or supervisor of the department asked while the share is active, and final: it is
part of the application's record. The asking department's supervisors are told of it."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import audit_record
from core.errors import Conflict, ValidationFailed
from departments.access import member_role
from departments.models import MembershipRole

from .locks import lock_share
from .models import OPINION_TEXT_MAX, ApplicationShare, NotificationKind, OpinionVerdict, Review, ShareOpinion
from .notifications import department_staff_ids, notify
from .sharing import share_event


def _cleaned(verdict, conditions, reasons, comment) -> dict:
    """The opinion's fields, stripped, or ValidationFailed naming each field at fault."""
    fields = {"conditions": (conditions or "").strip(), "reasons": (reasons or "").strip(),
              "comment": (comment or "").strip()}
    errors = {name: [_("Write at most %(max)s characters.") % {"max": OPINION_TEXT_MAX}]
              for name, text in fields.items() if len(text) > OPINION_TEXT_MAX}
    if verdict not in OpinionVerdict.values:
        errors["verdict"] = [_("Choose whether your department agrees.")]
    elif verdict == OpinionVerdict.AGREE_WITH_CONDITIONS and not fields["conditions"]:
        errors["conditions"] = [_("Say on which conditions your department agrees.")]
    elif verdict == OpinionVerdict.DISAGREE and not fields["reasons"]:
        errors["reasons"] = [_("Say why your department disagrees.")]
    if errors:
        raise ValidationFailed(errors)
    # Only what the verdict asks for is kept: conditions of a plain "agree" would mislead.
    if verdict != OpinionVerdict.AGREE_WITH_CONDITIONS:
        fields["conditions"] = ""
    if verdict != OpinionVerdict.DISAGREE:
        fields["reasons"] = ""
    return fields


@transaction.atomic
def opinion_give(*, share_id: int, actor, verdict: str, conditions: str = "", reasons: str = "", comment: str = "",
                 ip: str | None = None) -> ShareOpinion:
    """A member of the department asked gives its opinion on a share. Under the share's row
    lock, so of two people answering at once the second finds the first's opinion."""
    share = lock_share(share_id)
    if member_role(actor, share.department_id) not in (MembershipRole.OFFICER, MembershipRole.SUPERVISOR):
        raise ApplicationShare.DoesNotExist
    if ShareOpinion.objects.filter(share_id=share.pk).exists():
        raise Conflict(_("Your department already gave its opinion on this application; it is final."))
    if share.revoked_at is not None:
        raise Conflict(_("The asking department withdrew this share: it can no longer be answered."))
    now = timezone.now()
    if share.expires_at <= now:
        raise Conflict(_("This share has expired: it can no longer be answered."))
    fields = _cleaned(verdict, conditions, reasons, comment)
    opinion = ShareOpinion.objects.create(share=share, verdict=verdict, given_by=actor, given_at=now, **fields)
    audit_record(share_event(share, action=Action.OPINION_GIVEN, actor=actor, ip=ip, event="opinion",
                             verdict=verdict))
    review = Review.objects.only("pk").get(application_id=share.application_id, department_id=share.from_department_id)
    notify(recipient_ids=department_staff_ids(share.from_department_id, role=MembershipRole.SUPERVISOR),
           kind=NotificationKind.OPINION_GIVEN, application=share.application, review=review,
           params={"department": share.department.name, "verdict": verdict})
    return opinion
