"""Citizen pages: start, fill the combined form section by section, check and submit, follow,
correct, withdraw. Each view validates, calls one workflow function, and renders or redirects."""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from approvals import (
    appointment_selectors,
    bundle_selectors,
    consultation,
    evidence,
    payment_selectors,
    receipts,
    register_values,
    selectors,
    workflow,
)
from approvals.access import may_withdraw
from approvals.answers import answer_sections, asked_pages, first_incomplete_step, section_of, summary_errors
from approvals.applicable import application_not_needed, not_needed
from approvals.attachments import CopyUnavailable, disarmed_copy
from approvals.complaint_selectors import complaints_about_application, complaints_for_citizen
from approvals.evidence import CertificateRefused
from approvals.follow_ons import amendment_changes, applied_for, asked_again, carried_document_keys
from approvals.models import Application, ApplicationStatus, Attachment, ReviewStatus
from approvals.permit_life import amendable, renewable
from approvals.prefill import prefill_answers
from approvals.sla import local_today
from audit.services import access_denied, client_ip, page_denied
from catalogue.models import Service
from catalogue.selectors import issuing_services
from core.errors import InvalidTransition, ValidationFailed, WorkflowError
from core.forms import apply_errors, mark_read
from core.i18n import translated
from payments.models import PaymentOrderStatus

from .forms import MessageForm, RatingForm, SchemaForm
from .rectification_panel import rectification_context, with_rectifications

# "My applications", in the order the citizen should look at them.
GROUPS = (
    ("action", (ApplicationStatus.NEEDS_CORRECTION, ApplicationStatus.AWAITING_PAYMENT)),
    ("drafts", (ApplicationStatus.DRAFT,)),
    ("review", (ApplicationStatus.IN_REVIEW, ApplicationStatus.APPROVED)),
    ("finished", (ApplicationStatus.ISSUED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN)),
)


def group_titles() -> dict[str, str]:
    return {"action": _("Needs your action"), "drafts": _("Drafts"), "review": _("In review"), "finished": _("Finished")}


def citizen_required(view):
    """Signed-in citizens only; staff accounts do not apply for themselves (a 404, on record)."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_citizen:
            staff_refused(request)
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


def staff_refused(request) -> None:
    """A member of staff asked for a citizen's page: on record before the 404."""
    page_denied(request, reason="citizen_only")


def own_application(request, pk: int) -> Application:
    """The signed-in citizen's application; anyone else's is a 404, and the attempt is logged."""
    try:
        return selectors.application_for_citizen(request.user, pk)
    except Http404:
        access_denied(request, object_type="application", object_id=pk)
        raise


def own_attachment(request, application, attachment_id: int) -> Attachment:
    try:
        return application.attachments.get(pk=attachment_id)
    except Attachment.DoesNotExist:
        access_denied(request, object_type="attachment", object_id=attachment_id)
        raise Http404


def _documents(application) -> set[str]:
    """The document questions of a draft a file or a chosen certificate answers (those a renewal
    or an amendment carries included)."""
    return ({a.field_key for a in application.attachments.all()} | set(evidence.evidence_answered(application))
            | carried_document_keys(application))


def _pages(application, documents) -> list:
    """The draft's pages that ask something (approvals.answers.asked_pages)."""
    return asked_pages(application.schema, application.answers, documents, asks=asked_again(application))


def _form_steps(application, pages, current: int | str) -> list[dict]:
    """The step indicator: one step per page of the form that asks something (``pages``:
    approvals.answers.asked_pages), then "Check your answers"; numbered as shown, each page
    keeping its number in the form in its address."""
    steps = [{"number": shown, "title": title or translated(application.service.name),
              "url": reverse("approvals:edit", args=[application.pk, n]), "current": n == current}
             for shown, (n, title, _specs) in enumerate(pages, start=1)]
    steps.append({"number": len(pages) + 1, "title": _("Check your answers"),
                  "url": reverse("approvals:check", args=[application.pk]), "current": current == "check"})
    return steps


