"""Keeping the dashboards' summary tables (dashboards.models) up to date.

One function, ``_contribute``, says what an application and its reviews add to the summaries.
Everything else applies it:

- ``stats_consume`` (beat) follows the sealed audit chain from a cursor: every event names its
  application; those applications are re-read from the raw tables and their summaries moved by
  (new contribution − old contribution). The audit chain's ``seq`` is gap-free in commit order, so
  the cursor never passes a change it has not seen. It runs under an advisory lock (two beats at
  once wait for each other) and, being a difference against the stored facts, is idempotent.
- ``stats_rebuild`` (``manage.py rebuild_stats``) recomputes every summary from the raw tables
  (applications, reviews, permits, ratings), reports how many summary rows differed from the ones
  kept (expected 0) and replaces them.

Days are local days in the portal's time zone; working days come from the catalogue calendar."""

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from django.db import connection, transaction
from django.utils import timezone

from approvals.models import REVIEW_UNDECIDED, Application, Rating, Review, ReviewStatus
from approvals.once_only import FIGURES
from approvals.sla import local_date, sla_calendar, sla_calendars
from audit.models import Action, AuditEvent
from core.calendar import Calendar, WorkingDays
from permits.models import Permit

from .models import (
    ALL_DEPARTMENTS,
    ApplicationFact,
    BacklogStat,
    DayStat,
    DurationStat,
    MonthDurationStat,
    ReviewFact,
    StatsCursor,
)

LOW_RATING_MAX = 2
# Final decisions. A correction request is not one: it pauses the clock, and is counted on the
# day it was made, from the audit log (a review can be asked several times).
DECISIONS = {ReviewStatus.APPROVED: "approved", ReviewStatus.REJECTED: "rejected"}
DAY_FIELDS = ["submitted", "decided", "approved", "rejected", "corrections", "sla_met", "yellow", "red", "permits",
              "ratings", "rating_sum", "low_ratings", *FIGURES]
CONSUME_BATCH = 5000
CONSUME_MAX_BATCHES = 10  # per beat run, well inside the task's time limit
REBUILD_CHUNK = 5000
_STATS_LOCK_KEY = 0x44415348  # names the advisory lock of the summaries


# --- Facts: what one application and its reviews are, as the summaries see them ----------------------


def local_day(moment: datetime | None) -> date | None:
    return local_date(moment) if moment else None


@lru_cache(maxsize=64)  # one table per distinct calendar: the catalogue's and each department's own
def _working_days(calendar: Calendar) -> WorkingDays:
    return WorkingDays(calendar, date(2000, 1, 1), date(2100, 12, 31))


def working_days_between(start: date, end: date, calendar: Calendar | None = None) -> int:
    """Working days in (start, end], as core.calendar.Calendar.working_days_between counts them
    (by default in the catalogue's calendar)."""
    return _working_days(calendar or sla_calendar()).between(start, end)


def processing_days(routed: date, decided: date, paused_days: int, calendar: Calendar) -> int:
    """Working days from routing to decision in the department's calendar, less those the clock
    stood waiting on the applicant."""
    return max(0, working_days_between(routed, decided, calendar) - paused_days)


@dataclass(slots=True)
class AppFact:
    """A row of ApplicationFact as a plain record (millions of them in a rebuild)."""

    application_id: int
    service_id: int
    departments: list
    submitted_day: date | None
    permit_days: list
    rating_day: date | None
    rating_score: int | None
    once_only: dict  # approvals.once_only: counted on the day it was submitted


@dataclass(slots=True)
class RevFact:
    """A row of ReviewFact as a plain record."""

    review_id: int
    application_id: int
    department_id: int
    service_id: int
    stage: int
    status: str
    decision_day: date | None
    working_days: int | None
    sla_met: bool
    yellow_day: date | None
    red_day: date | None
    correction_days: list


FACTS = {AppFact: ApplicationFact, RevFact: ReviewFact}


def _kept_facts(ids: list[int]) -> tuple[list[AppFact], list[RevFact]]:
    columns = [f.name for f in AppFact.__dataclass_fields__.values()]
    apps = [AppFact(*row) for row in ApplicationFact.objects.filter(pk__in=ids).values_list(*columns)]
    columns = [f.name for f in RevFact.__dataclass_fields__.values()]
    return apps, [RevFact(*row) for row in ReviewFact.objects.filter(application_id__in=ids).values_list(*columns)]


