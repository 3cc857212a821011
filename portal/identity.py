"""Signing in with the identity service, on the record: accounts binds the identity the service
asserted (accounts.identities) and the audit log records the sign-in and any new link, in one
transaction. Composed here, above both (accounts cannot reach the audit log), as the people's
admin pages are (portal.admin); portal.urls hands these to the identity service's pages."""

from django.db import transaction

from accounts import identities
from accounts.identities import Assertion, Binding, Outcome
from audit.models import Action
from audit.services import Event, audit_record


@transaction.atomic
def identity_sign_in(*, assertion: Assertion, language: str = "en", ip: str | None = None) -> Binding:
    binding = identities.identity_sign_in(assertion=assertion, language=language)
    audit_record(*_events(binding, assertion, ip))
    return binding


@transaction.atomic
def identity_link(*, assertion: Assertion, user, ip: str | None = None) -> Binding:
    binding = identities.identity_link(assertion=assertion, user=user)
    audit_record(*_events(binding, assertion, ip))
    return binding


def _events(binding: Binding, assertion: Assertion, ip: str | None) -> list[Event]:
    """IDENTITY_LINKED when the identity was bound now (how the person proved it); the sign-in
    itself is recorded with every other (portal.auth_audit), with ``assertion.sign_in_details()``."""
    user = binding.user
    if user is None or not binding.bound_now:
        return []
    return [Event(action=Action.IDENTITY_LINKED, object_type="user", object_id=user.pk, actor=user,
                  subject_id=user.pk, ip=ip, details={**assertion.sign_in_details(), "proof": binding.proof,
                                                      "new_account": binding.outcome == Outcome.CREATED})]
