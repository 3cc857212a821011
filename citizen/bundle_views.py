"""One application for a life event (a catalogue bundle): its public page, start, the combined
form page by page asking only what applies, check and submit, and the page that follows it with
one reference and one timeline. Each view validates and calls one approvals.bundle_flow function."""

import io

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from approvals import bundle_flow, bundle_selectors, evidence, register_values, workflow
from approvals.answers import section_of, summary_errors
from approvals.bundle_receipts import render_bundle_receipt_pdf
from approvals.models import Attachment, BundleApplication, BundleApplicationStatus
from audit.services import access_denied, client_ip
from catalogue.bundles import bundle_measure, bundle_schema
from catalogue.conditions import describe
from catalogue.models import Bundle
from catalogue.selectors import issuing_services
from core.errors import InvalidTransition, ValidationFailed, WorkflowError
from core.i18n import translated

from .forms import SchemaForm
from .views import citizen_required, registers_after_save, save_page_whole


def bundle_page(request, slug):
    """The bundle's public page: its permits, who reviews each, when each applies, what depends
    on what, and what applying once saves."""
    bundle = get_object_or_404(Bundle, slug=slug)
    combined = bundle_schema(bundle)
    fields = combined.fields_by_key
    names = {m["service"]: m["name"] for m in combined.data["members"]}
    members = [{
        "name": m["name"], "slug": m["service"],
        "departments": ", ".join(translated(r["department_name"]) for r in combined.reviews if r["service"] == m["service"]),
        "when": describe(m["when"], fields) if m["when"] else "",
        "depends_on": ", ".join(translated(names[s]) for s in m["depends_on"] if s in names),
    } for m in combined.data["members"]]
    return render(request, "bundles/page.html", {"bundle": bundle, "members": members,
                                                 "measure": bundle_measure(combined)})


def own_bundle(request, pk: int) -> BundleApplication:
    """The signed-in citizen's bundle application; anyone else's is a 404, and the attempt is logged."""
    try:
        return bundle_selectors.bundle_for_citizen(request.user, pk)
    except Http404:
        access_denied(request, object_type="bundleapplication", object_id=pk)
        raise


@require_http_methods(["GET", "POST"])
@citizen_required
def start(request, slug):
    """Start the bundle's application, or continue the draft the citizen has of it."""
    bundle = get_object_or_404(Bundle, slug=slug)
    if request.method == "GET":
        return redirect("bundle_page", slug=slug)
    try:
        row, outcome = bundle_flow.bundle_start(applicant=request.user, bundle=bundle, ip=client_ip(request))
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return redirect("bundle_page", slug=slug)
    if outcome == workflow.StartOutcome.EXISTING:
        messages.info(request, _("You already have a draft of this application: continue it here."))
    return redirect("bundles:edit", pk=row.pk, step=1)


def _plan(row):
    """The children, the answers given so far, and what applies to them."""
    children = bundle_flow.bundle_children(row)
    values = bundle_flow.bundle_values(row, children)
    result, applying = bundle_flow.bundle_plan(row, values)
    return children, values, result, applying


def _pages(row, result) -> list[tuple[int, str, list[dict]]]:
    """The combined form's pages that ask something: (number among all sections, title, questions asked)."""
    pages = []
    for number, (title, specs) in enumerate(row.combined.sections(), start=1):
        asked = [spec for spec in specs if result.asks(spec["key"])]
        if asked:
            pages.append((number, title, asked))
    return pages


def _steps(row, pages, current) -> list[dict]:
    steps = [{"number": i, "title": title or translated(row.bundle.name),
              "url": reverse("bundles:edit", args=[row.pk, number]), "current": number == current}
             for i, (number, title, _specs) in enumerate(pages, start=1)]
    steps.append({"number": len(pages) + 1, "title": _("Check your answers"),
                  "url": reverse("bundles:check", args=[row.pk]), "current": current == "check"})
    return steps


def _next_page(pages, after: int):
    return next((number for number, _title, _specs in pages if number > after), None)


