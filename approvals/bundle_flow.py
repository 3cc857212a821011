"""One application for a life event (a catalogue bundle): start, save the combined form, submit.

Each member service of the bundle is a child Application of its own frozen version, so the
engine's guarantees (row locks, SLA clocks, fan-in, one permit per application, audit) hold for
each permit unchanged. This module only fans the citizen's single actions out to the children,
through the engine's own functions, each action in one transaction: a page saved is saved on every
child that asks its questions or on none; a submission submits every child whose member applies
(catalogue.applicability over the combined form) and discards the others, or changes nothing.
A refusal of one child refusing the children that depend on it is approvals.bundle_dependants."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import Event, audit_record
from catalogue.applicability import applied
from catalogue.bundles import bundle_schema
from catalogue.models import Bundle, Service
from core.errors import InvalidTransition, ValidationFailed

from .events import bundle_event, engine_event
from .evidence import answering, problems_raise
from .locks import lock_bundle_application, lock_person
from .models import Application, ApplicationStatus, Attachment, BundleApplication, BundleApplicationStatus
from .transitions import status_enter, status_move
from .workflow import (
    REPEATED_START_SECONDS,
    StartOutcome,
    application_remove_attachment,
    application_save_page,
    application_start,
    application_submit,
    application_withdraw,
)


def _lock(bundle_application_id: int, actor) -> BundleApplication:
    """The citizen's bundle application, locked; anyone else's does not exist for them."""
    row = lock_bundle_application(bundle_application_id)
    if row is None or row.applicant_id != getattr(actor, "pk", None):
        raise BundleApplication.DoesNotExist
    return row


def _draft(bundle_application_id: int, actor) -> BundleApplication:
    row = _lock(bundle_application_id, actor)
    if row.status == BundleApplicationStatus.WITHDRAWN:
        raise InvalidTransition(_("This application was withdrawn."))
    if row.status != BundleApplicationStatus.DRAFT:
        raise InvalidTransition(_("This application has already been submitted."))
    return row


def bundle_children(bundle_application: BundleApplication) -> list[Application]:
    """The children in the bundle's member order."""
    order = {m["service"]: i for i, m in enumerate(bundle_application.schema["members"])}
    children = list(bundle_application.children.select_related("service"))
    return sorted(children, key=lambda child: order.get(child.service.slug, len(order)))


@transaction.atomic
def bundle_start(*, applicant, bundle: Bundle, ip: str | None = None) -> tuple[BundleApplication, str]:
    """A draft bundle application with one draft child per member service (application_start),
    unless the citizen already has a draft of this bundle (``StartOutcome``): decided under a lock
    on the citizen's row, so a double click makes one."""
    lock_person(applicant.pk)
    latest = (BundleApplication.objects.filter(applicant=applicant, bundle=bundle, status=BundleApplicationStatus.DRAFT)
              .order_by("-created_at", "-pk").first())
    if latest is not None:
        recent = latest.created_at >= timezone.now() - timedelta(seconds=REPEATED_START_SECONDS)
        return latest, StartOutcome.REPEATED if recent else StartOutcome.EXISTING
    combined = bundle_schema(bundle)
    members = combined.data["members"]
    services = Service.objects.in_bulk([m["service"] for m in members], field_name="slug")
    if len(members) < 2 or any(not services[m["service"]].is_active for m in members):
        raise InvalidTransition(_("This service is not open for applications."))
    row = status_enter(BundleApplication(applicant=applicant, bundle=bundle, schema=combined.data),
                       BundleApplicationStatus.DRAFT)
    row.save()
    for member in members:
        child = application_start(applicant=applicant, service=services[member["service"]], ip=ip)
        Application.objects.filter(pk=child.pk).update(bundle_application=row)
        member["version"] = child.service_version_id  # the version the child is answered against
    BundleApplication.objects.filter(pk=row.pk).update(schema=row.schema)
    audit_record(bundle_event(Action.BUNDLE_STARTED, row, actor=applicant, ip=ip, bundle=bundle.slug))
    return row, StartOutcome.CREATED


def bundle_values(bundle_application: BundleApplication, children: list[Application] | None = None) -> dict:
    """The answers given so far, over every child: a file question with a file, or that a
    certificate of the citizen's answers (approvals.evidence.answering), counts as answered."""
    values: dict = {}
    for child in children if children is not None else bundle_children(bundle_application):
        values.update(child.answers)
        attached = set(child.attachments.values_list("field_key", flat=True))
        attached |= set(answering(child, bundle_application.applicant, attached))
        values.update(dict.fromkeys(attached, True))
    return values


def _copies(uploads: list[tuple[str, object]]) -> list[tuple[str, bytes, str, str]]:
    """Each chosen file read once, so that every child that asks for it stores its own copy (a
    temporary upload is moved, not copied, when stored)."""
    copies = []
    for key, uploaded in uploads:
        uploaded.seek(0)
        copies.append((key, uploaded.read(), uploaded.name, getattr(uploaded, "content_type", "") or ""))
    return copies


