"""Every state transition of an application and its reviews.

Each public function is one transaction. Transitions that can change an application's
outcome lock the application row first (approvals.locks) and re-read all of its reviews
inside that lock, so the fan-in (next stage, rejection, approval + permit) happens exactly
once whatever the timing of concurrent decisions. Side effects are rows written in the same
transaction (notifications, audit events, the permit) plus nudges sent after commit."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import Event, TokenActor, audit_record
from catalogue.fees import PaymentMode, payment_mode
from catalogue.schema import frozen_department_ids
from core.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from core.nudges import nudge_ids_on_commit
from departments.access import member_role
from departments.models import Membership, MembershipRole
from payments.models import RefundReason
from permits.services import permit_create

from .access import may_decide, may_release, may_withdraw
from .answers import clean_answers, complete_answers, unknown_keys
from .applicable import applied_to
from .attachments import attachment_store
from .bundle_dependants import dependants_refuse
from .bundle_permit import bundle_permit_settle, in_one_permit_bundle
from .events import engine_event
from .evidence import (
    evidence_answered,
    evidence_at_submit,
    evidence_check_choices,
    evidence_keep,
    evidence_record,
    problems_raise,
)
from .filings import filings_create
from .follow_ons import (
    amendment_changes,
    applied_for,
    carried_changed,
    carried_document_keys,
    followed_permit,
    lapse_message,
    lapsed_because,
)
from .locks import (
    lock_application,
    lock_application_of_review,
    lock_person,
    lock_person_name,
    lock_review,
    lock_unrouted_reviews,
    reviews_of,
)
from .models import (
    REVIEW_UNDECIDED,
    Application,
    ApplicationRegisterValue,
    ApplicationStatus,
    Attachment,
    Notification,
    NotificationKind,
    Review,
    ReviewStatus,
    business_name_of,
)
from .need_to_know import name_shown
from .notifications import department_staff_ids, departments_staff_ids, notifications_create, notify
from .once_only import once_only_count, once_only_figures
from .payment_orders import payment_order_issue, payment_orders_settle, permit_waits_for_payment
from .register_values import register_values_corrected, register_values_rows
from .sla import clock_extend, clock_resume, clock_start, local_today, sla_calendar, sla_calendars
from .transitions import status_enter, status_move, status_move_rows
from .uploads import check_upload, display_name

EDITABLE = (ApplicationStatus.DRAFT,)
OPEN_APPLICATION = (ApplicationStatus.IN_REVIEW, ApplicationStatus.NEEDS_CORRECTION)
# What a citizen may still withdraw (a draft aside): an open application, or one waiting for its fee.
WITHDRAWABLE = (*OPEN_APPLICATION, ApplicationStatus.AWAITING_PAYMENT)


# The tasks this module nudges, by name (core.nudges publishes by name: the tasks module imports
# this one, so it is never imported here).
ROUTE_TASK = "approvals.tasks.route_application_task"
RENDER_TASK = "permits.tasks.permit_render_task"


class Decision:
    APPROVE = "approve"
    REJECT = "reject"
    CORRECTION = "correction"
    ALL = (APPROVE, REJECT, CORRECTION)


def _own(application: Application, actor) -> None:
    # Another citizen's application does not exist for this actor.
    if application.applicant_id != getattr(actor, "pk", None):
        raise Application.DoesNotExist


# --- Citizen: draft, submit, correct, withdraw ----------------------------------------------------


@transaction.atomic
def application_start(*, applicant, service, answers: dict | None = None, ip: str | None = None,
                      via: TokenActor | None = None, filing: dict | None = None) -> Application:
    """A new draft on the service's current version, optionally with first answers (checked
    like a draft page: invalid answers are refused, missing ones are fine; the audit event names
    their questions). ``via`` is the API token that starts it (audit.services.TokenActor): a draft
