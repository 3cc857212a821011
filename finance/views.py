"""The finance officer's pages: the day's orders, payments and refunds; statement uploads and what
became of each line; the issues to resolve; the refunds to confirm; the money per service and
department over a period. Every list downloads as CSV; every page read and every write is on record."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from approvals.payment_issues import payment_issue_apply, payment_issue_dismiss, payment_issue_return
from approvals.payment_orders import refund_cancel, refund_confirm
from approvals.statement_flow import statement_import
from audit.services import client_ip
from audit.tables import cells, csv_download
from core.errors import ValidationFailed, WorkflowError
from core.forms import apply_errors

from . import selectors
from .access import finance_access, finance_viewed
from .columns import DAY_TABS, ISSUE_COLUMNS, LINE_COLUMNS, REFUND_COLUMNS, STATEMENT_COLUMNS, total_columns
from .forms import ApplyForm, DayForm, DismissForm, PeriodForm, ReturnForm, StatementUploadForm

PAGE_SIZE = 50
ISSUE_TABS = {"open": gettext_lazy("To resolve"), "resolved": gettext_lazy("Resolved")}


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"


@finance_access
def day(request):
    form = DayForm(request.GET)
    tab = request.GET.get("tab") if request.GET.get("tab") in DAY_TABS else "payments"
    context = {"form": form, "tab": tab, "tabs": {key: label for key, (label, _c, _s) in DAY_TABS.items()}}
    if not form.is_valid():
        return render(request, "finance/day.html", context, status=400)
    chosen = form.cleaned_data["day"]
    _label, columns, select = DAY_TABS[tab]
    finance_viewed(request, f"day-{tab}", day=chosen.isoformat(), export="csv" if _wants_csv(request) else "")
    if _wants_csv(request):
        return csv_download(columns, select(chosen).iterator(), filename=f"{tab}-{chosen.isoformat()}.csv")
    page = _page(request, select(chosen))
    query = urlencode({"day": chosen.isoformat(), "tab": tab})
    context.update(day=chosen, page=page, columns=columns, rows=cells(columns, page), query=query + "&",
                   caption=_("%(list)s on %(day)s") % {"list": DAY_TABS[tab][0], "day": date_format(chosen)},
                   csv_url=f"?{query}&format=csv")
    return render(request, "finance/day.html", context)


@finance_access
def statements(request):
    """The upload form, and the statements uploaded before, newest first."""
    if request.method == "POST":
        form = StatementUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                statement = statement_import(data=upload.read(), filename=upload.name, actor=request.user,
                                             ip=client_ip(request))
            except WorkflowError as error:
                form.add_error("file", error.message)
            else:
                messages.success(request, _("The statement was read: %(matched)s matched, %(issues)s to resolve, "
                                            "%(ignored)s ignored.") % {"matched": statement.matched_count,
                                                                       "issues": statement.issue_count,
                                                                       "ignored": statement.ignored_count})
                return redirect("finance:statement", statement.pk)
        status = 400
    else:
        form, status = StatementUploadForm(), 200
    if _wants_csv(request):
        finance_viewed(request, "statements", export="csv")
        return csv_download(STATEMENT_COLUMNS, selectors.statements().iterator(), filename="statements.csv")
    page = _page(request, selectors.statements())
    finance_viewed(request, "statements")
    return render(request, "finance/statements.html", {
        "form": form, "page": page, "columns": STATEMENT_COLUMNS, "rows": cells(STATEMENT_COLUMNS, page)},
        status=status)


@finance_access
def statement(request, pk: int):
    found = selectors.statement(pk)
    if found is None:
        raise Http404
    finance_viewed(request, f"statement-{pk}", export="csv" if _wants_csv(request) else "")
    if _wants_csv(request):
        return csv_download(LINE_COLUMNS, selectors.statement_lines(pk).iterator(), filename=f"statement-{pk}.csv")
    page = _page(request, selectors.statement_lines(pk))
    return render(request, "finance/statement.html", {
        "statement": found, "totals": selectors.statement_totals(pk), "page": page, "columns": LINE_COLUMNS,
        "rows": cells(LINE_COLUMNS, page)})


@finance_access
def issues(request):
    tab = request.GET.get("tab") if request.GET.get("tab") in ISSUE_TABS else "open"
    listed = selectors.issues(resolved=tab == "resolved")
    finance_viewed(request, f"issues-{tab}", export="csv" if _wants_csv(request) else "")
    if _wants_csv(request):
        return csv_download(ISSUE_COLUMNS, listed.iterator(), filename=f"payment-issues-{tab}.csv")
    page = _page(request, listed)
    return render(request, "finance/issues.html", {
        "tab": tab, "tabs": ISSUE_TABS, "page": page, "columns": ISSUE_COLUMNS, "rows": cells(ISSUE_COLUMNS, page),
        "query": f"tab={tab}&", "csv_url": f"?tab={tab}&format=csv"})


def _issue_or_404(pk: int):
    found = selectors.issue(pk)
    if found is None:
        raise Http404
    return found


def _issue_page(request, found, *, status=200, **forms):
    application = found.order.application if found.order_id else None
    finance_viewed(request, f"issue-{found.pk}", subject_id=application.applicant_id if application else None,
                   application_id=application.pk if application else None)
    context = {"issue": found, "application": application, "apply_form": ApplyForm(), "return_form": ReturnForm(),
               "dismiss_form": DismissForm(), **forms}
    return render(request, "finance/issue.html", context, status=status)


@finance_access
def issue(request, pk: int):
    return _issue_page(request, _issue_or_404(pk))


# How an issue is resolved: the form, its name on the page, and the engine's service, which takes
# the form's cleaned fields (code, note) as they are.
RESOLUTIONS = {
    "apply": (ApplyForm, "apply_form", payment_issue_apply),
    "return": (ReturnForm, "return_form", payment_issue_return),
    "dismiss": (DismissForm, "dismiss_form", payment_issue_dismiss),
}


@finance_access
@require_POST
def issue_resolve(request, pk: int, how: str):
    form_class, form_key, resolve = RESOLUTIONS[how]
    found = _issue_or_404(pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            resolve(issue_id=found.pk, actor=request.user, ip=client_ip(request), **form.cleaned_data)
        except ValidationFailed as error:
            apply_errors(form, error.errors)
        except WorkflowError as error:
            messages.error(request, error.message)
            return redirect("finance:issue", pk)
        else:
            messages.success(request, _("The issue is resolved."))
            return redirect("finance:issues")
    return _issue_page(request, found, status=400, **{form_key: form})


@finance_access
def refunds(request):
    finance_viewed(request, "refunds", export="csv" if _wants_csv(request) else "")
    if _wants_csv(request):
        return csv_download(REFUND_COLUMNS, selectors.refunds_waiting().iterator(), filename="refunds-waiting.csv")
    page = _page(request, selectors.refunds_waiting())
    return render(request, "finance/refunds.html", {"page": page, "columns": REFUND_COLUMNS, "items": list(zip(
        page, cells(REFUND_COLUMNS, page), strict=True))})


# A refund's two endings: the engine's service and what the officer is told.
REFUND_ACTIONS = {
    "confirm": (refund_confirm, gettext_lazy("The refund is confirmed.")),
    "cancel": (refund_cancel, gettext_lazy("The refund is cancelled.")),
}


@finance_access
@require_POST
def refund_act(request, pk: int, how: str):
    act, done = REFUND_ACTIONS[how]
    found = selectors.refund(pk)
    if found is None:
        raise Http404
    try:
        act(refund_id=found.pk, actor=request.user, ip=client_ip(request))
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("finance:refunds")


@finance_access
def totals(request):
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return render(request, "finance/totals.html", {"form": form}, status=400)
    start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    per_service, per_department = selectors.totals(start, end)
    by = request.GET.get("by")
    finance_viewed(request, "totals", date_from=start.isoformat(), date_to=end.isoformat(),
                   export=f"csv-{by}" if _wants_csv(request) else "")
    if _wants_csv(request):
        chosen = per_department if by == "department" else per_service
        name = "department" if by == "department" else "service"
        return csv_download(total_columns(name), chosen, filename=f"totals-per-{name}-{start}-{end}.csv")
    query = urlencode({"date_from": start.isoformat(), "date_to": end.isoformat()})
    return render(request, "finance/totals.html", {
        "form": form, "start": start, "end": end,
        "tables": [(_("Per service"), total_columns("service"), cells(total_columns("service"), per_service),
                    f"?{query}&by=service&format=csv"),
                   (_("Per department"), total_columns("department"),
                    cells(total_columns("department"), per_department), f"?{query}&by=department&format=csv")]})


@finance_access
def home(request):
    return redirect(reverse("finance:day"))
