"""The engine's permit steps: the produced file (which issues the application and puts the permit
into its holder's wallet as an e-certificate, certificates.services), and the
staff's revocation and re-issue after a correction. Each takes the application's row lock,
where every change of an application's permits serializes with the render task; numbering,
rendering, signing and storing the file are the permits app's (a leaf called from here).

A re-issue changes what a signed permit prints (its holder, business, site), so it takes four
eyes: one person proposes the correction, another person allowed to manage the permit approves
it, and only the approval issues the corrected permit. Every re-issue corrects something
printed (one that changes nothing is refused), so there is no single-person path. A proposal
tells everyone else who may approve it; a decision tells the proposer."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import audit_record
from certificates.services import certificate_of_permit
from core.errors import InvalidTransition, NotAllowed, ValidationFailed
from core.nudges import nudge_ids_on_commit
from permits.models import Permit, PermitStatus, ReissueRequest, ReissueRequestStatus
from permits.selectors import permit_data, permit_manager_ids
from permits.services import (
    CORRECTABLE,
    REASON_MAX_LENGTH,
    permit_file_store,
    permit_pdf,
    permit_render_claim,
    reissue_number,
)

from .access import may_manage_permit
from .bundle_permit import bundle_issued_ids
from .events import engine_event
from .follow_on_ends import follow_ons_close, lock_follow_ons, open_follow_on_ids
from .locks import lock_application, lock_reissue_request
from .models import NotificationKind
from .notifications import notify
from .transitions import status_enter, status_move, status_move_rows
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
        # Issued: the permit enters its holder's wallet as what it prints, once (the file is stored once).
        certificate_of_permit(permit)
        if permit.replaces_id:  # a re-issue: the application is issued already
            _reissued_ready(permit)
        else:  # a combined permit issues every child of its bundle; the holder is told once
            for i, application_id in enumerate(bundle_issued_ids(permit)):
                application_mark_issued(application_id=application_id, permit=permit, tell=i == 0)
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


def reason_given(reason: str, field: str = "reason") -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed({field: [_("Give the reason.")]})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationFailed({field: [_("Keep the reason under %(n)s characters.") % {"n": REASON_MAX_LENGTH}]})
    return reason


@transaction.atomic
def permit_revoke(*, permit_id: int, actor, reason: str, ip: str | None = None) -> Permit:
    """Revoke a valid permit: verification shows it revoked, with the date and the reason, and
    the holder is told. A revoked permit stays revoked; a renewal or an amendment of it in
    progress lapses (approvals.follow_on_ends)."""
    named = Permit.objects.filter(pk=permit_id).only("application_id").first()
    follow_on_ids = open_follow_on_ids(named) if named else []
    lock_follow_ons(follow_on_ids)
    permit = _locked_permit(permit_id, actor)
    reason = reason_given(reason)
    if permit.status != PermitStatus.VALID:
        raise InvalidTransition(_("Only a valid permit can be revoked; this one is %(status)s.") % {
            "status": permit.get_status_display().lower()})
    status_move(permit, PermitStatus.REVOKED)
    permit.revoked_at, permit.revoked_by, permit.revocation_reason = timezone.now(), actor, reason
    permit.save(update_fields=["status", "revoked_at", "revoked_by", "revocation_reason"])
    notify(recipient_ids=[permit.application.applicant_id], kind=NotificationKind.PERMIT_REVOKED,
           application=permit.application, params={"permit_number": permit.number, "reason": reason})
    audit_record(engine_event(Action.PERMIT_REVOKED, permit.application, obj=permit, actor=actor, ip=ip,
                              number=permit.number, reason=reason),
                 *follow_ons_close(follow_on_ids, now=permit.revoked_at))  # a renewal or amendment of it lapses
    # A correction waiting for approval has nothing left to correct.
    for request in ReissueRequest.objects.filter(permit=permit, status=ReissueRequestStatus.PENDING):
        request.permit = permit
        _decide(request, ReissueRequestStatus.REJECTED, actor=actor, note=reason, ip=ip)
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


def _check_reissuable(permit: Permit) -> None:
    if permit.status != PermitStatus.VALID:
        raise InvalidTransition(_("Only a valid permit can be re-issued; this one is %(status)s.") % {
            "status": permit.get_status_display().lower()})
    if not permit.rendered_at:
        raise InvalidTransition(_("The permit's file is still being produced. Try again in a moment."))


@transaction.atomic
def permit_reissue_propose(*, permit_id: int, actor, corrections: dict, reason: str,
                           ip: str | None = None) -> ReissueRequest:
    """Propose a corrected permit in place of a valid one. Nothing is issued: the correction
    waits for another person allowed to manage the permit (permit_reissue_approve). One
    correction waits per permit at a time."""
    permit = _locked_permit(permit_id, actor)
    reason = reason_given(reason)
    _check_reissuable(permit)
    changes = _corrections(permit, corrections)[1]
    if ReissueRequest.objects.filter(permit=permit, status=ReissueRequestStatus.PENDING).exists():
        raise InvalidTransition(_("A correction of this permit is already waiting for a second supervisor: "
                                  "approve or reject it first."))
    request = status_enter(ReissueRequest(permit=permit, corrections=changes, reason=reason, proposed_by=actor),
                           ReissueRequestStatus.PENDING)
    request.save()
    # Those who may approve it hear of it (mail after commit); the values stay on its page.
    notify(recipient_ids=[pk for pk in permit_manager_ids(permit) if pk != actor.pk],
           kind=NotificationKind.PERMIT_CORRECTION_PROPOSED, application=permit.application,
           params={"permit_number": permit.number, "request": request.pk, "by": actor.get_short_name(),
                   "details": [key for key in CORRECTABLE if key in changes]})
    audit_record(engine_event(Action.PERMIT_REISSUE_PROPOSED, permit.application, obj=permit, actor=actor, ip=ip,
                              number=permit.number, request=request.pk, corrected=",".join(sorted(changes)),
                              reason=reason))
    return request


def _locked_request(request_id: int, actor) -> ReissueRequest:
    """A waiting correction, under its application's row lock and its own (two deciders at once
    take turns, and the second finds it decided); NotAllowed for whoever may not manage the permit."""
    permit_id = ReissueRequest.objects.filter(pk=request_id).values_list("permit_id", flat=True).first()
    if permit_id is None:
        raise ReissueRequest.DoesNotExist
    permit = _locked_permit(permit_id, actor)
    request = lock_reissue_request(request_id)
    request.permit = permit
    if request.status != ReissueRequestStatus.PENDING:
        raise InvalidTransition(_("This correction has been decided already."))
    return request


def _decide(request: ReissueRequest, status: str, *, actor, note: str = "", reissued: Permit | None = None,
            ip: str | None = None) -> None:
    """Record the decision, only if the correction still waits (a conditional UPDATE: the row
    lock already serializes deciders; this keeps a second decision from ever being written)."""
    now = timezone.now()
    moved = status_move_rows(ReissueRequest.objects.filter(pk=request.pk), status,
                             from_states=[ReissueRequestStatus.PENDING], decided_by=actor, decided_at=now,
                             decision_note=note, reissued=reissued)
    if moved != 1:
        raise InvalidTransition(_("This correction has been decided already."))
    status_move(request, status)  # the instance follows the row
    request.decided_by, request.decided_at, request.decision_note, request.reissued = actor, now, note, reissued
    permit = request.permit
    if status == ReissueRequestStatus.APPROVED:
        event = engine_event(Action.PERMIT_REISSUE_APPROVED, permit.application, obj=permit, actor=actor, ip=ip,
                             number=permit.number, request=request.pk, by=reissued.number)
    else:
        event = engine_event(Action.PERMIT_REISSUE_REJECTED, permit.application, obj=permit, actor=actor, ip=ip,
                             number=permit.number, request=request.pk, reason=note)
    audit_record(event)
    if request.proposed_by_id != actor.pk:  # a proposer withdrawing their own knows
        approved = status == ReissueRequestStatus.APPROVED
        notify(recipient_ids=[request.proposed_by_id], application=permit.application,
               kind=NotificationKind.PERMIT_CORRECTION_APPROVED if approved else NotificationKind.PERMIT_CORRECTION_REJECTED,
               params={"permit_number": permit.number, "request": request.pk, "by": actor.get_short_name(),
                       **({"reissued": reissued.number} if approved else {})})


@transaction.atomic
def permit_reissue_approve(*, request_id: int, actor, ip: str | None = None) -> Permit:
    """Approve a proposed correction: the corrected permit is issued in place of the old one.
    The proposer cannot approve their own."""
    request = _locked_request(request_id, actor)
    if request.proposed_by_id == actor.pk:
        raise NotAllowed(_("You proposed this correction: another supervisor must approve it."))
    new = _reissue(request.permit, actor=actor, corrections=request.corrections, reason=request.reason, ip=ip)
    _decide(request, ReissueRequestStatus.APPROVED, actor=actor, reissued=new, ip=ip)
    return new


@transaction.atomic
def permit_reissue_reject(*, request_id: int, actor, reason: str, ip: str | None = None) -> ReissueRequest:
    """Reject a proposed correction (its proposer may, to withdraw it); the permit is unchanged."""
    request = _locked_request(request_id, actor)
    _decide(request, ReissueRequestStatus.REJECTED, actor=actor, note=reason_given(reason), ip=ip)
    return request


def _reissue(permit: Permit, *, actor, corrections: dict, reason: str, ip: str | None) -> Permit:
    """Issue a corrected permit in place of a valid one (the caller holds the application's lock
    and has the correction approved). The old permit is kept, superseded (its file still
    verifies, as superseded, and names the new one); the new permit has a new number and its
    own verification code, the same validity end date, and its file is produced by the worker."""
    _check_reissuable(permit)
    facts, changes = _corrections(permit, corrections)
    now = timezone.now()
    status_move(permit, PermitStatus.SUPERSEDED)
    permit.superseded_at = now
    permit.save(update_fields=["status", "superseded_at"])
    new = Permit.objects.create(
        application=permit.application, bundle_application_id=permit.bundle_application_id,
        number=reissue_number(permit), issued_at=now,
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
