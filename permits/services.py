"""Issuing permits. ``permit_create`` runs inside the fan-in transaction (the application row
is locked); ``permit_render`` runs later in a Celery worker and is safe to run twice; revoking
and re-issuing after a correction are staff actions, each one transaction."""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from audit.models import Action
from audit.services import Event, audit_record
from core.errors import InvalidTransition, NotAllowed, ValidationFailed
from departments.models import Membership, MembershipRole

from .models import Permit, PermitStatus

log = logging.getLogger(__name__)


def permit_number(application) -> str:
    return f"P-{application.submitted_at.year}-{application.pk:06d}"


def permit_create(*, application, now=None) -> Permit:
    """The permit row of an application that has just been approved (caller holds the lock)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    valid_days = application.schema.data["service"]["permit_valid_days"]
    return Permit.objects.create(
        application=application, number=permit_number(application), issued_at=now,
        valid_from=today, valid_until=today + timedelta(days=valid_days),
    )


def _claim_render(permit_id: int) -> bool:
    stale_before = timezone.now() - timedelta(seconds=settings.PORTAL_RECONCILE_AFTER_SECONDS)
    return bool(
        Permit.objects.filter(pk=permit_id, rendered_at__isnull=True)
        .filter(Q(render_claimed_at__isnull=True) | Q(render_claimed_at__lt=stale_before))
        .update(render_claimed_at=timezone.now())
    )


def permit_render(*, permit_id: int) -> str:
    """Produce the permit PDF, mark the application issued and tell the applicant.

    Idempotent: a permit whose file exists is skipped; the file name is the permit number,
    so a second run after a crash overwrites rather than adds a file. The file is written
    under the application's row lock and only while the permit is still unrendered, so a
    render overtaken after its claim went stale never replaces the file the row describes."""
    from approvals.locks import lock_application
    from approvals.workflow import application_mark_issued  # engine step after the file exists

    from . import rendering

    if not _claim_render(permit_id):
        return "skipped"
    permit = (Permit.objects.select_related("application__service_version", "application__applicant", "replaces")
              .get(pk=permit_id))
    if not permit.data:
        permit.data = rendering.permit_facts(permit.application)
    pdf = rendering.render_permit_pdf(permit)
    digest = hashlib.sha256(pdf).hexdigest()
    name = f"permits/{permit.number}.pdf"
    with transaction.atomic():
        lock_application(permit.application_id)
        if not Permit.objects.filter(pk=permit.pk, rendered_at__isnull=True).exists():
            return "skipped"
        if default_storage.exists(name):  # left by a run that died before recording it
            default_storage.delete(name)
        saved = default_storage.save(name, ContentFile(pdf))
        Permit.objects.filter(pk=permit.pk).update(
            file=saved, sha256=digest, data=permit.data, rendered_at=timezone.now(),
            render_attempts=permit.render_attempts + 1,
        )
        if permit.replaces_id:  # a re-issue: the application is issued already
            _reissued_ready(permit)
        else:
            application_mark_issued(application_id=permit.application_id, permit=permit)
    return "rendered"


def _reissued_ready(permit: Permit) -> None:
    from approvals.models import NotificationKind
    from approvals.notifications import notify

    application = permit.application
    notify(recipient_ids=[application.applicant_id], kind=NotificationKind.PERMIT_READY, application=application,
           params={"permit_number": permit.number})
    audit_record(_event(Action.PERMIT_RENDERED, permit, number=permit.number))


def _event(action, permit: Permit, *, actor=None, ip=None, **details) -> Event:
    return Event(action=action, object_type="permit", object_id=permit.pk, actor=actor, ip=ip,
                 subject_id=permit.application.applicant_id, application_id=permit.application_id,
                 details={k: v for k, v in details.items() if v not in (None, "")})


# --- Staff: revoke, re-issue after a correction -------------------------------------------------

REASON_MAX_LENGTH = 1000
# What a re-issue may correct on the permit, with the longest value it accepts.
CORRECTABLE = {"holder": 120, "business_name": 200, "site_address": 300}


def may_manage(actor, permit: Permit) -> bool:
    """An administrator, or a supervisor of a department that reviewed the application."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.SUPERVISOR and Membership.objects.filter(
        user=actor, role=MembershipRole.SUPERVISOR, department__reviews__application_id=permit.application_id,
    ).exists()


