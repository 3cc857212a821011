"""The department queue: tabs, filters, keyset pages, and the supervisor's assignments and workload
panel. A row's claim and release post to the review's own actions (views.claim, views.release)."""

from django.contrib import messages
from django.http import Http404, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.second_factor import fresh_second_factor_required
from approvals import assignment
from approvals.access import may_release
from approvals.models import REVIEW_OPEN, Review
from approvals.sla import local_today, sla_calendars
from audit.services import access_denied, client_ip
from catalogue.models import Service
from core.errors import NotAllowed, ValidationFailed, WorkflowError
from departments.access import department_members
from departments.models import MembershipRole

from . import queue_rows, selectors
from .queue_forms import AssignForm, BulkAssignForm, QueueFilterForm
from .views import safe_next, staff_required

FILTER_PARAMS = ("q", "department", "service", "stage", "due_soon", "overdue")


def _tabs():
    return [("pending", _("Pending")), ("mine", _("In progress: mine")), ("in_progress", _("In progress: everyone's")),
            ("waiting", _("Waiting on citizen")), ("decided", _("Decided"))]


def _query(params: dict) -> str:
    query = QueryDict(mutable=True)
    for key, value in params.items():
        if value not in (None, "", False):
            query[key] = "1" if value is True else str(value)
    return query.urlencode()


@staff_required
def queue(request):
    memberships = selectors.queue_memberships(request.user)
    departments = [m.department for m in memberships]
    dept_ids = [d.pk for d in departments]
    services = list(selectors.queue_services(dept_ids))
    form = QueueFilterForm(request.GET, departments=departments, services=services)
    values = form.usable()
    if form.errors:
        messages.warning(request, _("Some filters could not be used and were ignored."))
    tab = values.get("tab") or "pending"
    raw_cursor = request.GET.get("after")
    cursor = selectors.Cursor.decode(raw_cursor, decided=tab == "decided")
    if raw_cursor and cursor is None:
        messages.warning(request, _("That page link is no longer valid: showing the first page."))
    filters = selectors.QueueFilters(
        tab=tab, department_id=values.get("department"), service_id=values.get("service"), stage=values.get("stage"),
        due_soon=bool(values.get("due_soon")), overdue=bool(values.get("overdue")), search=values.get("q") or "",
        after=cursor,
    )
    reviews, next_cursor = selectors.queue_reviews(user=request.user, department_ids=dept_ids, filters=filters)
    counts = selectors.queue_counts(user=request.user, department_ids=dept_ids, filters=filters)

    supervised = selectors.supervised_department_ids(memberships)
    members = department_members(supervised) if supervised else []
    staffed = {m.department_id for m in members}
    for review in reviews:
        review.supervised = review.department_id in supervised
        # Its checkbox feeds the assignment form under the table (one box for a single review).
        review.assignable = review.status in REVIEW_OPEN and review.department_id in staffed
        review.can_release = may_release(review, actor_id=request.user.pk,
                                         role=MembershipRole.SUPERVISOR if review.supervised else MembershipRole.OFFICER)
    here = request.get_full_path()
    page = queue_rows.RowContext(
        tab=tab, is_supervisor=bool(supervised), many_departments=len(departments) > 1,
        csrf_token=get_token(request), here=here, urls=queue_rows.row_urls(), labels=queue_rows.row_labels(),
        service_names=_service_names(services, reviews), department_names={d.pk: d.name for d in departments},
        today=local_today(), calendars=sla_calendars(),
    )

    kept = {k: values.get(k) for k in FILTER_PARAMS if k in values}
    bulk_members = list({m.user_id: m for m in members}.values())
    return render(request, "departments/queue.html", {
        "reviews": reviews, "rows": queue_rows.queue_rows(page, reviews), "tab": tab, "form": form,
        "counts": counts, "count_cap": selectors.count_cap(filters),
        "tabs": [(key, label, counts[key] if counts else None, "?" + _query({"tab": key, **kept}))
                 for key, label in _tabs()],
        "next_url": "?" + _query({"tab": tab, **kept, "after": next_cursor.encode()}) if next_cursor else "",
        "first_url": "?" + _query({"tab": tab, **kept}) if cursor else "",
        "here": here, "many_departments": page.many_departments,
        "is_supervisor": bool(supervised), "bulk_members": bulk_members,
        "bulk_available": any(r.supervised and r.assignable for r in reviews),
        "workload": selectors.workload(departments=[d for d in departments if d.pk in supervised], members=members)
        if supervised else [],
        "filings_waiting": selectors.filings_waiting(dept_ids)[:selectors.COUNT_CAP + 1].count() if dept_ids else 0,
        "filings_cap": selectors.COUNT_CAP,
        "calendar_changes_waiting": selectors.calendar_changes_waiting(supervised) if supervised else 0,
    })


