"""Calendar changes in the workspace: the reviews of a supervisor's departments whose due date a
change of the working-day calendars would move (approvals.calendar_changes), each with its
current and recomputed due date, and the supervisor's decision to apply or keep them."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from approvals.calendar_changes import calendar_change_decide, supervised_department_ids
from audit.services import client_ip
from core.errors import WorkflowError

from . import selectors
from .views import staff_required

# The buttons of the list's form: what they decide and for which reviews.
ACTIONS = {"apply": (True, "chosen"), "keep": (False, "chosen"), "apply_all": (True, "shown"),
           "keep_all": (False, "shown")}


@staff_required
def calendar_changes(request):
    paginator = Paginator(selectors.calendar_changes_for_supervisor(request.user), selectors.CALENDAR_CHANGES_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "departments/calendar_changes.html", {
        "page": page, "items": list(page.object_list),
        "is_supervisor": bool(supervised_department_ids(request.user)),
    })


def _ids(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


@require_POST
@staff_required
def calendar_changes_decide(request):
    apply, which = ACTIONS.get(request.POST.get("action"), (None, None))
    if apply is None:
        messages.error(request, _("Choose whether to apply the recomputed dates or keep the current ones."))
        return redirect("departments:calendar_changes")
    ids = _ids(request.POST.getlist("item" if which == "chosen" else "shown"))
    if not ids:
        messages.error(request, _("Choose at least one review."))
        return redirect("departments:calendar_changes")
    try:
        count = calendar_change_decide(item_ids=ids, actor=request.user, apply=apply, ip=client_ip(request))
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        if apply:
            messages.success(request, ngettext("The recomputed due date was applied to %(n)d review.",
                                               "The recomputed due dates were applied to %(n)d reviews.", count)
                             % {"n": count})
        else:
            messages.success(request, ngettext("The current due date of %(n)d review was kept.",
                                               "The current due dates of %(n)d reviews were kept.", count)
                             % {"n": count})
    return redirect("departments:calendar_changes")
