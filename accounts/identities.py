"""Binding the identity an identity service asserted to one citizen account.

accounts.oidc checks the service's answer and turns it into an ``Assertion``; the functions here
decide whose account it is. They are keyword-only and atomic, check everything before writing and
raise ``IdentityRefused`` with a message for the person. The rules, in order:

1. an identity bound before (issuer and subject) signs in its account;
2. a citizen account that already holds the same *verified* identity number (checked by an
   identity service or at a counter) is the same person: the identity is linked to it, so an
   identity number never gets a second account;
3. without an e-mail address from the service, the person is asked for one;
4. an account with the same e-mail address is linked only after its password proves it is the
   same person (``identity_link``);
5. otherwise a verified citizen account is created from the claims.

The audit events are written by the caller in the same transaction (portal.identity)."""

import enum
from dataclasses import asdict, dataclass
from functools import partial

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import mail
from .counter import claim_codes_withdraw
from .errors import IdentityRefused
from .models import SERVICE_ACCOUNT_DOMAIN, Assurance, ExternalIdentity, Role
from .services import language_supported

User = get_user_model()


@dataclass(frozen=True)
class Assertion:
    """What an identity service asserted about a person, already checked: the ID token's signature
    and claims, and the identity number's checksum. Empty strings for what the service did not say."""

    issuer: str
    subject: str
    provider_name: str
    full_name: str
    assurance: str
    email: str = ""
    email_verified: bool = False
    phone: str = ""
    id_number: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    def sign_in_details(self) -> dict:
        """What the audit log keeps of a sign-in with this identity."""
        return {"method": "identity_service", "provider": self.provider_name, "issuer": self.issuer,
                "assurance": self.assurance}


class Outcome(enum.StrEnum):
    RETURNING = "returning"  # bound before: its account signs in
    CREATED = "created"  # first sign-in: a verified account made from the claims
    LINKED = "linked"  # bound now to an account that proved to be the same person
    NEEDS_EMAIL = "needs_email"  # the service gave no e-mail address: ask for one
    NEEDS_PROOF = "needs_proof"  # an account has this address: its password must prove it is the same person


@dataclass(frozen=True)
class Binding:
    outcome: Outcome
    user: object = None  # the account that signs in; None while something is asked first
    account: object = None  # NEEDS_PROOF: the account whose password is asked
    proof: str = ""  # CREATED, LINKED: "new_account", "identity_number" or "password"

    @property
    def bound_now(self) -> bool:
        return self.outcome in (Outcome.CREATED, Outcome.LINKED)


@transaction.atomic
def identity_sign_in(*, assertion: Assertion, language: str = "en") -> Binding:
    """The account an asserted identity signs in to, created or linked on first use (rules 1, 2, 3
    and 5 above), or what must be asked first (an e-mail address, a password). An unverified
    e-mail address of a new account gets a verification link after commit, as registration does."""
    try:
        with transaction.atomic():
            return _resolve(assertion, language)
    except IntegrityError:  # the same identity or address was bound a moment ago (another tab)
        return _resolve(assertion, language)


@transaction.atomic
def identity_link(*, assertion: Assertion, user) -> Binding:
    """Link the asserted identity to ``user``, an existing citizen account. Call it only once the
    person has proved they hold the account (its password): a verified identity number of the
    account must be the asserted one, and one held by another verified account refuses the link."""
    user = User.objects.select_for_update().get(pk=user.pk)
    _check_usable(user)
    bound = ExternalIdentity.objects.filter(issuer=assertion.issuer, subject=assertion.subject).first()
    if bound is not None:
        if bound.user_id != user.pk:
            raise IdentityRefused(_("This %(service)s identity is already linked to another account on the portal.")
                                  % {"service": assertion.provider_name})
        return Binding(Outcome.RETURNING, user=user)
    if assertion.id_number:
        if user.identity_verified and user.id_number and user.id_number.upper() != assertion.id_number:
            raise IdentityRefused(_(
                "This account belongs to a person with another verified identity number, so it cannot be linked "
                "to your %(service)s identity."
            ) % {"service": assertion.provider_name})
        holder = _verified_holder(assertion)
        if holder is not None and holder.pk != user.pk:
            raise IdentityRefused(_(
                "Your identity number already belongs to another verified account on the portal. Contact the help "
                "desk to bring your accounts together."
            ))
    _check_linkable(user, assertion)
    return Binding(Outcome.LINKED, user=_bind(user, assertion), proof="password")