a front desk files for the applicant is the desk's event, with ``filing`` (the consent it was
filed with) in its details."""
    if not service.is_active or service.current_version_id is None:
        raise InvalidTransition(_("This service is not open for applications."))
    application = Application(applicant=applicant, service=service, service_version_id=service.current_version_id)
    if answers:
        schema = application.schema
        if unknown := unknown_keys(schema, answers):
            raise ValidationFailed({k: [_("This question is not part of the form.")] for k in unknown})
        application.answers, errors = clean_answers(schema, answers, keys=set(answers) - schema.file_keys, partial=True)
        if errors:
            raise ValidationFailed(errors)
    application.save()
    audit_record(engine_event(Action.APPLICATION_CREATED, application, actor=applicant, via=via, ip=ip,
                              fields=sorted(application.answers), filing=filing))
    return application


# A start this soon after the citizen's last draft of the same service is the same click again.
REPEATED_START_SECONDS = 10


class StartOutcome:
    CREATED = "created"  # a new draft
    REPEATED = "repeated"  # the draft the same click made a moment ago
    EXISTING = "existing"  # the citizen already has a draft of this service: offer it


@transaction.atomic
def application_start_once(*, applicant, service, answers: dict | None = None, another: bool = False,
                           ip: str | None = None) -> tuple[Application, str]:
    """Start a draft unless the citizen already has one of this service. Decided under a lock on
    the citizen's row, so a double click makes one draft. With ``another`` a further draft is
    made on purpose (a second shop), but not twice within ``REPEATED_START_SECONDS``. First
    answers that the form would refuse are dropped (they are a convenience). Returns the draft
    (new, or the latest existing one) and a ``StartOutcome``."""
    lock_person(applicant.pk)
    latest = (Application.objects.filter(applicant=applicant, service=service, status=ApplicationStatus.DRAFT)
              .order_by("-created_at", "-pk").first())
    if latest is not None:
        if latest.created_at >= timezone.now() - timedelta(seconds=REPEATED_START_SECONDS):
            return latest, StartOutcome.REPEATED
        if not another:
            return latest, StartOutcome.EXISTING
    try:
        application = application_start(applicant=applicant, service=service, answers=answers, ip=ip)
    except ValidationFailed:
        application = application_start(applicant=applicant, service=service, ip=ip)
    return application, StartOutcome.CREATED


def _draft_answers(application: Application, data: dict, keys=None) -> tuple[dict, dict]:
    """A draft's answers with ``data`` saved over them for ``keys`` (default: those present in
    ``data``), and the errors of ``data``. A missing required answer is fine in a draft."""
    schema = application.schema
    if unknown := unknown_keys(schema, data):
        return application.answers, {k: [_("This question is not part of the form.")] for k in unknown}
    keys = set(keys if keys is not None else data) - schema.file_keys
    cleaned, errors = clean_answers(schema, data, keys=keys, partial=True)
    answers = {k: v for k, v in application.answers.items() if k not in keys}
    answers.update(cleaned)
    return answers, errors


def _editable_draft(application_id: int, actor) -> Application:
    application = lock_application(application_id)
    _own(application, actor)
    if application.status not in EDITABLE:
        raise InvalidTransition(_("Only a draft can be changed this way."))
    return application


def _answers_saved(application: Application, before: dict, *, actor, via, ip, certificates=()) -> list[Event]:
    """The event of a save that changed answers, naming the questions whose answer changed (added,
    changed or cleared; ``certificates``: those whose chosen certificate did), never an answer:
    the audit log keeps no personal data. A save that changed nothing (a page sent again) has none."""
    after = application.answers
    changed = sorted({k for k in before.keys() | after.keys() if before.get(k) != after.get(k)} | set(certificates))
    if not changed:
        return []
    return [engine_event(Action.ANSWERS_SAVED, application, actor=actor, via=via, ip=ip, fields=changed)]


@transaction.atomic
def application_save_answers(*, application_id: int, actor, data: dict, keys=None, certificates: dict | None = None,
                             ip: str | None = None, via: TokenActor | None = None) -> Application:
    """Save a draft's answers for ``keys`` (default: those present in ``data``), and the
    certificates chosen for document questions (``certificates``: question → the certificate's
    id, or None for none; approvals.evidence). A missing required answer is fine in a draft; an
    invalid one is refused and nothing is saved. ``actor`` is the applicant; ``via`` the API
    token saving them (the applicant's own, or a front desk's for the applicant)."""
    application = _editable_draft(application_id, actor)
    answers, errors = _draft_answers(application, data, keys)
    refused = []
    wanted = evidence_check_choices(application, application.applicant, certificates or {}, errors, refused)
    problems_raise(errors, refused)
    before, application.answers = application.answers, answers
    application.save(update_fields=["answers", "updated_at"])
    audit_record(*_answers_saved(application, before, actor=actor, via=via, ip=ip,
                                 certificates=evidence_keep(application, wanted)))
    return application


@transaction.atomic
def application_save_page(*, application_id: int, actor, data: dict, uploads: list[tuple[str, object]],
                          certificates: dict | None = None, check_only: bool = False, ip: str | None = None) -> Application:
    """Save one page of a draft: its answers, the files chosen on it (field key, file) and the
    certificates chosen for its document questions (question → id, or None: approvals.evidence),
    all or nothing. Every invalid answer, refused file and refused certificate is reported at
    once; a file's message names it when several were chosen for one question. With
    ``check_only`` (the caller found problems of its own) nothing is saved, and the problems
    found are raised."""
    application = _editable_draft(application_id, actor)
    answers, errors = _draft_answers(application, data)
    checked = _check_uploads(application, uploads, errors)
    refused = []
    wanted = evidence_check_choices(application, actor, certificates or {}, errors, refused)
    problems_raise(errors, refused)
    if check_only:
        return application
    before, application.answers = application.answers, answers
    application.save(update_fields=["answers", "updated_at"])
    audit_record(*_answers_saved(application, before, actor=actor, via=None, ip=ip,
                                 certificates=evidence_keep(application, wanted)),
                 *_store_attachments(application, checked, actor=actor, via=None, ip=ip))
    return application


def _check_uploads(application: Application, uploads: list[tuple[str, object]], errors: dict) -> list[tuple]:
    """Check every file chosen on a page (field key, file) against its question; add each
    refusal to ``errors`` (a file's message names it when several were chosen for one question)
    and return the accepted ones with their metadata, to be stored once nothing was refused."""
    per_key: dict[str, int] = {}
    for key, _uploaded in uploads:
        per_key[key] = per_key.get(key, 0) + 1
    counts = dict(application.attachments.filter(field_key__in=per_key).order_by().values("field_key")
                  .annotate(n=Count("id")).values_list("field_key", "n"))
    checked = []
    for key, uploaded in uploads:
        try:
            spec = _file_spec(application, key)
            checked.append((key, uploaded, check_upload(spec, uploaded, existing_count=counts.get(key, 0))))
            counts[key] = counts.get(key, 0) + 1
        except ValidationFailed as exc:
            for message in exc.errors[key]:
                if per_key[key] > 1:
                    message = _("“%(file)s”: %(message)s") % {"file": display_name(uploaded.name), "message": message}
                errors.setdefault(key, []).append(message)
    return checked


def _file_spec(application: Application, field_key: str) -> dict:
    spec = application.schema.fields_by_key.get(field_key)
    if spec is None or spec["kind"] != "file":
        raise ValidationFailed({field_key: [_("This question does not take a file.")]})
    return spec


def _store_attachment(application: Application, key: str, uploaded, meta: dict, *, actor, via,
                      ip) -> tuple[Attachment, Event]:
    """Store a checked upload; returns it and its audit event."""
    attachment = attachment_store(application=application, field_key=key, uploaded=uploaded, meta=meta)
    return attachment, _file_event(Action.ATTACHMENT_UPLOADED, application, attachment, actor=actor, via=via, ip=ip)


def _store_attachments(application: Application, checked: list[tuple], *, actor, via, ip) -> list[Event]:
    """Store the checked uploads (field key, file, metadata); returns their audit events."""
    return [_store_attachment(application, key, uploaded, meta, actor=actor, via=via, ip=ip)[1]
            for key, uploaded, meta in checked]


def _file_event(action, application: Application, attachment: Attachment, *, actor, via, ip, reason="") -> Event:
    """A file uploaded or removed, named by its id, question, size, type and SHA-256: never by the
    name it was uploaded with, which often holds the applicant's name or identity number, while
    the audit log can never forget what it holds. The name stays on the attachment, for those who
    may see the file, and goes with it."""
    return engine_event(action, application, obj=attachment, actor=actor, via=via, ip=ip, field=attachment.field_key,
                        size=attachment.size, sha256=attachment.sha256, content_type=attachment.content_type,
                        reason=reason)


def _correction_requested_fields(reviews) -> set[str]:
    return {key for r in reviews if r.status == ReviewStatus.CORRECTION_REQUESTED for key in r.correction_fields}


@transaction.atomic
def application_attach(*, application_id: int, actor, field_key: str, uploaded, ip: str | None = None,
                       via: TokenActor | None = None) -> Attachment:
    application = lock_application(application_id)
    _own(application, actor)
    spec = _file_spec(application, field_key)
    if application.status == ApplicationStatus.NEEDS_CORRECTION:
        if field_key not in _correction_requested_fields(application.reviews.all()):
            raise ValidationFailed({field_key: [_("No department asked you to change this.")]})
    elif application.status not in EDITABLE:
        raise InvalidTransition(_("Files can no longer be changed on this application."))
    existing = application.attachments.filter(field_key=field_key).count()
    attachment, event = _store_attachment(application, field_key, uploaded,
                                          check_upload(spec, uploaded, existing_count=existing), actor=actor, via=via, ip=ip)
    evidence_keep(application, {field_key: None})  # a file uploaded answers the question now
    audit_record(event)
    return attachment


@transaction.atomic
def application_remove_attachment(*, attachment_id: int, actor, ip: str | None = None) -> None:
    attachment = Attachment.objects.select_related("application").get(pk=attachment_id)
    application = lock_application(attachment.application_id)
    _own(application, actor)
    if application.status == ApplicationStatus.NEEDS_CORRECTION:
        if attachment.field_key not in _correction_requested_fields(application.reviews.all()):
            raise ValidationFailed({attachment.field_key: [_("No department asked you to change this.")]})
    elif application.status not in EDITABLE:
        raise InvalidTransition(_("Files can no longer be changed on this application."))
    audit_record(_file_event(Action.ATTACHMENT_REMOVED, application, attachment, actor=actor, via=None, ip=ip))
    attachment.delete()
    # The files go once the row is gone for good: a rolled-back removal keeps both.
    stored = [(f.storage, f.name) for f in (attachment.file, attachment.disarmed_file) if f]
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in stored])


@transaction.atomic
def application_submit(*, application_id: int, actor, ip: str | None = None, via: TokenActor | None = None,
                       in_bundle: bool = False) -> Application:
    """Freeze the answers of the questions asked, create one review per department whose review
    applies (approvals.applicable), start the first stage that has one. The answers, files and
    certificates of questions not asked are not kept (the files are removed, on record), and
    each review not needed is on record with its condition. ``actor`` is the applicant; ``via``
    the API token submitting (their own, or a front desk's for them). A permit of a bundle
    application is submitted only with the others (``in_bundle``: approvals.bundle_flow)."""
    application = lock_application(application_id, with_attachment_keys=True)
    _own(application, actor)
    if application.status != ApplicationStatus.DRAFT:
        raise InvalidTransition(_("This application has already been submitted."))
    if application.bundle_application_id and not in_bundle:
        raise InvalidTransition(_("This permit is part of an application for several permits: submit them together."))
    if because := lapsed_because(application, local_today()):
        raise InvalidTransition(lapse_message(because, followed_permit(application).number))
    schema = application.schema
    # The certificates answering document questions, locked and checked again: one revoked or
    # expired since the form was filled in stops the submission here (if its question is asked).
    errors, refused = {}, []
    answered = evidence_at_submit(application, actor, errors, refused, keys=schema.certificate_keys,
                                  attached=application.attachment_keys)
    carried = carried_document_keys(application)
    documents = application.attachment_keys | set(answered) | carried
    applies = applied_for(application, application.answers, documents, application.attachment_keys)
    asked = set(applies.asked)
    errors = {key: messages for key, messages in errors.items() if key in asked}
    answered = {key: certificate for key, certificate in answered.items() if key in asked}
    cleaned, answer_errors = complete_answers(schema, application.answers,
                                              application.attachment_keys | set(answered) | carried)
    for key, messages in answer_errors.items():
        errors.setdefault(key, messages)  # a certificate's own message says what to do
    for key in carried_changed(application, application.answers):
        errors.setdefault(key, []).append(_("This cannot be changed here: it is carried from permit %(number)s.") % {
            "number": application.follows.number})
    if application.amends_id and not amendment_changes(application, application.answers, application.attachment_keys):
        errors.setdefault(schema.amendable[0], []).append(
            _("Nothing is changed: change at least one detail of the permit, or withdraw this amendment."))
    problems_raise(errors, [(key, sent) for key, sent in refused if key in asked])
    not_asked = sorted((set(application.answers) | documents) - asked)
    application.answers = cleaned
    detached = _detach_not_asked(application, asked, actor=actor, via=via, ip=ip)

    now = timezone.now()
    first_stage = min((r["stage"] for r in applies.reviews), default=schema.stages[0])
    departments = frozen_department_ids(application.service_version_id)
    # The fee the frozen rule comes to; paid before review, every review waits for it (the clock
    # starts when they are routed, once it is paid: application_paid).
    order, order_events = payment_order_issue(application, now=now)
    awaiting = order is not None and payment_mode(schema.fee) == PaymentMode.BEFORE_REVIEW
    # Locked so that a rename in flight either waits for these reviews or is read by them
    # (approvals.applicants.applicant_name_sync updates the reviews that exist when it runs).
    # Copied only onto the reviews of departments shown the name (need to know).
    applicant_name = lock_person_name(actor.pk)
    reviews = Review.objects.bulk_create([
        _new_review(application, r, department_id=departments[r["department"]], applicant_name=applicant_name,
                    start=r["stage"] == first_stage and not awaiting, now=now)
        for r in applies.reviews
    ])
    status_move(application, ApplicationStatus.AWAITING_PAYMENT if awaiting else ApplicationStatus.IN_REVIEW)
    application.submitted_at = now
    application.current_stage = first_stage
    application.reference = f"A-{timezone.localdate(now).year}-{application.pk:06d}"
    # What was taken from the registers, and what the applicant typed instead (approvals.register_values).
    register_values = register_values_rows(application, actor, now)
    # Counted from the rows this transaction writes (a draft has no register values or submitted
    # certificates, and its files are those of the questions asked), not read back.
    application.once_only = once_only_count(
        application, taken={v.field_key for v in register_values if v.verified}, reused=set(answered),
        files=application.attachment_keys & asked)
    application.save(update_fields=["status", "submitted_at", "current_stage", "reference", "answers", "once_only",
                                    "updated_at"])
    ApplicationRegisterValue.objects.bulk_create(register_values)

    drop = [key for key in schema.certificate_keys if key not in asked]
    _changed, used = evidence_record(application, answered, drop=drop, now=now, actor=actor, via=via, ip=ip)
    audit_record(*detached, engine_event(Action.APPLICATION_SUBMITTED, application, actor=actor, via=via, ip=ip,
                                         version=schema.version_number, not_asked=not_asked), *used,
                 *_not_needed_events(application, applies, actor=actor, via=via, ip=ip), *order_events)
    notify(recipient_ids=[application.applicant_id], kind=NotificationKind.SUBMITTED, application=application,
           params={"payment_code": order.code, "amount": str(order.amount), "currency": order.currency} if order else None)
    if awaiting:
        return application
    if not reviews:  # nothing to review: approved at once, exactly as the last approval would
        audit_record(*_advance(application, [], now=now))
    nudge_ids_on_commit(ROUTE_TASK, [application.pk])
    return application


def application_paid(application: Application, *, now) -> list[Event]:
    """The application's fee was just paid (approvals.payment_flow, under the application's lock,
    its status read under it): reviews that waited for it start, or the approved permit that
    waited for it is issued. Anything else (a fee paid while in review) changes nothing more."""
    if application.status == ApplicationStatus.AWAITING_PAYMENT:
        reviews = reviews_of(application.pk)
        status_move_rows(Review.objects.filter(application=application, stage=application.current_stage),
                         ReviewStatus.PENDING, from_states=[ReviewStatus.WAITING], pending_since=now)
        status_move(application, ApplicationStatus.IN_REVIEW)
        application.save(update_fields=["status", "updated_at"])
        events = [engine_event(Action.APPLICATION_PAID, application, next="review")]
        if not reviews:
            return events + _advance(application, [], now=now)
        nudge_ids_on_commit(ROUTE_TASK, [application.pk])
        return events
    if application.status == ApplicationStatus.APPROVED and in_one_permit_bundle(application):
        return [engine_event(Action.APPLICATION_PAID, application, next="permit"),
                *bundle_permit_settle(application=application, now=now)]
    if application.status == ApplicationStatus.APPROVED and not application.permits.exists():
        return [engine_event(Action.APPLICATION_PAID, application, next="permit"),
                *_permit_issue(application, now=now, approved=False)]
    return []


def _new_review(application: Application, entry: dict, *, department_id: int, applicant_name: str, start: bool,
                now) -> Review:
    """A review of ``application`` for its schema's review ``entry``: in the queue now (``start``),
    or waiting for its stage."""
    schema = application.schema
    return status_enter(Review(
        application=application, service_id=application.service_id, department_id=department_id,
        applicant_name=applicant_name if name_shown(schema, entry["department"]) else "",
        business_name=business_name_of(application.answers), stage=entry["stage"],
        sla_days=entry["sla_days"], pending_since=now if start else None,
    ), ReviewStatus.PENDING if start else ReviewStatus.WAITING)


def _not_needed_events(application: Application, applies, *, actor, via, ip) -> list[Event]:
    """Each review not needed at submission, on record with the condition that did not hold (the
    words of why are made from it in the reader's language)."""
    return [engine_event(Action.REVIEW_NOT_NEEDED, application, actor=actor, via=via, ip=ip,
                         department_code=entry["department"], when=entry.get("when"))
            for entry, _why in applies.not_needed]


def _detach_not_asked(application: Application, asked: set[str], *, actor, via, ip) -> list[Event]:
    """Remove the files of questions not asked, on record: no department is sent them. The files
    go once the rows are gone for good."""
    keys = getattr(application, "attachment_keys", None)
    if keys is not None and keys <= asked:  # read under the lock: no file to remove
        return []
    stale = list(application.attachments.exclude(field_key__in=asked))
    if not stale:
        return []
    events = [_file_event(Action.ATTACHMENT_REMOVED, application, attachment, actor=actor, via=via, ip=ip,
                          reason="not_asked") for attachment in stale]
    Attachment.objects.filter(pk__in=[a.pk for a in stale]).delete()
    stored = [(f.storage, f.name) for a in stale for f in (a.file, a.disarmed_file) if f]
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in stored])
    application.attachment_keys = {a for a in getattr(application, "attachment_keys", set()) if a in asked}
    return events


