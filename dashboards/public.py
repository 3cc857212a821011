"""The published performance tables: each department and each service, month by month.

Every figure comes from the dashboards' own selector (``selectors.figures``), so the public pages,
the open data and the managers' dashboard show the same numbers for the same department, service
and period. What this module adds is what publication needs:

- **Columns from sources.** ``COLUMN_SOURCES`` lists where columns come from: each source names its
  measures and reads them per (department or service, month). Complaints and rectification cases
  join as two more sources, e.g.::

      ColumnSource("complaints", COMPLAINT_MEASURES, monthly(complaint_selectors.complaints_by_month, names))

  where ``monthly`` calls the engine's ``<x>_by_month(months=…, by=…)`` and keys its rows by (id,
  month). Nothing else changes: pages, CSV, JSON and schema follow the list.
- **Suppression of small counts** (``OPEN_DATA_MIN_COUNT``, 5): a count from 1 to the threshold
  less one is published as suppressed (``small_count``); so is every figure computed over a
  suppressed count (a share, a median, an average: ``derived``). A zero is published: it describes
  nobody, and hiding it would hide large counts for no one's sake (see differencing).
- **Differencing.** No totals are published (no all-departments or all-services row, no range
  total). The one relation between published counts is a department's against the services it
  counted that month: its count is the sum of its shares of theirs (``by="pair"``), and a share
  equals the service's count when the department reviews every application of the service (or, for
  decisions, alone decides it). Subtracting the shares anyone can read off published service counts
  leaves the sum of the other shares; a department's count is published only when, wherever that
  rest includes a suppressed service count, it holds at least the threshold; otherwise it is
  suppressed too (``complementary``), and the figures computed over it with it. Suppressing a
  department's count never reveals a service's, so one pass settles it, and a month reads the same
  in every page and file that shows it (suppression is worked out over every department and
  service of the month).
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from approvals import complaint_selectors, rectification_selectors
from approvals.monthly_figures import SUBJECT_COLUMNS
from catalogue.models import Service
from departments.models import Department

from . import selectors
from .stats import next_month

SMALL_COUNT, DERIVED, COMPLEMENTARY = "small_count", "derived", "complementary"
REASONS = (SMALL_COUNT, DERIVED, COMPLEMENTARY)


@dataclass(frozen=True)
class Measure:
    """One published column: a stable name (the open data's), its header, what it means, its type and
    unit; ``base`` names the count a derived figure is computed over (a share, a median, an average)."""

    name: str
    title: str
    description: str
    type: str  # Table Schema: "integer" or "number"
    unit: str
    base: str | None = None

    @property
    def is_count(self) -> bool:
        return self.base is None


@dataclass(frozen=True)
class ColumnSource:
    """Measures and the read that fills them: ``read(by, months)`` → {key: {measure name: value}} for
    ``months`` (first days), ``by`` being "department" or "service" (key: (id, month)) or "pair" (key:
    (department id, service id, month): the department's share of the service's counts, which the
    differencing rule needs; a source without shares relates its department and service counts to
    nothing)."""

    name: str
    measures: tuple[Measure, ...]
    read: Callable[[str, list[date]], dict[tuple[int, date], dict]]


PERFORMANCE_MEASURES = (
    Measure("received", _("Applications received"),
            _("Applications submitted in the month (for a department: those it was asked to review)."),
            "integer", "applications"),
    Measure("decided", _("Decisions"),
            _("Final decisions (approval or rejection) made by the department, or by the departments reviewing "
              "the service, in the month."), "integer", "decisions"),
    Measure("decided_in_time_percent", _("Decided in time (%)"),
            _("Share of those decisions made on or before their due date."), "number", "percent", base="decided"),
    Measure("median_working_days", _("Median working days to decide"),
            _("Median working days from routing to the decision, less the days spent waiting for the "
              "applicant's corrections."), "integer", "working days", base="decided"),
    Measure("ratings", _("Ratings"), _("Ratings citizens gave in the month (1 to 5 stars)."), "integer", "ratings"),
    Measure("average_rating", _("Average rating (1–5)"), _("Average of those ratings."), "number", "stars (1-5)",
            base="ratings"),
)


def month_end(month: date) -> date:
    return next_month(month) - timedelta(days=1)


def _performance(by: str, months: list[date]) -> dict[tuple, dict]:
    filters = selectors.Filters(date_from=months[0], date_to=month_end(months[-1]))
    groups = ("department", "service", "month") if by == "pair" else (by, "month")
    return {key: {"received": f["submitted"], "decided": f["decided"], "decided_in_time_percent": f["sla_rate"],
                  "median_working_days": f["p50"], "ratings": f["ratings"], "average_rating": f["average_rating"]}
            for key, f in selectors.figures(filters, by=groups).items()}


COMPLAINT_MEASURES = (
    Measure("complaints", _("Complaints"),
            _("Complaints received in the month about the department (for a service: about its applications)."),
            "integer", "complaints"),
    Measure("complaints_answered_in_time", _("Complaints answered in time"),
            _("Of those complaints, how many had their first answer by its due date."), "integer", "complaints"),
    Measure("complaints_upheld", _("Complaints upheld"),
            _("Of those complaints, how many the answer found to be justified."), "integer", "complaints"),
)

RECTIFICATION_MEASURES = (
    Measure("rectifications_opened", _("Bad ratings to rectify"),
            _("Rectification cases opened in the month: one for each department that decided an application "
              "rated 1 or 2."), "integer", "cases"),
    Measure("rectifications_closed_in_time", _("Rectified in time"),
            _("Cases whose account of what was done was written in the month, by their deadline."), "integer", "cases"),
    Measure("rectifications_overdue", _("Rectifications overdue"),
            _("Cases whose deadline fell in the month and passed without an account."), "integer", "cases"),
)


def monthly(read_by_month: Callable[..., list[dict]], names: dict[str, str]) -> Callable[[str, list[date]], dict]:
    """A source from an engine read ``<x>_by_month(months=…, by=…)`` that returns rows with the
    subject's id(s), the month and counts; ``names`` maps its count names to the published ones."""
    def read(by: str, months: list[date]) -> dict[tuple, dict]:
        return {(*(row[k] for k in SUBJECT_COLUMNS[by]), row["month"]): {ours: row[theirs] for theirs, ours in names.items()}
                for row in read_by_month(months=months, by=by)}
    return read


COLUMN_SOURCES = [
    ColumnSource("performance", PERFORMANCE_MEASURES, _performance),
    ColumnSource("complaints", COMPLAINT_MEASURES, monthly(complaint_selectors.complaints_by_month, {
        "received": "complaints", "answered_in_time": "complaints_answered_in_time", "upheld": "complaints_upheld"})),
    ColumnSource("rectifications", RECTIFICATION_MEASURES, monthly(rectification_selectors.rectifications_by_month, {
        "opened": "rectifications_opened", "closed_in_time": "rectifications_closed_in_time",
        "overdue": "rectifications_overdue"})),
]


def measures(sources=None) -> list[Measure]:
    return [m for source in (sources or COLUMN_SOURCES) for m in source.measures]


@dataclass
class Cell:
    value: int | float | None
    reason: str | None = None  # why it is suppressed; None when published

    @property
    def suppressed(self) -> bool:
        return self.reason is not None

    @property
    def published(self):
        return None if self.suppressed else self.value


@dataclass
class Row:
    subject: Department | Service
    month: date
    cells: dict[str, Cell]


@dataclass
class Published:
    months: list[date]
    measures: list[Measure]
    threshold: int
    departments: list[Row] = field(default_factory=list)
    services: list[Row] = field(default_factory=list)

    def of(self, subject) -> list[Row]:
        rows = self.departments if isinstance(subject, Department) else self.services
        return [row for row in rows if row.subject.pk == subject.pk]


def published(months: list[date], *, sources=None, threshold: int | None = None) -> Published:
    """Every department's and service's row for each month, suppressed for publication."""
    sources = sources or COLUMN_SOURCES
    threshold = settings.OPEN_DATA_MIN_COUNT if threshold is None else threshold
    result = Published(months=months, measures=measures(sources), threshold=threshold)
    for by, subjects, rows in (("department", Department.objects.order_by("code"), result.departments),
                               ("service", selectors.services(), result.services)):
        values = {}
        for source in sources:
            for key, row in source.read(by, months).items():
                values.setdefault(key, {}).update(row)
        subjects = list(subjects)
        for month in months:
            for subject in subjects:
                given = values.get((subject.pk, month), {})
                rows.append(Row(subject, month, {m.name: Cell(given.get(m.name, 0 if m.is_count else None))
                                                 for m in result.measures}))
    shares = {}
    for source in sources:
        for key, row in source.read("pair", months).items():
            shares.setdefault(key, {}).update(row)
    _suppress(result, shares)
    return result


def _suppress(table: Published, shares: dict[tuple[int, int, date], dict]) -> None:
    """Small counts, then the departments' counts that would give them away, then the figures derived from them."""
    counts = [m.name for m in table.measures if m.is_count]
    for row in table.departments + table.services:
        for name in counts:
            if 0 < row.cells[name].value < table.threshold:
                row.cells[name].reason = SMALL_COUNT
    services = {(row.month, row.subject.pk): row.cells for row in table.services}
    parts = defaultdict(list)  # (month, department) → (its shares, the service's cells) of each service it counted
    for (department, service, month), share in shares.items():
        if (month, service) in services:
            parts[(month, department)].append((share, services[(month, service)]))
    for row in table.departments:
        for name in counts:
            if not row.cells[name].suppressed and _gives_away(name, parts[(row.month, row.subject.pk)], table.threshold):
                row.cells[name].reason = COMPLEMENTARY
    for row in table.departments + table.services:
        for measure in table.measures:
            if measure.base and row.cells[measure.base].suppressed:
                row.cells[measure.name].reason = DERIVED


def _gives_away(name: str, parts: list[tuple[dict, dict]], threshold: int) -> bool:
    """Would the department's count, less the shares anyone can read off published service counts (a
    share equal to its service's count), leave less than the threshold over suppressed service counts?"""
    unknown = [(share.get(name, 0), cells[name]) for share, cells in parts
               if cells[name].suppressed or share.get(name, 0) != cells[name].value]
    return any(cell.suppressed and share for share, cell in unknown) and sum(share for share, _ in unknown) < threshold
