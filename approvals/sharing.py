"""Sharing an application with another department for an opinion: time-limited, held as guardian
object permissions on the application (one per member, each naming the share and the membership
it came through) and recorded as an ApplicationShare. What a share gave is taken back by that
record, never recomputed from who belongs where today."""

from datetime import timedelta

from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import audit_record
from core.errors import Conflict, NotAllowed, ValidationFailed
from departments.access import member_role
from departments.models import Department, Membership, MembershipRole

from .events import engine_event
from .locks import lock_share
from .models import (
    SHARE_MAX_DAYS,
    SHARE_MIN_DAYS,
    ApplicationShare,
    ApplicationUserObjectPermission,
)
from .notes import review_for_member
from .opinion_deadlines import opinion_due_date

VIEW_APPLICATION = "approvals.view_application"
SWEEP_BATCH = 500  # expired shares ended per sweep


def share_event(share: ApplicationShare, *, action: str, actor, ip, event: str, **details):
    # On the asking department's record: the event is in the purpose and the details.
    return engine_event(action, share.application, obj=share, actor=actor, ip=ip,
                        department_code=share.from_department.code, purpose=event, event=event,
                        shared_with=share.department.code, expires_at=share.expires_at.isoformat(), **details)


@transaction.atomic
def application_share(
    *, review_id: int, actor, department_id: int, days: int, reason: str, ip: str | None = None,
) -> ApplicationShare:
    """A supervisor of the reviewing department shares the application with another department
    for an opinion, for ``days`` days. Every officer and supervisor of that department gets the
    view permission on the application while the share lasts and they stay members."""
    review, role = review_for_member(actor, review_id)
    if role != MembershipRole.SUPERVISOR:
        raise NotAllowed(_("Only a supervisor of the department can share an application."))
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Say what you would like the other department's opinion on.")]
    if not isinstance(days, int) or not SHARE_MIN_DAYS <= days <= SHARE_MAX_DAYS:
        errors["days"] = [_("Share for %(min)s to %(max)s days.") % {"min": SHARE_MIN_DAYS, "max": SHARE_MAX_DAYS}]
    department = Department.objects.filter(pk=department_id).exclude(pk=review.department_id).first()
    if department is None:
        errors["department"] = [_("Choose another department.")]
    if errors:
        raise ValidationFailed(errors)
    now = timezone.now()
    expires_at = now + timedelta(days=days)
    share = ApplicationShare.objects.create(
        application=review.application, from_department=review.department, department=department, granted_by=actor,
        reason=reason, expires_at=expires_at, created_at=now, opinion_due=opinion_due_date(now, expires_at, department.pk),
    )
    _grant(share, department)
    audit_record(share_event(share, action=Action.APPLICATION_SHARED, actor=actor, ip=ip, event="share",
                              reason=reason, days=days))
    return share


@transaction.atomic
def share_revoke(*, share_id: int, actor, ip: str | None = None) -> ApplicationShare:
    """A supervisor of the asking department ends a share before it expires; the view permissions
    it gave go (what another share gave stays)."""
    share = lock_share(share_id)
    role = member_role(actor, share.from_department_id)
    if role is None:
        raise ApplicationShare.DoesNotExist
    if role != MembershipRole.SUPERVISOR:
        raise NotAllowed(_("Only a supervisor of the department can revoke a share."))
    if share.revoked_at is not None:
        raise Conflict(_("This share was already revoked."))
    now = timezone.now()
    share.revoked_at, share.revoked_by = now, actor
    share.ended_at = share.ended_at or now
    share.save(update_fields=["revoked_at", "revoked_by", "ended_at"])
    _withdraw_permission(share)
    audit_record(share_event(share, action=Action.SHARE_REVOKED, actor=actor, ip=ip, event="share_revoked"))
    return share


def _grant(share: ApplicationShare, department: Department) -> None:
    """The view permission for every active member of the department now, each on record as
    given by this share through that membership (someone joining later gets nothing from it)."""
    app_label, codename = VIEW_APPLICATION.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    ApplicationUserObjectPermission.objects.bulk_create([
        ApplicationUserObjectPermission(user_id=user_id, permission=permission, content_object=share.application,
                                        share=share, membership_id=membership_id)
        for membership_id, user_id in Membership.objects.filter(department=department, user__is_active=True)
        .order_by("pk").values_list("pk", "user_id")
    ])


def _withdraw_permission(share: ApplicationShare) -> None:
    """Take back exactly what this share gave: its own rows. A member who holds the permission
    through another share keeps that share's row; deleting what is already gone does nothing,
    so this is safe to run twice."""
    share.grants.all().delete()


def _expired(now) -> Q:
    return Q(revoked_at__isnull=True, ended_at__isnull=True, expires_at__lte=now)


def shares_expire(*, now=None) -> int:
    """The beat sweep: take back the permissions of shares that expired, each once (claimed by a
    conditional UPDATE of ``ended_at``, so a second sweep, or two at once, find nothing left).
    Returns how many shares ended; the next sweep takes any beyond SWEEP_BATCH."""
    now = now or timezone.now()
    ids = list(ApplicationShare.objects.filter(_expired(now)).order_by("expires_at", "pk")
               .values_list("pk", flat=True)[:SWEEP_BATCH])
    return sum(_share_expire(share_id=pk, now=now) for pk in ids)


@transaction.atomic
def _share_expire(*, share_id: int, now) -> bool:
    if not ApplicationShare.objects.filter(_expired(now), pk=share_id).update(ended_at=now):
        return False
    share = ApplicationShare.objects.select_related("application", "department", "from_department").get(pk=share_id)
    _withdraw_permission(share)
    audit_record(share_event(share, action=Action.SHARE_REVOKED, actor=None, ip=None, event="share_expired"))
    return True
