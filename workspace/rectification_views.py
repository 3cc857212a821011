"""Rectifications of bad ratings in the workspace: the queue (the cases a person owns and, for a
supervisor, those of their departments), a case's page (the rating, the comment, what the
department may see of the application: its opening is on record) with the account form, and
giving a case to a colleague."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from approvals import rectification_selectors as selectors
from approvals import rectifications
from approvals.events import engine_event
from approvals.models import Rectification
from approvals.need_to_know import need_to_know
from approvals.sla import local_today
from audit.models import Action
from audit.services import access_denied, access_record, client_ip
from core.errors import ValidationFailed, WorkflowError
from core.forms import apply_errors
from departments.access import department_members

from .rectification_forms import AccountForm, ReassignForm
from .tabbed_lists import tabbed_page
from .views import found_or_denied, staff_required

TABS = (("open", gettext_lazy("To rectify")), ("closed", gettext_lazy("Rectified")))


@staff_required
def rectification_list(request):
    supervised = bool(selectors.supervised_department_ids(request.user))
    scope = request.GET.get("scope") if supervised and request.GET.get("scope") in selectors.SCOPES else "mine"
    context = tabbed_page(request, TABS, lambda tab: selectors.rectifications_for_officer(
        request.user, scope=scope, closed=tab == "closed"), selectors.QUEUE_PAGE_SIZE)
    return render(request, "rectifications/queue.html", {
        **context, "scope": scope, "cases": list(context["page"]), "supervised": supervised,
        "scopes": [("mine", _("My cases")), ("department", _("My departments' cases"))],
    })


def _case(request, pk):
    """The case; one the user may not handle is a 404, on record."""
    return found_or_denied(request, "rectification", pk, selectors.rectification_for_officer)


def _colleagues(case) -> list[tuple[int, str]]:
    return [(m.user_id, m.user.full_name) for m in department_members([case.department_id]) if m.user_id != case.owner_id]


def _render(request, case, *, account_form=None, reassign_form=None, status=200):
    review = selectors.reviewed_review(case)
    may_reassign = case.is_open and selectors.may_reassign(case, request.user)
    return render(request, "rectifications/case.html", {
        "case": case, "application": case.application, "review": review, "today": local_today(),
        "account_form": account_form or (AccountForm() if case.is_open else None),
        "reassign_form": reassign_form or (ReassignForm(colleagues=_colleagues(case)) if may_reassign else None),
        **(need_to_know(review) if review is not None else {}),
    }, status=status)


@staff_required
def rectification(request, pk):
    """The case and what the department may see of the application; the opening is on record
    (a view of the applicant's data, once a minute)."""
    case = _case(request, pk)
    access_record(engine_event(Action.RECTIFICATION_VIEWED, case.application, obj=case, actor=request.user,
                               ip=client_ip(request), department_code=case.department.code, purpose="rectification"))
    return _render(request, case)


def _act(request, pk, case, form, *, form_name: str, act, success):
    """Validate ``form``, run ``act(cleaned_data)`` and go back to the case with a message; a
    refused form is drawn again on the case's page (400). A GET goes back to the case: it is the
    address of a page drawn after a refused POST, opened again (a reload, the language switcher)."""
    if request.method == "GET":
        return redirect("departments:rectification", pk=pk)
    try:
        if not form.is_valid():
            raise ValidationFailed({})
        done = act(form.cleaned_data)
    except Rectification.DoesNotExist:  # left the department, or lost the case, since the page
        access_denied(request, object_type="rectification", object_id=pk)
        raise Http404 from None
    except ValidationFailed as exc:
        apply_errors(form, exc.errors)
        return _render(request, case, **{form_name: form}, status=400)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success(done))
    return redirect("departments:rectification", pk=pk)


@require_http_methods(["GET", "POST"])
@staff_required
def rectification_close(request, pk):
    return _act(request, pk, _case(request, pk), AccountForm(request.POST or None), form_name="account_form",
                act=lambda data: rectifications.rectification_close(
                    rectification_id=pk, actor=request.user, account=data.get("account", ""), ip=client_ip(request)),
                success=lambda case: _("The case is closed. The applicant is asked to rate the service again."))


@require_http_methods(["GET", "POST"])
@staff_required
def rectification_reassign(request, pk):
    case = _case(request, pk)
    return _act(request, pk, case, ReassignForm(request.POST or None, colleagues=_colleagues(case)),
                form_name="reassign_form",
                act=lambda data: rectifications.rectification_reassign(
                    rectification_id=pk, actor=request.user, owner_id=data["owner"], ip=client_ip(request)),
                success=lambda case: _("%(name)s owns the case now.") % {"name": case.owner.full_name})
