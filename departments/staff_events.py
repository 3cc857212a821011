"""The audit events of staff changes: a role (and the admin-site flags that go with it), the
department memberships, a password set for someone. Built here only, whoever makes the change:
``staff_upsert`` (add_staff), the admin's people and department pages, a department token's system
account. Each event names the person as its object, with the state before and after."""

from accounts.models import Role
from audit.models import Action
from audit.services import Event

from .models import Membership


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


def password_set_event(user, *, actor=None, actor_label: str = "", ip: str | None = None, purpose: str = "") -> Event:
    """Someone else set ``user``'s password (add_staff, the admin's password page)."""
    return Event(action=Action.PASSWORD_CHANGED, object_type="user", object_id=user.pk, actor=actor,
                 actor_label=actor_label, subject_id=user.pk if user.is_citizen else None, ip=ip, purpose=purpose)
