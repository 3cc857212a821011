"""The engine's side of a person's details: their name is copied onto the reviews of their
applications whose department is shown it (Review.applicant_name, approvals.need_to_know), which
the queues show and search, so a rename goes through here to keep that copy current; and the
claim of an account a front desk registered, which is on record in the audit log."""

from django.db import transaction

from accounts import counter
from accounts.services import citizen_profile_update
from audit.models import Action
from audit.services import audit_record
from catalogue.schema import frozen_schema

from .events import person_event
from .models import Review
from .need_to_know import name_shown


@transaction.atomic
def applicant_profile_update(*, user, **details):
    """Save a citizen's details (accounts.services.citizen_profile_update checks them) and carry
    a new name onto their reviews in the same transaction."""
    renamed = user.full_name
    user = citizen_profile_update(user=user, **details)
    if user.full_name != renamed:
        applicant_name_sync(user)
    return user


def applicant_name_sync(user) -> int:
    """Copy a renamed person's name onto the reviews of their applications whose department is
    shown the name; the number of reviews updated. Call it in the transaction that saved the
    name: the row lock it holds makes a submission in flight wait
    (approvals.workflow.application_submit reads the name under it)."""
    reviews = Review.objects.filter(application__applicant_id=user.pk)
    shown = [pk for pk, version_id, code in reviews.values_list("pk", "application__service_version_id",
                                                                 "department__code")
             if name_shown(frozen_schema(version_id), code)]
    return reviews.filter(pk__in=shown).exclude(applicant_name=user.full_name).update(applicant_name=user.full_name)


@transaction.atomic
def applicant_account_claim(*, code: str, id_number: str, password: str, email: str = "",
                            ip: str | None = None) -> counter.Claimed:
    """A walk-in citizen claims their account with a mailed link's or a printed letter's code
    (accounts.counter.account_claim checks it all), on record in the same transaction."""
    claimed = counter.account_claim(code=code, id_number=id_number, password=password, email=email)
    audit_record(person_event(Action.ACCOUNT_CLAIMED, claimed.user.pk, actor=claimed.user, ip=ip, purpose="claim",
                              channel=claimed.channel))
    return claimed