# --- Start and the combined form ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@citizen_required
def start(request, slug):
    """Start an application, or offer the draft the citizen already has of this service."""
    service = get_object_or_404(Service.objects.select_related("current_version"), slug=slug)
    if request.method == "GET":
        # The offer of existing drafts; without any (or after signing in from the service
        # page), back to its "Start" button.
        drafts = selectors.drafts_for_citizen(request.user, service)
        if not drafts:
            return redirect("service_detail", slug=slug)
        return render(request, "approvals/start_offer.html", {"service": service, "drafts": drafts})
    try:
        application, outcome = workflow.application_start_once(
            applicant=request.user, service=service,
            answers=prefill_answers(applicant=request.user, service=service, given=request.POST),
            another=request.POST.get("another") == "1", ip=client_ip(request))
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return redirect("service_detail", slug=slug)
    if outcome == workflow.StartOutcome.EXISTING:
        return redirect("approvals:start", slug=slug)
    if outcome == workflow.StartOutcome.REPEATED:
        return redirect("approvals:resume", pk=application.pk)
    if application.answers:
        count = len(application.answers)
        messages.info(request, ngettext(
            "We filled in %(count)d answer from your profile and your last application. Check it and change it if needed.",
            "We filled in %(count)d answers from your profile and your last application. Check them and change any "
            "that are out of date.", count) % {"count": count})
    return redirect("approvals:edit", pk=application.pk, step=1)


@citizen_required
def resume(request, pk):
    """Continue a draft where it needs answers: the first page with a missing or invalid answer,
    or "check your answers" when nothing is missing."""
    application = own_application(request, pk)
    if application.status != ApplicationStatus.DRAFT:
        return redirect("approvals:detail", pk=pk)
    keys = {a.field_key for a in application.attachments.all()} | carried_document_keys(application)
    keys |= set(evidence.answering(application, request.user, keys))
    step = first_incomplete_step(application.schema, application.answers, keys)
    if step is None:
        return redirect("approvals:check", pk=pk)
    return redirect("approvals:edit", pk=pk, step=step)


def send_whole(request, form, save, *, gone: str):
    """Send a page whole or not at all: ``save(check_only=…)`` checks every answer and every file
    either way, so each problem is reported at once (on ``form``); nothing is stored when the
    form itself found a problem. Returns a redirect (to ``gone``) when the application can no
    longer take it. The single form's and the bundle form's."""
    form_ok = form.is_valid()
    try:
        save(check_only=not form_ok)
    except CertificateRefused as exc:
        # A certificate that is not the citizen's (someone else's, or none at all): on record.
        for _key, sent in exc.refused:
            access_denied(request, object_type="certificate", object_id=sent, reason="not_holder")
        apply_errors(form, {k: v for k, v in exc.errors.items() if form_ok or k not in form.errors})
    except ValidationFailed as exc:
        apply_errors(form, {k: v for k, v in exc.errors.items() if form_ok or k not in form.errors})
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return redirect(gone)
    return None


def save_page_whole(request, form, save_page, *, gone: str, **draft):
    """Save a form page whole (send_whole) through ``save_page``: the single form's
    application_save_page, or the bundle form's bundle_save_page (``draft``: which one)."""
    return send_whole(request, form, lambda check_only: save_page(
        actor=request.user, data=form.answer_data(), uploads=form.uploads(), certificates=form.certificate_choices(),
        check_only=check_only, ip=client_ip(request), **draft), gone=gone)