def may_manage_any(actor) -> bool:
    """Whether the staff's permit pages are open to this user at all."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return False
    return actor.role == Role.ADMIN or (
        actor.role == Role.SUPERVISOR and Membership.objects.filter(user=actor, role=MembershipRole.SUPERVISOR).exists())


def _locked_permit(permit_id: int, actor) -> Permit:
    """The permit under its application's row lock (every change of an application's permits
    serializes there, with the render task); NotAllowed for whoever may not manage it."""
    from approvals.locks import lock_application

    application_id = Permit.objects.filter(pk=permit_id).values_list("application_id", flat=True).first()
    if application_id is None:
        raise Permit.DoesNotExist
    application = lock_application(application_id)
    permit = Permit.objects.select_related("replaces").get(pk=permit_id)
    permit.application = application
    if not may_manage(actor, permit):
        raise NotAllowed(_("Only a supervisor of a department that approved it, or an administrator, can do this."))
    return permit


def _reason(reason: str, field: str = "reason") -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed({field: [_("Give the reason.")]})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationFailed({field: [_("Keep the reason under %(n)s characters.") % {"n": REASON_MAX_LENGTH}]})
    return reason


@transaction.atomic
def permit_revoke(*, permit_id: int, actor, reason: str, ip: str | None = None) -> Permit:
    """Revoke a valid permit: verification shows it revoked, with the date and the reason, and
    the holder is told. A revoked permit stays revoked."""
    from approvals.models import NotificationKind
    from approvals.notifications import notify

    permit = _locked_permit(permit_id, actor)
    reason = _reason(reason)
    if permit.status != PermitStatus.VALID:
        raise InvalidTransition(_("Only a valid permit can be revoked; this one is %(status)s.") % {
            "status": permit.get_status_display().lower()})
    now = timezone.now()
    permit.status, permit.revoked_at, permit.revoked_by, permit.revocation_reason = (
        PermitStatus.REVOKED, now, actor, reason)
    permit.save(update_fields=["status", "revoked_at", "revoked_by", "revocation_reason"])
    notify(recipient_ids=[permit.application.applicant_id], kind=NotificationKind.PERMIT_REVOKED,
           application=permit.application, params={"permit_number": permit.number, "reason": reason})
    audit_record(_event(Action.PERMIT_REVOKED, permit, actor=actor, ip=ip, number=permit.number, reason=reason))
    return permit


def reissue_number(permit: Permit) -> str:
    """The next issue of the same application's permit: P-2026-000123, P-2026-000123-2, ..."""
    issued = Permit.objects.filter(application_id=permit.application_id).count()
    return f"{permit_number(permit.application)}-{issued + 1}"


@transaction.atomic
def permit_reissue(*, permit_id: int, actor, corrections: dict, reason: str, ip: str | None = None) -> Permit:
    """Issue a corrected permit in place of a valid one. The old permit is kept, superseded
    (its file still verifies, as superseded, and points to the new one); the new permit has a
    new number, the same validity end date, and its file is produced by the worker."""
    from .tasks import permit_render_task

    permit = _locked_permit(permit_id, actor)
    reason = _reason(reason)
    if permit.status != PermitStatus.VALID:
        raise InvalidTransition(_("Only a valid permit can be re-issued; this one is %(status)s.") % {
            "status": permit.get_status_display().lower()})
    if not permit.rendered_at:
        raise InvalidTransition(_("The permit's file is still being produced. Try again in a moment."))
    from .selectors import permit_data

    facts = permit_data(permit)
    changes, errors = {}, {}
    for key, value in (corrections or {}).items():
        if key not in CORRECTABLE:
            continue
        value = " ".join(str(value or "").split())
        if len(value) > CORRECTABLE[key]:
            errors[key] = [_("Keep it under %(n)s characters.") % {"n": CORRECTABLE[key]}]
        elif key == "holder" and not value:
            errors[key] = [_("The holder's name cannot be empty.")]
        elif value != facts.get(key, ""):
            changes[key] = value
    if errors:
        raise ValidationFailed(errors)
    if not changes:
        raise ValidationFailed({"__all__": [_("Nothing was corrected: change at least one detail.")]})
    now = timezone.now()
    permit.status, permit.superseded_at = PermitStatus.SUPERSEDED, now
    permit.save(update_fields=["status", "superseded_at"])
    new = Permit.objects.create(
        application=permit.application, number=reissue_number(permit), issued_at=now,
        valid_from=timezone.localdate(now), valid_until=permit.valid_until,
        data={**facts, **changes}, replaces=permit, reissue_reason=reason,
    )
    audit_record(
        _event(Action.PERMIT_SUPERSEDED, permit, actor=actor, ip=ip, number=permit.number, by=new.number, reason=reason),
        _event(Action.PERMIT_ISSUED, new, actor=actor, ip=ip, number=new.number, replaces=permit.number,
               corrected=",".join(sorted(changes))),
    )
    from core.nudges import nudge_ids_on_commit

    nudge_ids_on_commit(permit_render_task, [new.pk], one_per_message=True)
    return new


def current_permit(application) -> Permit | None:
    return Permit.objects.filter(application=application).exclude(status=PermitStatus.SUPERSEDED).first()