@transaction.atomic
def bundle_save_page(*, bundle_application_id: int, actor, data: dict, uploads: list[tuple[str, object]],
                     certificates: dict | None = None, check_only: bool = False,
                     ip: str | None = None) -> BundleApplication:
    """Save one page of the combined form: on each child, the answers, files and certificates
    chosen (approvals.evidence) of the questions its own form asks (application_save_page: its
    own checks), all or nothing. Every problem of every child is reported at once, each question
    once; a certificate that is not the citizen's is reported as such (CertificateRefused)."""
    row = _draft(bundle_application_id, actor)
    copies = _copies(uploads)
    errors: dict[str, list] = {}
    refused: dict[tuple[str, str], None] = {}
    for child in bundle_children(row):
        own = child.schema.fields_by_key
        child_data = {k: v for k, v in data.items() if k in own}
        child_certificates = {k: v for k, v in (certificates or {}).items() if k in own}
        child_uploads = [(k, SimpleUploadedFile(name, content, content_type=kind))
                         for k, content, name, kind in copies if k in own]
        if not child_data and not child_uploads and not child_certificates:
            continue
        try:
            application_save_page(application_id=child.pk, actor=actor, data=child_data, uploads=child_uploads,
                                  certificates=child_certificates, check_only=check_only or bool(errors), ip=ip)
        except ValidationFailed as exc:
            for key, messages in exc.errors.items():
                errors.setdefault(key, list(messages))
            refused.update(dict.fromkeys(getattr(exc, "refused", ())))
    problems_raise(errors, list(refused))
    return row


@transaction.atomic
def bundle_remove_file(*, bundle_application_id: int, actor, attachment_id: int, ip: str | None = None) -> Attachment:
    """Remove a file from the combined form: every child's copy of it (the copies stored when it
    was chosen once: the same question and content), each through application_remove_attachment,
    in one transaction. Returns the attachment named. A file of another application is none."""
    row = _draft(bundle_application_id, actor)
    attachment = Attachment.objects.filter(pk=attachment_id, application__bundle_application=row).first()
    if attachment is None:
        raise Attachment.DoesNotExist
    for copy in Attachment.objects.filter(application__bundle_application=row, field_key=attachment.field_key,
                                          sha256=attachment.sha256).order_by("pk"):
        application_remove_attachment(attachment_id=copy.pk, actor=actor, ip=ip)
    return attachment


def bundle_plan(bundle_application: BundleApplication, values: dict):
    """What applies to ``values``: (Applied over the combined form, the slugs of the members that
    apply). A member applies when any of its reviews does."""
    result = applied(bundle_application.combined, values)
    return result, {review["service"] for review in result.reviews}


@transaction.atomic
def bundle_submit(*, bundle_application_id: int, actor, ip: str | None = None) -> BundleApplication:
    """Submit every child whose member applies (application_submit: its own checks) and discard
    the drafts of the others, in one transaction: any problem of any child changes nothing and is
    reported, each question once. The bundle application gets its one reference."""
    row = _draft(bundle_application_id, actor)
    children = bundle_children(row)
    _result, applying = bundle_plan(row, bundle_values(row, children))
    if not applying:
        raise InvalidTransition(_("None of the permits of this application applies to your answers."))
    errors: dict[str, list] = {}
    events = []
    for child in children:
        if child.service.slug in applying:
            try:
                application_submit(application_id=child.pk, actor=actor, ip=ip, in_bundle=True)
            except ValidationFailed as exc:
                for key, messages in exc.errors.items():
                    errors.setdefault(key, list(messages))
        else:
            events.append(_discard(child, actor=actor, ip=ip))
    if errors:
        raise ValidationFailed(errors)
    now = timezone.now()
    status_move(row, BundleApplicationStatus.SUBMITTED)
    row.submitted_at = now
    row.reference = f"B-{timezone.localdate(now).year}-{row.pk:06d}"
    row.save(update_fields=["status", "submitted_at", "reference", "updated_at"])
    audit_record(*events, bundle_event(Action.BUNDLE_SUBMITTED, row, actor=actor, ip=ip, reference=row.reference,
                                       services=sorted(applying)))
    return row


def _discard(child: Application, *, actor, ip) -> Event:
    """Delete the draft of a permit the answers do not need, and its files once committed."""
    if child.status != ApplicationStatus.DRAFT:
        raise InvalidTransition(_("This application has already been submitted."))
    event = engine_event(Action.BUNDLE_MEMBER_DISCARDED, child, actor=actor, ip=ip, service=child.service.slug,
                         bundle_application=child.bundle_application_id)
    stored = [(f.storage, f.name) for a in child.attachments.all() for f in (a.file, a.disarmed_file) if f]
    child.delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in stored])
    return event


@transaction.atomic
def bundle_withdraw(*, bundle_application_id: int, actor, ip: str | None = None) -> BundleApplication:
    """Give up a draft bundle application: it and every child draft are withdrawn (each through
    application_withdraw, audited), in one transaction. A submitted one is followed permit by
    permit: each can be withdrawn on its own page."""
    row = _draft(bundle_application_id, actor)
    for child in bundle_children(row):
        application_withdraw(application_id=child.pk, actor=actor, ip=ip, in_bundle=True)
    status_move(row, BundleApplicationStatus.WITHDRAWN)
    row.save(update_fields=["status", "updated_at"])
    audit_record(bundle_event(Action.BUNDLE_WITHDRAWN, row, actor=actor, ip=ip))
    return row
