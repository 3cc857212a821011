"""Reads of complaints: the complainant's, the staff's queue and page, and the figures the
scorecard and the performance pages count (received, answered in time, upheld)."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db.models import Count, F, Prefetch, Q
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone

from departments.access import member_role, supervisor_memberships
from departments.models import Membership

from .models import COMPLAINT_OPEN, Complaint, ComplaintAbout, ComplaintAnswer, ComplaintCategory
from .monthly_figures import SUBJECT_COLUMNS
from .sla import local_today

STAFF_PAGE_SIZE = 25


def _with_people(query):
    return query.select_related("department", "handling_department", "handler", "application").prefetch_related(
        Prefetch("answers", queryset=ComplaintAnswer.objects.select_related("answered_by", "department")))


# --- The complainant --------------------------------------------------------------------------------------


def complaints_for_citizen(user) -> list[Complaint]:
    """The citizen's complaints, newest first, with their handlers and answers (3 queries)."""
    return list(_with_people(Complaint.objects.filter(complainant=user)).order_by("-created_at", "-pk"))


def complaint_for_citizen(user, pk) -> Complaint:
    complaint = _with_people(Complaint.objects.filter(complainant=user, pk=pk)).first()
    if complaint is None:
        raise Http404
    return complaint


def complaint_for_follower(pk: int) -> Complaint:
    """The complaint a member of the public follows by the signed link (the view checked it)."""
    complaint = _with_people(Complaint.objects.filter(pk=pk, complainant__isnull=True)).first()
    if complaint is None:
        raise Http404
    return complaint


def complaints_about_application(application) -> list[Complaint]:
    return list(Complaint.objects.filter(application=application).select_related("handler", "handling_department")
                .order_by("-created_at", "-pk"))


# --- Staff ------------------------------------------------------------------------------------------------


def _staff_handles(user) -> Q:
    """What a member of staff handles: their own complaints and, as a supervisor, everything their
    departments handle."""
    return Q(handler_id=user.pk) | Q(handling_department_id__in=supervisor_memberships(user).values("department_id"))


def _staff_visible(user) -> Q:
    """What a member of staff sees: what they handle, and what they answered, or (as a supervisor)
    their departments answered, before it went on to the supervising office."""
    return (_staff_handles(user) | Q(answers__answered_by_id=user.pk)
            | Q(answers__department_id__in=supervisor_memberships(user).values("department_id")))


def complaints_for_staff(user, *, open_only: bool = True):
    """The open complaints the user handles, by due date; or (``open_only`` False) the others
    they see (answered, closed, sent on to the supervising office), newest first."""
    to_answer = Q(status__in=COMPLAINT_OPEN) & _staff_handles(user)
    if open_only:
        query = Complaint.objects.filter(to_answer).order_by("due_date", "pk")
    else:
        visible = Complaint.objects.filter(_staff_visible(user)).exclude(to_answer).values("pk")
        query = Complaint.objects.filter(pk__in=visible).order_by("-filed_at", "-pk")
    return query.select_related("department", "handling_department", "handler", "application")


def complaint_for_staff(user, pk) -> tuple[Complaint, bool]:
    """The complaint and whether the user supervises its handling department; 404 for anyone else."""
    visible = Complaint.objects.filter(_staff_visible(user)).filter(pk=pk).values("pk")
    complaint = _with_people(Complaint.objects.filter(pk__in=visible)).select_related("complainant").first()
    if complaint is None:
        raise Http404
    return complaint, supervisor_memberships(user).filter(department_id=complaint.handling_department_id).exists()


def may_answer(complaint: Complaint, user) -> bool:
    return (complaint.status in COMPLAINT_OPEN and complaint.handler_id == user.pk
            and member_role(user, complaint.handling_department_id) is not None)


def handler_choices(complaint: Complaint) -> list[Membership]:
    """The colleagues of the handling department a supervisor may hand the complaint to."""
    return list(Membership.objects.people().filter(department_id=complaint.handling_department_id)
                .exclude(user_id=complaint.officer_id or 0).select_related("user")
                .order_by("user__full_name", "user_id"))


# --- Figures ----------------------------------------------------------------------------------------------


def department_complaint_counts(department_ids: Iterable[int] | None = None, *,
                                today: date | None = None) -> dict[int, dict[str, int]]:
    """Open and overdue complaints per department concerned: {department_id: {"open", "overdue"}}."""
    today = today or local_today()
    query = Complaint.objects.filter(status__in=COMPLAINT_OPEN)
    if department_ids is not None:
        query = query.filter(department_id__in=list(department_ids))
    rows = query.values("department_id").annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today)))
    return {row["department_id"]: {"open": row["open"], "overdue": row["overdue"]} for row in rows.order_by()}


def _month_starts(months) -> list[date]:
    if isinstance(months, int):
        today = local_today().replace(day=1)
        starts = []
        for back in range(months):
            year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
            starts.append(date(year, month + 1, 1))
        return sorted(starts)
    return sorted({m.replace(day=1) for m in months})


def complaints_by_month(*, department_ids=None, service_ids=None, months, by: str = "department") -> list[dict]:
    """Complaints received per department concerned and calendar month (in the portal's time zone),
    with how many were answered in time (first answer by its due date) and upheld (by the last
    answer). ``months``: the last N months (the current one included) or the months' dates.
    ``service_ids`` counts only complaints about applications for those services. Rows:
    {"department_id", "month" (its first day), "received", "answered_in_time", "upheld"}, by
    month then department; a month without complaints has no row. ``by="service"`` counts per
    service instead ("service_id"; only complaints about an application have one), ``by="pair"``
    per department and service."""
    starts = _month_starts(months)
    if not starts:
        return []
    zone = timezone.get_default_timezone()
    last = starts[-1]
    end = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    query = Complaint.objects.filter(filed_at__date__gte=starts[0], filed_at__date__lt=end)
    if department_ids is not None:
        query = query.filter(department_id__in=list(department_ids))
    if service_ids is not None:
        query = query.filter(application__service_id__in=list(service_ids))
    keys = SUBJECT_COLUMNS[by]
    if by != "department":
        query = query.filter(application__isnull=False).annotate(service_id=F("application__service_id"))
    rows = (query.annotate(month=TruncMonth("filed_at", tzinfo=zone)).values(*keys, "month")
            .annotate(received=Count("pk"), answered_in_time=Count("pk", filter=Q(answered_in_time=True)),
                      upheld=Count("pk", filter=Q(upheld=True))).order_by("month", *keys))
    wanted = set(starts)
    result = []
    for row in rows:
        month = row["month"].astimezone(zone).date() if hasattr(row["month"], "astimezone") else row["month"]
        if month in wanted:
            result.append({**row, "month": month})
    return result


def complaints_upheld_by_officer(*, department_id: int, start=None, end=None) -> dict[int, int]:
    """{officer id: upheld complaints} of the department about an officer's conduct or their
    decision (the officer who decided the application complained of); with ``start`` and ``end``
    (aware datetimes), only complaints received in [start, end)."""
    about_them = (Q(about=ComplaintAbout.OFFICER)
                  | Q(category__in=[ComplaintCategory.CONDUCT, ComplaintCategory.WRONG_DECISION]))
    query = Complaint.objects.filter(about_them, department_id=department_id, officer__isnull=False, upheld=True)
    if start is not None:
        query = query.filter(filed_at__gte=start, filed_at__lt=end)
    rows = (query.values("officer_id").annotate(n=Count("pk")).order_by())
    counts: dict[int, int] = defaultdict(int)
    for row in rows:
        counts[row["officer_id"]] += row["n"]
    return dict(counts)
