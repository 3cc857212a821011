"""The engine's permit steps: the produced file (which issues the application), and the
staff's revocation and re-issue after a correction. Each takes the application's row lock,
where every change of an application's permits serializes with the render task; numbering,
rendering, signing and storing the file are the permits app's (a leaf called from here)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import audit_record
from core.errors import InvalidTransition, NotAllowed, ValidationFailed
from core.nudges import nudge_ids_on_commit
from permits.models import Permit, PermitStatus
from permits.selectors import permit_data
from permits.services import (
    CORRECTABLE,
    REASON_MAX_LENGTH,
    permit_file_store,
    permit_pdf,
    permit_render_claim,
    reissue_number,
)

from .access import may_manage_permit
from .events import engine_event
from .locks import lock_application
from .models import NotificationKind
from .notifications import notify
from .transitions import status_move
from .workflow import RENDER_TASK, application_mark_issued


def permit_render(*, permit_id: int) -> str:
    """Produce the permit PDF, then issue the application (or, for a re-issue, tell the holder
    the new file is ready).

    Idempotent: a permit whose file exists is skipped. The PDF is rendered outside any
    transaction; the file is stored under the application's row lock and only while the
    permit is still unrendered."""
    if not permit_render_claim(permit_id):
        return "skipped"
    permit, pdf = permit_pdf(permit_id)
    with transaction.atomic():
        lock_application(permit.application_id)
        if not permit_file_store(permit, pdf):
            return "skipped"
        if permit.replaces_id:  # a re-issue: the application is issued already
            _reissued_ready(permit)
        else:
            application_mark_issued(application_id=permit.application_id, permit=permit)
    return "rendered"


def _reissued_ready(permit: Permit) -> None:
    application = permit.application
    notify(recipient_ids=[application.applicant_id], kind=NotificationKind.PERMIT_READY, application=application,
           params={"permit_number": permit.number})
    audit_record(engine_event(Action.PERMIT_RENDERED, application, obj=permit, number=permit.number))


def _locked_permit(permit_id: int, actor) -> Permit:
    """The permit under its application's row lock; NotAllowed for whoever may not manage it."""
    application_id = Permit.objects.filter(pk=permit_id).values_list("application_id", flat=True).first()
    if application_id is None:
        raise Permit.DoesNotExist
    application = lock_application(application_id)
    permit = Permit.objects.select_related("replaces").get(pk=permit_id)
    permit.application = application
    if not may_manage_permit(actor, permit):
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
    permit = _locked_permit(permit_id, actor)
    reason = _reason(reason)
    if permit.status != PermitStatus.VALID:
        raise InvalidTransition(_("Only a valid permit can be revoked; this one is %(status)s.") % {
            "status": permit.get_status_display().lower()})
    status_move(permit, PermitStatus.REVOKED)
    permit.revoked_at, permit.revoked_by, permit.revocation_reason = timezone.now(), actor, reason
    permit.save(update_fields=["status", "revoked_at", "revoked_by", "revocation_reason"])
    notify(recipient_ids=[permit.application.applicant_id], kind=NotificationKind.PERMIT_REVOKED,
           application=permit.application, params={"permit_number": permit.number, "reason": reason})
    audit_record(engine_event(Action.PERMIT_REVOKED, permit.application, obj=permit, actor=actor, ip=ip,
                              number=permit.number, reason=reason))
    return permit


def _corrections(permit: Permit, corrections: dict) -> tuple[dict, dict]:
    """What a re-issue changes on the permit's facts (checked), with the facts it starts from."""
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
    return facts, changes


@transaction.atomic
def permit_reissue(*, permit_id: int, actor, corrections: dict, reason: str, ip: str | None = None) -> Permit:
    """Issue a corrected permit in place of a valid one. The old permit is kept, superseded
    (its file still verifies, as superseded, and points to the new one); the new permit has a
    new number, the same validity end date, and its file is produced by the worker."""
    permit = _locked_permit(permit_id, actor)
    reason = _reason(reason)
    if permit.status != PermitStatus.VALID:
        raise InvalidTransition(_("Only a valid permit can be re-issued; this one is %(status)s.") % {
            "status": permit.get_status_display().lower()})
    if not permit.rendered_at:
        raise InvalidTransition(_("The permit's file is still being produced. Try again in a moment."))
    facts, changes = _corrections(permit, corrections)
    now = timezone.now()
    status_move(permit, PermitStatus.SUPERSEDED)
    permit.superseded_at = now
    permit.save(update_fields=["status", "superseded_at"])
    new = Permit.objects.create(
        application=permit.application, number=reissue_number(permit), issued_at=now,
        valid_from=timezone.localdate(now), valid_until=permit.valid_until,
        data={**facts, **changes}, replaces=permit, reissue_reason=reason,
    )
    audit_record(
        engine_event(Action.PERMIT_SUPERSEDED, permit.application, obj=permit, actor=actor, ip=ip,
                     number=permit.number, by=new.number, reason=reason),
        engine_event(Action.PERMIT_ISSUED, permit.application, obj=new, actor=actor, ip=ip, number=new.number,
                     replaces=permit.number, corrected=",".join(sorted(changes))),
    )
    nudge_ids_on_commit(RENDER_TASK, [new.pk], one_per_message=True)
    return new