@transaction.atomic
def application_resubmit(*, application_id: int, actor, data: dict, uploads: list[tuple[str, object]] = (),
                          certificates: dict | None = None, ip: str | None = None, check_only: bool = False,
                          via: TokenActor | None = None) -> Application:
    """Answer correction requests, with the files chosen for them (field key, file) and the
    certificates chosen for requested document questions (question → id, or None for a file:
    approvals.evidence): only the requested answers may change, and the questions the changed
    answers newly make asked (they must be answered too). A requested question's certificate,
    new or kept, is checked again under the lock, so a lapsed one has to be replaced. All or
    nothing: every refused answer, file and certificate is reported at once and nothing is kept.
    The requesting reviews return to their officers or queues with their clocks resumed; any
    other department that had approved and whose fields changed reviews again.

    What applies is worked out again (approvals.applicable): a review now needed is created (in
    the queue at once if its stage has started, else waiting for it); one no longer needed and
    not decided is cancelled, its clock stopped; one already approved stays approved. The answers
    and files of questions no longer asked go. Then the application moves on as after a
    decision (approvals.workflow._advance): exactly one permit, once every review needed is
    approved. With ``check_only`` (the caller found problems of its own) nothing is saved, and
    the problems found are raised."""
    application = lock_application(application_id, with_attachment_keys=True)
    _own(application, actor)
    if application.status != ApplicationStatus.NEEDS_CORRECTION:
        raise InvalidTransition(_("No correction is requested on this application."))
    reviews = reviews_of(application.pk)
    requesting = [r for r in reviews if r.status == ReviewStatus.CORRECTION_REQUESTED]
    schema = application.schema
    certificates = dict(certificates or {})
    merged = _corrected_answers(application.answers, data, schema.file_keys)
    certified = set(evidence_answered(application))
    allowed = correction_keys(application, reviews, data, {key for key, _file in uploads} | {
        key for key, chosen in certificates.items() if chosen not in (None, "")}, certified=certified)
    if not_requested := sorted((set(data) | {key for key, _file in uploads} | set(certificates)) - allowed):
        raise ValidationFailed({k: [_("No department asked you to change this.")] for k in not_requested})

    errors: dict[str, list] = {}
    refused: list = []
    checked = _check_uploads(application, uploads, errors)
    new_files = {k for k, *_ in checked}
    # The requested document questions a certificate answers: chosen now, or kept (checked again).
    answered = evidence_at_submit(application, actor, errors, refused, keys=allowed, choices=certificates,
                                  uploaded=new_files, attached=application.attachment_keys | new_files)
    relied_on = set(answered) | (certified - allowed)
    documents = application.attachment_keys | new_files | relied_on | carried_document_keys(application)
    cleaned, answer_errors = complete_answers(schema, merged, documents)
    for key, messages in answer_errors.items():
        if key not in errors or key not in schema.certificate_keys:  # a certificate's own message says it all
            errors[key] = [*messages, *errors.get(key, [])]
    problems_raise(errors, refused)
    if check_only:
        return application
    applies = applied_for(application, cleaned, documents, application.attachment_keys | new_files)
    asked = set(applies.asked)
    uploaded = _store_attachments(application, checked, actor=actor, via=via, ip=ip)
    detached = _detach_not_asked(application, asked, actor=actor, via=via, ip=ip)
    now = timezone.now()
    drop = [k for k in allowed & set(schema.certificate_keys) if k not in answered] + sorted(certified - asked)
    answered = {key: certificate for key, certificate in answered.items() if key in asked}
    replaced, used = evidence_record(application, answered, drop=drop, now=now, actor=actor, via=via, ip=ip)

    requested_at = min(r.decided_at for r in requesting)
    changed = {k for k in (allowed - schema.file_keys) | set(application.answers)
               if application.answers.get(k) != cleaned.get(k)}
    changed |= set(
        application.attachments.filter(field_key__in=allowed, uploaded_at__gte=requested_at)
        .values_list("field_key", flat=True)
    )
    changed |= set(replaced) | {e.details["field"] for e in detached}

    needed = {entry["department"] for entry in applies.reviews}
    ended = [r for r in reviews if r.department.code not in needed and r.status in REVIEW_UNDECIDED]
    today, calendars = local_today(), sla_calendars()
    askers = _askers_still_members([r for r in requesting if r not in ended])
    reopened = _reviews_end(application, applies, ended, now=now, actor=actor, via=via, ip=ip)
    for review in requesting:
        if review in ended:
            continue
        # Back to the officer who asked, still theirs; to the department's queue if they have left.
        asker = askers.get(review.pk)
        fields = {"assignee_id": asker, "pending_since": now, "correction_fields": [], "version": review.version + 1,
                  **clock_resume(calendar=calendars.of(review.department_id), review=review, today=today)}
        status_move_rows(Review.objects.filter(pk=review.pk), ReviewStatus.IN_PROGRESS if asker else ReviewStatus.PENDING,
                         from_states=[ReviewStatus.CORRECTION_REQUESTED], **fields)
        reopened.append(engine_event(Action.REVIEW_REOPENED, application, actor=actor, via=via, obj=review, ip=ip,
                                     department_code=review.department.code, reason="correction answered"))
        recipients = [asker] if asker else department_staff_ids(review.department_id)
        notify(recipient_ids=recipients, kind=NotificationKind.REVIEW_ROUTED, application=application, review=review,
               params={"due_date": (fields.get("due_date") or review.due_date or today).isoformat()})
    for review in reviews:
        own = set(schema.department_fields(review.department.code))
        if review.status == ReviewStatus.APPROVED and review.department.code in needed and changed & own:
            status_move_rows(  # a fresh clock; the audit log keeps the old
                Review.objects.filter(pk=review.pk), ReviewStatus.PENDING, from_states=[ReviewStatus.APPROVED],
                pending_since=now, **FRESH_START, version=review.version + 1,
            )
            reopened.append(engine_event(Action.REVIEW_REOPENED, application, actor=actor, via=via, obj=review, ip=ip,
                                         department_code=review.department.code, reason="fields changed",
                                         fields=sorted(changed & own)))

    if (business_name := business_name_of(cleaned)) != business_name_of(application.answers):
        Review.objects.filter(application_id=application.pk).update(business_name=business_name)
    register_values_corrected(application, changed, cleaned, now)
    application.answers = cleaned
    reopened += _reviews_add(application, applies, reviews, now=now, actor=actor, via=via, ip=ip)
    status_move(application, ApplicationStatus.IN_REVIEW)
    application.save(update_fields=["answers", "status", "updated_at"])
    _count_once_only(application)
    audit_record(*uploaded, *detached, *used, engine_event(Action.APPLICATION_RESUBMITTED, application, actor=actor,
                                                           via=via, ip=ip, changed=sorted(changed)), *reopened)
    if ended:  # the reviews left may all be approved now: the next stage, or the permit
        audit_record(*_advance(application, reviews_of(application.pk), now=now))
    nudge_ids_on_commit(ROUTE_TASK, [application.pk])
    return application


