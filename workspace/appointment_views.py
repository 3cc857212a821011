"""Appointments and pre-application advice in the workspace: the departments' coming slots with
their bookings (supervisors publish slots, officers record no-shows), the queue of drafts sent for
advice and the page that answers one."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from approvals import appointment_selectors as selectors
from approvals.advice import advice_answer, advice_view
from approvals.appointments import booking_no_show, slots_publish
from approvals.models import AppointmentBooking
from approvals.sla import local_today
from audit.services import access_denied, client_ip
from catalogue.models import Service
from core.errors import WorkflowError
from departments.access import supervisor_memberships
from departments.models import Department

from .appointment_forms import AdviceAnswerForm, SlotPlanForm
from .tabbed_lists import tabbed_page
from .views import found_or_denied, staff_required

ADVICE_TABS = (("open", gettext_lazy("To answer")), ("answered", gettext_lazy("Answered")))


def _plan_form(request, data=None):
    supervised = Department.objects.filter(pk__in=supervisor_memberships(request.user).values("department_id"))
    if not supervised.exists():
        return None
    services = Service.objects.filter(requirements__department__in=supervised).distinct().order_by("slug")
    return SlotPlanForm(data, departments=supervised, services=services)


def _appointments_page(request, form, status=200):
    page = Paginator(selectors.department_slots(request.user), selectors.SLOTS_PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "departments/appointments.html", {
        "page": page, "slots": list(page), "form": form, "tab": "", "now": timezone.now()}, status=status)


@staff_required
def appointments(request):
    return _appointments_page(request, _plan_form(request))


@require_POST
@staff_required
def slots_publish_view(request):
    form = _plan_form(request, request.POST)
    if form is None:
        access_denied(request, object_type="url", object_id=request.path[:40])
        return redirect("departments:appointments")
    if not form.is_valid():
        return _appointments_page(request, form, status=400)
    try:
        added = slots_publish(actor=request.user, department=form.cleaned_data["department"],
                              service=form.cleaned_data["service"], plan=form.plan(), ip=client_ip(request))
    except WorkflowError as exc:
        form.add_error(None, exc.message)
        return _appointments_page(request, form, status=400)
    messages.success(request, _("%(n)d appointment slots published.") % {"n": added})
    return redirect("departments:appointments")


@require_POST
@staff_required
def no_show(request, pk):
    try:
        booking_no_show(officer=request.user, booking_id=pk, ip=client_ip(request))
    except AppointmentBooking.DoesNotExist:
        access_denied(request, object_type="appointmentbooking", object_id=pk)
        return redirect("departments:appointments")
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The no-show is recorded."))
    return redirect("departments:appointments")


@staff_required
def advice_list(request):
    context = tabbed_page(request, ADVICE_TABS, lambda tab: selectors.advice_queue(
        request.user, answered=tab == "answered"), selectors.ADVICE_PAGE_SIZE)
    return render(request, "departments/advice_queue.html", {
        **context, "requests": list(context["page"]), "today": local_today()})


def _advice_page(request, advice, form, status=200):
    return render(request, "departments/advice.html", {
        "advice": advice, "application": advice.application, "form": form, "today": local_today(),
        **selectors.advice_need_to_know(advice)}, status=status)


@staff_required
def advice(request, pk):
    found_or_denied(request, "advicerequest", pk, selectors.advice_for_officer)
    advice = advice_view(officer=request.user, advice_id=pk, ip=client_ip(request))
    return _advice_page(request, advice, AdviceAnswerForm() if advice.is_open else None)


@require_POST
@staff_required
def advice_answer_view(request, pk):
    advice = found_or_denied(request, "advicerequest", pk, selectors.advice_for_officer)
    form = AdviceAnswerForm(request.POST)
    if form.is_valid():
        try:
            advice_answer(officer=request.user, advice_id=pk, text=form.cleaned_data["text"], ip=client_ip(request))
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your advice was sent to the citizen."))
            return redirect("departments:advice", pk)
    return _advice_page(request, advice, form, status=400)
