"""Filings after approval in the workspace: the department's list of approvals it is told of, one
filing's page (exactly what the filing lists, its opening on record) and acknowledging it."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from approvals import filings
from approvals.access import may_acknowledge
from approvals.events import engine_event
from approvals.models import Filing
from approvals.need_to_know import filing_need_to_know
from approvals.sla import local_today
from audit.models import Action
from audit.services import access_denied, access_record, client_ip
from core.errors import WorkflowError

from . import selectors
from .tabbed_lists import tabbed_page
from .views import found_or_denied, staff_required

TABS = (("waiting", gettext_lazy("To acknowledge")), ("acknowledged", gettext_lazy("Acknowledged")))


@staff_required
def filing_list(request):
    """The filings of the user's departments: to acknowledge (oldest first) or acknowledged."""
    context = tabbed_page(request, TABS, lambda tab: selectors.filings_for_officer(
        request.user, acknowledged=tab == "acknowledged"), selectors.FILINGS_PAGE_SIZE)
    return render(request, "departments/filings.html", {**context, "filings": list(context["page"])})


def _filing(request, pk):
    """The filing and the user's role in its department; another department's is a 404, on record."""
    return found_or_denied(request, "filing", pk, selectors.filing_for_officer)


@staff_required
def filing(request, pk):
    """What the filing lists, and its acknowledgement; the opening is on record (a view of the
    applicant's data, once a minute)."""
    filing, role = _filing(request, pk)
    access_record(engine_event(Action.FILING_VIEWED, filing.application, obj=filing, actor=request.user,
                               ip=client_ip(request), department_code=filing.department.code, purpose="filing"))
    return render(request, "departments/filing.html", {
        "filing": filing, "application": filing.application, "today": local_today(),
        "may_acknowledge": may_acknowledge(filing, role=role), **filing_need_to_know(filing),
    })


@require_POST
@staff_required
def filing_acknowledge(request, pk):
    _filing(request, pk)
    try:
        filings.filing_acknowledge(filing_id=pk, actor=request.user, ip=client_ip(request))
    except Filing.DoesNotExist:  # left the department meanwhile
        access_denied(request, object_type="filing", object_id=pk)
        raise Http404
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The filing is acknowledged."))
    return redirect("departments:filing", pk=pk)