# A review starting again from nothing: no clock (routing starts one), no decision.
FRESH_START = {"routed_at": None, "started_on": None, "due_date": None, "remind_on": None, "red_on": None,
               "paused_on": None, "paused_days": 0, "reminded_at": None, "yellow_at": None, "red_at": None,
               "decided_at": None, "decided_by": None, "conditions": ""}


def _corrected_answers(answers: dict, data: dict, file_keys) -> dict:
    """The answers with a correction's ``data`` over them (an empty value clears the answer)."""
    merged = dict(answers)
    for key, value in data.items():
        if key in file_keys:
            continue
        if value in (None, "", []):
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def correction_keys(application: Application, reviews, data: dict, documents=(), *, certified=None) -> set[str]:
    """The questions a correction may answer: those the departments asked to correct, and those
    the corrected answers (``data`` over the application's, with the document questions in
    ``documents`` answered too) make asked that were not asked before. ``certified``: the
    questions a certificate answers now (read when not given); the application carries
    ``attachment_keys`` (approvals.locks) or they are read."""
    schema = application.schema
    if certified is None:
        certified = set(evidence_answered(application))
    attached = getattr(application, "attachment_keys", None)
    if attached is None:
        attached = set(application.attachments.values_list("field_key", flat=True))
    before = applied_to(schema, application.answers, attached | certified).asked
    merged = _corrected_answers(application.answers, data, schema.file_keys)
    after = applied_to(schema, merged, attached | certified | set(documents)).asked
    return _correction_requested_fields(reviews) | (set(after) - set(before))