def _facts(application_ids) -> tuple[list[AppFact], list[RevFact]]:
    """Facts of the submitted applications among ``application_ids`` (as a list or an id range), from the raw tables."""
    if isinstance(application_ids, tuple):
        lookup = {"pk__gte": application_ids[0], "pk__lte": application_ids[1]}
    else:
        lookup = {"pk__in": application_ids}
    by = {k.replace("pk", "application_id"): v for k, v in lookup.items()}
    apps = list(Application.objects.filter(submitted_at__isnull=False, **lookup).order_by("pk")
                .values_list("pk", "service_id", "submitted_at", "once_only"))
    permits, ratings, departments, corrections = defaultdict(list), {}, defaultdict(list), defaultdict(list)
    for review_id, at in AuditEvent.objects.filter(action=Action.REVIEW_CORRECTION, object_type="review", **by).values_list(
            "object_id", "at"):
        corrections[int(review_id)].append(local_day(at).isoformat())
    for app_id, issued_at in Permit.objects.filter(**by).values_list("application_id", "issued_at"):
        permits[app_id].append(local_day(issued_at).isoformat())
    for app_id, score, created_at in Rating.objects.filter(**by).values_list("application_id", "score", "created_at"):
        ratings[app_id] = (score, local_day(created_at))
    services = {pk: service_id for pk, service_id, *_ in apps}
    calendars = sla_calendars()  # read once; each department's table is built once (_working_days)
    review_facts = []
    for row in Review.objects.filter(**by).order_by("pk").values_list(
            "pk", "application_id", "department_id", "stage", "status", "routed_at", "decided_at", "due_date",
            "paused_days", "yellow_at", "red_at"):
        pk, app_id, department_id, stage, status, routed_at, decided_at, due_date, paused, yellow_at, red_at = row
        if app_id not in services:
            continue
        departments[app_id].append(department_id)
        decision_day = local_day(decided_at) if status in DECISIONS else None
        review_facts.append(RevFact(
            pk, app_id, department_id, services[app_id], stage, status, decision_day,
            processing_days(local_day(routed_at), decision_day, paused, calendars.of(department_id))
            if decision_day and routed_at else None,
            bool(decision_day and due_date and decision_day <= due_date), local_day(yellow_at), local_day(red_at),
            sorted(corrections[pk]),
        ))
    app_facts = [
        AppFact(pk, service_id, sorted(set(departments[pk])), local_day(submitted_at), sorted(permits[pk]),
                ratings.get(pk, (None, None))[1], ratings.get(pk, (None, None))[0],
                {f: once_only.get(f, 0) for f in FIGURES})
        for pk, service_id, submitted_at, once_only in apps
    ]
    return app_facts, review_facts


# --- Contributions ------------------------------------------------------------------------------------


@dataclass
class Summaries:
    day: Counter = field(default_factory=Counter)  # (day, service, department, field) → n
    duration: Counter = field(default_factory=Counter)  # (day, service, department, stage, working days) → n
    month: Counter = field(default_factory=Counter)  # (month, service, department, stage, working days) → n
    backlog: Counter = field(default_factory=Counter)  # (service, department, stage, status) → n


