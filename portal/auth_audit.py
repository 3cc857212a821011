"""Signing in and out, failed and slowed-down sign-ins, password spraying, password changes and
second factors (accounts.events) in the audit log. accounts sits beside audit and never imports it: it sends signals (Django's
user_logged_in and user_logged_out, and accounts.signals), and this module, above both, records
them. Failed sign-ins come from accounts.throttling once django-axes has counted them, so that an
attempt refused during a wait (neither checked nor counted) leaves no event for an attacker to
multiply. A member of staff is signed in on record when the second factor is given
(accounts.second_factor), not at the password. Events about a citizen carry them as subject."""

from django.contrib.auth.signals import user_logged_in, user_logged_out

from accounts import signals
from accounts.second_factor import second_factor_required, session_verified
from audit.models import Action
from audit.services import Event, audit_record, client_ip


def _subject(user) -> int | None:
    return user.pk if user is not None and user.is_citizen else None


def _account_event(action, request, user, *, actor=None, details=None, ip=None) -> Event:
    return Event(action=action, object_type="user", object_id=user.pk if user is not None else "",
                 actor=actor, actor_label="" if actor is not None else "anonymous", subject_id=_subject(user),
                 ip=ip if request is None else client_ip(request), details=details or {})


def signed_in(sender, request, user, **kwargs):
    if second_factor_required(user) and not session_verified(request):
        return  # the password alone: on record once the second factor is given (accounts.second_factor)
    # How, when not with the password (the identity service's sign-in says which service).
    details = getattr(request, "sign_in_details", None)
    audit_record(_account_event(Action.SIGNED_IN, request, user, actor=user, details=details))


def signed_out(sender, request, user, **kwargs):
    if user is None:
        return
    reason = getattr(request, "signed_out_reason", "user")
    audit_record(_account_event(Action.SIGNED_OUT, request, user, actor=user, details={"reason": reason}))


def sign_in_failed(sender, request, username, user, stage, **kwargs):
    audit_record(_account_event(Action.SIGN_IN_FAILED, request, user, details={"stage": stage}))


def sign_in_delayed(sender, request, username, user, key, failures, wait, **kwargs):
    audit_record(_account_event(Action.LOCKED_OUT, request, user, details={
        "key": key, "failures": failures, "wait_seconds": int(wait.total_seconds())}))


def spraying_suspected(sender, request, ip_address, accounts, failures, **kwargs):
    audit_record(Event(action=Action.SPRAYING_SUSPECTED, object_type="address", object_id=ip_address,
                       actor_label="anonymous", ip=ip_address, details={"accounts": accounts, "failures": failures}))


def password_changed(sender, user, ip, reset, **kwargs):
    action = Action.PASSWORD_RESET if reset else Action.PASSWORD_CHANGED
    audit_record(_account_event(action, None, user, actor=user, ip=ip))


def account_event(sender, action, user, actor, ip, details, **kwargs):
    # A command run by the deployment (actor None) is the system, not an anonymous visitor.
    audit_record(Event(action=Action[action], object_type="user", object_id=user.pk, actor=actor,
                       subject_id=_subject(user), ip=ip, details=details))


def connect() -> None:
    user_logged_in.connect(signed_in, dispatch_uid="portal.auth_audit.signed_in")
    user_logged_out.connect(signed_out, dispatch_uid="portal.auth_audit.signed_out")
    signals.sign_in_failed.connect(sign_in_failed, dispatch_uid="portal.auth_audit.sign_in_failed")
    signals.sign_in_delayed.connect(sign_in_delayed, dispatch_uid="portal.auth_audit.sign_in_delayed")
    signals.spraying_suspected.connect(spraying_suspected, dispatch_uid="portal.auth_audit.spraying_suspected")
    signals.password_changed.connect(password_changed, dispatch_uid="portal.auth_audit.password_changed")
    signals.account_event.connect(account_event, dispatch_uid="portal.auth_audit.account_event")