@require_http_methods(["GET", "POST"])
@citizen_required
def edit(request, pk, step):
    application = own_application(request, pk)
    if application.bundle_application_id and application.status == ApplicationStatus.DRAFT:
        return redirect("bundles:edit", pk=application.bundle_application_id, step=1)  # asked once, with the others
    if application.status != ApplicationStatus.DRAFT:
        if application.submitted_at:
            messages.info(request, _("This application has been submitted. You can change it only if a department asks "
                                     "you to correct something."))
        return redirect("approvals:detail", pk=pk)
    if not 1 <= step <= len(application.schema.sections()):
        raise Http404
    back_to_check = request.GET.get("return") == "check"
    pages = _pages(application, _documents(application))
    page = next((p for p in pages if p[0] == step), None)
    if page is None:  # nothing on this page is asked given the answers so far: on to the next
        return _next_page(application, pages, step, back_to_check)
    _number, title, specs = page
    states = register_values.register_states(application, request.user)
    form = SchemaForm(request.POST or None, request.FILES or None, specs=specs, answers=application.answers,
                      register_states=states, offers=evidence.offers(application, request.user, specs))
    if request.method == "POST":
        refused = save_page_whole(request, form, workflow.application_save_page,
                                  gone=reverse("approvals:detail", args=[pk]), application_id=pk)
        if refused:
            return refused
        if not form.errors:
            if registers_after_save(request, application, specs):
                url = reverse("approvals:edit", args=[pk, step])
                return redirect(url + ("?return=check" if back_to_check else ""))
            if "save_later" in request.POST:
                messages.success(request, _("Your answers are saved. Continue your application from “My applications” "
                                            "whenever you are ready."))
                return redirect("approvals:my_applications")
            application.refresh_from_db(fields=["answers"])
            documents = _documents(application)
            if back_to_check:  # a changed answer may ask new questions: those first
                missing = first_incomplete_step(application.schema, application.answers, documents)
                if missing is not None and missing > step:
                    return redirect(reverse("approvals:edit", args=[pk, missing]) + "?return=check")
                return redirect("approvals:check", pk=pk)
            return _next_page(application, _pages(application, documents), step)
    shown = [n for n, _title, _specs in pages]
    if earlier := [n for n in shown if n < step]:
        back_url = reverse("approvals:edit", args=[pk, earlier[-1]])
    else:
        back_url = reverse("service_detail", args=[application.service.slug])
    return render(request, "approvals/edit.html", {
        "application": application, "form": form,
        "rows": form.rows(application.attachments.all(), issuing_services(specs)),
        "section_title": title or translated(application.service.name), "step": shown.index(step) + 1,
        "steps": _form_steps(application, pages, step), "step_count": len(pages) + 1,
        "back_url": reverse("approvals:check", args=[pk]) if back_to_check else back_url,
        "files_chosen": bool(form.file_keys and form.errors and request.FILES),
    }, status=400 if form.errors else 200)


def _next_page(application, pages, step: int, back_to_check: bool = False):
    """The first page after ``step`` that asks something, or "check your answers"."""
    later = [n for n, _title, _specs in pages if n > step]
    if later and not back_to_check:
        return redirect("approvals:edit", pk=application.pk, step=later[0])
    return redirect("approvals:check", pk=application.pk)


def registers_after_save(request, application, specs) -> bool:
    """After a page was saved: the citizen's answers to "may we ask the register?", a value they
    report wrong, then the lookups now possible (or asked again). True when the page must be shown
    again: something on it was taken from a register, or changed how it is asked."""
    groups = register_values.register_groups(application.schema)
    if not groups:
        return False
    pk, ip, on_page = application.pk, client_ip(request), {spec["key"] for spec in specs}
    again = False
    for group in groups:
        answer = request.POST.get(f"register_consent_{group.register}")
        if group.consent_required and answer in ("yes", "no"):
            register_values.application_register_consent(application_id=pk, actor=request.user, register=group.register,
                                                          agreed=answer == "yes", ip=ip)
            again = True
    if report := request.POST.get("register_report"):
        if report in on_page:
            register_values.application_register_report(application_id=pk, actor=request.user, field_key=report, ip=ip)
            messages.info(request, _("Type the answer as it should be. The department will see that it was not taken "
                                     "from the register."))
            again = True
    retry = request.POST.get("register_retry", "")
    asked = register_values.application_register_lookup(application_id=pk, actor=request.user, ip=ip,
                                                         retry=[retry] if retry else [])
    for state in asked:
        if not any(spec["key"] in on_page for spec in state.group.fields):
            continue
        again = True
        if state.found:
            messages.success(request, _("We took these details from %(register)s. Check them; if one is wrong, say so "
                                        "and type it yourself.") % {"register": state.group.in_a_message})
    return again or bool(retry)


