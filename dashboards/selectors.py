"""Reads of the dashboards. Every figure comes from the summary tables (dashboards.models), a few
thousand rows whatever the size of the history; only the overdue and oldest reviews are read from
the reviews themselves, a bounded page along the open-review indexes, and the filings not yet
acknowledged from theirs (one grouped read of the index of unacknowledged filings)."""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import Role
from approvals import rectification_selectors
from approvals.complaint_selectors import department_complaint_counts
from approvals.models import REVIEW_OPEN, BundleApplication, Filing, Review, ReviewStatus
from approvals.once_only import FIGURES, not_provided
from approvals.sla import local_today
from catalogue.models import Bundle, Service
from departments.access import member_roles
from departments.models import Department, Membership, MembershipRole

from .models import ALL_DEPARTMENTS, BacklogStat, DayStat, DurationStat, MonthDurationStat
from .stats import DAY_FIELDS, month_start, next_month

BACKLOG_STATUSES = [ReviewStatus.WAITING, ReviewStatus.PENDING, ReviewStatus.IN_PROGRESS,
                    ReviewStatus.CORRECTION_REQUESTED]
OVERDUE_PAGE = 50
OLDEST_ROWS = 20


@dataclass(frozen=True)
class Scope:
    """What a person may see: every department (None), or the departments they supervise."""

    departments: frozenset[int] | None

    def allows(self, department_id: int | None) -> bool:
        return self.departments is None or department_id in self.departments


def dashboard_scope(user) -> Scope | None:
    """Managers and administrators see every department, supervisors their own; anyone else nothing (None)."""
    if not user.is_authenticated:
        return None
    if user.role in (Role.MANAGER, Role.ADMIN):
        return Scope(None)
    if user.role == Role.SUPERVISOR:
        supervised = frozenset(d for d, role in member_roles(user).items() if role == MembershipRole.SUPERVISOR)
        return Scope(supervised) if supervised else None
    return None


def departments_for(scope: Scope) -> list[Department]:
    query = Department.objects.order_by("code")
    return list(query if scope.departments is None else query.filter(pk__in=scope.departments))


def services() -> list[Service]:
    return list(Service.objects.order_by("position", "slug"))


@dataclass(frozen=True)
class Filters:
    date_from: date
    date_to: date
    service_id: int | None = None
    department_id: int | None = None


def percentile(histogram: Counter, p: int) -> int | None:
    """Nearest rank: the smallest value with at least ⌈p% of N⌉ observations at or below it."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = max(1, math.ceil(p * total / 100)), 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return None


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _base(model, filters: Filters, first: str = "day"):
    query = model.objects.all()
    if first == "day":
        query = query.filter(day__range=(filters.date_from, filters.date_to))
    if filters.service_id:
        query = query.filter(service_id=filters.service_id)
    return query


def _histograms(filters: Filters, department_ids=None, *, by_month: bool = False) -> dict[tuple, Counter]:
    """(service, department, stage) → working days histogram of the decisions in the range: whole
    months from the monthly table, the partial months at either end from the daily one. By month,
    the key starts with the month's first day."""
    first_full = filters.date_from if filters.date_from.day == 1 else next_month(filters.date_from)
    after_last_full = month_start(filters.date_to + timedelta(days=1))
    columns = ("service_id", "department_id", "stage", "working_days")
    parts = []
    if first_full < after_last_full:
        monthly = _base(MonthDurationStat, filters, first="month").filter(month__gte=first_full, month__lt=after_last_full)
        daily = _base(DurationStat, filters).filter(Q(day__lt=first_full) | Q(day__gte=after_last_full))
        parts = [monthly.annotate(period=F("month")), daily.annotate(period=TruncMonth("day"))]
    else:
        parts = [_base(DurationStat, filters).annotate(period=TruncMonth("day"))]
    result = defaultdict(Counter)
    for query in parts:
        if department_ids is not None:
            query = query.filter(department_id__in=department_ids)
        if by_month:
            for month, service, department, stage, days, n in (query.values_list("period", *columns)
                                                               .annotate(n=Sum("count")).order_by()):
                result[(month, service, department, stage)][days] += n
        else:
            for service, department, stage, days, n in query.values_list(*columns).annotate(n=Sum("count")).order_by():
                result[(service, department, stage)][days] += n
    return result


