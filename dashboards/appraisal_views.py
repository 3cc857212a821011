"""Officer appraisal pages: a department's officers for its supervisors and the managers, and one
officer's own figures ("My appraisal") beside the department's median. Anyone else, another
officer included, gets a 404 on record; every view is audited, naming whose appraisal it was
(recorded on the primary; the figures may come from the read replica)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from audit.models import Action
from audit.services import Event, access_denied, access_record, client_ip
from core.replica import replica_readable
from departments.access import member_roles
from departments.models import Department

from .appraisal import FIGURES, appraisal
from .appraisal_forms import PeriodForm
from .selectors import dashboard_scope


def _department(request, code: str, *, officer_id: int | None = None) -> Department:
    """The department, if the user may see its appraisal (a supervisor of it, a manager), or only
    their own row in it (``officer_id`` their own, as a member); else a 404 on record."""
    department = Department.objects.filter(code=code).first()
    scope = dashboard_scope(request.user)
    allowed = department is not None and (
        (scope is not None and scope.allows(department.pk))
        or (officer_id == request.user.pk and department.pk in member_roles(request.user)))
    if not allowed:
        access_denied(request, object_type="appraisal", object_id=(f"{code}/{officer_id}" if officer_id else code)[:40])
        raise Http404
    return department


def _page(request, department, *, officer_id: int | None = None):
    form = PeriodForm(request.GET)
    context = {"form": form, "department": department, "officer_id": officer_id, "figures": FIGURES,
               "own_departments": list(Department.objects.filter(pk__in=list(member_roles(request.user)))
                                       .order_by("code")) if officer_id == request.user.pk else []}
    if not form.is_valid():
        return render(request, "appraisal/appraisal.html", context, status=400)
    date_from, date_to = form.period()
    result = appraisal(department=department, date_from=date_from, date_to=date_to)
    rows = result.officers
    if officer_id is not None:
        rows = [row for row in rows if row.officer_id == officer_id]
        if not rows:  # not a member of the department (any more)
            access_denied(request, object_type="appraisal", object_id=f"{department.code}/{officer_id}")
            raise Http404
    access_record(Event(action=Action.APPRAISAL_VIEWED, object_type="appraisal",
                        object_id=str(officer_id) if officer_id else department.code, actor=request.user,
                        ip=client_ip(request), department_code=department.code, purpose="appraisal",
                        details={"officers": [row.officer_id for row in rows], "date_from": date_from.isoformat(),
                                 "date_to": date_to.isoformat()}))
    context.update(appraisal=result, rows=rows, medians=result.medians, query=form.query())
    return render(request, "appraisal/appraisal.html", context)


@login_required
@replica_readable
def department_appraisal(request, code):
    return _page(request, _department(request, code))


@login_required
@replica_readable
def officer_appraisal(request, code, officer_id):
    return _page(request, _department(request, code, officer_id=officer_id), officer_id=officer_id)


@login_required
def my_appraisal(request):
    """The officer's own appraisal in their first department (the page links the others)."""
    departments = sorted(member_roles(request.user))
    if not departments:
        access_denied(request, object_type="url", object_id=request.path[:40])
        raise Http404
    code = Department.objects.filter(pk=departments[0]).values_list("code", flat=True).get()
    target = redirect("dashboards:officer_appraisal", code=code, officer_id=request.user.pk)
    if request.GET:
        target["Location"] += "?" + request.GET.urlencode()
    return target
