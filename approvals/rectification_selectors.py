"""Reads of the rectification cases of bad ratings (approvals.rectifications): who may handle a
case, the officers' queue, the applicant's cases, and the figures of the scorecard and of the
public performance pages. Each list is one query whatever its length."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from departments.access import member_role, member_roles
from departments.models import MembershipRole

from .models import Rectification, RectificationStatus, Review
from .monthly_figures import SUBJECT_COLUMNS
from .sla import local_date, local_today

QUEUE_PAGE_SIZE = 50
SCOPES = ("mine", "department")


def may_handle(case: Rectification, user) -> bool:
    """The case's owner, while a member of its department, and the department's supervisors."""
    role = member_role(user, case.department_id)
    return role == MembershipRole.SUPERVISOR or (role is not None and case.owner_id == user.pk)


def may_reassign(case: Rectification, user) -> bool:
    return member_role(user, case.department_id) == MembershipRole.SUPERVISOR


def supervised_department_ids(user) -> list[int]:
    return sorted(d for d, role in member_roles(user).items() if role == MembershipRole.SUPERVISOR)


def rectifications_for_officer(user, *, scope: str = "mine", closed: bool = False) -> QuerySet:
    """The cases the user owns in the departments they act in ("mine"), or those of the
    departments they supervise ("department"); open ones by deadline, closed ones latest first."""
    roles = member_roles(user)
    if scope == "department":
        cases = Rectification.objects.filter(
            department_id__in=[d for d, role in roles.items() if role == MembershipRole.SUPERVISOR])
    else:
        cases = Rectification.objects.filter(owner_id=user.pk, department_id__in=list(roles))
    if closed:
        cases = cases.exclude(status=RectificationStatus.OPEN).order_by("-closed_at", "-pk")
    else:
        cases = cases.filter(status=RectificationStatus.OPEN).order_by("due_date", "pk")
    return cases.select_related("application__service", "department", "owner", "rating")


def rectification_for_officer(user, pk: int) -> Rectification:
    """The case with what its page shows; 404 for anyone ``may_handle`` does not admit."""
    case = (Rectification.objects.select_related("application__service_version", "application__applicant",
                                                 "department", "owner", "rating", "closed_by").filter(pk=pk).first())
    if case is None or not may_handle(case, user):
        raise Http404
    return case


def reviewed_review(case: Rectification) -> Review | None:
    """The department's review of the case's application: what it may see of it (need to know)."""
    return (Review.objects.select_related("application__service_version", "application__applicant", "department")
            .filter(application_id=case.application_id, department_id=case.department_id).first())


def cases_for_citizen(user, application_ids: Iterable[int] | None = None) -> dict[int, list[Rectification]]:
    """The applicant's cases by application (one query): department, owner, deadline, state."""
    cases = Rectification.objects.filter(application__applicant=user)
    if application_ids is not None:
        cases = cases.filter(application_id__in=list(application_ids))
    result: dict[int, list[Rectification]] = defaultdict(list)
    for case in cases.select_related("department", "owner").order_by("application_id", "department__code"):
        result[case.application_id].append(case)
    return dict(result)


def department_counts(*, department_ids: Iterable[int] | None, month: date, today: date) -> dict[int, dict]:
    """Per department, the cases open now, those of them past their deadline, and the cases
    closed in time within ``month`` (a first day): one grouped query."""
    start, end = _bounds(month, _next_month(month))
    cases = Rectification.objects.all()
    if department_ids is not None:
        cases = cases.filter(department_id__in=list(department_ids))
    is_open = Q(status=RectificationStatus.OPEN)
    rows = cases.values("department_id").annotate(
        open=Count("pk", filter=is_open),
        overdue=Count("pk", filter=is_open & Q(due_date__lt=today)),
        closed_in_time=Count("pk", filter=Q(closed_at__gte=start, closed_at__lt=end, closed_at__date__lte=F("due_date"))),
    ).order_by()
    return {row.pop("department_id"): row for row in rows}


def rectifications_by_month(*, department_ids: Iterable[int] | None = None, service_ids: Iterable[int] | None = None,
                            months: Iterable[date], today: date | None = None, by: str = "department") -> list[dict]:
    """For the public performance pages: per department and month (the first day of each of
    ``months``), the cases opened, those closed in time (on or before their deadline, counted in
    the month they were closed) and those overdue (their deadline in the month has passed without
    an account by it). One query; rows ordered by department and month, months without a case left out.
    ``by="service"`` counts per service ("service_id") instead, ``by="pair"`` per department and service."""
    months = sorted({m.replace(day=1) for m in months})
    if not months:
        return []
    today = today or local_today()
    start, end = _bounds(months[0], _next_month(months[-1]))
    cases = Rectification.objects.filter(
        Q(opened_at__gte=start, opened_at__lt=end) | Q(closed_at__gte=start, closed_at__lt=end)
        | Q(due_date__gte=months[0], due_date__lt=_next_month(months[-1])))
    if department_ids is not None:
        cases = cases.filter(department_id__in=list(department_ids))
    if service_ids is not None:
        cases = cases.filter(application__service_id__in=list(service_ids))
    wanted = set(months)
    names = SUBJECT_COLUMNS[by]
    figures: dict[tuple, dict] = defaultdict(lambda: {"opened": 0, "closed_in_time": 0, "overdue": 0})
    for department_id, service_id, opened_at, due_date, closed_at in cases.values_list(
            "department_id", "application__service_id", "opened_at", "due_date", "closed_at").order_by():
        ids = {"department_id": department_id, "service_id": service_id}
        subject = tuple(ids[name] for name in names)
        closed_on = local_date(closed_at) if closed_at else None
        if (month := local_date(opened_at).replace(day=1)) in wanted:
            figures[(*subject, month)]["opened"] += 1
        if closed_on and closed_on <= due_date and (month := closed_on.replace(day=1)) in wanted:
            figures[(*subject, month)]["closed_in_time"] += 1
        late = (closed_on is None and due_date < today) or (closed_on is not None and closed_on > due_date)
        if late and (month := due_date.replace(day=1)) in wanted:
            figures[(*subject, month)]["overdue"] += 1
    return [{**dict(zip(names, key[:-1], strict=True)), "month": key[-1], **counts}
            for key, counts in sorted(figures.items())]


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _bounds(first: date, after: date) -> tuple[datetime, datetime]:
    zone = timezone.get_default_timezone()
    return (datetime.combine(first, time.min, tzinfo=zone), datetime.combine(after, time.min, tzinfo=zone))
