"""The applicant rates the service again once a department has written what it did about their
bad rating (approvals.rectifications): a POST from the application page, which it goes back to."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from approvals import rectifications
from approvals.models import Rectification
from audit.services import access_denied, client_ip
from core.errors import ValidationFailed, WorkflowError
from core.forms import apply_errors

from .rectification_forms import FollowUpForm
from .rectification_panel import rectification_context
from .views import citizen_required, detail_context, feedback_context, own_application


@require_http_methods(["GET", "POST"])
@citizen_required
def follow_up(request, pk, case_pk):
    application = own_application(request, pk)
    if request.method == "GET":  # the address of a page drawn after a refused POST, opened again
        return redirect(f"{reverse('approvals:detail', args=[pk])}#rectifications")
    form = FollowUpForm(request.POST, case_id=case_pk)
    try:
        if not form.is_valid():
            raise ValidationFailed({})
        rectifications.rectification_follow_up(rectification_id=case_pk, application_id=pk, actor=request.user,
                                                score=form.cleaned_data["score"],
                                                comment=form.cleaned_data["comment"], ip=client_ip(request))
    except Rectification.DoesNotExist:
        access_denied(request, object_type="rectification", object_id=case_pk)
        raise Http404
    except ValidationFailed as exc:
        apply_errors(form, exc.errors)
        context = {**detail_context(request, application), **feedback_context(application, request.user),
                   **rectification_context(application, request.user, invalid=form, invalid_case=case_pk)}
        return render(request, "approvals/detail.html", context, status=400)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you for rating the service again."))
    return redirect(f"{reverse('approvals:detail', args=[pk])}#rectifications")
