"""Staff management: who works in which department, with which role.

Officers and supervisors act in departments through their memberships; managers, auditors and
administrators belong to none. ``manage.py add_staff`` calls this. Every change of a role or a
membership, here or in the admin, is audited with its before and after (departments.staff_events)."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.errors import AccountError, UnknownDepartment, UnknownRole
from accounts.factors import totp_device_set, totp_secret_key
from accounts.models import STAFF_ROLES, Role
from accounts.services import normalize_email, password_check
from audit.services import audit_record

from .models import Department, Membership, MembershipRole
from .staff_events import memberships_of, password_set_event, role_state, staff_change_events

User = get_user_model()

# Staff roles in the order they are offered, and the department role each one holds.
STAFF_ROLE_ORDER = [r.value for r in Role if r in STAFF_ROLES]
DEPARTMENT_ROLES = {Role.OFFICER: MembershipRole.OFFICER, Role.SUPERVISOR: MembershipRole.SUPERVISOR}


# --- Staff --------------------------------------------------------------------------------------


@transaction.atomic
def staff_upsert(*, email: str, password: str, role: str, departments: list[str], full_name: str = "",
                 totp_secret: str | None = None, actor=None, actor_label: str = "") -> User:
    """Create or update a staff account.

    Admins get the admin site and every permission; other roles neither. Officers and
    supervisors belong to exactly the departments listed (memberships of other departments are
    removed); the other roles belong to none. Staff addresses count as verified. With
    ``totp_secret`` (base32), the authenticator app holding it becomes the account's second
    factor, for scripted set-ups; without it the person sets one up at their first sign-in. The
    change of role, memberships and password is audited as done by ``actor`` (or ``actor_label``)."""
    email = normalize_email(email)
    if totp_secret is not None:
        totp_secret_key(totp_secret)  # a bad secret changes nothing
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
    if totp_secret is not None:
        totp_device_set(user=user, secret=totp_secret)
    events = staff_change_events([user], {user.pk: roles_before}, memberships_before or {user.pk: {}}, actor=actor,
                                 actor_label=actor_label)
    if password_changed:
        events.append(password_set_event(user, actor=actor, actor_label=actor_label))
    audit_record(*events)
    return user