@require_POST
@citizen_required
def attachment_remove(request, pk, attachment_id):
    application = own_application(request, pk)
    item = own_attachment(request, application, attachment_id)
    try:
        workflow.application_remove_attachment(attachment_id=item.pk, actor=request.user, ip=client_ip(request))
    except ValidationFailed as exc:
        messages.error(request, " ".join(str(m) for errors in exc.errors.values() for m in errors))
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(name)s” was removed.") % {"name": item.original_name})
    if application.status == ApplicationStatus.DRAFT:
        return redirect("approvals:edit", pk=pk, step=section_of(application.schema, item.field_key) or 1)
    if application.status == ApplicationStatus.NEEDS_CORRECTION:
        return redirect("approvals:correct", pk=pk)
    return redirect("approvals:detail", pk=pk)


@require_http_methods(["GET", "POST"])
@citizen_required
def check(request, pk):
    application = own_application(request, pk)
    if application.bundle_application_id and application.status == ApplicationStatus.DRAFT:
        return redirect("bundles:check", pk=application.bundle_application_id)
    if application.status != ApplicationStatus.DRAFT:
        # A replayed or double-clicked submit lands on the confirmation, not on an error.
        if request.method == "POST" and application.submitted_at:
            return redirect("approvals:submitted", pk=pk)
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
            except InvalidTransition as exc:
                # Submitted by a concurrent request (a double click): same outcome as ours.
                application = own_application(request, pk)
                if application.submitted_at:
                    return redirect("approvals:submitted", pk=pk)
                messages.error(request, exc.message)
                return redirect("approvals:detail", pk=pk)
            except WorkflowError as exc:
                messages.error(request, exc.message)
                return redirect("approvals:detail", pk=pk)
            else:
                return redirect("approvals:submitted", pk=pk)
    attachments = list(application.attachments.all())
    certificates = evidence.answering(application, request.user, {a.field_key for a in attachments})
    documents = {a.field_key for a in attachments} | set(certificates) | carried_document_keys(application)
    sections = answer_sections(application.schema, application.answers, attachments, errors, certificates)
    field_errors = summary_errors(sections)
    taken = register_values.register_summary(application, request.user, sections)
    pages = _pages(application, documents)
    return render(request, "approvals/check.html", {
        "application": application, "sections": sections, "errors": errors, "field_errors": field_errors,
        "fee": payment_selectors.fee_for_answers(application),
        "registers_taken": taken["taken"], "registers_typed": taken["typed"], "registers_waiting": taken["waiting"],
        "declaration_error": errors.get("declaration"), "steps": _form_steps(application, pages, "check"),
        "step_count": len(pages) + 1, "back_url": reverse("approvals:edit", args=[pk, pages[-1][0] if pages else 1]),
        "not_needed": not_needed(application.schema, application.answers, documents),
        "carried_from": application.follows.number if application.follows_id else "",
        "asked_again": {key for _n, _title, specs in pages for key in (spec["key"] for spec in specs)},
        **(_amendment_context(application, documents) if application.amends_id else {}),
    }, status=400 if errors else 200)


def _amendment_context(application, documents) -> dict:
    """What an amendment's check page says: the answers it changes, and who reviews them (none:
    recorded at submission)."""
    own_files = {a.field_key for a in application.attachments.all()}
    return {
        "amendment": True,
        "changed": amendment_changes(application, application.answers, own_files),
        "reviewed_by": [translated(r["department_name"]) for r in applied_for(
            application, application.answers, documents, own_files).reviews],
    }


@citizen_required
def submitted(request, pk):
    application = own_application(request, pk)
    if application.status == ApplicationStatus.DRAFT:
        return redirect("approvals:check", pk=pk)
    plan = receipts.stage_plan(application)
    return render(request, "approvals/submitted.html", {
        "application": application, "stages": plan, "not_needed": application_not_needed(application),
        "expected_by": plan[0].expected_by if plan else None, "final_expected_by": plan[-1].expected_by if plan else None,
    })


