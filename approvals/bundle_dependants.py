"""A permit of a bundle application refused with the one it depends on.

The catalogue says which members of a bundle depend on which (catalogue.BundleMember.depends_on:
no food permit without the business registered). When a child application is rejected, its
undecided siblings that depend on it, directly or through another, are rejected too, in the same
transaction as the rejection (approvals.workflow._settle calls this), each under its own row lock
and only while still open, so each is refused exactly once whatever else happens meanwhile. In a
bundle with one combined permit (``one_permit``) every other member goes with a refusal: the
combined permit stands for all of them or is not issued (approvals.bundle_permit). This
module does not import the workflow module (which imports it)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import Event
from payments.models import RefundReason

from .events import engine_event
from .locks import lock_application
from .models import REVIEW_UNDECIDED, Application, ApplicationStatus, NotificationKind, Review, ReviewStatus
from .notifications import notify
from .payment_orders import payment_orders_settle
from .transitions import status_move, status_move_rows

# A permit waiting for its fee is refused with the others too (its order is cancelled).
OPEN = (ApplicationStatus.IN_REVIEW, ApplicationStatus.NEEDS_CORRECTION, ApplicationStatus.AWAITING_PAYMENT)


def dependants_refuse(*, application: Application, now=None) -> list[Event]:
    """Reject the open siblings of ``application`` (just rejected) that depend on it; returns
    their audit events. Nothing for an application outside a bundle."""
    if application.bundle_application_id is None:
        return []
    now = now or timezone.now()
    bundle_application = application.bundle_application
    members = bundle_application.schema["members"]
    siblings = {child.service.slug: child
                for child in bundle_application.children.select_related("service").exclude(pk=application.pk)}
    refused_slug = application.service.slug
    # One combined permit is all of its permits or none: every other member goes with a refusal.
    whole = bundle_application.one_permit
    chain = [m["service"] for m in members if m["service"] != refused_slug] if whole else _dependants(members, refused_slug)
    events = []
    for slug in chain:
        sibling = siblings.get(slug)
        if sibling is None:
            continue  # a member that did not apply to the answers
        locked = lock_application(sibling.pk)
        if locked.status not in OPEN:
            continue  # decided or withdrawn already: left as it is
        events += payment_orders_settle(locked, reason=RefundReason.REJECTED, now=now)
        status_move_rows(Review.objects.filter(application_id=locked.pk), ReviewStatus.CANCELLED,
                         from_states=REVIEW_UNDECIDED, decided_at=now)
        status_move(locked, ApplicationStatus.REJECTED)
        locked.decided_at = now
        locked.save(update_fields=["status", "decided_at", "updated_at"])
        if whole:
            reason = _("Refused with application %(reference)s (%(service)s): the combined permit is issued only "
                       "when every permit it stands for is approved.") % {
                "reference": application.reference, "service": application.service.display_name}
        else:
            reason = _("Refused with application %(reference)s (%(service)s), on which this permit depends.") % {
                "reference": application.reference, "service": application.service.display_name}
        notify(recipient_ids=[locked.applicant_id], kind=NotificationKind.REJECTED, application=locked,
               params={"reason": reason})
        events.append(engine_event(Action.APPLICATION_REJECTED, locked, depends_on=application.reference,
                                   bundle_application=bundle_application.pk))
    return events


def _dependants(members: list[dict], slug: str) -> list[str]:
    """The members that depend on ``slug``, directly or through others, in member order."""
    found: set[str] = set()
    frontier = {slug}
    while frontier:
        frontier = {m["service"] for m in members
                    if m["service"] not in found and set(m.get("depends_on") or []) & frontier}
        found |= frontier
    return [m["service"] for m in members if m["service"] in found]