def _merged(histograms: dict[tuple, Counter], key) -> dict:
    out = defaultdict(Counter)
    for k, histogram in histograms.items():
        out[key(k)].update(histogram)
    return out


def _times(histogram: Counter) -> dict:
    n = sum(histogram.values())
    return {"n": n, "p50": percentile(histogram, 50), "p90": percentile(histogram, 90),
            "mean": round(sum(d * c for d, c in histogram.items()) / n, 1) if n else None}


def _department_ids(filters: Filters, scope: Scope) -> list[int] | None:
    """The departments the figures cover; None for all of them."""
    return [filters.department_id] if filters.department_id else (
        None if scope.departments is None else sorted(scope.departments))


# Counters of an application (not of a review): kept in the row of every department it involves
# and in the ALL_DEPARTMENTS row, so a figure over several departments reads the latter.
APPLICATION_FIELDS = ("submitted", "permits", "ratings", "rating_sum", "low_ratings", *FIGURES)
GROUPS = {"department": "department_id", "service": "service_id", "month": "month"}


def _figure(counts: dict, histogram: Counter) -> dict:
    return {**counts, **_rates(counts), **_times(histogram)}


def empty_figure() -> dict:
    return _figure(dict.fromkeys(DAY_FIELDS, 0), Counter())


def figures(filters: Filters, department_ids: list[int] | None = None, *, by: tuple[str, ...] = ()) -> dict[tuple, dict]:
    """The figures of each group (``by`` any of department, service, month; () for the whole range):
    the counters, their rates (_rates) and the working days to decide (_times). The one computation
    of them: the dashboard's headline and department table, the scorecard and the public performance
    pages all read it. A group with nothing in the range is absent (``empty_figure`` stands for it)."""
    days = _base(DayStat, filters)
    if "month" in by:
        days = days.annotate(month=TruncMonth("day"))
    reviews = days.exclude(department_id=ALL_DEPARTMENTS)
    if department_ids is not None:
        reviews = reviews.filter(department_id__in=department_ids)
    counts = defaultdict(lambda: dict.fromkeys(DAY_FIELDS, 0))
    # By department, each department's row holds its applications' counters too; otherwise they are
    # read from the all-departments rows (or the chosen departments'), never summed over departments.
    own = DAY_FIELDS if "department" in by else [f for f in DAY_FIELDS if f not in APPLICATION_FIELDS]
    for key, row in _sums(reviews, by, own):
        counts[key].update(row)
    if "department" not in by:
        applications = days.filter(department_id__in=[ALL_DEPARTMENTS] if department_ids is None else department_ids)
        for key, row in _sums(applications, by, APPLICATION_FIELDS):
            counts[key].update(row)
    # The keys of _histograms: (month,) service, department, stage.
    positions = {"month": 0, "service": 1, "department": 2} if "month" in by else {"service": 0, "department": 1}
    histograms = _merged(_histograms(filters, department_ids, by_month="month" in by),
                         lambda k: tuple(k[positions[name]] for name in by))
    return {key: _figure(counts.get(key, dict.fromkeys(DAY_FIELDS, 0)), histograms.get(key, Counter()))
            for key in set(counts) | set(histograms)}


def _sums(query, by: tuple[str, ...], fields) -> list[tuple[tuple, dict]]:
    """(group key, sum of each field) of the DayStat rows, grouped by ``by``."""
    sums = {f: Sum(f) for f in fields}
    if not by:
        row = query.aggregate(**sums)
        return [((), {f: row[f] or 0 for f in fields})] if any(row.values()) else []
    keys = [GROUPS[name] for name in by]
    return [(tuple(row[k] for k in keys), {f: row[f] or 0 for f in fields})
            for row in query.values(*keys).annotate(**sums).order_by()]


