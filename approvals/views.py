"""Citizen pages: start, fill the combined form section by section, check and submit, follow,
correct, withdraw. Each view validates, calls one workflow function, and renders or redirects."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.services import client_ip
from catalogue.models import Service

from . import selectors, workflow
from .errors import ValidationFailed, WorkflowError
from .forms import SchemaForm
from .models import ApplicationStatus, Attachment, ReviewStatus


def citizen_required(view):
    """Signed-in citizens only; staff accounts do not apply for themselves."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_citizen:
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


def _apply_errors(form, errors: dict) -> None:
    for key, messages_ in errors.items():
        for message in messages_:
            form.add_error(key if key in form.fields else None, message)


@require_POST
@citizen_required
def start(request, slug):
    service = get_object_or_404(Service, slug=slug)
    try:
        application = workflow.application_start(applicant=request.user, service=service, ip=client_ip(request))
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return redirect("service_detail", slug=slug)
    return redirect("approvals:edit", pk=application.pk, step=1)


@citizen_required
def my_applications(request):
    applications = selectors.applications_for_citizen(request.user)
    return render(request, "approvals/my_applications.html", {"applications": applications})


@citizen_required
def detail(request, pk):
    application = selectors.application_for_citizen(request.user, pk)
    permit = application.current_permits[0] if application.current_permits else None
    return render(request, "approvals/detail.html", {
        "application": application, "reviews": application.reviews.all(), "permit": permit,
        "correction_requests": [r for r in application.reviews.all() if r.status == ReviewStatus.CORRECTION_REQUESTED],
    })


@require_http_methods(["GET", "POST"])
@citizen_required
def edit(request, pk, step):
    application = selectors.application_for_citizen(request.user, pk)
    if application.status != ApplicationStatus.DRAFT:
        return redirect("approvals:detail", pk=pk)
    sections = application.schema.sections()
    if not 1 <= step <= len(sections):
        raise Http404
    title, specs = sections[step - 1]
    form = SchemaForm(request.POST or None, request.FILES or None, specs=specs, answers=application.answers)
    if request.method == "POST" and form.is_valid():
        try:
            workflow.application_save_answers(application_id=pk, actor=request.user, data=form.answer_data())
            for key, uploaded in form.uploads():
                workflow.application_attach(application_id=pk, actor=request.user, field_key=key, uploaded=uploaded)
        except ValidationFailed as exc:
            _apply_errors(form, exc.errors)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return redirect("approvals:detail", pk=pk)
        else:
            if step < len(sections):
                return redirect("approvals:edit", pk=pk, step=step + 1)
            return redirect("approvals:check", pk=pk)
    attachments = [a for a in application.attachments.all() if a.field_key in form.file_keys]
    return render(request, "approvals/edit.html", {
        "application": application, "form": form, "section_title": title, "step": step,
        "steps": len(sections), "attachments": attachments,
    })


@require_http_methods(["GET", "POST"])
@citizen_required
def check(request, pk):
    application = selectors.application_for_citizen(request.user, pk)
    if application.status != ApplicationStatus.DRAFT:
        return redirect("approvals:detail", pk=pk)
    errors = {}
    if request.method == "POST":
        if request.POST.get("declaration") != "yes":
            errors["declaration"] = [_("Confirm that your answers are true and complete.")]
        else:
            try:
                workflow.application_submit(application_id=pk, actor=request.user, ip=client_ip(request))
            except ValidationFailed as exc:
                errors = exc.errors
            except WorkflowError as exc:
                messages.error(request, exc.message)
                return redirect("approvals:detail", pk=pk)
            else:
                return redirect("approvals:submitted", pk=pk)
    schema = application.schema
    files = {}
    for attachment in application.attachments.all():
        files.setdefault(attachment.field_key, []).append(attachment)
    sections = []
    for index, (title, specs) in enumerate(schema.sections(), start=1):
        rows = [{"spec": s, "value": application.answers.get(s["key"]), "files": files.get(s["key"], []),
                 "errors": errors.get(s["key"], [])} for s in specs]
        sections.append({"title": title, "step": index, "rows": rows})
    return render(request, "approvals/check.html", {
        "application": application, "sections": sections, "errors": errors,
        "declaration_error": errors.get("declaration"),
    }, status=400 if errors else 200)


@citizen_required
def submitted(request, pk):
    application = selectors.application_for_citizen(request.user, pk)
    if application.status == ApplicationStatus.DRAFT:
        return redirect("approvals:check", pk=pk)
    due = max((r.due_date for r in application.reviews.all() if r.due_date), default=None)
    return render(request, "approvals/submitted.html", {"application": application, "expected_by": due})


@require_http_methods(["GET", "POST"])
@citizen_required
def correct(request, pk):
    application = selectors.application_for_citizen(request.user, pk)
    if application.status != ApplicationStatus.NEEDS_CORRECTION:
        return redirect("approvals:detail", pk=pk)
    requests_ = [r for r in application.reviews.all() if r.status == ReviewStatus.CORRECTION_REQUESTED]
    keys = {k for r in requests_ for k in r.correction_fields}
    specs = [s for s in application.schema.fields if s["key"] in keys]
    form = SchemaForm(request.POST or None, request.FILES or None, specs=specs, answers=application.answers)
    if request.method == "POST" and form.is_valid():
        try:
            for key, uploaded in form.uploads():
                workflow.application_attach(application_id=pk, actor=request.user, field_key=key, uploaded=uploaded)
            workflow.application_resubmit(application_id=pk, actor=request.user, data=form.answer_data(),
                                          ip=client_ip(request))
        except ValidationFailed as exc:
            _apply_errors(form, exc.errors)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return redirect("approvals:detail", pk=pk)
        else:
            messages.success(request, _("Your corrections were sent to the departments."))
            return redirect("approvals:detail", pk=pk)
    return render(request, "approvals/correct.html", {"application": application, "form": form, "requests": requests_})


@require_http_methods(["GET", "POST"])
@citizen_required
def withdraw(request, pk):
    application = selectors.application_for_citizen(request.user, pk)
    if request.method == "POST":
        try:
            workflow.application_withdraw(application_id=pk, actor=request.user, ip=client_ip(request))
        except WorkflowError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The application was withdrawn."))
        return redirect("approvals:detail", pk=pk)
    return render(request, "approvals/withdraw.html", {"application": application})


@citizen_required
def attachment(request, pk, attachment_id):
    application = selectors.application_for_citizen(request.user, pk)
    item = get_object_or_404(Attachment, pk=attachment_id, application=application)
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.original_name,
                        content_type=item.content_type)



@login_required
def notifications(request):
    """Everyone's in-app notifications; opening the list marks them read."""
    items = list(selectors.notifications_for(request.user, limit=50))
    workflow.notifications_mark_read(user=request.user)
    return render(request, "approvals/notifications.html", {"notifications": items})
