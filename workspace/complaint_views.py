"""Complaints in the workspace: the queue of the complaints a person handles (and, for a
supervisor, everything their department handles; the supervising office's include those sent on
to it), a complaint's page (each opening on record), the answer and a supervisor's handing over."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from approvals import complaint_selectors, complaints
from approvals.events import complaint_event
from approvals.models import Complaint
from approvals.sla import local_today
from audit.models import Action
from audit.services import access_record, client_ip
from core.errors import ValidationFailed, WorkflowError
from core.forms import apply_errors

from .complaint_forms import AnswerForm, ReassignForm
from .tabbed_lists import tabbed_page
from .views import found_or_denied, staff_required

TABS = (("open", gettext_lazy("To answer")), ("closed", gettext_lazy("Answered, closed or sent on")))


@staff_required
def complaint_list(request):
    context = tabbed_page(request, TABS, lambda tab: complaint_selectors.complaints_for_staff(
        request.user, open_only=tab == "open"), complaint_selectors.STAFF_PAGE_SIZE)
    return render(request, "workspace/complaints/list.html", {**context, "complaints": list(context["page"])})


def _complaint(request, pk) -> tuple[Complaint, bool]:
    return found_or_denied(request, "complaint", pk, complaint_selectors.complaint_for_staff)


def _page(request, complaint, supervises, *, answer_form=None, reassign_form=None, status=200):
    if answer_form is None and complaint_selectors.may_answer(complaint, request.user):
        answer_form = AnswerForm()
    if reassign_form is None and supervises and complaint.is_open:
        reassign_form = ReassignForm(members=complaint_selectors.handler_choices(complaint),
                                     initial={"handler": complaint.handler_id})
    return render(request, "workspace/complaints/detail.html", {
        "complaint": complaint, "answer_form": answer_form, "reassign_form": reassign_form, "today": local_today(),
    }, status=status)


@staff_required
def complaint_page(request, pk):
    """The complaint, its answers and verdicts; the opening is on record (once a minute)."""
    complaint, supervises = _complaint(request, pk)
    access_record(complaint_event(Action.COMPLAINT_VIEWED, complaint, actor=request.user, ip=client_ip(request),
                                  department_code=complaint.handling_department.code, purpose="complaint"))
    return _page(request, complaint, supervises)


def _post(request, complaint, supervises, form, call, success, *, form_name: str):
    """Validate ``form``, then ``call(cleaned_data)`` and go back to the page with ``success(result)``;
    a problem shows the page again with the form's errors, or as a message."""
    if form.is_valid():
        try:
            result = call(form.cleaned_data)
        except Complaint.DoesNotExist:
            raise Http404 from None
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return redirect("departments:complaint", pk=complaint.pk)
        else:
            messages.success(request, success(result))
            return redirect("departments:complaint", pk=complaint.pk)
    return _page(request, complaint, supervises, **{form_name: form}, status=400)


@require_POST
@staff_required
def complaint_answer(request, pk):
    complaint, supervises = _complaint(request, pk)
    if complaint.handler_id != request.user.pk:  # a supervisor reads it; only its handler answers
        raise Http404
    return _post(request, complaint, supervises, AnswerForm(request.POST), lambda data: complaints.complaint_answer(
        complaint_id=pk, actor=request.user, text=data["text"], upheld=data["upheld"], ip=client_ip(request)),
        lambda _answer: _("Your answer was sent to the complainant."), form_name="answer_form")


@require_POST
@staff_required
def complaint_reassign(request, pk):
    complaint, supervises = _complaint(request, pk)
    form = ReassignForm(request.POST, members=complaint_selectors.handler_choices(complaint))
    return _post(request, complaint, supervises, form, lambda data: complaints.complaint_reassign(
        complaint_id=pk, actor=request.user, handler_id=data["handler"], ip=client_ip(request)),
        lambda result: _("%(name)s now handles the complaint.") % {"name": result.handler.get_full_name()},
        form_name="reassign_form")