def _waits(histograms: dict[tuple, Counter], names: dict) -> list[dict]:
    return [{"department": names[k[0]], "stage": k[1], **_times(h)} for k, h in sorted(
        _merged(histograms, lambda k: (k[1], k[2])).items(),
        key=lambda i: -(_times(i[1])["mean"] or 0)) if k[0] in names]


def waits(filters: Filters, scope: Scope) -> list[dict]:
    """Working days from routing to decision by department and stage, longest mean first (the
    bottlenecks page: the histograms only, not the whole dashboard)."""
    names = {d.pk: d for d in departments_for(scope)}
    return _waits(_histograms(filters, _department_ids(filters, scope)), names)


def dashboard(filters: Filters, scope: Scope) -> dict:
    """Every figure of the dashboard for these filters, within the scope."""
    department_ids = _department_ids(filters, scope)
    names = {d.pk: d for d in departments_for(scope)}
    # Application-level counters: the all-departments rows, or the chosen department's.
    app_rows = [ALL_DEPARTMENTS] if department_ids is None else department_ids
    days = _base(DayStat, filters)
    daily = dict(days.filter(department_id__in=app_rows).values_list("day").annotate(n=Sum("submitted"))
                 .order_by("day"))
    totals = figures(filters, department_ids).get((), empty_figure())
    per_department = figures(filters, department_ids, by=("department",))
    department_rows = [{**per_department.get((pk,), empty_figure()), "department": department}
                       for pk, department in names.items() if department_ids is None or pk in department_ids]

    histograms = _histograms(filters, department_ids)
    times_department = _merged(histograms, lambda k: k[1])
    times_service = _merged(histograms, lambda k: k[0])
    service_names = {s.pk: s for s in services()}
    backlog = _backlog(filters, department_ids, names)
    return {
        "bundles": bundles_submitted(filters) if department_ids is None else [],
        "once_only": _once_only(days.filter(department_id__in=app_rows), service_names),
        "filings": unacknowledged_filings(filters, department_ids, names),
        "totals": totals,
        "departments": department_rows,
        "daily": [{"day": filters.date_from + timedelta(days=i),
                   "submitted": daily.get(filters.date_from + timedelta(days=i), 0)}
                  for i in range((filters.date_to - filters.date_from).days + 1)],
        "weekly": _weekly(daily, filters),
        "times_overall": {k: totals[k] for k in ("n", "p50", "p90", "mean")},
        "times_department": [{"department": names[pk], **_times(h)} for pk, h in sorted(
            times_department.items(), key=lambda i: names[i[0]].code) if pk in names],
        "times_service": [{"service": service_names[pk], **_times(h)} for pk, h in sorted(
            times_service.items(), key=lambda i: (service_names[i[0]].position, service_names[i[0]].slug))],
        "backlog": backlog,
        "backlog_total": sum(row["total"] for row in backlog),
        "waits": _waits(histograms, names),
    }


def bundles_submitted(filters: Filters) -> list[dict]:
    """Applications for a life event (bundles) submitted in the range, per bundle: read from the
    bundle applications themselves (one grouped query; there is no summary table of them)."""
    start, end = (timezone.make_aware(datetime.combine(day, time.min)) for day in
                  (filters.date_from, filters.date_to + timedelta(days=1)))
    counts = dict(BundleApplication.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
                  .values_list("bundle_id").annotate(n=Count("id")).order_by())
    return [{"bundle": bundle, "submitted": counts.get(bundle.pk, 0)} for bundle in Bundle.objects.order_by("position", "slug")]


def _with_shares(row: dict) -> dict:
    """The counts with what the citizen did not have to provide (approvals.once_only.not_provided)
    and the shares of answers and documents the government already held."""
    return {**row, "not_provided": not_provided(row),
            "fields_taken_rate": _rate(row["fields_taken"], row["fields_asked"] + row["fields_taken"]),
            "documents_reused_rate": _rate(row["documents_reused"], row["documents_uploaded"] + row["documents_reused"])}