@require_http_methods(["GET", "POST"])
@citizen_required
def edit(request, pk, step):
    row = own_bundle(request, pk)
    if row.status != BundleApplicationStatus.DRAFT:
        return redirect("bundles:detail", pk=pk)
    if not 1 <= step <= len(row.combined.sections()):
        raise Http404
    children, values, result, _applying = _plan(row)
    pages = _pages(row, result)
    page = next((p for p in pages if p[0] == step), None)
    if page is None:  # nothing on this page applies to the answers given
        following = _next_page(pages, step)
        return redirect("bundles:edit", pk=pk, step=following) if following else redirect("bundles:check", pk=pk)
    _number, title, specs = page
    back_to_check = request.GET.get("return") == "check"
    file_keys = {spec["key"] for spec in specs if spec["kind"] == "file"}
    answers = {k: v for k, v in values.items() if k not in file_keys}
    states, offers, attachments = _once_only(request.user, children, specs)
    form = SchemaForm(request.POST or None, request.FILES or None, specs=specs, answers=answers,
                      register_states=states, offers=offers)
    if request.method == "POST":
        gone = save_page_whole(request, form, bundle_flow.bundle_save_page, gone=reverse("bundles:detail", args=[pk]),
                               bundle_application_id=pk)
        if gone:
            return gone
        if not form.errors:
            # The registers each child takes answers from, as the single form asks them (consent, lookups).
            keys = {spec["key"] for spec in specs}
            again = [registers_after_save(request, child, specs) for child in children
                     if keys & set(child.schema.fields_by_key)]
            if any(again):
                return redirect(reverse("bundles:edit", args=[pk, step]) + ("?return=check" if back_to_check else ""))
            if "save_later" in request.POST:
                messages.success(request, _("Your answers are saved. Continue your application from “My applications” "
                                            "whenever you are ready."))
                return redirect("approvals:my_applications")
            # What applies may have changed with this page's answers: the next page is read again.
            following = None if back_to_check else _next_page(_pages(row, _plan(row)[2]), step)
            return redirect("bundles:edit", pk=pk, step=following) if following else redirect("bundles:check", pk=pk)
    earlier = [number for number, _t, _s in pages if number < step]
    back_url = (reverse("bundles:check", args=[pk]) if back_to_check else
                reverse("bundles:edit", args=[pk, earlier[-1]]) if earlier else reverse("bundle_page", args=[row.bundle.slug]))
    return render(request, "bundles/edit.html", {
        "row": row, "form": form, "rows": form.rows(attachments, issuing_services(specs)), "section_title": title,
        "steps": _steps(row, pages, step), "step": pages.index(page) + 1, "step_count": len(pages) + 1,
        "back_url": back_url, "files_chosen": bool(form.file_keys and form.errors and request.FILES),
        "remove_view": "bundles:file_remove", "remove_owner": row.pk,
    }, status=400 if form.errors else 200)


def _once_only(user, children, specs):
    """What the single form takes for the page's questions from registers and the wallet, and the
    files given, each from the first child that asks the question: (register states, certificate
    offers, attachments)."""
    states, offers, owner = [], {}, {}
    for child in children:
        own = child.schema.fields_by_key
        mine = [own[spec["key"]] for spec in specs if spec["key"] in own]
        if not mine:
            continue
        states += register_values.register_states(child, user)
        for key, offer in evidence.offers(child, user, mine).items():
            offers.setdefault(key, offer)
        for spec in mine:
            owner.setdefault(spec["key"], child.pk)
    attachments = [a for child in children for a in child.attachments.all() if owner.get(a.field_key) == child.pk]
    return states, offers, attachments


@require_POST
@citizen_required
def file_remove(request, pk, attachment_id):
    """Remove a file from the combined form (every child's copy of it)."""
    row = own_bundle(request, pk)
    try:
        attachment = bundle_flow.bundle_remove_file(bundle_application_id=row.pk, actor=request.user,
                                                    attachment_id=attachment_id, ip=client_ip(request))
    except Attachment.DoesNotExist:
        access_denied(request, object_type="attachment", object_id=attachment_id)
        raise Http404
    except ValidationFailed as exc:
        messages.error(request, " ".join(str(m) for errors in exc.errors.values() for m in errors))
    except WorkflowError as exc:
        messages.error(request, exc.message)
        return redirect("bundles:detail", pk=pk)
    else:
        messages.success(request, _("“%(name)s” was removed.") % {"name": attachment.original_name})
        step = section_of(row.combined, attachment.field_key) or 1
        return redirect("bundles:edit", pk=pk, step=step)
    return redirect("bundles:check", pk=pk)


