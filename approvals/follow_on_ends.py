"""Renewals and amendments that lapse because their permit can no longer be followed
(approvals.follow_ons.lapsed_because): closed as withdrawn by the portal, their undecided reviews
cancelled, the holder told why. A revocation closes those of the revoked permit at once
(approvals.permit_flow.permit_revoke); an amendment whose permit ended before it was decided is
closed by the nightly beat (``follow_ons_lapse``), and the engine's fan-in checks as well, so an
approval on the very day issues nothing."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import Event, audit_record
from permits.models import Permit

from .follow_ons import followed_permit, lapsed_because
from .locks import lock_application
from .models import APPLICATION_FINAL, Application, ApplicationKind, ApplicationStatus
from .workflow import application_withdrawn

# In progress: not yet decided (an approved one waits only for its fee or its permit).
_DECIDED = (*APPLICATION_FINAL, ApplicationStatus.APPROVED)


def open_follow_on_ids(permit: Permit) -> list[int]:
    """The renewals and amendments in progress of ``permit``'s series on its application (one
    naming an earlier permit that a correction re-issued as this one included), by id."""
    return list(
        Application.objects.filter(Q(renews__application_id=permit.application_id)
                                   | Q(amends__application_id=permit.application_id))
        .exclude(status__in=_DECIDED).order_by("pk").values_list("pk", flat=True))


def lock_follow_ons(ids: list[int]) -> None:
    """Lock the follow-ons before their permit's application: the engine's fan-in holds a
    follow-on's lock while it supersedes the permit, so this order never waits in a circle."""
    for application_id in ids:
        lock_application(application_id)


def follow_ons_close(ids: list[int], *, now) -> list[Event]:
    """Close each follow-on of ``ids`` (locked by the caller) that is still open and has lapsed."""
    events: list[Event] = []
    today = timezone.localdate(now)
    for application in Application.objects.filter(pk__in=ids).exclude(status__in=_DECIDED).order_by("pk"):
        if because := lapsed_because(application, today):
            events += application_withdrawn(application, actor=None, now=now, because=because,
                                            permit_number=followed_permit(application).number)
    return events


def follow_ons_lapse(*, now=None) -> int:
    """The nightly close of amendments in progress whose permit has ended (each in its own
    transaction, so one busy row never holds up the rest); how many it closed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    candidates = (Application.objects.filter(kind=ApplicationKind.AMENDMENT, amends__valid_until__lt=today)
                  .exclude(status__in=_DECIDED).order_by("pk").values_list("pk", flat=True))
    closed = 0
    for application_id in candidates:
        with transaction.atomic():
            lock_application(application_id)
            events = follow_ons_close([application_id], now=now)  # checked again under the lock
            audit_record(*events)
            closed += bool(events)
    return closed
