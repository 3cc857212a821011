"""The officer workspace: the review page with its decision, internal notes, extensions, and sharing
an application with another department for an opinion."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.redirects import safe_next as site_address
from approvals import consultation, notes, opinions, sharing, workflow
from approvals.access import may_claim, may_decide, may_release
from approvals.appointment_selectors import application_advice
from approvals.attachments import CopyUnavailable, disarmed_copy, original_for_record
from approvals.events import engine_event
from approvals.evidence import lapse_reason
from approvals.models import ApplicationShare, Attachment, MessageSide, Review
from approvals.need_to_know import department_attachment, department_evidence, need_to_know
from approvals.selectors import department_thread
from approvals.sla import local_today
from audit.models import Action
from audit.services import access_denied, access_record, client_ip
from certificates.models import CertificateState
from core.errors import NotAllowed, ValidationFailed, WorkflowError
from core.forms import apply_errors, mark_read
from core.i18n import translated
from departments.access import department_members
from departments.models import MembershipRole

from . import selectors
from .forms import ExtendForm, NoteForm, OpinionForm, ShareForm
from .review_forms import DecisionForm, ReplyForm


def staff_required(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_department_staff:
            access_denied(request, object_type="url", object_id=request.path[:40])
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


def _viewed(request, review, action, obj=None, purpose="review", department_code=None):
    access_record(engine_event(action, review.application, obj=obj or review, actor=request.user, ip=client_ip(request),
                               department_code=department_code or review.department.code, purpose=purpose))


def found_or_denied(request, object_type: str, pk, lookup):
    """``lookup(user, pk)``; its 404 (another department's object) is on record first."""
    try:
        return lookup(request.user, pk)
    except Http404:
        access_denied(request, object_type=object_type, object_id=pk)
        raise


def _review(request, pk):
    """The review and the user's role in its department; another department's review is a 404,
    and the attempt is on record."""
    return found_or_denied(request, "review", pk, selectors.review_for_officer)


def _supervisor_only(request, role, object_type, object_id):
    if role != MembershipRole.SUPERVISOR:
        access_denied(request, object_type=object_type, object_id=object_id)
        raise PermissionDenied


def _decision_form(review, data=None, reasons=None):
    """The decision form; ``reasons``: the department's standard reasons, when already read."""
    if reasons is None:
        reasons = selectors.standard_reasons(review.department_id)
    schema = review.application.schema
    choices = [(k, translated(schema.fields_by_key[k]["label"]) or k) for k in schema.department_fields(review.department.code)]
    return DecisionForm(data, field_choices=choices, reason_choices=[(r.pk, r.display_text) for r in reasons],
                        initial={"version": review.version})


@staff_required
def review_page(request, pk):
    review, role = _review(request, pk)
    _viewed(request, review, Action.REVIEW_VIEWED, purpose="review")
    return _render_review(request, review, role, _decision_form(review))


@require_POST
@staff_required
def messages_read(request, pk):
    """The department read the applicant's messages the review page showed."""
    _review(request, pk)
    return mark_read(request, lambda up_to: consultation.thread_mark_read_by_department(
        review_id=pk, actor=request.user, up_to=up_to), back=reverse("departments:review", args=[pk]) + "#messages")


@require_POST
@staff_required
def claim(request, pk):
    return _act(request, pk, workflow.review_claim, _("You hold this review now."))


@require_POST
@staff_required
def release(request, pk):
    return _act(request, pk, workflow.review_release, _("The review is back in the queue."))


def safe_next(request, default: str) -> str:
    """The ``next`` page a form names when it is an address of ours (queue rows send the queue
    page they were on; accounts.redirects decides), else ``default``."""
    return site_address(request, request.POST.get("next")) or default


def _act(request, pk, action, success):
    """Claim or release, from the review page or a queue row; back to ``next`` or the review."""
    _review(request, pk)
    try:
        action(review_id=pk, actor=request.user, ip=client_ip(request))
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect(safe_next(request, reverse("departments:review", args=[pk])))


# Final decisions are checked on a confirmation step before they are recorded; a correction
# request, which the applicant answers and the review comes back from, is recorded at once.
CONFIRMED_DECISIONS = ("approve", "reject")


@require_POST
@staff_required
def decide(request, pk):
    """Approve or reject: the first post shows what will be recorded, a second post with
    ``confirm`` records it, one with ``edit`` goes back to the form with the entered text."""
    review, role = _review(request, pk)
    reasons = list(selectors.standard_reasons(review.department_id))  # the form's choices and the recorded text
    form = _decision_form(review, request.POST, reasons)
    if "edit" in request.POST:
        return _render_review(request, review, role, form)
    if form.is_valid():
        data = form.cleaned_data
        language = review.application.applicant.language
        standard = {r.pk: translated(r.text, language) for r in reasons}
        reason = form.reason_text(standard)  # in the applicant's language, as recorded
        try:
            if data["decision"] in CONFIRMED_DECISIONS and "confirm" not in request.POST:
                workflow.review_decision_check(decision=data["decision"], reason=reason)
                return _confirm(request, review, form, reason)
            workflow.review_decide(
                review_id=pk, actor=request.user, decision=data["decision"], conditions=data["conditions"],
                reason=reason, correction_fields=data["correction_fields"],
                message=data["message"], expected_version=data["version"], ip=client_ip(request),
            )
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        except WorkflowError as exc:
            messages.error(request, _("Your decision was not recorded. %(why)s") % {"why": exc.message})
            return redirect("departments:review", pk=pk)
        else:
            messages.success(request, _("Decision recorded."))
            return redirect("departments:queue")
    return _render_review(request, review, role, form, status=400)


def _confirm(request, review, form, reason: str):
    """The decision as it will be recorded, with a button to record it and one back to the form
    (both post the entered values again)."""
    decision = form.cleaned_data["decision"]
    return render(request, "departments/decide_confirm.html", {
        "review": review, "application": review.application, "form": form,
        "decision": dict(form.fields["decision"].choices)[decision],
        "conditions": form.cleaned_data["conditions"].strip() if decision == "approve" else None,
        "reason": reason if decision == "reject" else None,
    })


def _render_review(request, review, role, form, status=200, reply_form=None, note_form=None, extend_form=None,
                   share_form=None):
    supervisor = role == MembershipRole.SUPERVISOR
    history, history_earlier = selectors.recent_history(review, everything=request.GET.get("history") == "all")
    thread = department_thread(review)
    view = need_to_know(review)
    deciding = may_decide(review, actor_id=request.user.pk, role=role)
    context = {
        "review": review, "role": role, "is_supervisor": supervisor, "application": review.application, "form": form,
        "thread": thread, "reply_form": reply_form or ReplyForm(),
        "unread_up_to": max((m.pk for m in thread if m.side == MessageSide.CITIZEN and m.read_by_department_at is None),
                            default=None),
        "notes": selectors.internal_notes(review), "note_form": note_form or NoteForm(),
        "history": history, "history_rows": selectors.history_rows(review, history), "history_earlier": history_earlier,
        **view,
        "evidence_requests": _evidence_requests(review, view["rows"]) if deciding else {},
        "may_claim": may_claim(review, role=role),
        "may_release": may_release(review, actor_id=request.user.pk, role=role),
        "may_decide": deciding,
    }
    # Every member of the department sees whom it asked for an opinion and what they answered.
    context["shares"], context["today"] = opinions.asked_opinions(review), local_today()
    # The written advice departments gave on the draft before it was submitted.
    context["advice"] = [a for a in application_advice(review.application_id) if a.answered_at]
    if supervisor:
        if review.is_open:
            context["assign_members"] = department_members([review.department_id])
        if review.is_open and review.due_date:
            context["extend_form"] = extend_form or ExtendForm()
        context["share_form"] = share_form or _share_form(review)
    return render(request, "departments/review.html", context, status=status)


def _evidence_requests(review, rows) -> dict[str, str]:
    """For each certificate relied on that is no longer valid, the correction request the officer
    may send as it stands: in the applicant's language, saying what happened to it."""
    today = local_today()
    lapsed = [row["evidence"] for row in rows if row.get("evidence")
              and row["evidence"].certificate.state(today) != CertificateState.VALID]
    if not lapsed:
        return {}
    with translation.override(review.application.applicant.language):
        return {evidence.field_key: _(
            "Your %(type)s %(number)s is no longer valid: %(reason)s. Please give a current one: choose a valid "
            "certificate you hold, or upload the document.") % {
            "type": translated(evidence.certificate.type.name), "number": evidence.certificate.number,
            "reason": lapse_reason(evidence.certificate, today)} for evidence in lapsed}


@staff_required
def certificate(request, pk, field_key):
    """The live status of a certificate a department system issued, relied on for one of the
    documents the review's department sees (a portal permit's is its public verification page).
    Opening it is part of viewing the review, on record as such."""
    review, _role = _review(request, pk)
    evidence = department_evidence(review, field_key)
    if evidence is None:
        access_denied(request, object_type="certificate", object_id=field_key)
        raise Http404
    _viewed(request, review, Action.REVIEW_VIEWED, purpose="review")
    return render(request, "departments/certificate.html", {
        "review": review, "application": review.application, "evidence": evidence, "certificate": evidence.certificate,
    })


def _share_form(review, data=None):
    return ShareForm(data, departments=[(d.pk, d.display_name) for d in selectors.share_targets(review)])


def _post_on_review(request, review, role, form, *, form_name: str, action, success: str, anchor: str = ""):
    """A form posted from the review page: run ``action(cleaned_data)``, then back to the page
    (at ``anchor``) with ``success``; invalid input re-renders the page with the form's errors."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return redirect("departments:review", pk=review.pk)
        else:
            messages.success(request, success)
            return redirect(f"{reverse('departments:review', args=[review.pk])}{'#' + anchor if anchor else ''}")
    return _render_review(request, review, role, _decision_form(review), status=400, **{form_name: form})


@require_POST
@staff_required
def message(request, pk):
    """Write to the applicant in this department's thread; another department's review is a 404."""
    review, role = _review(request, pk)
    def send(data):
        try:
            consultation.message_send_by_department(review_id=pk, actor=request.user, body=data["body"],
                                                    ip=client_ip(request))
        except Review.DoesNotExist:
            raise Http404

    return _post_on_review(request, review, role, ReplyForm(request.POST), form_name="reply_form", action=send,
                           success=_("Your message was sent to the applicant."), anchor="messages")


@staff_required
def attachment(request, pk, attachment_id):
    review, _role = _review(request, pk)
    item = department_attachment(review, attachment_id)
    if item is None:
        access_denied(request, object_type="attachment", object_id=attachment_id)
        raise Http404
    return _serve_disarmed(request, review.application, item, purpose="download", department_code=review.department.code,
                           back=reverse("departments:review", args=[pk]))


def _serve_disarmed(request, application, item, *, purpose, department_code, back):
    """The disarmed copy of a file (a citizen's, or one given with an opinion), its download on
    record; back to ``back`` with a message when no safe copy can be made (the original is never
    the fallback)."""
    try:
        copy = disarmed_copy(item)
    except CopyUnavailable as unavailable:
        messages.error(request, unavailable.message)
        return redirect(back)
    access_record(engine_event(Action.ATTACHMENT_VIEWED, application, obj=item, actor=request.user,
                               ip=client_ip(request), department_code=department_code, purpose=purpose))
    return FileResponse(copy, as_attachment=True, filename=item.original_name, content_type=item.content_type)


@login_required
def attachment_original(request, attachment_id):
    """The file as the citizen uploaded it, kept for the record: for auditors and administrators
    only (anyone else gets a 404, on record), and every retrieval is audited."""
    item = Attachment.objects.select_related("application").filter(pk=attachment_id).first()
    return _original(request, item, item and item.application, "attachment", attachment_id)


@login_required
def opinion_file_original(request, file_id):
    """A file given with an opinion as it was uploaded, kept for the record: as a citizen's."""
    item = selectors.opinion_file_on_record(file_id)
    return _original(request, item, item and item.opinion.share.application, "opinionattachment", file_id)


def _original(request, item, application, object_type: str, object_id):
    if item is None or not request.user.may_read_audit_log:
        access_denied(request, object_type=object_type, object_id=object_id)
        raise Http404
    original = original_for_record(item)
    access_record(engine_event(Action.ATTACHMENT_VIEWED, application, obj=item, actor=request.user,
                               ip=client_ip(request), purpose="audit", copy="original"))
    return FileResponse(original, as_attachment=True, filename=item.original_name, content_type="application/octet-stream")


@require_POST
@staff_required
def note_add(request, pk):
    """An internal note, seen by the review's department only."""
    review, role = _review(request, pk)
    return _post_on_review(
        request, review, role, NoteForm(request.POST), form_name="note_form", success=_("Note added."), anchor="notes",
        action=lambda data: notes.note_add(review_id=pk, actor=request.user, body=data["body"]),
    )


@require_POST
@staff_required
def extend(request, pk):
    """A supervisor moves the due date, with a reason."""
    review, role = _review(request, pk)
    _supervisor_only(request, role, "review", pk)
    return _post_on_review(
        request, review, role, ExtendForm(request.POST), form_name="extend_form", success=_("The due date was extended."),
        action=lambda data: workflow.review_extend(review_id=pk, actor=request.user, due_date=data["due_date"],
                                                   reason=data["reason"], ip=client_ip(request)),
    )


@require_POST
@staff_required
def share(request, pk):
    """A supervisor shares the application with another department for an opinion."""
    review, role = _review(request, pk)
    _supervisor_only(request, role, "review", pk)
    return _post_on_review(
        request, review, role, _share_form(review, request.POST), form_name="share_form", anchor="sharing",
        success=_("The application is shared for an opinion."),
        action=lambda data: sharing.application_share(review_id=pk, actor=request.user, department_id=data["department"],
                                                      days=data["days"], reason=data["reason"], ip=client_ip(request)),
    )


@require_POST
@staff_required
def share_revoke(request, pk):
    """A supervisor of the asking department ends a share."""
    share = selectors.share_of_asking_department(request.user, pk)
    if share is None:
        access_denied(request, object_type="applicationshare", object_id=pk)
        raise Http404
    try:
        sharing.share_revoke(share_id=pk, actor=request.user, ip=client_ip(request))
    except NotAllowed:
        access_denied(request, object_type="applicationshare", object_id=pk)
        raise PermissionDenied
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The share was revoked."))
    return redirect(f"{reverse('departments:review', args=[share.review_id])}#sharing")


@staff_required
def shared(request):
    """Applications other departments shared with the user's departments for an opinion."""
    return render(request, "departments/shared.html", {"shares": selectors.shared_applications_for(request.user),
                                                        "today": local_today()})


def _share_for_opinion(request, pk):
    return found_or_denied(request, "applicationshare", pk, selectors.share_for_opinion)


@staff_required
def opinion(request, pk, *, opinion_form=None, status=200, files_chosen=False):
    """The asking department's need-to-know view, read-only, while the share is active, with
    the form for the opinion until one is given."""
    share = _share_for_opinion(request, pk)
    view = selectors.opinion_view(share)
    _viewed(request, view["review"], Action.APPLICATION_VIEWED, obj=share.application, purpose="opinion",
            department_code=share.department.code)
    given = selectors.opinion_of(share)
    return render(request, "departments/opinion.html", {
        "share": share, "application": share.application, "given": given, "today": local_today(),
        "opinion_form": None if given else opinion_form or OpinionForm(), "files_chosen": files_chosen, **view,
    }, status=status)


@require_POST
@staff_required
def opinion_give(request, pk):
    """A member of the department asked gives its opinion (final)."""
    share = _share_for_opinion(request, pk)
    form = OpinionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            opinions.opinion_give(share_id=share.pk, actor=request.user, ip=client_ip(request), **form.cleaned_data)
        except ApplicationShare.DoesNotExist:
            access_denied(request, object_type="applicationshare", object_id=pk)
            raise Http404
        except ValidationFailed as exc:
            apply_errors(form, exc.errors)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return redirect("departments:opinion", pk=pk)
        else:
            messages.success(request, _("Your department's opinion was given."))
            return redirect("departments:opinion", pk=pk)
    return opinion(request, pk, opinion_form=form, status=400, files_chosen=bool(request.FILES))


@staff_required
def opinion_attachment(request, pk, attachment_id):
    share = _share_for_opinion(request, pk)
    review = selectors.opinion_view(share)["review"]
    item = department_attachment(review, attachment_id)
    if item is None:
        access_denied(request, object_type="attachment", object_id=attachment_id)
        raise Http404
    return _serve_disarmed(request, review.application, item, purpose="opinion", department_code=share.department.code,
                           back=reverse("departments:opinion", args=[pk]))


@staff_required
def opinion_file(request, pk, file_id):
    """A file given with the opinion on share ``pk``: for every officer and supervisor of the
    asking department, and for the department asked while the share lasts (approvals.access);
    anyone else gets a 404, on record. Every download is on record."""
    found = selectors.opinion_file_for(request.user, pk, file_id)
    if found is None:
        access_denied(request, object_type="opinionattachment", object_id=file_id)
        raise Http404
    item, share, asking = found
    if asking:
        back = reverse("departments:review", args=[selectors.asking_review_id(share)]) + "#sharing"
    else:
        back = reverse("departments:opinion", args=[pk])
    department = share.from_department if asking else share.department
    return _serve_disarmed(request, share.application, item, purpose="opinion_file", department_code=department.code,
                           back=back)
