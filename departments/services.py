"""Staff management: who works in which department, with which role.

Officers and supervisors act in departments through their memberships; managers, auditors and
administrators belong to none. ``manage.py add_staff`` calls this. Every change of a role or a
membership, here or in the admin, is audited with its before and after (``staff_change_events``)."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.errors import AccountError, UnknownDepartment, UnknownRole
from accounts.models import STAFF_ROLES, Role
from accounts.services import normalize_email, password_check
from audit.models import Action
from audit.services import Event, audit_record

from .models import Department, Membership, MembershipRole

User = get_user_model()

# Staff roles in the order they are offered, and the department role each one holds.
STAFF_ROLE_ORDER = [r.value for r in Role if r in STAFF_ROLES]
DEPARTMENT_ROLES = {Role.OFFICER: MembershipRole.OFFICER, Role.SUPERVISOR: MembershipRole.SUPERVISOR}


# --- Staff --------------------------------------------------------------------------------------


@transaction.atomic
def staff_upsert(*, email: str, password: str, role: str, departments: list[str], full_name: str = "",
                 actor=None, actor_label: str = "") -> User:
    """Create or update a staff account.

    Admins get the admin site and every permission; other roles neither. Officers and
    supervisors belong to exactly the departments listed (memberships of other departments are
    removed); the other roles belong to none. Staff addresses count as verified. The change of
    role, memberships and password is audited as done by ``actor`` (or ``actor_label``)."""
    email = normalize_email(email)
    if role not in STAFF_ROLES:
        raise UnknownRole(_("Unknown staff role “%(role)s”. Choose one of: %(roles)s.") % {
            "role": role, "roles": ", ".join(STAFF_ROLE_ORDER)})
    role = Role(role)
    codes = list(dict.fromkeys(c.strip() for c in departments if c and c.strip()))
    if role in DEPARTMENT_ROLES and not codes:
        raise UnknownDepartment(_("An officer or a supervisor must belong to at least one department."))
    if role not in DEPARTMENT_ROLES and codes:
        raise UnknownDepartment(_("Only officers and supervisors belong to departments, not the role “%(role)s”.") % {
            "role": role.value})
    found = dict(Department.objects.filter(code__in=codes).values_list("code", "pk"))
    if unknown := [c for c in codes if c not in found]:
        raise UnknownDepartment(ngettext(
            "Unknown department code: %(codes)s.", "Unknown department codes: %(codes)s.", len(unknown),
        ) % {"codes": ", ".join(unknown)})

    user = User.objects.select_for_update().filter(email__iexact=email).first()
    if user is not None and user.role == Role.CITIZEN:
        raise AccountError(_("%(email)s is a citizen's account. Staff need an account of their own.") % {"email": email},
                           field="email")
    if user is None:
        user = User(email=email)
    roles_before = role_state(user) if user.pk else None
    memberships_before = memberships_of([user.pk]) if user.pk else None
    user.full_name = full_name.strip() or user.full_name
    user.role = role
    user.is_staff = user.is_superuser = role == Role.ADMIN
    user.email_verified = True
    password_check(password, user)
    password_changed = roles_before is not None and not user.check_password(password)
    user.set_password(password)
    user.save()

    membership_role = DEPARTMENT_ROLES.get(role)
    kept = [found[c] for c in codes]
    Membership.objects.filter(user=user).exclude(department_id__in=kept).delete()
    for department_id in kept:
        Membership.objects.update_or_create(user=user, department_id=department_id, defaults={"role": membership_role})
    events = staff_change_events([user], {user.pk: roles_before}, memberships_before or {user.pk: {}}, actor=actor,
                                 actor_label=actor_label)
    if password_changed:
        events.append(Event(action=Action.PASSWORD_CHANGED, object_type="user", object_id=user.pk, actor=actor,
                            actor_label=actor_label))
    audit_record(*events)
    return user


# --- Audit of role and membership changes -----------------------------------------------------------


def role_state(user) -> dict:
    """What a person may do, as the audit log records it before and after a change."""
    return {"role": user.role, "is_staff": user.is_staff, "is_superuser": user.is_superuser}


def memberships_of(user_ids) -> dict[int, dict[str, str]]:
    """Each person's memberships, department code -> role."""
    found = {pk: {} for pk in user_ids}
    rows = (Membership.objects.filter(user_id__in=found).order_by("department__code")
            .values_list("user_id", "department__code", "role"))
    for user_id, code, role in rows:
        found[user_id][code] = role
    return found


def staff_change_events(users, roles_before: dict, memberships_before: dict, *, actor=None, actor_label: str = "",
                        ip: str | None = None, department_code: str = "") -> list[Event]:
    """ROLE_CHANGED and MEMBERSHIP_CHANGED events for ``users`` whose role state or memberships
    differ from ``roles_before`` / ``memberships_before`` (by user id; a missing role state is a
    new account, a missing user in ``memberships_before`` is not compared). Call it after saving,
    in the same transaction."""
    memberships_after = memberships_of([user.pk for user in users if user.pk in memberships_before])
    events = []
    for user in users:
        common = {"object_type": "user", "object_id": user.pk, "actor": actor, "actor_label": actor_label, "ip": ip,
                  "subject_id": user.pk if Role.CITIZEN in (user.role, (roles_before.get(user.pk) or {}).get("role"))
                  else None}
        if user.pk in roles_before and roles_before[user.pk] != role_state(user):
            events.append(Event(action=Action.ROLE_CHANGED, details={
                "before": roles_before[user.pk], "after": role_state(user)}, **common))
        if user.pk in memberships_before and memberships_before[user.pk] != memberships_after[user.pk]:
            events.append(Event(action=Action.MEMBERSHIP_CHANGED, department_code=department_code, details={
                "before": memberships_before[user.pk], "after": memberships_after[user.pk]}, **common))
    return events