def _resolve(assertion: Assertion, language: str) -> Binding:
    identity = (ExternalIdentity.objects.select_for_update().select_related("user")
                .filter(issuer=assertion.issuer, subject=assertion.subject).first())
    if identity is not None:
        _check_usable(identity.user)
        identity.last_used_at = timezone.now()
        identity.assurance = assertion.assurance
        identity.save(update_fields=["last_used_at", "assurance"])
        return Binding(Outcome.RETURNING, user=identity.user)
    holder = _verified_holder(assertion)
    if holder is not None:
        _check_usable(holder)
        _check_linkable(holder, assertion)
        # A walk-in's account is claimed now: the letters and links a front desk handed out stop working.
        claim_codes_withdraw(user=holder)
        return Binding(Outcome.LINKED, user=_bind(holder, assertion), proof="identity_number")
    if not assertion.email:
        return Binding(Outcome.NEEDS_EMAIL)
    existing = User.objects.filter(email__iexact=assertion.email).first()
    if existing is not None:
        if not existing.is_citizen or existing.email.endswith("@" + SERVICE_ACCOUNT_DOMAIN):
            raise IdentityRefused(_(
                "The email address %(email)s belongs to a staff account, which does not sign in with %(service)s. "
                "Give another address for your own account."
            ) % {"email": assertion.email, "service": assertion.provider_name}, field="email")
        _check_usable(existing)
        return Binding(Outcome.NEEDS_PROOF, account=existing)
    return Binding(Outcome.CREATED, user=_create(assertion, language), proof="new_account")


def _verified_holder(assertion: Assertion):
    """The citizen account that holds the asserted identity number, verified; None if none does."""
    if not assertion.id_number:
        return None
    holders = list(User.objects.select_for_update().filter(role=Role.CITIZEN, id_number__iexact=assertion.id_number)
                   .exclude(assurance=Assurance.NONE)[:2])
    if len(holders) > 1:
        raise IdentityRefused(_(
            "Your identity number is recorded on more than one account on the portal. Contact the help desk."))
    return holders[0] if holders else None


def _check_usable(user) -> None:
    if not user.is_active:
        raise IdentityRefused(_("This account is closed. Contact the help desk if you need it again."))
    if not user.is_citizen:
        raise IdentityRefused(_("Staff accounts sign in with their email address, password and second factor."))


def _check_linkable(user, assertion: Assertion) -> None:
    """One identity per service and account: another subject of the same issuer means two people."""
    if user.external_identities.filter(issuer=assertion.issuer).exclude(subject=assertion.subject).exists():
        raise IdentityRefused(_(
            "This account is already linked to another %(service)s identity. Contact the help desk."
        ) % {"service": assertion.provider_name})


def _verification(assertion: Assertion, now) -> dict:
    return {"assurance": assertion.assurance, "identity_verified_by": assertion.provider_name,
            "identity_verified_at": now}


def _bind(user, assertion: Assertion):
    """Bind the identity to ``user``. An account verified before (at a counter, by another service)
    keeps that verification; an unverified one takes the service's, and its identity number."""
    now = timezone.now()
    ExternalIdentity.objects.create(user=user, issuer=assertion.issuer, subject=assertion.subject,
                                    provider_name=assertion.provider_name, assurance=assertion.assurance,
                                    linked_at=now, last_used_at=now)
    changes = {}
    if not user.identity_verified:
        changes.update(_verification(assertion, now))
        if assertion.id_number:
            changes["id_number"] = assertion.id_number
    if assertion.phone and not user.phone:
        changes["phone"] = assertion.phone
    if assertion.email_verified and assertion.email.lower() == user.email.lower() and not user.email_verified:
        changes["email_verified"] = True
    for name, value in changes.items():
        setattr(user, name, value)
    if changes:
        user.save(update_fields=list(changes))
    return user


def _create(assertion: Assertion, language: str):
    now = timezone.now()
    user = User(email=assertion.email.lower(), role=Role.CITIZEN, full_name=assertion.full_name, phone=assertion.phone,
                id_number=assertion.id_number, email_verified=assertion.email_verified,
                language=language_supported(language),
                **_verification(assertion, now))
    user.set_unusable_password()  # it signs in with the identity service; a reset link can add a password
    user.save(force_insert=True)
    ExternalIdentity.objects.create(user=user, issuer=assertion.issuer, subject=assertion.subject,
                                    provider_name=assertion.provider_name, assurance=assertion.assurance,
                                    linked_at=now, last_used_at=now)
    if not user.email_verified:
        transaction.on_commit(partial(mail.send_verification, user.pk, user.language))
    return user