def _service_names(services, reviews) -> dict:
    """Names of the rows' services: those of the filter's list, and any service the department
    no longer reviews (its requirement was removed after these applications were submitted)."""
    names = {s.pk: s.name for s in services}
    if missing := {r.application.service_id for r in reviews} - names.keys():
        names.update(Service.objects.filter(pk__in=missing).values_list("pk", "name"))
    return names


def _back(request) -> str:
    return safe_next(request, reverse("departments:queue"))


# Assigning reviews of another department, or without being their department's supervisor, is
# refused, and each review refused is on record; the other skips are states, not refusals.
REFUSALS = (assignment.SkipReason.NOT_FOUND, assignment.SkipReason.NOT_SUPERVISOR)


def _refused(request, reasons: dict[int, str]) -> None:
    """Each refused review (review id -> SkipReason) on record."""
    for pk, reason in reasons.items():
        access_denied(request, object_type="review", object_id=pk, reason=reason)


def _run(request, action, reviews: list[int], **kwargs):
    """Run an assignment for ``reviews``; a refusal is a message (a 404 for another department's
    review), on record."""
    try:
        return action(actor=request.user, ip=client_ip(request), **kwargs)
    except Review.DoesNotExist:
        _refused(request, dict.fromkeys(reviews, assignment.SkipReason.NOT_FOUND))
        raise Http404
    except NotAllowed as exc:
        _refused(request, dict.fromkeys(reviews, assignment.SkipReason.NOT_SUPERVISOR))
        messages.error(request, exc.message)
    except ValidationFailed as exc:
        for errors in exc.errors.values():
            for error in errors:
                messages.error(request, error)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    return None


@require_POST
@staff_required
def assign(request, pk):
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an officer to assign the review to."))
    elif _run(request, assignment.review_assign, [pk], review_id=pk, assignee_id=form.cleaned_data["assignee"]):
        messages.success(request, _("The review is assigned."))
    return redirect(_back(request))


@require_POST
@staff_required
@fresh_second_factor_required(form_page=_back)
def assign_bulk(request):
    form = BulkAssignForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_back(request))
    result = _run(request, assignment.reviews_assign_bulk, form.cleaned_data["review"],
                  review_ids=form.cleaned_data["review"], assignee_id=form.cleaned_data["assignee"])
    if result is not None:
        _refused(request, {pk: why for pk, why in result.skipped.items() if why in REFUSALS})
        if result.assigned:
            messages.success(request, ngettext("%(n)d review assigned.", "%(n)d reviews assigned.",
                                               len(result.assigned)) % {"n": len(result.assigned)})
        if result.skipped:
            references = dict(Review.objects.filter(
                pk__in=[pk for pk, reason in result.skipped.items() if reason != assignment.SkipReason.NOT_FOUND],
            ).values_list("pk", "application__reference"))
            skipped = [references.get(pk) or _("a review you cannot assign") for pk in result.skipped]
            messages.warning(request, ngettext(
                "%(n)d review skipped (no longer open, already with that officer, or not yours to assign): %(list)s.",
                "%(n)d reviews skipped (no longer open, already with that officer, or not yours to assign): %(list)s.",
                len(skipped)) % {"n": len(skipped), "list": ", ".join(dict.fromkeys(skipped))})
    return redirect(_back(request))

