"""Reads for officers: their queues, the need-to-know view of one review, and their departments'
filings after approval."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Reverse
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals.access import may_see_filing, opinion_reader_department
from approvals.models import (
    QUEUE_NEVER_DECIDED,
    QUEUE_NO_DUE_DATE,
    REVIEW_OPEN,
    REVIEW_UNDECIDED,
    Application,
    ApplicationShare,
    CalendarChangeReview,
    CalendarChangeState,
    Filing,
    InternalNote,
    NameWords,
    OpinionAttachment,
    Review,
    ReviewStatus,
    ShareOpinion,
)
from approvals.need_to_know import need_to_know
from approvals.sla import local_today, sla_calendars
from audit.models import Action, AuditEvent
from audit.selectors import front_desk_name
from catalogue.models import Service
from core.i18n import translated
from departments.access import active_memberships, member_role, member_role_subquery, supervisor_memberships
from departments.models import Department, Membership, MembershipRole, StandardReason

# --- The queue ------------------------------------------------------------------------------------

PAGE_SIZE = 50
COUNT_CAP = 1000  # a tab counts at most this many rows and shows "1000+" beyond
# Under a service filter or a search every counted row costs a read of the review's row (or a join
# to the application), not only its index entry, so tabs count less far: "100+".
FILTERED_COUNT_CAP = 100
DUE_SOON_WORKING_DAYS = 2
SEARCH_MAX_LENGTH = 100
# A name search walks this many rows of the tab in order before it asks the name index instead:
# a page of 50 within 3000 rows is a name shared by more than 1 in 60 applicants.
NAME_WALK = 3000
TRIGRAM = 3  # the shortest search the trigram index serves
# Keyset sort keys: a review without a due date sorts last, a decision without a time first.

QUEUE_TABS = ("pending", "mine", "in_progress", "waiting", "decided")
# What a queue row shows: not the application's answers or the people's other details, which
# would be read and decoded for every row of every page. Service and department names come from
# the page's own lists (the filter's services, the user's memberships), not from a join per row.
QUEUE_ROW_FIELDS = (
    "application_id", "department_id", "stage", "status", "assignee_id", "due_date", "yellow_at", "red_at",
    "decided_at", "application__reference", "application__service_id",
    "applicant_name", "business_name", "assignee__full_name", "pending_since", "unread_messages",
    "application__bundle_application__reference", "application__kind",
)
DECIDED = (ReviewStatus.APPROVED, ReviewStatus.REJECTED)
REFERENCE_RE = re.compile(r"^(?P<letter>[a-z])-(?P<year>\d{4})-(?P<number>\d{1,12})$", re.IGNORECASE | re.ASCII)
# The end of a reference as people type it: its number, with or without its year ("9",
# "000009", "2026-000009"). It may also be part of a business name ("Studio 2026"), so it is
# searched as both.
REFERENCE_TAIL_RE = re.compile(r"^(?:(?P<year>\d{4})-)?(?P<number>\d{1,12})$", re.ASCII)
REFERENCE_DIGITS = 6  # a reference's number has at least this many digits (approvals.workflow)
TAIL_MATCHES = 100  # a tail names one application a year: more is not a tail search worth reading
CURSOR_RE = re.compile(r"(?P<key>-?\d{1,18})\.(?P<pk>\d{1,18})", re.ASCII)


def department_ids(user) -> list[int]:
    return list(active_memberships().filter(user=user).values_list("department_id", flat=True))


def queue_memberships(user) -> list[Membership]:
    """The user's departments with the user's role in each, in code order."""
    return list(
        active_memberships().filter(user=user)
        .select_related("department").order_by("department__code")
    )


def queue_services(department_ids: list[int]) -> QuerySet:
    """The services any of these departments reviews (the service filter's choices)."""
    return Service.objects.filter(requirements__department_id__in=department_ids).distinct().order_by("position", "slug")


@dataclass(frozen=True)
class Cursor:
    """The last row of a page, (sort key, pk); the next page starts after it. The key is a
    date's ordinal (open tabs, by due date) or a decision time in epoch microseconds."""

    key: int
    pk: int

    def encode(self) -> str:
        return f"{self.key}.{self.pk}"

    @classmethod
    def decode(cls, raw: str | None, *, decided: bool = False) -> "Cursor | None":
        """None for anything that is not a cursor this queue wrote for such a tab."""
        match = CURSOR_RE.fullmatch(raw or "")
        if match is None:
            return None
        cursor = cls(int(match["key"]), int(match["pk"]))
        try:
            cursor.time_key() if decided else cursor.date_key()
        except (ValueError, OverflowError):
            return None
        return cursor

    def date_key(self) -> date:
        return date.fromordinal(self.key)

    def time_key(self) -> datetime:
        return QUEUE_NEVER_DECIDED + timedelta(microseconds=self.key)


@dataclass(frozen=True)
class QueueFilters:
    tab: str = "pending"
    department_id: int | None = None
    service_id: int | None = None
    stage: int | None = None
    due_soon: bool = False
    overdue: bool = False
    search: str = ""
    after: Cursor | None = None


@dataclass(frozen=True)
class QueueCount:
    value: int
    capped: bool  # more than COUNT_CAP: shown as "1000+"


def _tab_q(tab: str, user) -> Q:
    if tab == "mine":
        return Q(status=ReviewStatus.IN_PROGRESS, assignee_id=user.pk)
    if tab == "in_progress":
        return Q(status=ReviewStatus.IN_PROGRESS)
    if tab == "waiting":
        return Q(status=ReviewStatus.CORRECTION_REQUESTED)
    if tab == "decided":
        return Q(status__in=DECIDED)
    return Q(status=ReviewStatus.PENDING)


def due_soon_q(department_ids: list[int], today: date) -> Q:
    """Reviews due from today to DUE_SOON_WORKING_DAYS working days on, each in its department's
    calendar: one condition per distinct last day (usually one)."""
    calendars = sla_calendars()
    by_until: dict[date, list[int]] = {}
    for department_id in department_ids:
        until = calendars.of(department_id).add_working_days(today, DUE_SOON_WORKING_DAYS)
        by_until.setdefault(until, []).append(department_id)
    q = Q(pk__in=[])
    for until, ids in sorted(by_until.items()):
        q |= Q(department_id__in=ids, due_date__lte=until)
    return Q(due_date__gte=today) & q


def _filtered(*, department_ids: list[int], filters: QueueFilters, today: date | None = None) -> QuerySet:
    """The reviews of these departments matching every filter but the tab and the cursor."""
    if filters.department_id is not None:
        department_ids = [d for d in department_ids if d == filters.department_id]
    reviews = Review.objects.filter(department_id__in=department_ids)
    if filters.service_id is not None:
        reviews = reviews.filter(service_id=filters.service_id)
    if filters.stage is not None:
        reviews = reviews.filter(stage=filters.stage)
    if filters.due_soon:
        today = today or local_today()
        reviews = reviews.filter(due_soon_q(department_ids, today))
    if filters.overdue:
        reviews = reviews.filter(Q(yellow_at__isnull=False) | Q(red_at__isnull=False))
    search = search_of(filters)
    if search.reference:
        reviews = reviews.filter(application__reference=search.reference)
    return reviews


@dataclass(frozen=True)
class Search:
    """What a queue search looks for."""

    text: str = ""
    reference: str = ""  # a whole reference, as written (A-2026-000009)
    tail: str = ""  # the end of a reference ("-000009", "-2026-000009")
    names: bool = False  # the text in the applicant's or the business name


def search_of(filters: QueueFilters) -> Search:
    text = (filters.search or "").strip()[:SEARCH_MAX_LENGTH]
    if not text:
        return Search()
    if match := REFERENCE_RE.match(text):
        return Search(text, reference=f"{match['letter'].upper()}-{match['year']}-{_number(match['number'])}")
    if match := REFERENCE_TAIL_RE.match(text):
        year = f"-{match['year']}" if match["year"] else ""
        return Search(text, tail=f"{year}-{_number(match['number'])}", names=True)
    return Search(text, names=True)


def _number(digits: str) -> str:
    """A reference's number as references write it: 9 and 0009 are 000009."""
    return f"{int(digits):0{REFERENCE_DIGITS}d}"


def _tail_application_ids(tail: str) -> list[int]:
    """The applications whose reference ends with ``tail``: reversed, the tail is a prefix, which
    the index of reversed references finds (approvals 0014)."""
    return list(Application.objects.alias(reversed_reference=Reverse("reference"))
                .filter(reversed_reference__startswith=tail[::-1]).order_by().values_list("pk", flat=True)[:TAIL_MATCHES])


def queue_reviews(
    *, user, department_ids: list[int], filters: QueueFilters, today: date | None = None, limit: int | None = None,
) -> tuple[list[Review], Cursor | None]:
    """One page of a tab (keyset pagination, no OFFSET) and the cursor of the next page, if any.
    Open tabs run by due date then pk (no due date last); decided, newest decision first."""
    limit = limit or PAGE_SIZE
    reviews = _ordered(_filtered(department_ids=department_ids, filters=filters, today=today)
                       .filter(_tab_q(filters.tab, user)), filters)
    search = search_of(filters)
    if search.names:
        rows = _name_search(reviews, search, limit, decided=filters.tab == "decided")
    else:
        rows = _fetch(reviews, limit)
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    if filters.tab == "decided":
        key = (last.sort_key - QUEUE_NEVER_DECIDED) // timedelta(microseconds=1)
    else:
        key = last.sort_key.toordinal()
    return rows, Cursor(key, last.pk)


def _ordered(reviews: QuerySet, filters: QueueFilters) -> QuerySet:
    """The tab's keyset order, starting after the cursor."""
    decided = filters.tab == "decided"
    reviews = reviews.annotate(sort_key=_sort_key(decided=decided))
    reviews = reviews.order_by("-sort_key", "-pk") if decided else reviews.order_by("sort_key", "pk")
    after = filters.after
    if after is None:
        return reviews
    return reviews.filter(_past(after.time_key() if decided else after.date_key(), after.pk, downwards=decided))


def _sort_key(*, decided: bool):
    """The key of the tab's order (the keyset indexes' expression)."""
    if decided:
        return Coalesce(F("decided_at"), Value(QUEUE_NEVER_DECIDED))
    return Coalesce(F("due_date"), Value(QUEUE_NO_DUE_DATE))


def _past(key, pk: int, *, downwards: bool) -> Q:
    """The rows past (key, pk), going down (smaller keys, then smaller pks) or up. The first
    condition bounds the index range; the second breaks ties by pk."""
    if downwards:
        return Q(sort_key__lte=key) & (Q(sort_key__lt=key) | Q(pk__lt=pk))
    return Q(sort_key__gte=key) & (Q(sort_key__gt=key) | Q(pk__gt=pk))


def _fetch(reviews: QuerySet, limit: int) -> list[Review]:
    return list(reviews.select_related("application__bundle_application", "assignee").only(*QUEUE_ROW_FIELDS)
                [:limit + 1])


def _name_search(reviews: QuerySet, search: Search, limit: int, *, decided: bool) -> list[Review]:
    """A page of the rows whose applicant or business name contains the search, or whose
    reference ends with it (``search.tail``), in the tab's order.

    A common name ("Zhou", "王") fills a page within the first rows of the tab, so those are read
    in order, at most NAME_WALK of them. A rare one would read the whole tab (hundreds of
    thousands of decided reviews) that way, so when the walk does not fill the page an index on
    the name finds the rest, wherever they are in the tab. A search of several words, one of
    them long enough for the trigram index, is a full name; full names are rare, so it asks
    that index straight away. The applications a reference tail names are a handful, found
    first and matched by their ids (the reviews' index on the application)."""
    text = search.text
    words = text.upper().split()
    trigrams = any(len(word) >= TRIGRAM for word in words)
    referenced = Q()
    if search.tail and (ids := _tail_application_ids(search.tail)):
        referenced = Q(application_id__in=ids)
    pks = []
    if len(words) == 1 or not trigrams:
        pks = _walk(reviews, _name_contains(text) | referenced, limit)
    if len(pks) <= limit:
        named, indexed = _indexed_name(reviews, text, words, trigrams)
        # The walk's matches stay: past it a short search finds whole words only.
        pks = _hits(named, Q(pk__in=pks) | indexed | referenced, limit)
    return _fetch_found(pks, decided=decided)


def _fetch_found(pks: list[int], *, decided: bool) -> list[Review]:
    """The rows of a search's page (pks the tab's filters found), read by their pks alone and
    put in the tab's order here. Under the tab's filters and order the planner walks the tab's
    index and tests each row against the list: a page of "Zhou" in a decided tab read 1,500
    rows (1,600 buffers) to return 51."""
    found = Review.objects.filter(pk__in=pks).annotate(sort_key=_sort_key(decided=decided)).order_by()
    rows = _fetch(found, len(pks))
    return sorted(rows, key=lambda row: (row.sort_key, row.pk), reverse=decided)


def _name_contains(text: str) -> Q:
    return Q(applicant_name__icontains=text) | Q(business_name__icontains=text)


def _indexed_name(reviews: QuerySet, search: str, words: list[str], trigrams: bool) -> tuple[QuerySet, Q]:
    """The condition an index serves for a name search. The trigram index finds any part of a
    name of three characters or more. A shorter search has no trigram (Chinese names are mostly
    two characters: 王芳), and through that index it would read every review; past the walk it
    matches whole words of the name instead, through the index of their words: "王芳" finds
    "Wang Fang 王芳" and "王芳", "Li" finds "Li Na" but not "Liang Wei"."""
    if trigrams or connection.vendor != "postgresql":
        return reviews, _name_contains(search)
    return (reviews.alias(name_words=NameWords("applicant_name"), business_words=NameWords("business_name")),
            Q(name_words__contains=words) | Q(business_words__contains=words))


def _hits(reviews: QuerySet, condition: Q, limit: int) -> list[int]:
    """The pks of the first ``limit`` + 1 rows of the tab that meet ``condition``, found through
    the condition's own indexes. As one ordered query the planner would walk the tab's index in
    order and test each row, for a rare name the whole tab (seconds), because it cannot tell how
    few rows match; the materialized CTE makes it find the matches first, then sort them."""
    query = reviews.query
    inner, params = reviews.filter(condition).order_by().values("pk", "sort_key").query.sql_with_params()
    order = ", ".join(f"{field.lstrip('-')} {'DESC' if field.startswith('-') else 'ASC'}" for field in query.order_by)
    sql = f"WITH hits AS MATERIALIZED ({inner}) SELECT pk FROM hits ORDER BY {order} LIMIT %s"  # noqa: S608 -- ORM-compiled
    if connection.vendor != "postgresql":
        return _pks(sql, [*params, limit + 1])
    enclosed = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        # At the default cost of a random page read the planner ANDs the matches with the bitmap
        # of every review of the department (950,000 at 4M reviews, 25 ms to build) to read fewer
        # of them; the pages are cached, so it should just read them (3 ms).
        cursor.execute("SET LOCAL random_page_cost = 1.1")
        pks = _pks(sql, [*params, limit + 1])
        if enclosed:  # for the rest of the enclosing transaction; else this one's commit ends it
            cursor.execute("RESET random_page_cost")
    return pks


def _walk(reviews: QuerySet, condition: Q, limit: int) -> list[int]:
    """The pks of the first ``limit`` + 1 of the tab's first NAME_WALK rows that meet ``condition``.
    The walk is a subquery in FROM so that the scan stops as soon as the page is full: as
    ``pk IN (…)`` PostgreSQL would read all NAME_WALK rows, and as a key range it cannot
    estimate the rows of the range and reads the whole table instead."""
    inner, params = (reviews.annotate(hit=ExpressionWrapper(condition, output_field=BooleanField()))
                     .values("pk", "hit")[:NAME_WALK].query.sql_with_params())
    sql = f"SELECT t.pk FROM ({inner}) t WHERE t.hit LIMIT %s"  # noqa: S608 -- ORM-compiled, values are parameters
    return _pks(sql, [*params, limit + 1])


def _pks(sql: str, params: list) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [pk for (pk,) in cursor.fetchall()]


def queue_counts(*, user, department_ids: list[int], filters: QueueFilters, today: date | None = None) -> dict | None:
    """Rows per tab under the current filters, each counted over at most ``count_cap`` + 1 rows.
    None while searching by name: a common name matches a few rows spread over a whole tab, so
    counting would read every row of every tab; the page of results is the answer."""
    if search_of(filters).names:
        return None
    if not department_ids:  # a member of no department yet: nothing to count (and no SQL to compile)
        return {tab: QueueCount(0, False) for tab in QUEUE_TABS}
    base = _filtered(department_ids=department_ids, filters=filters, today=today)
    cap = count_cap(filters)
    # One statement for the five tabs: a scalar subquery each, counting at most cap + 1 rows.
    parts, params = [], []
    for tab in QUEUE_TABS:
        sql, tab_params = base.filter(_tab_q(tab, user)).order_by().values("pk")[:cap + 1].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) t)")  # noqa: S608 -- ORM-compiled, values are parameters
        params.extend(tab_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {tab: QueueCount(min(n, cap), n > cap) for tab, n in zip(QUEUE_TABS, row, strict=True)}


def count_cap(filters: QueueFilters) -> int:
    # Rows outside the tab's index order: each counted row is a heap (service) or join (search) read.
    narrowed = filters.service_id is not None or bool(search_of(filters).text)
    return FILTERED_COUNT_CAP if narrowed else COUNT_CAP


def supervised_department_ids(memberships: list[Membership]) -> list[int]:
    return [m.department_id for m in memberships if m.role == MembershipRole.SUPERVISOR]


def workload(*, departments: list, members: list[Membership]) -> list[dict]:
    """Open reviews (pending or in progress) held per member of each department, and how many of
    them are overdue: one grouped query over the open reviews."""
    ids = [d.pk for d in departments]
    held = {
        (row["department_id"], row["assignee_id"]): row
        for row in Review.objects.filter(department_id__in=ids, status__in=REVIEW_OPEN, assignee__isnull=False)
        .values("department_id", "assignee_id").order_by()
        .annotate(held=Count("pk"), overdue=Count("pk", filter=Q(yellow_at__isnull=False) | Q(red_at__isnull=False)))
    }
    panels = []
    for department in departments:
        rows = []
        for m in members:
            if m.department_id == department.pk:
                row = held.pop((department.pk, m.user_id), {})
                rows.append({"member": m, "held": row.get("held", 0), "overdue": row.get("overdue", 0)})
        panels.append({"department": department, "rows": rows})
    # Reviews still held by someone who left the department.
    for panel in panels:
        left = [row for (dept, _user), row in held.items() if dept == panel["department"].pk]
        panel["former_held"] = sum(r["held"] for r in left)
        panel["former_overdue"] = sum(r["overdue"] for r in left)
    return panels



def review_for_officer(user, pk: int) -> tuple[Review, str]:
    """The review with its application, and the user's role in its department; 404 for a
    review of another department."""
    review = (
        Review.objects.select_related("application__service_version", "application__applicant", "department", "assignee",
                                      "application__bundle_application")
        .annotate(member_role=member_role_subquery(user, OuterRef("department_id"))).filter(pk=pk).order_by().first()
    )
    if review is None or review.member_role is None:
        raise Http404
    return review, review.member_role


# --- The review page: notes, history, sharing for an opinion ------------------------------------

# Events about looking at an application, not changing it: another department's are its own business.
_INTERNAL_ACTIONS = ("review.viewed", "attachment.viewed", "application.viewed", "access.denied", "message.sent",
                     "filing.viewed",
                     "application.shared", "application.share_revoked", "application.opinion_given",
                     "review.claimed", "review.released", "review.assigned")
# The applicant filling in the form, page by page: what they sent is in "submitted" and
# "corrections submitted".
_DRAFTING_ACTIONS = (Action.ANSWERS_SAVED, Action.ATTACHMENT_UPLOADED, Action.ATTACHMENT_REMOVED)


def internal_notes(review: Review):
    return InternalNote.objects.filter(review=review).select_related("author").order_by("created_at", "pk")


# The review page shows this many of the latest history events; the rest are one link away (a
# review opened every day gathers hundreds of "viewed" events).
HISTORY_SHOWN = 50


def recent_history(review: Review, *, everything: bool = False) -> tuple[list, bool]:
    """The latest HISTORY_SHOWN events of ``application_history`` in time order (all of them
    with ``everything``), and whether earlier ones were left out."""
    events = application_history(review)
    if everything:
        return list(events), False
    latest = list(events.reverse()[:HISTORY_SHOWN + 1])
    return latest[:HISTORY_SHOWN][::-1], len(latest) > HISTORY_SHOWN


def application_history(review: Review):
    """The application's audit trail as the review's department may see it: every transition and
    decision, and the views and internal steps of this department only; not the drafting."""
    return (
        AuditEvent.objects.filter(application_id=review.application_id)
        .exclude(Q(action__in=_INTERNAL_ACTIONS) & ~Q(department_code=review.department.code))
        .exclude(action__in=_DRAFTING_ACTIONS)
        .select_related("actor")
        .order_by("at", "id")
    )


# The review page's history in the officer's words: what happened, by action and, where one
# action serves several purposes, by purpose. The one place these words are chosen; an action
# not listed reads as its own label. A stored code (an action, a purpose, a department code) is
# never shown.
HISTORY_WORDS = {
    ("review.viewed", ""): _("Viewed to review"),
    ("review.viewed", "review"): _("Viewed to review"),
    ("review.viewed", "supervision"): _("Viewed to supervise"),
    ("attachment.viewed", ""): _("Downloaded a file"),
    ("attachment.viewed", "download"): _("Downloaded a file"),
    ("attachment.viewed", "opinion"): _("Downloaded a file to give an opinion"),
    ("attachment.viewed", "audit"): _("Retrieved a file as it was uploaded, for an audit"),
    ("attachment.viewed", "opinion_file"): _("Downloaded a file given with an opinion"),
    ("application.viewed", ""): _("Viewed the application"),
    ("application.viewed", "opinion"): _("Viewed to give an opinion"),
}


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    what: str
    department: str  # the department's name in the page's language, or ""
    who: str


def history_rows(review: Review, events: list) -> list[HistoryRow]:
    """The events as the review page shows them. The person is named for this department's own
    events (the applicant as "Applicant", whatever the event, through the API too: their name is
    shown only where need to know allows, in the identity block; a front desk for what it did for
    them; the department's system by its name); another department's officers and systems stay
    anonymous."""
    codes = {e.department_code for e in events if e.department_code}
    names = {code: translated(name) for code, name in Department.objects.filter(code__in=codes).values_list("code", "name")}
    labels = dict(Action.choices)
    rows = []
    for event in events:
        what = HISTORY_WORDS.get((event.action, event.purpose)) or HISTORY_WORDS.get((event.action, "")) \
            or labels.get(event.action) or _("Other event")
        rows.append(HistoryRow(at=event.at, what=str(what), department=names.get(event.department_code, ""),
                               who=str(_who(event, review))))
    return rows


def _who(event, review: Review) -> str:
    if desk := front_desk_name(event):
        return desk
    # The applicant first: their messages and answered corrections carry a department's code too.
    if event.actor_id is not None and event.actor_id == review.application.applicant_id:
        return _("Applicant")
    if event.department_code == review.department.code and event.actor:
        return event.actor.full_name  # a department system: its account's name, "<department> system: <name>"
    return ""


def standard_reasons(department_id: int):
    return StandardReason.objects.filter(department_id=department_id, active=True).order_by("position", "pk")


def opinion_of(share: ApplicationShare) -> ShareOpinion | None:
    """The opinion given on a share, with who gave it and its files, or None."""
    return ShareOpinion.objects.filter(share=share).select_related("given_by").prefetch_related("attachments").first()


def opinion_file_for(user, share_pk: int, file_pk: int) -> tuple[OpinionAttachment, ApplicationShare, bool] | None:
    """A file given with the opinion on a share, the share, and whether the user reads it as a
    member of the asking department (else of the department asked); None when the file is not
    that opinion's or the user may not read it (approvals.access.opinion_reader_department)."""
    item = (OpinionAttachment.objects.select_related("opinion__share__application", "opinion__share__department",
                                                     "opinion__share__from_department")
            .filter(pk=file_pk, opinion__share_id=share_pk).first())
    if item is None:
        return None
    share = item.opinion.share
    department_id = opinion_reader_department(user, share)
    if department_id is None:
        return None
    return item, share, department_id == share.from_department_id


def opinion_file_on_record(file_pk: int) -> OpinionAttachment | None:
    """A file given with an opinion, with its application (for the record's retrieval)."""
    return OpinionAttachment.objects.select_related("opinion__share__application").filter(pk=file_pk).first()


def asking_review_id(share: ApplicationShare) -> int:
    """The asking department's review of the shared application."""
    return Review.objects.values_list("pk", flat=True).get(application_id=share.application_id,
                                                           department_id=share.from_department_id)


def share_targets(review: Review):
    return Department.objects.exclude(pk=review.department_id).order_by("code")


def shared_applications_for(user):
    """Active shares (not expired, not revoked) with any department the user belongs to."""
    return (
        ApplicationShare.objects.filter(
            department_id__in=department_ids(user), revoked_at__isnull=True, expires_at__gt=timezone.now(),
        )
        .select_related("application__service", "from_department", "department", "opinion")
        .order_by("expires_at", "pk")
    )


def share_for_opinion(user, pk: int):
    """An active share with one of the user's departments that guardian also lets the user see;
    anything else is a 404."""
    share = shared_applications_for(user).select_related("application__service_version").filter(
        pk=pk).first()
    if share is None or not user.has_perm("approvals.view_application", share.application):
        raise Http404
    return share


def opinion_view(share) -> dict:
    """The need-to-know view of the asking department's review, for the department giving an
    opinion: its answers and files, not the applicant's identity (an opinion is on the case;
    the department asked has no requirement of its own listing any of it)."""
    review = (
        Review.objects.select_related("application__service_version", "department")
        .get(application_id=share.application_id, department_id=share.from_department_id)
    )
    return {"review": review, **need_to_know(review, identity=False)}


def share_of_asking_department(user, pk: int):
    """A share made by one of the user's departments, with the asking department's review id
    (``review_id``), or None."""
    asking_review = Review.objects.filter(application_id=OuterRef("application_id"),
                                          department_id=OuterRef("from_department_id")).values("pk")[:1]
    return (
        ApplicationShare.objects.filter(pk=pk, from_department_id__in=department_ids(user))
        .annotate(review_id=Subquery(asking_review)).first()
    )


# --- Filings after approval: the department's list and one filing -------------------------------

FILINGS_PAGE_SIZE = 50


def filings_for_officer(user, *, acknowledged: bool = False) -> QuerySet:
    """The filings of the user's departments: those to acknowledge, oldest first (the index of
    unacknowledged filings), or those acknowledged, latest first. A row holds the reference, the
    service, the department and the dates, never what the filing lists: that is the filing's page,
    read and recorded one at a time."""
    filings = Filing.objects.filter(department_id__in=department_ids(user), acknowledged_at__isnull=not acknowledged)
    order = ("-acknowledged_at", "-id") if acknowledged else ("created_at", "id")
    return (filings.select_related("application__service", "department")
            .only("application__reference", "application__service__name", "department__code", "department__name",
                  "created_at", "acknowledge_by", "acknowledged_at")
            .order_by(*order))


def filings_waiting(department_ids: list[int]) -> QuerySet:
    """The filings these departments have yet to acknowledge (counted up to COUNT_CAP)."""
    return Filing.objects.filter(department_id__in=department_ids, acknowledged_at__isnull=True)


def filing_for_officer(user, pk: int) -> tuple[Filing, str]:
    """The filing with its application, and the user's role in its department; 404 for another
    department's filing (approvals.access.may_see_filing)."""
    filing = (Filing.objects.select_related("application__service_version", "application__applicant", "department",
                                            "acknowledged_by").filter(pk=pk).first())
    role = member_role(user, filing.department_id) if filing is not None else None
    if filing is None or not may_see_filing(filing, role=role):
        raise Http404
    return filing, role


CALENDAR_CHANGES_PAGE_SIZE = 50


def calendar_changes_waiting(department_ids: list[int]) -> int:
    """Whether due dates of these departments wait for a decision after a calendar change (how
    many, up to COUNT_CAP + 1: the queue page only says there are)."""
    return CalendarChangeReview.objects.filter(department_id__in=department_ids, state=CalendarChangeState.PENDING,
                                               review__status__in=REVIEW_UNDECIDED)[:COUNT_CAP + 1].count()


def calendar_changes_for_supervisor(user) -> QuerySet:
    """The open reviews calendar changes would move, still to decide, of the departments the user
    supervises (none for anyone else), soonest recomputed due date first."""
    departments = supervisor_memberships(user).values("department_id")
    return (CalendarChangeReview.objects.filter(department_id__in=departments, state=CalendarChangeState.PENDING,
                                                review__status__in=REVIEW_UNDECIDED)
            .select_related("change", "department", "review__application", "review__service")
            .only("due_date", "new_due_date", "change__revision", "change__changed_at", "department__code",
                  "department__name", "review__application__reference", "review__service__name",
                  "review__status", "review__paused_on")
            .order_by("new_due_date", "pk"))