@citizen_required
def receipt(request, pk):
    """The PDF receipt of a submitted application, for its applicant only."""
    application = own_application(request, pk)
    if application.submitted_at is None:
        raise Http404
    pdf = receipts.render_receipt_pdf(application)
    return FileResponse(io.BytesIO(pdf), as_attachment=True, filename=f"{application.reference}-receipt.pdf",
                        content_type="application/pdf")


# --- Following an application -----------------------------------------------------------------


@citizen_required
def my_applications(request):
    applications = sorted(selectors.applications_for_citizen(request.user).filter(bundle_application__isnull=True),
                          key=lambda a: a.updated_at, reverse=True)  # a bundle's permits are listed under it
    with_rectifications(applications, request.user)
    titles = group_titles()
    groups = []
    for name, statuses in GROUPS:
        items = [a for a in applications if a.status in statuses]
        if items:
            groups.append({"name": name, "title": titles[name], "applications": items})
    return render(request, "approvals/my_applications.html", {
        "groups": groups, "applications": applications, "bundles": bundle_selectors.bundles_for_citizen(request.user),
        "complaints": complaints_for_citizen(request.user), "today": local_today()})


def feedback_context(application, user) -> dict:
    """What templates/approvals/includes/thread.html and rating.html need, for the application
    page to merge into its context: {"threads", "unread_up_to", "rating", "message_form", "rating_form"}.
    ``unread_up_to`` is the newest message not read yet (None: nothing new), ``message_form`` is None
    on a draft and ``rating_form`` None unless the applicant can rate now."""
    if application.applicant_id != getattr(user, "pk", None):
        raise Http404
    threads = selectors.message_threads_for_citizen(application) if application.submitted_at else []
    rating = selectors.rating_for(application)
    departments = [(t.department.pk, t.department.display_name) for t in threads]
    return {
        "threads": threads,
        "unread_up_to": max((t.newest_unread for t in threads if t.newest_unread), default=None),
        "rating": rating,
        "message_form": MessageForm(departments=departments) if departments else None,
        "rating_form": RatingForm() if selectors.can_rate(application, rating) else None,
    }


def detail_context(request, application) -> dict:
    """Everything the application page shows. Further panels add their own keys."""
    reviews = list(application.reviews.all())
    schema = application.schema
    attachments = list(application.attachments.all())
    certificates = {k: row.certificate for k, row in evidence.chosen_of(application).items()}
    labels = {spec["key"]: spec.get("label") for spec in schema.fields}
    corrections = [
        {"review": r, "fields": [labels.get(k) or k for k in r.correction_fields]}
        for r in reviews if r.status == ReviewStatus.CORRECTION_REQUESTED
    ]
    return {
        "application": application,
        "reviews": reviews,
        "progress": selectors.application_progress(application),
        "permit": (permit := bundle_selectors.permit_of(application)),
        "permit_renewable": bool(permit) and renewable(permit, application.service, local_today()),
        "permit_amendable": bool(permit) and amendable(permit, application.service, local_today()),
        "correction_requests": corrections,
        "notifications": selectors.notifications_for_application(request.user, application),
        "sections": answer_sections(schema, application.answers, attachments, certificates=certificates),
        "not_needed": application_not_needed(application) if application.submitted_at else [],
        "can_withdraw": may_withdraw(application),
        "told": selectors.filings_for_citizen(application),
        "complaints": complaints_about_application(application) if application.submitted_at else [],
        "fee": payment_selectors.fee_of(application) if application.submitted_at else None,
    }


@citizen_required
def detail(request, pk):
    application = own_application(request, pk)
    context = detail_context(request, application)
    context.update(feedback_context(application, request.user))
    context.update(rectification_context(application, request.user))
    context["advice"] = appointment_selectors.application_advice(application.pk)
    context["advice_open"] = any(a.is_open for a in context["advice"])
    context["today"] = local_today()
    return render(request, "approvals/detail.html", context)