def _as_date(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _contribute(into: Summaries, apps: list[AppFact], reviews: list[RevFact], sign: int = 1) -> None:
    day = into.day
    for app in apps:
        service = app.service_id
        for department in (ALL_DEPARTMENTS, *app.departments):
            if app.submitted_day:
                submitted = _as_date(app.submitted_day)
                day[(submitted, service, department, "submitted")] += sign
                for figure in FIGURES:
                    day[(submitted, service, department, figure)] += sign * (app.once_only or {}).get(figure, 0)
            for permit_day in app.permit_days:
                day[(_as_date(permit_day), service, department, "permits")] += sign
            if app.rating_day:
                rated = _as_date(app.rating_day)
                day[(rated, service, department, "ratings")] += sign
                day[(rated, service, department, "rating_sum")] += sign * app.rating_score
                day[(rated, service, department, "low_ratings")] += sign * (app.rating_score <= LOW_RATING_MAX)
    for review in reviews:
        service, department = review.service_id, review.department_id
        decided = _as_date(review.decision_day)
        if decided:
            day[(decided, service, department, "decided")] += sign
            day[(decided, service, department, DECISIONS[review.status])] += sign
            day[(decided, service, department, "sla_met")] += sign * review.sla_met
            if review.working_days is not None:
                into.duration[(decided, service, department, review.stage, review.working_days)] += sign
                into.month[(decided.replace(day=1), service, department, review.stage, review.working_days)] += sign
        for asked in review.correction_days:
            day[(_as_date(asked), service, department, "corrections")] += sign
        if review.yellow_day:
            day[(_as_date(review.yellow_day), service, department, "yellow")] += sign
        if review.red_day:
            day[(_as_date(review.red_day), service, department, "red")] += sign
        if review.status in REVIEW_UNDECIDED:
            into.backlog[(service, department, review.stage, review.status)] += sign


def _day_rows(counter: Counter) -> dict[tuple, dict[str, int]]:
    rows = defaultdict(lambda: dict.fromkeys(DAY_FIELDS, 0))
    for (day, service, department, name), n in counter.items():
        if n:
            rows[(day, service, department)][name] += n
    return rows


# --- Writing ------------------------------------------------------------------------------------------


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_STATS_LOCK_KEY])


def _upsert(model, keys: list[str], values: list[str], rows: list[tuple]) -> None:
    """Add ``values`` to the rows of ``keys`` (created at 0 when missing)."""
    if not rows:
        return
    # Table and column names come from our models, never from input; the values are parameters.
    table = model._meta.db_table
    columns = keys + values
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "  # noqa: S608
           f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
           + ", ".join(f"{v} = {table}.{v} + excluded.{v}" for v in values))
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _apply(delta: Summaries) -> None:
    day_rows = _day_rows(delta.day)
    _upsert(DayStat, ["day", "service_id", "department_id"], DAY_FIELDS,
            [(*key, *(row[f] for f in DAY_FIELDS)) for key, row in day_rows.items() if any(row.values())])
    histogram = ["service_id", "department_id", "stage", "working_days"]
    _upsert(DurationStat, ["day", *histogram], ["count"], [(*k, n) for k, n in delta.duration.items() if n])
    _upsert(MonthDurationStat, ["month", *histogram], ["count"], [(*k, n) for k, n in delta.month.items() if n])
    _upsert(BacklogStat, ["service_id", "department_id", "stage", "status"], ["count"],
            [(*k, n) for k, n in delta.backlog.items() if n])


@transaction.atomic
def stats_refresh(*, application_ids) -> int:
    """Bring the summaries of these applications up to date with the raw tables; returns how many were read."""
    ids = sorted({int(i) for i in application_ids})
    if not ids:
        return 0
    _lock()
    delta = Summaries()
    _contribute(delta, *_kept_facts(ids), sign=-1)
    apps, reviews = _facts(ids)
    _contribute(delta, apps, reviews)
    ApplicationFact.objects.filter(pk__in=ids).delete()
    ReviewFact.objects.filter(application_id__in=ids).delete()
    _write_facts(apps)
    _write_facts(reviews)
    _apply(delta)
    return len(ids)


def stats_consume(*, batch: int = CONSUME_BATCH, max_batches: int = CONSUME_MAX_BATCHES) -> int:
    """Follow the sealed audit chain from the cursor; returns how many events were read. Each batch
    commits with its cursor, so a run stopped by its time limit keeps what it did; the next beat
    continues from there."""
    total = 0
    for _batch in range(max_batches):
        with transaction.atomic():
            _lock()
            cursor, _created = StatsCursor.objects.select_for_update().get_or_create(pk=1)
            events = list(AuditEvent.objects.filter(seq__gt=cursor.seq).order_by("seq")
                          .values_list("seq", "application_id")[:batch])
            if events:
                stats_refresh(application_ids=[a for _seq, a in events if a is not None])
                cursor.seq, cursor.updated_at = events[-1][0], timezone.now()
                cursor.save(update_fields=["seq", "updated_at"])
        total += len(events)
        if len(events) < batch:
            break
    return total


# --- Rebuild ------------------------------------------------------------------------------------------


@dataclass
class Drift:
    day: int = 0
    duration: int = 0
    month: int = 0
    backlog: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.day + self.duration + self.month + self.backlog


