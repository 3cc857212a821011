"""Managers' and supervisors' pages: the dashboard, the monthly scorecard, bottlenecks, the overdue
reviews of a department, and a CSV export of every table. Each view is audited."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import Event, access_denied, access_record, client_ip
from core.replica import replica_readable

from . import charts, selectors
from .forms import DashboardFilterForm, MonthForm
from .tables import dashboard_tables, review_table, scorecard_table, waits_table

DAILY_ROWS_SHOWN = 92


def dashboard_access(view):
    """Managers (every department) and supervisors (theirs); anyone else gets a 404, on record.
    The figures may come from the replica; the audit record of the visit goes to the primary."""
    @login_required
    @replica_readable
    def wrapped(request, *args, **kwargs):
        scope = selectors.dashboard_scope(request.user)
        if scope is None:
            access_denied(request, object_type="url", object_id=request.path[:40])
            raise Http404
        return view(request, scope, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


def _audit(request, action, page: str, **details):
    access_record(Event(action=action, object_type="dashboard", object_id=page, actor=request.user,
                        ip=client_ip(request), purpose="supervision",
                        details={k: v for k, v in details.items() if v not in (None, "")}))


def _filter_form(request, scope):
    return DashboardFilterForm(request.GET, departments=selectors.departments_for(scope),
                               services=selectors.services(), require_department=scope.departments is not None)


def _charts(figures: dict) -> dict:
    return {
        "weekly": charts.columns([(row["week"].isoformat(), row["submitted"]) for row in figures["weekly"]]),
        "backlog": charts.hbars([(f"{row['department'].display_name} · {_('stage')} {row['stage']}", row["total"])
                                 for row in figures["backlog"]]),
        "times": charts.hbars([(row["department"].display_name, row["p50"]) for row in figures["times_department"]]),
        "sla": charts.hbars([(row["department"].display_name, row["sla_rate"]) for row in figures["departments"]],
                            unit="%"),
    }


@dashboard_access
def dashboard(request, scope):
    form = _filter_form(request, scope)
    context = {"form": form, "scope": scope}
    if not form.is_valid():
        _audit(request, Action.DASHBOARD_VIEWED, "dashboard", refused="invalid filters")
        return render(request, "dashboards/dashboard.html", context, status=400)
    figures = selectors.dashboard(form.filters(), scope)
    tables = dashboard_tables(figures)
    _audit(request, Action.DASHBOARD_VIEWED, "dashboard", **form.query())
    context.update(figures=figures, tables=tables, charts=_charts(figures), query=form.query(), qs=urlencode(form.query()),
                   show_daily=len(figures["daily"]) <= DAILY_ROWS_SHOWN)
    return render(request, "dashboards/dashboard.html", context)


@dashboard_access
def bottlenecks(request, scope):
    form = _filter_form(request, scope)
    context = {"form": form}
    if not form.is_valid():
        return render(request, "dashboards/bottlenecks.html", context, status=400)
    filters = form.filters()
    waits = selectors.waits(filters, scope)
    oldest = selectors.oldest_reviews(scope=scope, department_id=filters.department_id)
    supervisors = selectors.supervisors_of({r.department_id for r in oldest})
    _audit(request, Action.DASHBOARD_VIEWED, "bottlenecks", **form.query())
    context.update(
        query=form.query(), qs=urlencode(form.query()), waits=waits_table(waits),
        waits_chart=charts.hbars([(f"{row['department'].display_name} · {_('stage')} {row['stage']}", row["mean"])
                                  for row in waits]),
        oldest=review_table("oldest", _("Open reviews waiting longest (earliest due date first)"), oldest, supervisors),
    )
    return render(request, "dashboards/bottlenecks.html", context)


@dashboard_access
def scorecard(request, scope):
    form = MonthForm(request.GET)
    context = {"form": form, "weights": selectors.SCORE_WEIGHTS}
    if not form.is_valid():
        return render(request, "dashboards/scorecard.html", context, status=400)
    month = form.cleaned_data["month"]
    rows = selectors.scorecard(month, scope)
    _audit(request, Action.DASHBOARD_VIEWED, "scorecard", month=month.strftime("%Y-%m"))
    context.update(month=month, month_param=month.strftime("%Y-%m"), table=scorecard_table(rows), rows=rows,
                   chart=charts.hbars([(row["department"].display_name, row["score"]) for row in rows]))
    return render(request, "dashboards/scorecard.html", context)


def _department(request, scope, code):
    department = next((d for d in selectors.departments_for(scope) if d.code == code), None)
    if department is None:
        access_denied(request, object_type="department", object_id=code[:40])
        raise Http404
    return department


def _offset(request) -> int:
    try:
        return max(0, min(int(request.GET.get("offset", 0)), 100_000))
    except ValueError:
        return 0


@dashboard_access
def overdue(request, scope, code):
    department = _department(request, scope, code)
    offset = _offset(request)
    reviews = selectors.overdue_reviews(department=department, offset=offset)
    more = len(reviews) > selectors.OVERDUE_PAGE
    reviews = reviews[:selectors.OVERDUE_PAGE]
    supervisors = selectors.supervisors_of([department.pk])
    _audit(request, Action.DASHBOARD_VIEWED, "overdue", department=department.code, offset=offset)
    return render(request, "dashboards/overdue.html", {
        "department": department, "offset": offset, "offset_param": str(offset), "more": more,
        "next_offset": offset + selectors.OVERDUE_PAGE,
        "previous_offset": max(0, offset - selectors.OVERDUE_PAGE),
        "table": review_table("overdue", _("Overdue reviews of %(department)s") % {
            "department": department.display_name}, reviews, supervisors),
    })


def _stream(request, table, page: str, **details):
    _audit(request, Action.EXPORT_DOWNLOADED, page, table=table.name, **details)
    return table.csv_response()


@dashboard_access
def export(request, scope, name):
    if name == "scorecard":
        form = MonthForm(request.GET)
        if not form.is_valid():
            return render(request, "dashboards/scorecard.html", {"form": form, "weights": selectors.SCORE_WEIGHTS},
                          status=400)
        month = form.cleaned_data["month"]
        return _stream(request, scorecard_table(selectors.scorecard(month, scope)), "scorecard",
                       month=month.strftime("%Y-%m"))
    if name in ("overdue", "oldest"):
        return _export_reviews(request, scope, name)
    form = _filter_form(request, scope)
    if not form.is_valid():
        return render(request, "dashboards/dashboard.html", {"form": form, "scope": scope}, status=400)
    if name == "waits":  # the bottlenecks page's table: no need for the whole dashboard
        return _stream(request, waits_table(selectors.waits(form.filters(), scope)), "dashboard", **form.query())
    tables = dashboard_tables(selectors.dashboard(form.filters(), scope))
    if name not in tables:
        raise Http404
    return _stream(request, tables[name], "dashboard", **form.query())


def _export_reviews(request, scope, name):
    if name == "overdue":
        department = _department(request, scope, request.GET.get("department", ""))
        reviews = selectors.overdue_reviews(department=department, offset=_offset(request))[:selectors.OVERDUE_PAGE]
        caption, details = _("Overdue reviews"), {"department": department.code}
    else:
        form = _filter_form(request, scope)
        if not form.is_valid():
            return render(request, "dashboards/bottlenecks.html", {"form": form}, status=400)
        reviews = selectors.oldest_reviews(scope=scope, department_id=form.filters().department_id)
        caption, details = _("Oldest open reviews"), form.query()
    table = review_table(name, caption, reviews, selectors.supervisors_of({r.department_id for r in reviews}))
    return _stream(request, table, name, **details)
