"""Citizen pages after submitting: write to the departments reviewing an application, rate
the service once it is decided, and see who on the staff viewed your data.

Writing happens from the application page (templates/approvals/includes/thread.html and
rating.html); these endpoints take the POST and go back there. Invalid input shows a small
page with the error summary."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from approvals import consultation, ratings, selectors
from approvals.models import Review
from audit.services import client_ip
from core.errors import ValidationFailed, WorkflowError
from core.forms import apply_errors

from .forms import MessageForm, RatingForm
from .views import citizen_required, own_application


def _back(pk: int, anchor: str):
    return redirect(f"{reverse('approvals:detail', args=[pk])}#{anchor}")


@require_POST
@citizen_required
def message_send(request, pk):
    application = own_application(request, pk)
    departments = [(r.department_id, r.department.display_name) for r in application.reviews.all()]
    form = MessageForm(request.POST, departments=departments)
    valid = form.is_valid()
    if departments and not valid:
        return _message_invalid(request, application, form)
    try:
        message = consultation.message_send_by_citizen(
            application_id=pk, department_id=form.cleaned_data.get("department"), actor=request.user,
            body=form.cleaned_data.get("body", ""), ip=client_ip(request),
        )
    except Review.DoesNotExist:
        raise Http404
    except ValidationFailed as exc:
        apply_errors(form, exc.errors)
        return _message_invalid(request, application, form)
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return _back(pk, "messages")
    department = dict(departments).get(message.department_id, "")
    messages.success(request, _("Your message was sent to %(department)s.") % {"department": department})
    return _back(pk, "messages")


def _message_invalid(request, application, form):
    return render(request, "approvals/message_form.html", {"application": application, "message_form": form},
                  status=400)


@require_POST
@citizen_required
def rate(request, pk):
    application = own_application(request, pk)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return render(request, "approvals/rate.html", {"application": application, "rating_form": form}, status=400)
    try:
        ratings.rating_give(application_id=pk, actor=request.user, score=form.cleaned_data["score"],
                            comment=form.cleaned_data["comment"], ip=client_ip(request))
    except ValidationFailed as exc:
        apply_errors(form, exc.errors)
        return render(request, "approvals/rate.html", {"application": application, "rating_form": form}, status=400)
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return _back(pk, "rating")
    messages.success(request, _("Thank you for rating the service."))
    return _back(pk, "rating")


@citizen_required
def who_viewed(request):
    """Every staff access to the signed-in citizen's data, newest first, 50 a page."""
    page = selectors.who_viewed_page(request.user, request.GET.get("page"))
    return render(request, "approvals/who_viewed.html", {"page": page, "accesses": page.object_list})
