"""Officer appraisal: each officer's figures in one department over a period, beside the
department's median of them. Five reads whatever the number of officers: the members, their
final decisions (reviews), their correction requests (the audit log, where each one is kept),
the permits of the applications they approved, and the ratings of the applications they decided.

Definitions (the page states them too):

- decisions: approvals and rejections made in the period (the review's final decision), and
  correction requests made in the period (each one, from the audit log);
- working days: from routing to the officer's final decision, less the days waited on the
  applicant, in the department's calendar, counted as the dashboards count them (dashboards.stats);
- decided within the time limit: a final decision on or before the review's due date;
- overturned or corrected: approvals of the period whose permit was later revoked or re-issued
  with a correction (superseded);
- rating: the applicants' ratings of the applications the officer decided in the period;
- complaints upheld: complaints received in the period about the officer's conduct or a decision
  they took, which the answer upheld (approvals.complaint_selectors)."""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from approvals import complaint_selectors
from approvals.models import Rating, Review, ReviewStatus
from approvals.sla import sla_calendars
from audit.models import Action, AuditEvent
from departments.models import Department, Membership
from permits.models import PermitStatus

from .stats import processing_days

FINAL = {ReviewStatus.APPROVED: "approved", ReviewStatus.REJECTED: "rejected"}
OVERTURNED = (PermitStatus.REVOKED, PermitStatus.SUPERSEDED)
# The figures compared with the department's median, in the order the page shows them.
FIGURES = ("decisions", "median_days", "sla_rate", "overturned", "average_rating", "complaints_upheld")


@dataclass
class OfficerFigures:
    officer_id: int
    name: str
    approved: int = 0
    rejected: int = 0
    corrections: int = 0
    median_days: float | None = None
    sla_rate: float | None = None  # percent
    overturned: int = 0
    average_rating: float | None = None
    ratings: int = 0
    complaints_upheld: int = 0
    days: list[int] = field(default_factory=list, repr=False)
    in_time: int = field(default=0, repr=False)

    @property
    def decisions(self) -> int:
        return self.approved + self.rejected + self.corrections


@dataclass
class Appraisal:
    department: Department
    date_from: date
    date_to: date
    officers: list[OfficerFigures]
    medians: dict[str, float | None]


def _bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    zone = timezone.get_default_timezone()
    return (datetime.combine(date_from, time.min, tzinfo=zone),
            datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone))


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 1) if values else None


def appraisal(*, department: Department, date_from: date, date_to: date) -> Appraisal:
    """Every officer and supervisor of the department, with their figures for the period (both
    days included) and the department's median of each figure over them."""
    start, end = _bounds(date_from, date_to)
    members = (Membership.objects.people().filter(department=department)
               .order_by("user__full_name", "user_id").values_list("user_id", "user__full_name"))
    officers = {user_id: OfficerFigures(user_id, name) for user_id, name in members}
    calendar = sla_calendars().of(department.pk)
    decided_apps: dict[int, set[int]] = defaultdict(set)
    approved_apps: dict[int, set[int]] = defaultdict(set)
    finals = Review.objects.filter(department=department, status__in=list(FINAL), decided_by_id__in=list(officers),
                                   decided_at__gte=start, decided_at__lt=end)
    # Local days computed by the database: parsing tens of thousands of timestamps costs more than the rest.
    zone = timezone.get_default_timezone()
    for officer_id, status, app_id, routed_on, day, due_date, paused in finals.values_list(
            "decided_by_id", "status", "application_id", TruncDate("routed_at", tzinfo=zone),
            TruncDate("decided_at", tzinfo=zone), "due_date", "paused_days"):
        figures = officers[officer_id]
        setattr(figures, FINAL[status], getattr(figures, FINAL[status]) + 1)
        if routed_on:
            figures.days.append(processing_days(routed_on, day, paused, calendar))
        figures.in_time += bool(due_date and day <= due_date)
        decided_apps[officer_id].add(app_id)
        if status == ReviewStatus.APPROVED:
            approved_apps[officer_id].add(app_id)
    for actor_id, count in (
        AuditEvent.objects.filter(action=Action.REVIEW_CORRECTION, department_code=department.code,
                                  actor_id__in=list(officers), at__gte=start, at__lt=end)
        .values("actor_id").annotate(n=Count("pk")).values_list("actor_id", "n").order_by()
    ):
        officers[actor_id].corrections = count
    # The same decisions as a subquery (a semi-join), not thousands of ids sent back.
    overturned = set(finals.filter(status=ReviewStatus.APPROVED, application__permits__status__in=OVERTURNED)
                     .values_list("application_id", flat=True).order_by())
    scores = dict(Rating.objects.filter(application_id__in=finals.values("application_id"))
                  .values_list("application_id", "score").order_by())
    upheld = complaint_selectors.complaints_upheld_by_officer(department_id=department.pk, start=start, end=end)
    for officer_id, figures in officers.items():
        finals = figures.approved + figures.rejected
        figures.median_days = _median(figures.days)
        figures.sla_rate = round(100 * figures.in_time / finals, 1) if finals else None
        figures.overturned = len(approved_apps[officer_id] & overturned)
        rated = [scores[a] for a in decided_apps[officer_id] if a in scores]
        figures.ratings = len(rated)
        figures.average_rating = round(sum(rated) / len(rated), 2) if rated else None
        figures.complaints_upheld = upheld.get(officer_id, 0)
    rows = list(officers.values())
    medians = {name: _median(getattr(row, name) for row in rows) for name in FIGURES}
    return Appraisal(department=department, date_from=date_from, date_to=date_to, officers=rows, medians=medians)