def _reviews_end(application: Application, applies, ended: list[Review], *, now, actor, via, ip) -> list[Event]:
    """Cancel the undecided reviews a correction made unnecessary: out of their queues, their
    clocks stopped (a cancelled review is never scanned), on record with the condition that no
    longer holds."""
    entries = {entry["department"]: entry for entry, _why in applies.not_needed}
    events = []
    for review in ended:
        status_move_rows(Review.objects.filter(pk=review.pk), ReviewStatus.CANCELLED, from_states=REVIEW_UNDECIDED,
                         decided_at=now, version=review.version + 1)
        entry = entries[review.department.code]
        events.append(engine_event(Action.REVIEW_CANCELLED, application, actor=actor, via=via, obj=review, ip=ip,
                                   department_code=review.department.code, when=entry.get("when")))
    return events


def _reviews_add(application: Application, applies, reviews: list[Review], *, now, actor, via,
                 ip) -> list[Event]:
    """Create the reviews a correction made needed (or revive one it had cancelled before), each
    in the queue at once when its stage has started and waiting for it otherwise; routing starts
    its clock. The application cannot fan in before they are decided: they are not approved."""
    by_code = {r.department.code: r for r in reviews}
    departments = frozen_department_ids(application.service_version_id)
    applicant_name = None
    events, created, codes = [], [], []
    for entry in applies.reviews:
        review = by_code.get(entry["department"])
        start = entry["stage"] <= application.current_stage
        if review is None:
            if applicant_name is None:
                applicant_name = lock_person_name(application.applicant_id)
            created.append(_new_review(application, entry, department_id=departments[entry["department"]],
                                       applicant_name=applicant_name, start=start, now=now))
            codes.append(entry["department"])
        elif review.status == ReviewStatus.CANCELLED:
            status_move_rows(Review.objects.filter(pk=review.pk), ReviewStatus.PENDING if start else ReviewStatus.WAITING,
                             from_states=[ReviewStatus.CANCELLED], pending_since=now if start else None, assignee=None,
                             reason="", correction_fields=[], correction_message="", **FRESH_START,
                             business_name=business_name_of(application.answers), version=review.version + 1)
            events.append(engine_event(Action.REVIEW_ADDED, application, actor=actor, via=via, obj=review, ip=ip,
                                       department_code=entry["department"]))
    for review, code in zip(Review.objects.bulk_create(created), codes, strict=True):
        events.append(engine_event(Action.REVIEW_ADDED, application, actor=actor, via=via, obj=review, ip=ip,
                                   department_code=code))
    return events


