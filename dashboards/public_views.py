"""The public performance pages (no sign-in): every department and service for the last whole
month, and one department's or service's months. They read the summary tables only
(dashboards.public), hold nothing personal, and may be kept by any cache for a few minutes."""

from functools import wraps

from django.conf import settings
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from audit import exports
from audit.tables import Column, Table
from catalogue.models import Service
from core.replica import replica_readable
from departments.models import Department

from . import charts, opendata, public
from .forms import MonthRangeForm, add_months, today


def public_cache(view):
    """Anonymous visitors' answers may be kept by shared caches for PERFORMANCE_MAX_AGE; a signed-in
    person's page carries their name in its header, so portal.cache_headers keeps it private."""
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not request.user.is_authenticated and "Authorization" not in request.headers:
            patch_cache_control(response, public=True, max_age=settings.PERFORMANCE_MAX_AGE)
        return response

    return require_safe(replica_readable(wrapped))


def shown(cell: public.Cell, threshold: int):
    """A cell as the page shows it: the figure, or why it is not published."""
    if cell.reason == public.SMALL_COUNT:
        return _("fewer than %(count)s") % {"count": threshold}
    return _("withheld") if cell.suppressed else cell.value


def _link(subject):
    if isinstance(subject, Department):
        return format_html('<a href="{}">{}</a>', reverse("performance:department", args=[subject.code]),
                           subject.display_name)
    return format_html('<a href="{}">{}</a>', reverse("performance:service", args=[subject.slug]), subject.display_name)


def page_table(table: public.Published, rows: list[public.Row], first: str, *, subject=None, caption_month=None) -> Table:
    """The rows as an accessible table: a department, a service or a month heads each row."""
    if first == "month":
        head = Column(_("Month"), lambda row: date_format(row.month, "YEAR_MONTH_FORMAT"), False)
        caption = _("%(name)s, month by month") % {"name": subject.display_name}
    else:
        head = Column(_("Department") if first == "department" else _("Service"), lambda row: _link(row.subject), False)
        caption = (_("Departments in %(month)s") if first == "department" else _("Services in %(month)s")) % {
            "month": date_format(caption_month, "YEAR_MONTH_FORMAT")}
    columns = [head] + [Column(str(m.title), lambda row, name=m.name: shown(row.cells[name], table.threshold),
                                numeric=True)
                        for m in table.measures]
    return Table(first, caption, columns, rows)


def last_whole_month():
    return add_months(today().replace(day=1), -1)


@public_cache
def index(request):
    month = last_whole_month()
    table = public.published([month])
    return render(request, "dashboards/public/index.html", {
        "month": month, "threshold": table.threshold,
        "departments": page_table(table, table.departments, "department", caption_month=month),
        "services": page_table(table, table.services, "service", caption_month=month),
    })


def _months_page(request, subject, kind: str):
    form = MonthRangeForm(request.GET)
    context = {"subject": subject, "kind": kind, "form": form,
               "pickers": [(form[name], form.month_choices(name)) for name in ("month_from", "month_to")]}
    if not form.is_valid():
        return render(request, "dashboards/public/subject.html", context, status=400)
    months = form.months()
    table = public.published(months)
    rows = table.of(subject)
    received = [(row.month.strftime("%Y-%m"), row.cells["received"].published) for row in rows]
    context.update(threshold=table.threshold, months=months, capped=form.capped, query=form.query(),
                   qs=urlencode(form.query()), table=page_table(table, rows, "month", subject=subject),
                   chart=charts.columns(received))
    return render(request, "dashboards/public/subject.html", context)


SUBJECTS = {"department": (Department, "code"), "service": (Service, "slug")}


@public_cache
def subject_page(request, kind, key):
    """One department's (by code) or service's (by slug) months; an unknown one is a 404."""
    model, field = SUBJECTS[kind]
    subject = model.objects.filter(**{field: key}).first()
    if subject is None:
        raise Http404
    return _months_page(request, subject, kind)


def data_cache(response):
    """The open data is the same for everyone: any cache may keep it for PERFORMANCE_MAX_AGE."""
    patch_cache_control(response, public=True, max_age=settings.PERFORMANCE_MAX_AGE)
    return response


def _bad_range(form) -> JsonResponse:
    fields = {name: [str(e) for e in errors] for name, errors in form.errors.items() if name != "__all__"}
    message = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return JsonResponse({"error": {"code": "invalid_request", "message": message, "fields": fields}}, status=400,
                        json_dumps_params={"ensure_ascii": False})


@require_safe
@replica_readable
def data_file(request, kind, fmt):
    if kind not in opendata.KINDS:
        raise Http404
    form = MonthRangeForm(request.GET)
    if not form.is_valid():
        return _bad_range(form)
    table = public.published(form.months())
    if fmt == "csv":
        response = StreamingHttpResponse(exports.csv_lines(opendata.header(table, kind), opendata.csv_rows(table, kind)),
                                         content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{kind}.csv"'
        response["Link"] = f'<{reverse("performance:schema", args=[kind])}>; rel="describedby"'
    else:
        schema_url = request.build_absolute_uri(reverse("performance:schema", args=[kind]))
        response = JsonResponse(opendata.json_document(table, kind, schema_url=schema_url, capped=form.capped),
                                json_dumps_params={"ensure_ascii": False})
    return data_cache(response)


@require_safe
@replica_readable
def data_schema(request, kind):
    if kind not in opendata.KINDS:
        raise Http404
    table = public.Published(months=[], measures=public.measures(), threshold=settings.OPEN_DATA_MIN_COUNT)
    return data_cache(JsonResponse(opendata.schema(table, kind), json_dumps_params={"ensure_ascii": False, "indent": 2}))


@public_cache
def data_page(request):
    table = public.Published(months=[], measures=public.measures(), threshold=settings.OPEN_DATA_MIN_COUNT)
    return render(request, "dashboards/public/data.html", {
        "threshold": table.threshold, "measures": table.measures, "max_months": MonthRangeForm.MAX_MONTHS,
        "kinds": list(opendata.KINDS),
    })
