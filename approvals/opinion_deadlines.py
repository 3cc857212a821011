"""The working-day deadline of an opinion asked for by sharing: due OPINION_SLA_DAYS working
days after the share was made, never after it ends. The beat SLA scan tells the members of the
department asked once when the opinion is due tomorrow and once when it is overdue, each time
with a link to the share's opinion page."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from departments.models import MembershipRole

from .models import ApplicationShare, NotificationKind, ShareOpinion
from .notifications import department_staff_ids, notify
from .sla import SCAN_BATCH, local_date, local_today, sla_calendar


def opinion_due_date(created_at: datetime, expires_at: datetime, department_id: int | None = None) -> date:
    """The day the department asked for its opinion is to give it by, in its working days."""
    due = sla_calendar(department_id).add_working_days(local_date(created_at), settings.OPINION_SLA_DAYS)
    return min(due, local_date(expires_at))


@dataclass(frozen=True)
class Notice:
    kind: str
    stamp: str  # the share's column that records it was sent
    reached: Callable[[date], Q]


NOTICES = {
    "opinion_due": Notice(NotificationKind.OPINION_DUE, "opinion_reminded_at",
                          lambda today: Q(opinion_due__gte=today, opinion_due__lte=today + timedelta(days=1))),
    "opinion_overdue": Notice(NotificationKind.OPINION_OVERDUE, "opinion_overdue_at",
                              lambda today: Q(opinion_due__lt=today)),
}


def _unsent(notice: Notice, today: date, now: datetime) -> Q:
    # An active share, reached by the notice and not told yet (the claim reads only its own row).
    return (Q(revoked_at__isnull=True, ended_at__isnull=True, expires_at__gt=now, **{f"{notice.stamp}__isnull": True})
            & notice.reached(today))


def opinion_scan(*, today: date | None = None) -> dict[str, int]:
    """Send the opinion reminders due today; returns how many of each were sent."""
    today, now = today or local_today(), timezone.now()
    result = {}
    for name, notice in NOTICES.items():
        ids = list(ApplicationShare.objects.filter(_unsent(notice, today, now), opinion__isnull=True)
                   .order_by("pk").values_list("pk", flat=True)[:SCAN_BATCH])
        result[name] = sum(_send(notice=notice, share_id=pk, today=today, now=now) for pk in ids)
    return result


def _send(*, notice: Notice, share_id: int, today: date, now: datetime) -> bool:
    """Claim one share's notice and tell the department asked; False when another scan claimed
    it or the opinion came meanwhile (giving it holds the share's row, so the claim waits for it)."""
    with transaction.atomic():
        if not ApplicationShare.objects.filter(_unsent(notice, today, now), pk=share_id).update(**{notice.stamp: now}):
            return False
        if ShareOpinion.objects.filter(share_id=share_id).exists():
            return False
        share = ApplicationShare.objects.select_related("application").get(pk=share_id)
        members = [*department_staff_ids(share.department_id),
                   *department_staff_ids(share.department_id, role=MembershipRole.SUPERVISOR)]
        # The share names the opinion page the notification and its mail link to.
        notify(recipient_ids=members, kind=notice.kind, application=share.application,
               params={"due_date": share.opinion_due.isoformat(), "share": share.pk})
    return True


def opinion_due_backfill(share_model=ApplicationShare, *, now: datetime | None = None) -> int:
    """Give each share still waiting for its opinion (active, unanswered) that has no due date,
    made before opinions had one, the date a new share gets (``opinion_due_date``). A date
    already past is not told as overdue: nobody was ever told of it, and the first they would
    hear is a reproach, so its overdue notice is claimed here, sent to nobody (the pages still
    mark it overdue). A date today or later is reminded of as any other. Returns how many shares
    got a date. ``share_model`` is the migration's historical model (approvals 0021)."""
    now = now or timezone.now()
    today = local_date(now)
    shares = list(share_model.objects.filter(opinion_due__isnull=True, opinion__isnull=True, revoked_at__isnull=True,
                                             ended_at__isnull=True, expires_at__gt=now).order_by("pk"))
    for share in shares:
        share.opinion_due = opinion_due_date(share.created_at, share.expires_at, share.department_id)
        if share.opinion_due < today:
            share.opinion_overdue_at = now
    share_model.objects.bulk_update(shares, ["opinion_due", "opinion_overdue_at"], batch_size=500)
    return len(shares)