def _count_once_only(application: Application) -> None:
    """Counted once the rows it reads (answers, files, register values, certificates) are final."""
    application.once_only = once_only_figures(application)
    Application.objects.filter(pk=application.pk).update(once_only=application.once_only)


def _askers_still_members(reviews: list[Review]) -> dict[int, int]:
    """Review pk → the officer who asked for its correction, for those still active members of
    the review's department (one query)."""
    asked = {(r.department_id, r.decided_by_id): r.pk for r in reviews if r.decided_by_id}
    if not asked:
        return {}
    members = set(
        Membership.objects.people()
        .filter(department_id__in={d for d, _u in asked}, user_id__in={u for _d, u in asked})
        .values_list("department_id", "user_id")
    )
    return {pk: user_id for (department_id, user_id), pk in asked.items() if (department_id, user_id) in members}


@transaction.atomic
def application_withdraw(*, application_id: int, actor, ip: str | None = None, in_bundle: bool = False,
                         alone: bool = False) -> Application:
    """Withdraw a draft or an open application. A part of a submitted bundle with one combined
    permit takes the bundle's other open parts with it (the permit is all of them or none);
    ``alone``: one of those."""
    if not alone:
        _lock_parts_in_order(application_id)
    application = lock_application(application_id)
    _own(application, actor)
    if application.status not in (ApplicationStatus.DRAFT, *WITHDRAWABLE):
        raise InvalidTransition(_("A decided application cannot be withdrawn."))
    if not (in_bundle or may_withdraw(application)):  # the draft of a bundle's permit goes with the others
        raise InvalidTransition(_("This permit is part of an application for several permits: submit them together."))
    audit_record(*application_withdrawn(application, actor=actor, ip=ip, now=timezone.now()))
    if application.submitted_at and not alone and in_one_permit_bundle(application):
        siblings = (Application.objects.filter(bundle_application_id=application.bundle_application_id,
                                               status__in=WITHDRAWABLE)
                    .exclude(pk=application.pk).order_by("pk").values_list("pk", flat=True))
        for sibling_id in siblings:
            if lock_application(sibling_id).status in WITHDRAWABLE:  # still open under its own lock
                application_withdraw(application_id=sibling_id, actor=actor, ip=ip, in_bundle=True, alone=True)
    return application


def application_withdrawn(application: Application, *, actor, now, ip: str | None = None,
                          because: str | None = None, permit_number: str | None = None) -> list[Event]:
    """Close the locked, open ``application`` as withdrawn: its fee settled, its undecided reviews
    cancelled, its applicant told. By its applicant (``actor``), or by the portal (no actor) when a
    renewal or an amendment lapses ``because`` its permit ``permit_number`` was revoked or ended
    (approvals.follow_ons), the applicant told why. The events are the caller's to record."""
    # Before its reviews are cancelled: whether one had started decides the refund.
    fee_events = payment_orders_settle(application, reason=RefundReason.WITHDRAWN, now=now)
    status_move_rows(application.reviews.all(), ReviewStatus.CANCELLED, from_states=REVIEW_UNDECIDED, decided_at=now)
    status_move(application, ApplicationStatus.WITHDRAWN)
    application.withdrawn_at = now
    application.save(update_fields=["status", "withdrawn_at", "updated_at"])
    why = {"because": because, "permit_number": permit_number} if because else {}
    if application.submitted_at or because:
        notify(recipient_ids=[application.applicant_id], kind=NotificationKind.WITHDRAWN, application=application,
               params=why or None)
    return [engine_event(Action.APPLICATION_WITHDRAWN, application, actor=actor, ip=ip, **why), *fee_events]


def _lock_parts_in_order(application_id: int) -> None:
    """A part of a one-permit bundle is withdrawn with the bundle's other parts: lock them all by id
    first, so two withdrawals of two parts at once take turns instead of each holding one part and
    waiting for the other's (a deadlock)."""
    part = Application.objects.select_related("bundle_application").filter(pk=application_id).first()
    if part is None or not in_one_permit_bundle(part):
        return
    for pk in (Application.objects.filter(bundle_application_id=part.bundle_application_id)
               .order_by("pk").values_list("pk", flat=True)):
        lock_application(pk)


# --- Officers: claim, release, decide, extend ------------------------------------------------------


def _review_for(actor, review_id: int) -> tuple[Review, str]:
    """The review and the actor's role in its department; a review of another department
    does not exist for this actor."""
    review = Review.objects.select_related("department").get(pk=review_id)
    role = member_role(actor, review.department_id)
    if role is None:
        raise Review.DoesNotExist
    return review, role


@transaction.atomic
def review_claim(*, review_id: int, actor, ip: str | None = None, via: TokenActor | None = None) -> Review:
    """Take a review from the department's queue; ``via``: the department system's API token."""
    review, _role = _review_for(actor, review_id)
    claimed = status_move_rows(Review.objects.filter(pk=review.pk), ReviewStatus.IN_PROGRESS,
                               from_states=[ReviewStatus.PENDING], assignee=actor, version=review.version + 1)
    if not claimed:
        review.refresh_from_db()
        if review.status == ReviewStatus.IN_PROGRESS and review.assignee_id == actor.pk:
            return review
        raise Conflict(_("This review is no longer waiting in the queue: someone else claimed or decided it."))
    review.refresh_from_db()
    audit_record(engine_event(Action.REVIEW_CLAIMED, obj=review, actor=actor, via=via, ip=ip,
                              department_code=review.department.code))
    return review


@transaction.atomic
def review_release(*, review_id: int, actor, ip: str | None = None) -> Review:
    review, role = _review_for(actor, review_id)
    # Released only while it is still held as read: a change meanwhile is a conflict.
    query = Review.objects.filter(pk=review.pk, assignee_id=review.assignee_id)
    if not may_release(review, actor_id=actor.pk, role=role) or not status_move_rows(
            query, ReviewStatus.PENDING, from_states=[ReviewStatus.IN_PROGRESS], assignee=None,
            version=review.version + 1):
        raise Conflict(_("You do not hold this review."))
    audit_record(engine_event(Action.REVIEW_RELEASED, obj=review, actor=actor, ip=ip,
                              department_code=review.department.code))
    review.refresh_from_db()
    return review


def review_decision_check(*, decision: str, reason: str = "") -> None:
    """What a decision needs before it is even looked at against the review (the officer's
    confirmation step asks it first)."""
    if decision not in Decision.ALL:
        raise ValidationFailed({"decision": [_("Choose approve, reject or request a correction.")]})
    if decision == Decision.REJECT and not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Give the reason for the rejection.")]})