def _once_only(days, service_names: dict) -> dict:
    """Once only, for the applications submitted in the range: per service and in total, the
    answers asked and taken from registers, the documents uploaded and reused from wallets."""
    rows = []
    for row in days.values("service_id").annotate(**{f: Sum(f) for f in FIGURES}).order_by():
        if row["service_id"] in service_names and any(row[f] for f in FIGURES):
            rows.append(_with_shares({"service": service_names[row["service_id"]], **{f: row[f] for f in FIGURES}}))
    rows.sort(key=lambda r: (r["service"].position, r["service"].slug))
    return {"services": rows, "totals": _with_shares({f: sum(r[f] for r in rows) for f in FIGURES})}


def unacknowledged_filings(filters: Filters, department_ids, names: dict, *, today: date | None = None) -> dict:
    """The filings after approval not acknowledged now, per department within the scope (and the
    filters' service and department): how many, the oldest, and how many are past the day they were
    to be acknowledged by (FILING_ACKNOWLEDGE_DAYS working days after the approval); with the totals.
    One grouped read, whatever the number of filings."""
    today = today or local_today()
    query = Filing.objects.filter(acknowledged_at__isnull=True)
    if department_ids is not None:
        query = query.filter(department_id__in=department_ids)
    if filters.service_id:
        query = query.filter(application__service_id=filters.service_id)
    rows = []
    for department_id, count, oldest, overdue in (
            query.values_list("department_id").annotate(n=Count("id"), oldest=Min("created_at"),
                                                        overdue=Count("id", filter=Q(acknowledge_by__lt=today)))
            .order_by()):
        if department_id in names:
            rows.append({"department": names[department_id], "count": count, "oldest": oldest, "overdue": overdue})
    rows.sort(key=lambda row: row["department"].code)
    return {"departments": rows, "count": sum(r["count"] for r in rows), "overdue": sum(r["overdue"] for r in rows),
            "oldest": min((r["oldest"] for r in rows), default=None), "days": settings.FILING_ACKNOWLEDGE_DAYS}


def _rates(row: dict) -> dict:
    # Every answer a department gives is an approval, a rejection or a correction request; the
    # three rates are shares of them. Time limits are judged on the final decisions only.
    answers = row["approved"] + row["rejected"] + row["corrections"]
    return {
        "answers": answers,
        "approval_rate": _rate(row["approved"], answers),
        "rejection_rate": _rate(row["rejected"], answers),
        "correction_rate": _rate(row["corrections"], answers),
        "sla_rate": _rate(row["sla_met"], row["decided"]),
        "average_rating": round(row["rating_sum"] / row["ratings"], 2) if row["ratings"] else None,
    }


def _weekly(daily: dict, filters: Filters) -> list[dict]:
    weeks = Counter()
    day = filters.date_from
    while day <= filters.date_to:
        weeks[day - timedelta(days=day.weekday())] += daily.get(day, 0)
        day += timedelta(days=1)
    return [{"week": week, "submitted": n} for week, n in sorted(weeks.items())]


def _backlog(filters: Filters, department_ids, names) -> list[dict]:
    query = BacklogStat.objects.all()
    if filters.service_id:
        query = query.filter(service_id=filters.service_id)
    if department_ids is not None:
        query = query.filter(department_id__in=department_ids)
    cells = defaultdict(Counter)
    for department, stage, status, n in (query.values_list("department_id", "stage", "status")
                                         .annotate(n=Sum("count")).order_by()):
        cells[(department, stage)][status] += n
    rows = []
    for (department, stage), counts in sorted(cells.items(), key=lambda i: (names[i[0][0]].code, i[0][1])
                                              if i[0][0] in names else ("", 0)):
        if department in names and sum(counts.values()):
            rows.append({"department": names[department], "stage": stage,
                         **{s.value: counts[s.value] for s in BACKLOG_STATUSES}, "total": sum(counts.values())})
    return rows


