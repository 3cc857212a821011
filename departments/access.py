"""What a person may do in a department: the one lookup of their role there.

A person acts in a department through an active account's membership; a deactivated account has
no role anywhere, whatever memberships it still holds. Every check of "is this person an officer
or a supervisor of this department" asks this module."""

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, QuerySet, Subquery

from accounts.models import Role

from .models import Membership, MembershipRole


def active_memberships() -> QuerySet:
    """Memberships through which someone can act: those of active accounts."""
    return Membership.objects.filter(user__is_active=True)


def acting_supervisors() -> QuerySet:
    """Supervisor memberships through which someone acts as a supervisor: those of an active
    account whose role is supervisor (a membership left behind when the role changed acts not)."""
    return active_memberships().filter(role=MembershipRole.SUPERVISOR, user__role=Role.SUPERVISOR)


def supervisor_memberships(user) -> QuerySet:
    """The memberships through which ``user`` acts as a supervisor (none for anyone else)."""
    if not _acting(user):
        return Membership.objects.none()
    return acting_supervisors().filter(user_id=user.pk)


def acts_as_administrator(user) -> bool:
    """An active administrator's account (rules that admit administrators, e.g. the permits')."""
    return _acting(user) and user.role == Role.ADMIN


def administrator_ids() -> list[int]:
    """Everyone ``acts_as_administrator`` admits."""
    return list(get_user_model().objects.filter(is_active=True, role=Role.ADMIN).order_by("pk")
                .values_list("pk", flat=True))


def _acting(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def member_roles(user, department_ids=None) -> dict[int, str]:
    """Department id → the person's role (``MembershipRole``) there, for every department they
    may act in (only among ``department_ids`` when given). ``user`` is a user or a user id."""
    memberships = active_memberships().filter(user_id=getattr(user, "pk", user))
    if department_ids is not None:
        memberships = memberships.filter(department_id__in=department_ids)
    return dict(memberships.values_list("department_id", "role"))


def member_role(user, department_id: int) -> str | None:
    """The person's role in the department, or None when they may not act there."""
    return _roles(user, department_id).first()


def member_role_subquery(user, department: OuterRef) -> Subquery:
    """``member_role`` as a subquery, for the statement that reads a row of the department
    (``department``, a reference to its id): the row and the role in one round trip."""
    return Subquery(_roles(user, department)[:1])


def _roles(user, department) -> QuerySet:
    return (active_memberships().filter(user_id=getattr(user, "pk", user), department_id=department)
            .values_list("role", flat=True))


def member_role_sql(*, department: str) -> str:
    """The same rule as a scalar SQL subquery, for raw statements that read the role in the
    statement that locks a row: the role of the user given as the query parameter that follows
    ``department`` (an SQL expression for the department's id, with its own parameters), or NULL."""
    table, users = Membership._meta.db_table, get_user_model()._meta.db_table
    return (
        f"(SELECT m.role FROM {table} m JOIN {users} u ON u.id = m.user_id"  # noqa: S608 -- identifiers from metadata
        f" WHERE m.department_id = {department} AND m.user_id = %s AND u.is_active LIMIT 1)"
    )


def department_members(department_ids: list[int]) -> list[Membership]:
    """The active officers and supervisors of these departments (whom a review can be assigned to)."""
    return list(
        Membership.objects.people().filter(department_id__in=department_ids)
        .select_related("user").order_by("department_id", "user__full_name", "user_id")
    )