@transaction.atomic
def review_decide(
    *, review_id: int, actor, decision: str, conditions: str = "", reason: str = "",
    correction_fields=(), message: str = "", expected_version: int | None = None, ip: str | None = None,
    via: TokenActor | None = None,
) -> Review:
    """Record a department's decision, then settle the application under its row lock. ``via``:
    the department system's API token deciding; what the decision leads to (the application
    rejected or approved, the permit issued) is the system's."""
    review_decision_check(decision=decision, reason=reason)
    conditions, reason, message = (conditions or "").strip(), (reason or "").strip(), (message or "").strip()

    try:
        application = lock_application_of_review(review_id, actor_id=getattr(actor, "pk", None))
    except Application.DoesNotExist:
        raise Review.DoesNotExist
    role = application.actor_role
    if role is None:  # a review of another department does not exist for this actor
        raise Review.DoesNotExist
    # Re-read every review inside the lock: this is what the outcome is computed from.
    reviews = reviews_of(application.pk)
    review = next(r for r in reviews if r.pk == review_id)

    if expected_version is not None and review.version != expected_version:
        raise Conflict()
    if application.status not in OPEN_APPLICATION or review.status not in (ReviewStatus.PENDING, ReviewStatus.IN_PROGRESS):
        raise Conflict(_("This review has already been decided or is not open for a decision."))
    if not may_decide(review, actor_id=actor.pk, role=role):
        raise Conflict(_("Another officer holds this review."))

    if decision == Decision.CORRECTION:
        own_fields = set(application.schema.department_fields(review.department.code))
        fields = list(dict.fromkeys(correction_fields or []))
        errors = {}
        if not fields:
            errors["correction_fields"] = [_("Choose at least one answer or document to correct.")]
        elif stray := [f for f in fields if f not in own_fields]:
            errors["correction_fields"] = [_("Your department cannot ask about: %(keys)s.") % {"keys": ", ".join(stray)}]
        if not message:
            errors["message"] = [_("Tell the applicant what to correct.")]
        if errors:
            raise ValidationFailed(errors)

    now = timezone.now()
    review.decided_at, review.decided_by_id, review.assignee_id = now, actor.pk, review.assignee_id or actor.pk
    review.version += 1
    if decision == Decision.APPROVE:
        status_move(review, ReviewStatus.APPROVED)
        review.conditions = conditions
        action = Action.REVIEW_APPROVED
    elif decision == Decision.REJECT:
        status_move(review, ReviewStatus.REJECTED)
        review.reason = reason
        action = Action.REVIEW_REJECTED
    else:
        status_move(review, ReviewStatus.CORRECTION_REQUESTED)
        review.correction_fields, review.correction_message = fields, message
        review.paused_on = local_today()
        action = Action.REVIEW_CORRECTION
    review.save(update_fields=[
        "status", "decided_at", "decided_by", "assignee", "conditions", "reason", "correction_fields",
        "correction_message", "paused_on", "version", "updated_at",
    ])
    events = [engine_event(action, application, actor=actor, via=via, obj=review, ip=ip,
                           department_code=review.department.code, conditions=conditions, reason=reason,
                           fields=list(correction_fields or []), message=message)]
    events += _settle(application, reviews, decision=decision, review=review, actor=actor, now=now)
    audit_record(*events)
    return review


def _settle(application: Application, reviews: list[Review], *, decision, review, actor, now) -> list[Event]:
    """Move the application on after a decision. Caller holds the application lock and has
    just re-read every review."""
    events = []
    if decision == Decision.REJECT:
        events += payment_orders_settle(application, reason=RefundReason.REJECTED, now=now)
        status_move_rows(Review.objects.filter(application=application).exclude(pk=review.pk), ReviewStatus.CANCELLED,
                         from_states=REVIEW_UNDECIDED, decided_at=now)
        status_move(application, ApplicationStatus.REJECTED)
        application.decided_at = now
        application.save(update_fields=["status", "decided_at", "updated_at"])
        notify(recipient_ids=[application.applicant_id], kind=NotificationKind.REJECTED, application=application,
               params={"reason": review.reason, "department": review.department.code})
        events.append(engine_event(Action.APPLICATION_REJECTED, application, department_code=review.department.code))
        events += dependants_refuse(application=application, now=now)  # a bundle's permits that depend on it
        return events

    if decision == Decision.CORRECTION:
        if application.status != ApplicationStatus.NEEDS_CORRECTION:
            status_move(application, ApplicationStatus.NEEDS_CORRECTION)
            application.save(update_fields=["status", "updated_at"])
        notify(recipient_ids=[application.applicant_id], kind=NotificationKind.CORRECTION_REQUESTED,
               application=application, review=review,
               params={"message": review.correction_message, "fields": list(review.correction_fields)})
        return events

    return events + _advance(application, reviews, now=now)


def _advance(application: Application, reviews: list[Review], *, now) -> list[Event]:
    """Start the next stage, or fan in, once every review of the current stage and before is
    approved; a review cancelled because it is no longer needed counts for nothing. Caller holds
    the application lock and has just re-read every review."""
    events = []
    reviews = [r for r in reviews if r.status != ReviewStatus.CANCELLED]
    if any(r.status != ReviewStatus.APPROVED for r in reviews if r.stage <= application.current_stage):
        return events  # the current stage still has open reviews
    later = sorted({r.stage for r in reviews if r.stage > application.current_stage})
    if later:
        next_stage = later[0]
        status_move_rows(Review.objects.filter(application=application, stage=next_stage), ReviewStatus.PENDING,
                         from_states=[ReviewStatus.WAITING], pending_since=now)
        application.current_stage = next_stage
        application.save(update_fields=["current_stage", "updated_at"])
        nudge_ids_on_commit(ROUTE_TASK, [application.pk])
        return events

    # A renewal or an amendment whose permit was revoked or (an amendment's) ended meanwhile issues
    # nothing: it lapses (approvals.follow_on_ends closes the others the day it happens).
    if because := lapsed_because(application, timezone.localdate(now)):
        return events + application_withdrawn(application, actor=None, now=now, because=because,
                                              permit_number=followed_permit(application).number)
    # Fan-in: every department approved. The partial UNIQUE constraint on the permit is the
    # backstop should this ever run twice for one application.
    status_move(application, ApplicationStatus.APPROVED)
    application.decided_at = now
    application.save(update_fields=["status", "decided_at", "updated_at"])
    if in_one_permit_bundle(application):  # no permit of its own: the bundle's combined one, once all are approved
        fee_due = permit_waits_for_payment(application)  # and paid (bundle_permit_settle once it is)
        notify(recipient_ids=[application.applicant_id], kind=NotificationKind.APPROVED, application=application,
               params={"fee_due": True} if fee_due else None)
        events.append(engine_event(Action.APPLICATION_APPROVED, application, **({"fee_due": True} if fee_due else {})))
        events += filings_create(application=application, now=now)
        return events + bundle_permit_settle(application=application, now=now)
    # The bodies told of the approval without reviewing it, in this same transaction.
    events += filings_create(application=application, now=now)
    if permit_waits_for_payment(application):  # issued when the fee is paid (application_paid)
        notify(recipient_ids=[application.applicant_id], kind=NotificationKind.APPROVED, application=application,
               params={"fee_due": True})
        return [*events, engine_event(Action.APPLICATION_APPROVED, application, fee_due=True)]
    return events + _permit_issue(application, now=now, approved=True)


