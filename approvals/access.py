"""Who may do what to the engine's objects: one place answers, for the services, the views,
the templates and the API alike."""

from accounts.models import Role
from departments.models import Membership, MembershipRole


def _signed_in(actor) -> bool:
    return actor is not None and actor.is_authenticated and actor.is_active


def may_manage_permit(actor, permit) -> bool:
    """An administrator, or a supervisor of a department that reviewed the application."""
    if not _signed_in(actor):
        return False
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.SUPERVISOR and Membership.objects.filter(
        user=actor, role=MembershipRole.SUPERVISOR, department__reviews__application_id=permit.application_id,
    ).exists()


def may_manage_any_permit(actor) -> bool:
    """Whether the staff's permit pages are open to this user at all."""
    if not _signed_in(actor):
        return False
    return actor.role == Role.ADMIN or (
        actor.role == Role.SUPERVISOR and Membership.objects.filter(user=actor, role=MembershipRole.SUPERVISOR).exists())
