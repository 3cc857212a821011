"""Walk-in citizens: registered at a front desk after its officer checked an identity document in
person, and claimed later by the citizen with a single-use code (mailed as a link, or printed on a
letter at the desk). Signing in with the national e-ID claims such an account too: it matches the
identity number kept here in stdnum's compact form.

Functions are keyword-only; they check everything before writing anything and raise an
``accounts.errors.AccountError``. Mail is sent after commit (accounts.mail). The audit events
(identity verified, account claimed) are written by the callers in the same transaction: accounts
does not import the audit app."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from . import mail
from .errors import (
    AccountError,
    AlreadyClaimed,
    ClaimExpired,
    ClaimFailed,
    DocumentAlreadyVerified,
    EmailHasAccount,
    InvalidProfile,
    NotRegisteredHere,
    WeakPassword,
)
from .models import (
    WALK_IN_DOMAIN,
    AccountClaim,
    Assurance,
    ClaimChannel,
    CounterRegistration,
    DocumentType,
    Role,
    mailable,
)
from .services import _clean_profile, _send_verification_on_commit, language_supported, normalize_email, password_check
from .validators import validate_id_number

User = get_user_model()

DEFAULT_CLAIM_MAIL_HOURS = 72
DEFAULT_CLAIM_LETTER_DAYS = 30
# Crockford's base32: no I, L, O or U, so a code typed from a letter is read back the same.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 20  # 100 random bits
CODE_GROUP = 4
OFFICER_NAME_MAX_LENGTH = 150
STAFF_NUMBER_MAX_LENGTH = 32


@dataclass(frozen=True)
class ClaimLetter:
    """A claim code as the desk prints it: given once, never stored in clear."""

    code: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class WalkIn:
    user: User
    registration: CounterRegistration
    claim_mailed: bool
    letter: ClaimLetter | None


@dataclass(frozen=True)
class Claimed:
    user: User
    channel: str
    verification_mailed: bool  # the address still has to be confirmed before a password sign-in


# --- Identity documents -------------------------------------------------------------------------


def document_number_clean(document_type: str, number: str) -> str:
    """The number as it is stored and compared: a resident identity card's in stdnum.cn.ric's
    compact form (18 characters, the check character an upper-case X), checked by checksum, birth
    date and region; another document's without spaces or hyphens, in upper case. Raises
    ValidationError with a message for the desk."""
    number = "".join((number or "").split())
    if not number:
        raise ValidationError(_("Enter the document number."), code="required")
    if document_type == DocumentType.RESIDENT_ID_CARD:
        try:
            return ric.validate(number)
        except stdnum_errors.InvalidChecksum:
            raise ValidationError(_("The last character of this resident identity card number does not match the "
                                    "others: check the number against the card."), code="checksum")
        except (stdnum_errors.InvalidLength, stdnum_errors.InvalidFormat):
            raise ValidationError(_("A resident identity card number has 18 characters: 17 digits, then a digit or "
                                    "X."), code="format")
        except stdnum_errors.ValidationError:
            raise ValidationError(_("This number has no valid date of birth or region code: check it against the "
                                    "card."), code="component")
    validate_id_number(number)
    compact = number.replace("-", "").upper()
    validate_id_number(compact)
    if len(compact) > 32:
        raise ValidationError(_("A document number has at most 32 characters."), code="max_length")
    return compact


def _same_document(registration: CounterRegistration, typed: str) -> bool:
    try:
        return document_number_clean(registration.document_type, typed) == registration.document_number
    except ValidationError:
        return False


# --- Registering a walk-in ----------------------------------------------------------------------


def _address(email: str, errors: dict) -> str:
    """An address the citizen is to be mailed at, normalised, never a reserved one; a problem goes
    into ``errors`` (and "" is returned)."""
    try:
        email = normalize_email(email)
    except AccountError as exc:
        errors["email"] = exc.messages
        return ""
    if not mailable(email):
        errors["email"] = [_("Enter a valid email address.")]
        return ""
    return email


def verified_by_text(*, desk_name: str, officer_name: str, officer_staff_number: str) -> str:
    """How the account names who vouched for the person: the desk and its officer."""
    return f"{desk_name}: {officer_name} ({officer_staff_number})"[:150]


def _officer_errors(officer_name: str, officer_staff_number: str) -> dict:
    errors = {}
    if not officer_name:
        errors["officer_name"] = [_("Give the name of the officer who checked the identity document.")]
    elif len(officer_name) > OFFICER_NAME_MAX_LENGTH:
        errors["officer_name"] = [_("Keep the officer's name to %(max)s characters or fewer.")
                                  % {"max": OFFICER_NAME_MAX_LENGTH}]
    if not officer_staff_number:
        errors["officer_staff_number"] = [_("Give the staff number of the officer who checked the identity "
                                            "document.")]
    elif len(officer_staff_number) > STAFF_NUMBER_MAX_LENGTH:
        errors["officer_staff_number"] = [_("Keep the staff number to %(max)s characters or fewer.")
                                          % {"max": STAFF_NUMBER_MAX_LENGTH}]
    return errors


@transaction.atomic
def walk_in_register(*, desk, desk_name: str, officer_name: str, officer_staff_number: str, full_name: str,
                     document_type: str, document_number: str, phone: str, email: str = "", address: str = "",
                     language: str = "", claim_letter: bool = False) -> WalkIn:
    """A citizen account for a person whose identity document the desk's officer checked in person:
    assurance "verified in person", no usable password. With an e-mail address the citizen is mailed
    a claim link after commit; ``claim_letter`` also returns a code to print (given once).

    Refuses a document already verified on any account (DocumentAlreadyVerified) and an address that
    already has an account (EmailHasAccount): the citizen is never registered twice."""
    officer_name = " ".join((officer_name or "").split())
    officer_staff_number = " ".join((officer_staff_number or "").split())
    errors = _officer_errors(officer_name, officer_staff_number)
    try:
        details = _clean_profile(full_name=full_name, phone=phone, address=address)
    except InvalidProfile as exc:
        errors.update(exc.errors)
        details = {}
    if not (phone or "").strip():
        errors.setdefault("phone", []).append(_("Give a phone number: the departments call it about the "
                                                "application."))
    if document_type not in DocumentType.values:
        errors["document_type"] = [_("Choose the kind of identity document that was checked.")]
    else:
        try:
            document_number = document_number_clean(document_type, document_number)
        except ValidationError as exc:
            errors["document_number"] = exc.messages
    email = _address(email, errors) if (email or "").strip() else ""
    if errors:
        raise InvalidProfile(errors)
    if User.objects.filter(id_number=document_number).exclude(assurance=Assurance.NONE).exists():
        raise DocumentAlreadyVerified()
    if email and User.objects.filter(email__iexact=email).exists():
        raise EmailHasAccount()

    now = timezone.now()
    user = User(
        email=email or f"walk-in-{uuid.uuid4().hex}@{WALK_IN_DOMAIN}", role=Role.CITIZEN, email_verified=False,
        id_number=document_number, language=language_supported(language or settings.LANGUAGE_CODE),
        assurance=Assurance.IN_PERSON, identity_verified_at=now,
        identity_verified_by=verified_by_text(desk_name=desk_name, officer_name=officer_name,
                                              officer_staff_number=officer_staff_number),
        **details,
    )
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save(force_insert=True)
            registration = CounterRegistration.objects.create(
                user=user, desk=desk, desk_name=desk_name[:100], officer_name=officer_name,
                officer_staff_number=officer_staff_number, document_type=document_type,
                document_number=document_number, registered_at=now)
    except IntegrityError:  # the same person registered at another desk at this very moment
        if email and User.objects.filter(email__iexact=email).exists():
            raise EmailHasAccount()
        raise DocumentAlreadyVerified()
    mailed = bool(email)
    if mailed:
        _claim_mail_on_commit(user)
    return WalkIn(user=user, registration=registration, claim_mailed=mailed,
                  letter=_letter_new(user) if claim_letter else None)


# --- Claim codes --------------------------------------------------------------------------------


def claim_lifetime(channel: str) -> timedelta:
    """How long a claim code works: a mailed link ACCOUNT_CLAIM_MAIL_HOURS (72), a printed letter
    ACCOUNT_CLAIM_LETTER_DAYS (30)."""
    if channel == ClaimChannel.MAIL:
        return timedelta(hours=float(getattr(settings, "ACCOUNT_CLAIM_MAIL_HOURS", DEFAULT_CLAIM_MAIL_HOURS)))
    return timedelta(days=float(getattr(settings, "ACCOUNT_CLAIM_LETTER_DAYS", DEFAULT_CLAIM_LETTER_DAYS)))


def claim_code_clean(text: str) -> str:
    """A code as typed from a letter: case, spaces and hyphens do not matter, nor O for 0 or I, L for 1."""
    text = "".join((text or "").split()).replace("-", "").upper()
    return text.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def claim_code_display(code: str) -> str:
    return "-".join(code[i:i + CODE_GROUP] for i in range(0, len(code), CODE_GROUP))


def _digest(code: str) -> str:
    return hashlib.sha256(claim_code_clean(code).encode()).hexdigest()


def _claim_new(user, channel: str) -> tuple[AccountClaim, str]:
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    now = timezone.now()
    claim = AccountClaim.objects.create(user=user, channel=channel, digest=_digest(code), created_at=now,
                                        expires_at=now + claim_lifetime(channel))
    return claim, code


def _claim_mail_on_commit(user) -> None:
    _claim, code = _claim_new(user, ClaimChannel.MAIL)
    language = user.language or translation.get_language() or settings.LANGUAGE_CODE
    seconds = int(claim_lifetime(ClaimChannel.MAIL).total_seconds())
    transaction.on_commit(partial(mail.send_claim, user.pk, code, language, seconds))


def _letter_new(user) -> ClaimLetter:
    """One printed letter works at a time: a new one withdraws the earlier ones."""
    AccountClaim.objects.filter(user=user, channel=ClaimChannel.LETTER, used_at__isnull=True).update(
        used_at=timezone.now())
    claim, code = _claim_new(user, ClaimChannel.LETTER)
    return ClaimLetter(code=claim_code_display(code), url=mail.claim_url(code), expires_at=claim.expires_at)


@transaction.atomic
def claim_letter_issue(*, desk, user_id: int) -> ClaimLetter:
    """A new letter for a walk-in this desk registered (another desk's, or anyone else: NotRegisteredHere),
    while the account has no password yet (AlreadyClaimed)."""
    registration = CounterRegistration.objects.filter(desk=desk, user_id=user_id, user__is_active=True).first()
    if registration is None:
        raise NotRegisteredHere()
    user = User.objects.select_for_update().get(pk=user_id)
    if user.has_usable_password():
        raise AlreadyClaimed(_("This citizen has already set a password: they sign in with it."))
    return _letter_new(user)


def claim_codes_withdraw(*, user) -> int:
    """Every claim code of the account stops working: it is claimed (by a code here, or by signing in
    with the national e-ID, which calls this when it links a walk-in's account)."""
    return AccountClaim.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())


def _claim_usable(claim: AccountClaim | None) -> AccountClaim:
    if claim is None or claim.used_at is not None or not claim.user.is_active:
        raise ClaimFailed()
    if claim.user.has_usable_password():
        raise AlreadyClaimed()
    if claim.expires_at <= timezone.now():
        raise ClaimExpired()
    return claim


def claim_check(*, code: str) -> AccountClaim:
    """The claim a code names while it may still be used; raises ClaimFailed (unknown, used or
    withdrawn), ClaimExpired or AlreadyClaimed (the account has a password)."""
    return _claim_usable(AccountClaim.objects.select_related("user").filter(digest=_digest(code)).first())


@transaction.atomic
def account_claim(*, code: str, id_number: str, password: str, email: str = "") -> Claimed:
    """The citizen sets the password of their walk-in account, confirming the number of the document
    the desk checked (so a link mailed to a mistyped address is of no use to the stranger who gets it).

    A mailed link proves the address, which counts as verified. A printed letter asks for the address
    to sign in with (the one given at the desk, or another); it is mailed a verification link after
    commit, as at registration. The code, and every other code of the account, cannot be used again.
    The claim row and the account are locked, so a code works once even when sent twice at once."""
    claim = AccountClaim.objects.select_for_update().filter(digest=_digest(code)).first()
    if claim is not None:
        claim.user = User.objects.select_for_update().get(pk=claim.user_id)
    claim = _claim_usable(claim)
    user = claim.user
    errors = {}
    registration = CounterRegistration.objects.filter(user=user).first()
    if registration is None or not _same_document(registration, id_number):
        errors["id_number"] = [_("This is not the number of the identity document the front desk checked: enter it "
                                 "as printed on the document.")]
    if claim.channel == ClaimChannel.LETTER:
        email = _address(email, errors)
        if email and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            errors["email"] = [_("This address already has an account on the portal: use another one.")]
    else:
        email = user.email
    try:
        password_check(password, user)
    except WeakPassword as exc:
        errors["password"] = exc.messages
    if errors:
        raise InvalidProfile(errors)

    user.set_password(password)
    if claim.channel == ClaimChannel.MAIL:
        user.email_verified = True
    elif email != user.email:
        user.email, user.email_verified = email, False
    try:
        with transaction.atomic():
            user.save(update_fields=["password", "email", "email_verified"])
    except IntegrityError:  # the address was registered a moment ago
        raise InvalidProfile({"email": [_("This address already has an account on the portal: use another one.")]})
    claim_codes_withdraw(user=user)
    if not user.email_verified:
        _send_verification_on_commit(user)
    return Claimed(user=user, channel=claim.channel, verification_mailed=not user.email_verified)