def _permit_issue(application: Application, *, now, approved: bool) -> list[Event]:
    """The approved application's permit row, rendered by a nudged task; the citizen is told of the
    approval with its number (``approved``) or, told before, that it is ready to be issued."""
    permit = permit_create(application=application, now=now)
    notify(recipient_ids=[application.applicant_id], kind=NotificationKind.APPROVED, application=application,
           params={"permit_number": permit.number})
    events = [engine_event(Action.APPLICATION_APPROVED, application)] if approved else []
    events.append(engine_event(Action.PERMIT_ISSUED, application, obj=permit, number=permit.number))
    if application.renews_id:
        events.append(engine_event(Action.PERMIT_RENEWED, application, obj=permit.replaces, number=permit.replaces.number,
                                   renewed_by=permit.number, superseded_from=permit.valid_from.isoformat()))
    elif application.amends_id:
        events.append(engine_event(Action.PERMIT_AMENDED, application, obj=permit.replaces, number=permit.replaces.number,
                                   amended_by=permit.number, superseded_from=permit.valid_from.isoformat(),
                                   changed=amendment_changes(application, application.answers, set(
                                       application.attachments.values_list("field_key", flat=True)))))
    nudge_ids_on_commit(RENDER_TASK, [permit.pk], one_per_message=True)
    return events


@transaction.atomic
def review_extend(*, review_id: int, actor, due_date, reason: str, ip: str | None = None) -> Review:
    review, role = _review_for(actor, review_id)
    if role != MembershipRole.SUPERVISOR:
        raise NotAllowed(_("Only a supervisor of the department can extend a due date."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Give the reason for the extension.")]})
    review = lock_review(review.pk)
    if review.status not in (ReviewStatus.PENDING, ReviewStatus.IN_PROGRESS) or review.due_date is None:
        raise InvalidTransition(_("Only an open review with a due date can be extended."))
    if due_date <= max(review.due_date, local_today()):
        raise ValidationFailed({"due_date": [_("The new due date must be later than %(date)s.") % {
            "date": max(review.due_date, local_today()).isoformat()}]})
    old = review.due_date
    dates = clock_extend(calendar=sla_calendar(review.department_id), review=review, due_date=due_date)
    for name, value in dates.items():
        setattr(review, name, value)
    review.extension_reason = reason
    review.version += 1
    # A card already shown stays on record; a new due date in the future clears nothing.
    review.save(update_fields=[*dates, "extension_reason", "version", "updated_at"])
    audit_record(engine_event(Action.REVIEW_EXTENDED, obj=review, actor=actor, ip=ip,
                              department_code=review.department.code,
                              **{"from": old.isoformat(), "to": due_date.isoformat(), "reason": reason}))
    return review


# --- System steps (Celery) ---------------------------------------------------------------------------


@transaction.atomic
def application_route(*, application_ids: list[int]) -> int:
    """Route the pending, unrouted reviews of these applications: start their SLA clocks and
    tell the departments' officers. Safe to run twice, or twice at once: the reviews are taken
    with FOR NO KEY UPDATE SKIP LOCKED and only while still unrouted, so each is routed once.
    The statements do not grow with the number of applications, so one batched nudge routes
    everything submitted meanwhile: reviews of one department starting their clock today with the
    same limit get the same dates (its calendar's), so they are written by one UPDATE per
    department and distinct limit (a handful)."""
    calendars, now, today = sla_calendars(), timezone.now(), local_today()
    reviews = lock_unrouted_reviews(application_ids)
    if not reviews:
        return 0
    by_limit: dict[tuple[int, int] | None, list[Review]] = {}
    for review in reviews:
        # A review back from a correction keeps the clock it already has.
        by_limit.setdefault(None if review.started_on else (review.department_id, review.sla_days), []).append(review)
    for limit, group in by_limit.items():
        dates = {} if limit is None else clock_start(calendar=calendars.of(limit[0]), start=today, sla_days=limit[1])
        Review.objects.filter(pk__in=[r.pk for r in group]).update(routed_at=now, **dates)
        for review in group:
            review.routed_at = now
            for name, value in dates.items():
                setattr(review, name, value)

    staff = departments_staff_ids({r.department_id for r in reviews if not r.assignee_id})
    notifications, events = [], []
    for review in reviews:
        due = review.due_date.isoformat() if review.due_date else ""
        recipients = [review.assignee_id] if review.assignee_id else staff.get(review.department_id, [])
        notifications += [
            Notification(recipient_id=rid, kind=NotificationKind.REVIEW_ROUTED, application_id=review.application_id,
                         review_id=review.pk, params={"due_date": due})
            for rid in recipients
        ]
        events.append(engine_event(Action.REVIEW_ROUTED, review.application, obj=review, department_code=review.department.code,
                             due_date=due or None))
    notifications_create(notifications)
    audit_record(*events)
    return len(reviews)


@transaction.atomic
def application_mark_issued(*, application_id: int, permit, tell: bool = True) -> None:
    """The permit file exists: the application is issued and the applicant told (once for a
    combined permit: ``tell`` is false for the bundle's other children)."""
    application = lock_application(application_id)
    if application.status != ApplicationStatus.APPROVED:
        return
    status_move(application, ApplicationStatus.ISSUED)
    application.save(update_fields=["status", "updated_at"])
    if not tell:
        audit_record(engine_event(Action.PERMIT_RENDERED, application, obj=permit, number=permit.number))
        return
    notify(recipient_ids=[application.applicant_id], kind=NotificationKind.PERMIT_READY, application=application,
           params={"permit_number": permit.number})
    audit_record(engine_event(Action.PERMIT_RENDERED, application, obj=permit, number=permit.number))



def shown_up_to(up_to: int | None) -> dict:
    """Rows up to the newest one a page showed (its "Mark as read" sends that one's id): what
    arrived after the page was drawn stays new. None: every row."""
    return {} if up_to is None else {"pk__lte": up_to}


def notifications_mark_read(*, user, up_to: int | None = None) -> int:
    """The user has read their notifications (up to ``up_to``)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True, **shown_up_to(up_to)).update(
        read_at=timezone.now())