# --- Scorecard --------------------------------------------------------------------------------------------

SCORE_WEIGHTS = {"sla": 0.4, "speed": 0.3, "rating": 0.3}


def speed_score(median_days: int | None) -> float | None:
    """100 for a median decision on the day of routing, 10 points fewer per working day, at least 0."""
    return None if median_days is None else max(0.0, 100.0 - 10.0 * median_days)


def rating_score(average: float | None) -> float | None:
    """The 1–5 average rating on 0–100."""
    return None if average is None else round((average - 1) / 4 * 100, 1)


def scorecard(month: date, scope: Scope) -> list[dict]:
    """The departments ranked for one calendar month by
    score = 0.4 × SLA compliance + 0.3 × speed + 0.3 × rating (each on 0–100; a missing part counts 0)."""
    filters = Filters(date_from=month, date_to=next_month(month) - timedelta(days=1))
    per_department = figures(filters, None if scope.departments is None else sorted(scope.departments),
                             by=("department",))
    rectifications = rectification_selectors.department_counts(
        department_ids=scope.departments, month=month, today=local_today())
    rows = []
    departments = list(departments_for(scope))
    # Complaints are counted as they stand today (open, and past their answer's due date).
    complaints = department_complaint_counts([d.pk for d in departments])
    for department in departments:
        row = per_department.get((department.pk,), empty_figure())
        median = row["p50"]
        parts = {"sla": row["sla_rate"], "speed": speed_score(median), "rating": rating_score(row["average_rating"])}
        score = round(sum(SCORE_WEIGHTS[k] * (v or 0) for k, v in parts.items()), 1)
        rows.append({"department": department, "decided": row["decided"], "sla_rate": row["sla_rate"],
                     "median_days": median, "average_rating": row["average_rating"], "ratings": row["ratings"],
                     "speed_score": parts["speed"], "rating_score": parts["rating"], "score": score,
                     "yellow": row["yellow"], "red": row["red"],
                     "complaints_open": complaints.get(department.pk, {}).get("open", 0),
                     "complaints_overdue": complaints.get(department.pk, {}).get("overdue", 0),
                     # Bad ratings being rectified now, those past their deadline, and those closed
                     # in time within the month (approvals.rectification_selectors); not scored.
                     "rectifications": rectifications.get(department.pk, {"open": 0, "overdue": 0, "closed_in_time": 0})})
    rows.sort(key=lambda r: (-r["score"], r["department"].code))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


# --- Reviews: overdue and oldest (bounded pages on the open-review indexes) ---------------------------------


def _review_rows(query):
    return query.select_related("application__service", "department", "assignee")


def overdue_reviews(*, department: Department, offset: int = 0, today: date | None = None) -> list[Review]:
    """Open reviews of the department past their due date, most overdue first (a page, plus one to tell whether more follow)."""
    today = today or local_today()
    query = Review.objects.filter(department=department, status__in=REVIEW_OPEN, due_date__lt=today)
    return list(_review_rows(query).order_by("due_date", "pk")[offset:offset + OVERDUE_PAGE + 1])


def oldest_reviews(*, scope: Scope, department_id: int | None = None) -> list[Review]:
    """The open reviews that have waited longest (earliest due date first)."""
    query = Review.objects.filter(status__in=REVIEW_OPEN, due_date__isnull=False)
    if department_id:
        query = query.filter(department_id=department_id)
    elif scope.departments is not None:
        query = query.filter(department_id__in=scope.departments)
    return list(_review_rows(query).order_by("due_date", "pk")[:OLDEST_ROWS])


def supervisors_of(department_ids) -> dict[int, list[str]]:
    """The named supervisors of each department: who answers for a review nobody holds."""
    result = defaultdict(list)
    for department_id, name in (Membership.objects.filter(department_id__in=set(department_ids),
                                                          role=MembershipRole.SUPERVISOR, user__is_active=True)
                                .order_by("department_id", "user__full_name").values_list("department_id",
                                                                                          "user__full_name")):
        result[department_id].append(name)
    return result