@citizen_required
def payment_order(request, pk):
    """The payment order of a submitted application (printable): its code, QR code and items."""
    application = own_application(request, pk)
    fee = payment_selectors.fee_of(application)
    if fee is None:
        raise Http404
    return render(request, "approvals/payment_order.html", {
        "application": application, "fee": fee, "order": fee.order,
        "qr": payment_selectors.payment_qr(fee.order) if fee.order.status == PaymentOrderStatus.OPEN else None,
        "payment_uri": payment_selectors.payment_uri(fee.order),
    })


@require_POST
@citizen_required
def messages_read(request, pk):
    """The applicant read the departments' messages the application page showed them."""
    own_application(request, pk)
    return mark_read(request, lambda up_to: consultation.thread_mark_read_by_citizen(
        application_id=pk, actor=request.user, up_to=up_to), back=reverse("approvals:detail", args=[pk]) + "#messages")


@require_http_methods(["GET", "POST"])
@citizen_required
def correct(request, pk):
    application = own_application(request, pk)
    if application.status != ApplicationStatus.NEEDS_CORRECTION:
        return redirect("approvals:detail", pk=pk)
    schema = application.schema
    requests_ = [r for r in application.reviews.all() if r.status == ReviewStatus.CORRECTION_REQUESTED]
    requested = {k for r in requests_ for k in r.correction_fields}
    keys = requested

    def form_of(keys):
        specs = [s for s in schema.fields if s["key"] in keys]
        return specs, SchemaForm(request.POST or None, request.FILES or None, specs=specs, answers=application.answers,
                                 offers=evidence.offers(application, request.user, specs))

    specs, form = form_of(keys)
    while request.method == "POST":  # the questions the answers sent newly ask are asked here too
        wider = workflow.correction_keys(application, application.reviews.all(), form.answer_data(),
                                         {key for key, _file in form.uploads()})
        if wider <= keys:
            break
        keys = keys | wider
        specs, form = form_of(keys)
    if request.method == "POST":
        refused = send_whole(request, form, lambda check_only: workflow.application_resubmit(
            application_id=pk, actor=request.user, data=form.answer_data(), uploads=form.uploads(),
            certificates=form.certificate_choices(), ip=client_ip(request), check_only=check_only),
            gone=reverse("approvals:detail", args=[pk]))
        if refused:
            return refused
        if not form.errors:
            messages.success(request, _("Your corrections were sent to the departments."))
            return redirect("approvals:detail", pk=pk)
    labels = {spec["key"]: spec.get("label") for spec in schema.fields}
    return render(request, "approvals/correct.html", {
        "application": application, "form": form,
        "rows": form.rows(application.attachments.all(), issuing_services(specs)),
        "requests": [{"review": r, "fields": [labels.get(k) or k for k in r.correction_fields]} for r in requests_],
        "new_questions": [labels.get(s["key"]) or s["key"] for s in specs if s["key"] not in requested],
        "files_chosen": bool(form.file_keys and form.errors and request.FILES),
    }, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@citizen_required
def withdraw(request, pk):
    application = own_application(request, pk)
    if not may_withdraw(application):
        return redirect("approvals:detail", pk=pk)
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
    application = own_application(request, pk)
    item = own_attachment(request, application, attachment_id)
    try:  # the same disarmed copy the departments are given
        copy = disarmed_copy(item)
    except CopyUnavailable as unavailable:
        messages.error(request, unavailable.message)
        return redirect("approvals:detail", pk=pk)
    return FileResponse(copy, as_attachment=True, filename=item.original_name, content_type=item.content_type)


@login_required
def notifications(request):
    """Everyone's in-app notifications, the new ones marked; reading them is a post of its own."""
    items = list(selectors.notifications_for(request.user, limit=50))
    unread_up_to = max((n.pk for n in items if n.read_at is None), default=None)
    return render(request, "approvals/notifications.html", {"notifications": items, "unread_up_to": unread_up_to})


@require_POST
@login_required
def notifications_read(request):
    """The notifications page was read, up to the newest one it showed."""
    return mark_read(request, lambda up_to: workflow.notifications_mark_read(user=request.user, up_to=up_to),
                     back=reverse("approvals:notifications"))