def _attached(children) -> dict[str, list[str]]:
    """The names of the files given for each document question (stored on every child that asks it)."""
    names: dict[str, list[str]] = {}
    for child in children:
        for attachment in child.attachments.all():
            names.setdefault(attachment.field_key, [])
            if attachment.original_name not in names[attachment.field_key]:
                names[attachment.field_key].append(attachment.original_name)
    return names


def _permits(row, result, applying) -> list[dict]:
    """Each permit of the bundle: whether it applies to the answers, who reviews it, and why not."""
    why = {}
    for review, reason in result.not_needed:
        why.setdefault(review["service"], reason)
    return [{"name": m["name"], "slug": m["service"], "applies": m["service"] in applying,
             "departments": ", ".join(translated(r["department_name"]) for r in result.reviews
                                      if r["service"] == m["service"]),
             "why_not": why.get(m["service"], "")}
            for m in row.schema["members"]]


@require_http_methods(["GET", "POST"])
@citizen_required
def check(request, pk):
    row = own_bundle(request, pk)
    if row.status != BundleApplicationStatus.DRAFT:
        return redirect("bundles:detail", pk=pk)
    declared = request.POST.get("declaration") == "yes"
    errors = {} if request.method == "GET" or declared else {
        "declaration": [_("Confirm that your answers are true and complete.")]}
    if request.method == "POST" and declared:
        try:
            bundle_flow.bundle_submit(bundle_application_id=pk, actor=request.user, ip=client_ip(request))
        except ValidationFailed as exc:
            errors = exc.errors
        except InvalidTransition as exc:  # submitted meanwhile (a double click): its page says so
            messages.error(request, exc.message)
            return redirect("bundles:detail", pk=pk)
        else:
            messages.success(request, _("Your application was submitted."))
            return redirect("bundles:detail", pk=pk)
    children, values, result, applying = _plan(row)
    pages = _pages(row, result)
    attached = _attached(children)
    sections = [{"title": title, "step": number, "rows": [
        {"spec": spec, "value": values.get(spec["key"]), "files": attached.get(spec["key"], []),
         "errors": errors.get(spec["key"], [])} for spec in specs]} for number, title, specs in pages]
    field_errors = summary_errors(sections)
    return render(request, "bundles/check.html", {
        "row": row, "sections": sections, "errors": errors, "field_errors": field_errors,
        "declaration_error": errors.get("declaration"), "permits": _permits(row, result, applying),
        "steps": _steps(row, pages, "check"), "step_count": len(pages) + 1,
        "back_url": reverse("bundles:edit", args=[pk, pages[-1][0]]) if pages else reverse("bundle_page", args=[row.bundle.slug]),
    }, status=400 if errors else 200)


@citizen_required
def detail(request, pk):
    row = own_bundle(request, pk)
    if row.status == BundleApplicationStatus.DRAFT:
        return redirect("bundles:check", pk=pk)
    if row.submitted_at is None:  # a draft given up: nothing to follow
        raise Http404
    return render(request, "bundles/detail.html", {"row": row, "children": list(row.children.all()),
                                                   "timeline": bundle_selectors.bundle_timeline(row)})


@citizen_required
def receipt(request, pk):
    """The receipt of a submitted bundle application: one reference, each permit's own; as a page,
    or with ?pdf=1 as a PDF to keep."""
    row = own_bundle(request, pk)
    if row.submitted_at is None:
        raise Http404
    children = list(row.children.all())
    if request.GET.get("pdf") == "1":
        pdf = render_bundle_receipt_pdf(row, children)
        return FileResponse(io.BytesIO(pdf), as_attachment=True, filename=f"{row.reference}-receipt.pdf",
                            content_type="application/pdf")
    return render(request, "bundles/receipt.html", {"row": row, "children": children})


@require_http_methods(["GET", "POST"])
@citizen_required
def withdraw(request, pk):
    """Give up a draft bundle application (a submitted one is withdrawn permit by permit)."""
    row = own_bundle(request, pk)
    if row.status != BundleApplicationStatus.DRAFT:
        return redirect("bundles:detail", pk=pk)
    if request.method == "POST":
        try:
            bundle_flow.bundle_withdraw(bundle_application_id=pk, actor=request.user, ip=client_ip(request))
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return redirect("bundles:check", pk=pk)
        messages.success(request, _("The draft was withdrawn."))
        return redirect("approvals:my_applications")
    return render(request, "bundles/withdraw.html", {"row": row})
