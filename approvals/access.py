"""Who may do what to the engine's objects: one place answers, for the services, the views,
the templates (as context flags) and the API (through the services) alike. ``role`` is the
actor's role in the review's department (None: not an active member of it)."""

from departments.access import acts_as_administrator, member_roles, supervisor_memberships
from departments.models import MembershipRole
from permits.selectors import managed_permits

from .models import REVIEW_OPEN, Application, ApplicationShare, ApplicationStatus, ReviewStatus
from .sharing import VIEW_APPLICATION
from .transitions import transition_allowed


def may_withdraw(application) -> bool:
    """The applicant may withdraw a draft or an application still under review; the draft of a
    bundle's permit goes with its bundle application (approvals.bundle_flow)."""
    if application.bundle_application_id and application.status == ApplicationStatus.DRAFT:
        return False
    return transition_allowed(Application, application.status, ApplicationStatus.WITHDRAWN)


def may_claim(review, *, role) -> bool:
    """Any officer of the department may take a review waiting in its queue."""
    return role is not None and review.status == ReviewStatus.PENDING


def may_release(review, *, actor_id, role) -> bool:
    """The officer holding a review, or a supervisor of its department, may put it back."""
    return review.status == ReviewStatus.IN_PROGRESS and (
        role == MembershipRole.SUPERVISOR or (role is not None and review.assignee_id == actor_id))


def may_decide(review, *, actor_id, role) -> bool:
    """An open review may be decided by an officer of its department unless another officer
    holds it; a supervisor may decide it whoever holds it."""
    if role is None or review.status not in REVIEW_OPEN:
        return False
    return review.status == ReviewStatus.PENDING or review.assignee_id == actor_id or role == MembershipRole.SUPERVISOR


def may_manage_permit(actor, permit) -> bool:
    """An active administrator, or an active supervisor of a department that reviewed the
    application: the rule of the staff's permit pages too (permits.selectors.managed_permits)."""
    return managed_permits(actor).filter(pk=permit.pk).exists()


def may_manage_any_permit(actor) -> bool:
    """Whether the staff's permit pages are open to this user at all."""
    return acts_as_administrator(actor) or supervisor_memberships(actor).exists()


def opinion_reader_department(actor, share: ApplicationShare, *, now=None) -> int | None:
    """The department through which ``actor`` may read the opinion on ``share`` and download its
    files, or None. Every officer and supervisor of the asking department: the opinion is part of
    its review's record, after the share ends too. A member of the department asked while the
    share is active and the member holds the view right it gave (as its opinion page). Nobody
    else: not another department, not the applicant."""
    roles = member_roles(actor, [share.from_department_id, share.department_id])
    if share.from_department_id in roles:
        return share.from_department_id
    if share.department_id in roles and share.is_active(now) and actor.has_perm(VIEW_APPLICATION, share.application):
        return share.department_id
    return None
def may_see_filing(filing, *, role) -> bool:
    """A filing is its department's alone: any active officer or supervisor of it reads it (what
    it lists: approvals.need_to_know) and may acknowledge it; nobody else sees it at all."""
    return role is not None


def may_acknowledge(filing, *, role) -> bool:
    """Once: a filing acknowledged stays so."""
    return may_see_filing(filing, role=role) and filing.acknowledged_at is None
