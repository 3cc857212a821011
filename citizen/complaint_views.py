"""Complaints, the complainant's side: a signed-in citizen complains about one of their
applications (from its page) or about a department or an officer, follows the complaint and gives
a verdict on each answer; a member of the public does the same without an account, confirming
their address first and following by the signed link mailed to them (rate-limited per client
address and per address mailed)."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.ratelimits import form_limited, too_many_sent
from approvals import complaint_selectors, complaints
from approvals.complaint_links import LinkExpired, LinkInvalid, follow_token, followed_complaint_id
from approvals.models import Application, Complaint, ComplaintStatus
from audit.services import access_denied, client_ip
from core.errors import ValidationFailed, WorkflowError
from core.forms import apply_errors
from departments.models import Department

from .complaint_forms import ApplicationComplaintForm, ComplaintForm, PublicComplaintForm, VerdictForm
from .views import citizen_required, own_application


def _departments() -> list[tuple[int, str]]:
    return sorted(((d.pk, d.display_name) for d in Department.objects.all()), key=lambda d: d[1])


def _verdict_form(complaint: Complaint, data=None) -> VerdictForm | None:
    """The verdict form while the last answer waits for one, else None."""
    if complaint.status != ComplaintStatus.ANSWERED:
        return None
    return VerdictForm(data, escalates=complaint.escalated_at is None)


# --- Signed in ----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@citizen_required
def complaint_new(request):
    """A complaint about the application ``?application=<id>`` (the citizen's own), or else about a
    department or an officer."""
    application = None
    if request.GET.get("application"):
        try:
            application = own_application(request, int(request.GET["application"]))
        except ValueError:
            raise Http404 from None
        departments = [(r.department_id, r.department.display_name)
                       for r in application.reviews.select_related("department")]
        form = ApplicationComplaintForm(request.POST or None, departments=departments)
    else:
        form = ComplaintForm(request.POST or None, departments=_departments())
    if request.method == "POST" and form.is_valid():
        try:
            grounds = form.grounds(application.pk) if application else form.grounds()
            complaint = complaints.complaint_file(complainant=request.user, grounds=grounds, ip=client_ip(request))
        except Application.DoesNotExist:  # submitted meanwhile as someone else's: never theirs
            access_denied(request, object_type="application", object_id=application.pk)
            raise Http404 from None
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your complaint %(ref)s was received. %(name)s handles it.")
                             % {"ref": complaint.reference, "name": complaint.handler.get_full_name()})
            return redirect("complaints:detail", pk=complaint.pk)
    return render(request, "citizen/complaints/new.html", {
        "form": form, "application": application, "COMPLAINT_ANSWER_DAYS": settings.COMPLAINT_ANSWER_DAYS},
        status=400 if form.errors else 200)


def _own_complaint(request, pk) -> Complaint:
    try:
        return complaint_selectors.complaint_for_citizen(request.user, pk)
    except Http404:
        access_denied(request, object_type="complaint", object_id=pk)
        raise


@citizen_required
def complaint_detail(request, pk):
    complaint = _own_complaint(request, pk)
    return render(request, "citizen/complaints/detail.html", {
        "complaint": complaint, "verdict_form": _verdict_form(complaint),
        "verdict_url": reverse("complaints:verdict", args=[pk])})


@require_POST
@citizen_required
def complaint_verdict(request, pk):
    complaint = _own_complaint(request, pk)
    return _verdict(request, complaint, actor=request.user, back=reverse("complaints:detail", args=[pk]),
                    verdict_url=reverse("complaints:verdict", args=[pk]))


def _verdict(request, complaint, *, actor, back: str, verdict_url: str):
    form = _verdict_form(complaint, request.POST)
    if form is None:
        messages.error(request, _("You have already given your verdict on this answer."))
        return redirect(back)
    if form.is_valid():
        try:
            complaints.complaint_verdict(complaint_id=complaint.pk, actor=actor, satisfied=form.cleaned_data["satisfied"],
                                         reason=form.cleaned_data["reason"], ip=client_ip(request))
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return redirect(back)
        else:
            messages.success(request, _("Thank you: your verdict was recorded."))
            return redirect(back)
    return render(request, "citizen/complaints/detail.html", {
        "complaint": complaint, "verdict_form": form, "verdict_url": verdict_url}, status=400)


# --- The public ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def public_new(request):
    """A complaint without signing in (never about an application). Over a rate limit: the 429
    page and nothing kept or sent."""
    if request.user.is_authenticated and getattr(request.user, "is_citizen", False):
        return redirect("complaints:new")
    form = PublicComplaintForm(request.POST or None, departments=_departments())
    if request.method == "POST" and form.is_valid():
        if form_limited(request, "complaint", form.cleaned_data["email"]):
            return too_many_sent(request, "complaint")
        try:
            complaints.complaint_file_public(name=form.cleaned_data["name"], email=form.cleaned_data["email"],
                                             grounds=form.grounds(), language=get_language(), ip=client_ip(request))
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("complaints:public_sent")
    return render(request, "citizen/complaints/public_new.html", {
        "form": form, "COMPLAINT_ANSWER_DAYS": settings.COMPLAINT_ANSWER_DAYS}, status=400 if form.errors else 200)


def public_sent(request):
    return render(request, "citizen/complaints/public_sent.html",
                  {"COMPLAINT_CONFIRM_HOURS": settings.COMPLAINT_CONFIRM_HOURS})


def _link_problem(request, message: str, status: int):
    return render(request, "citizen/complaints/link_problem.html", {"message": message}, status=status)


@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """The confirmation link: a page with one button (mail scanners that open links confirm nothing)."""
    if request.method == "GET":
        return render(request, "citizen/complaints/confirm.html", {"token": token})
    try:
        complaint = complaints.complaint_confirm(token=token, ip=client_ip(request))
    except LinkExpired:
        return _link_problem(request, _("This confirmation link has expired, and the complaint was not sent. "
                                        "Please write it again."), 400)
    except LinkInvalid:
        return _link_problem(request, _("This confirmation link is not valid. Copy the whole link from the mail, "
                                        "or write your complaint again."), 404)
    except WorkflowError as exc:
        return _link_problem(request, exc.message, 409)
    messages.success(request, _("Your complaint %(ref)s was received. %(name)s handles it. We sent you a mail with "
                                "the link to this page.") % {"ref": complaint.reference,
                                                             "name": complaint.handler.get_full_name()})
    return redirect("complaints:follow", token=follow_token(complaint.pk))


def _followed(request, token) -> Complaint:
    try:
        return complaint_selectors.complaint_for_follower(followed_complaint_id(token))
    except (LinkInvalid, Http404):
        raise Http404 from None


def follow(request, token):
    complaint = _followed(request, token)
    return render(request, "citizen/complaints/detail.html", {
        "complaint": complaint, "verdict_form": _verdict_form(complaint), "public": True,
        "verdict_url": reverse("complaints:follow_verdict", args=[token])})


@require_POST
def follow_verdict(request, token):
    complaint = _followed(request, token)
    return _verdict(request, complaint, actor=None, back=reverse("complaints:follow", args=[token]),
                    verdict_url=reverse("complaints:follow_verdict", args=[token]))
