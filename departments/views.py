"""The officer workspace: department queues and the review page with its decision."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from approvals import consultation, workflow
from approvals.errors import ValidationFailed, WorkflowError
from approvals.forms import DecisionForm, ReplyForm, apply_errors
from approvals.models import Attachment, Review
from approvals.selectors import department_thread
from audit.models import Action
from audit.services import Event, audit_record, client_ip
from catalogue.i18n import translated

from . import selectors


def staff_required(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_department_staff:
            audit_record(Event(action=Action.ACCESS_DENIED, object_type="url", object_id=request.path[:40],
                               actor=request.user, ip=client_ip(request)))
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


def _viewed(request, review, action, obj=None, purpose="review"):
    audit_record(Event(
        action=action, object_type=(obj or review)._meta.model_name, object_id=(obj or review).pk, actor=request.user,
        ip=client_ip(request), subject_id=review.application.applicant_id, application_id=review.application_id,
        department_code=review.department.code, purpose=purpose,
    ))


@staff_required
def queue(request):
    tab = request.GET.get("tab", "pending")
    if tab not in selectors.QUEUE_STATUSES:
        tab = "pending"
    return render(request, "departments/queue.html", {
        "reviews": selectors.review_queue(request.user, tab=tab), "tab": tab,
        "tabs": [("pending", _("Pending")), ("in_progress", _("In progress")),
                 ("waiting", _("Waiting on citizen")), ("decided", _("Decided"))],
    })


def _decision_form(review, data=None):
    schema = review.application.schema
    choices = [(k, translated(schema.fields_by_key[k]["label"]) or k) for k in schema.department_fields(review.department.code)]
    return DecisionForm(data, field_choices=choices, initial={"version": review.version})


@staff_required
def review_page(request, pk):
    review, role = selectors.review_for_officer(request.user, pk)
    _viewed(request, review, Action.REVIEW_VIEWED)
    response = _render_review(request, review, role, _decision_form(review))
    consultation.thread_mark_read_by_department(review_id=review.pk, actor=request.user)
    return response


@require_POST
@staff_required
def claim(request, pk):
    return _act(request, pk, workflow.review_claim, _("You hold this review now."))


@require_POST
@staff_required
def release(request, pk):
    return _act(request, pk, workflow.review_release, _("The review is back in the queue."))


def _act(request, pk, action, success):
    selectors.review_for_officer(request.user, pk)
    try:
        action(review_id=pk, actor=request.user, ip=client_ip(request))
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("departments:review", pk=pk)


@require_POST
@staff_required
def decide(request, pk):
    review, _role = selectors.review_for_officer(request.user, pk)
    form = _decision_form(review, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            workflow.review_decide(
                review_id=pk, actor=request.user, decision=data["decision"], conditions=data["conditions"],
                reason=data["reason"], correction_fields=data["correction_fields"], message=data["message"],
                expected_version=data["version"], ip=client_ip(request),
            )
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return redirect("departments:review", pk=pk)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("departments:queue")
    return _render_review(request, review, _role, form, status=400)


def _render_review(request, review, role, form, status=200, reply_form=None):
    return render(request, "departments/review.html", {
        "review": review, "role": role, "application": review.application, "form": form,
        "thread": department_thread(review), "reply_form": reply_form or ReplyForm(),
        **selectors.need_to_know(review),
    }, status=status)


@require_POST
@staff_required
def message(request, pk):
    """Write to the applicant in this department's thread; another department's review is a 404."""
    review, role = selectors.review_for_officer(request.user, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            consultation.message_send_by_department(review_id=pk, actor=request.user, body=form.cleaned_data["body"],
                                                    ip=client_ip(request))
        except Review.DoesNotExist:
            raise Http404
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return redirect("departments:review", pk=pk)
        else:
            messages.success(request, _("Your message was sent to the applicant."))
            return redirect(f"{reverse('departments:review', args=[pk])}#messages")
    return _render_review(request, review, role, _decision_form(review), status=400, reply_form=form)


@staff_required
def attachment(request, pk, attachment_id):
    review, _role = selectors.review_for_officer(request.user, pk)
    keys = review.application.schema.department_fields(review.department.code)
    item = get_object_or_404(Attachment, pk=attachment_id, application_id=review.application_id, field_key__in=keys)
    _viewed(request, review, Action.ATTACHMENT_VIEWED, obj=item)
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.original_name, content_type=item.content_type)