def stored() -> Summaries:
    """The summaries as kept, in the shape ``_contribute`` produces."""
    kept = Summaries()
    for row in DayStat.objects.values_list("day", "service_id", "department_id", *DAY_FIELDS).iterator():
        for name, n in zip(DAY_FIELDS, row[3:], strict=True):
            if n:
                kept.day[(*row[:3], name)] = n
    for model, counter in ((DurationStat, kept.duration), (MonthDurationStat, kept.month)):
        first = "day" if model is DurationStat else "month"
        for *key, n in model.objects.values_list(first, "service_id", "department_id", "stage", "working_days",
                                                 "count").iterator():
            if n:
                counter[tuple(key)] = n
    for *key, n in BacklogStat.objects.values_list("service_id", "department_id", "stage", "status", "count"):
        if n:
            kept.backlog[tuple(key)] = n
    return kept


def _compare(kept: Summaries, fresh: Summaries) -> Drift:
    drift = Drift()
    for name in ("day", "duration", "month", "backlog"):
        a, b = getattr(kept, name), getattr(fresh, name)
        differing = [k for k in set(a) | set(b) if a.get(k, 0) != b.get(k, 0)]
        setattr(drift, name, len(differing))
        drift.examples += [f"{name} {k}: kept {a.get(k, 0)}, raw tables {b.get(k, 0)}" for k in sorted(differing, key=str)[:5]]
    return drift


def _write_facts(records: list) -> None:
    if not records:
        return
    model = FACTS[type(records[0])]
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**{f: getattr(r, f) for f in r.__dataclass_fields__}) for r in records],
                                  batch_size=2000)
        return
    columns = list(type(records[0]).__dataclass_fields__)
    with connection.cursor() as wrapper, wrapper.cursor.copy(
            f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy:
        for record in records:
            copy.write_row([json.dumps(v) if isinstance(v, list | dict) else v for v in (getattr(record, c) for c in columns)])


def _write(model, objects: list) -> None:
    """Insert many rows: PostgreSQL COPY, or bulk INSERTs elsewhere."""
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=2000)
        return
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.name == "id")]
    columns = ", ".join(f.column for f in fields)
    with connection.cursor() as wrapper, wrapper.cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy:
        for obj in objects:
            copy.write_row([json.dumps(v) if isinstance(v, list | dict) else v
                            for v in (getattr(obj, f.attname) for f in fields)])


@transaction.atomic
def stats_rebuild(*, dry_run: bool = False) -> Drift:
    """Recompute the summaries from the raw tables; report the drift from the kept ones, then
    replace them (unless ``dry_run``)."""
    _lock()
    cursor, _created = StatsCursor.objects.select_for_update().get_or_create(pk=1)
    # Every event up to here is committed, so the raw tables read below include its change.
    last = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", flat=True).first() or 0
    fresh = Summaries()
    if not dry_run:
        ApplicationFact.objects.all().delete()
        ReviewFact.objects.all().delete()
    first, stop = 0, (Application.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)
    while first <= stop:
        apps, reviews = _facts((first, first + REBUILD_CHUNK - 1))
        _contribute(fresh, apps, reviews)
        if not dry_run:
            _write_facts(apps)
            _write_facts(reviews)
        first += REBUILD_CHUNK
    drift = _compare(stored(), fresh)
    if dry_run:
        return drift
    for model in (DayStat, DurationStat, MonthDurationStat, BacklogStat):
        model.objects.all().delete()
    _write(DayStat, [DayStat(day=k[0], service_id=k[1], department_id=k[2], **row)
                     for k, row in _day_rows(fresh.day).items() if any(row.values())])
    _write(DurationStat, [DurationStat(day=k[0], service_id=k[1], department_id=k[2], stage=k[3], working_days=k[4],
                                       count=n) for k, n in fresh.duration.items() if n])
    _write(MonthDurationStat, [MonthDurationStat(month=k[0], service_id=k[1], department_id=k[2], stage=k[3],
                                                 working_days=k[4], count=n) for k, n in fresh.month.items() if n])
    _write(BacklogStat, [BacklogStat(service_id=k[0], department_id=k[1], stage=k[2], status=k[3], count=n)
                         for k, n in fresh.backlog.items() if n])
    cursor.seq, cursor.updated_at = max(cursor.seq, last), timezone.now()
    cursor.save(update_fields=["seq", "updated_at"])
    return drift


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
