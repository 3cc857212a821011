"""Every write of the wallet: the certificate of a permit the portal issued (the engine calls it in
the transaction that produces the permit's file), a department system's pushes and revocations
(through the API, signed), and the holder's consents to checks by another department.

Each write is one transaction and its audit events are written in it; a refusal raises a domain
error (core.errors) and leaves nothing behind. Audit events name a certificate by its type and
number, never its holder."""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.validators import validate_id_number
from audit.models import Action
from audit.services import Event, TokenActor, access_record, audit_record
from catalogue.models import CertificateType, Service
from core.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from departments.models import Department

from .models import Certificate, CertificateConsent, CertificateSource, CertificateStatus
from .selectors import checkable, holder_account_id, wallet_certificate

# A department's certificate number: letters (any script), digits, ".", "-", "_"; it names the
# certificate in addresses (/certificates/<type>/<number>/...), so never a "/" or a space.
NUMBER_PATTERN = re.compile(r"[^\W_][\w.\-]{0,63}")
COMPANY_CODE_PATTERN = re.compile(r"[0-9A-Z]{18}")
# What a pushed certificate may print: flat "label": value pairs, shown as text.
DATA_MAX_ITEMS = 40
DATA_KEY_MAX = 100
DATA_VALUE_MAX = 1000
REASON_MAX_LENGTH = 1000
CONSENT_DAYS = (7, 30, 90)
# The purposes on record ("who viewed my data" words them: audit.selectors.PURPOSES).
ISSUE_PURPOSE = "certificate_issue"
CHECK_PURPOSE = "certificate_check"
# Direction overrides and isolates reorder what is shown around them: no place in a certificate.
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def _certificate_event(action: str, certificate: Certificate, *, via: TokenActor | None = None, actor=None,
                       subject_id: int | None = None, department_code: str = "", ip: str | None = None,
                       purpose: str = "", **details) -> Event:
    event = Event(action=action, object_type="certificate", object_id=certificate.pk, actor=actor,
                  subject_id=subject_id, department_code=department_code, ip=ip, purpose=purpose,
                  details={"type": certificate.type.code, "number": certificate.number, **details})
    return via.stamp(event) if via is not None else event


# --- Permits issued through the portal ------------------------------------------------------------


def _company_code(value) -> str:
    code = "".join(str(value or "").split()).upper()
    return code if COMPANY_CODE_PATTERN.fullmatch(code) else ""


def certificate_of_permit(permit) -> Certificate | None:
    """The wallet's certificate of a permit whose file has just been produced (the engine calls
    this under the application's row lock, in the transaction that stores the file): the type of
    the permit's service, the applicant as holder, the permit's validity and what it prints.
    None when the service names no certificate type. Once per permit: a second call finds the
    first's row (the one-to-one on the permit is the backstop). Its state is never copied: it
    reads the permit's, so a revocation or a re-issue needs nothing here."""
    existing = Certificate.objects.filter(permit=permit).first()
    if existing is not None:
        return existing
    application = permit.application
    type_id = Service.objects.filter(pk=application.service_id).values_list("certificate_type_id", flat=True).first()
    if type_id is None:
        return None
    applicant, printed, answers = application.applicant, permit.data or {}, application.answers or {}
    return Certificate.objects.create(
        type_id=type_id, number=permit.number, source=CertificateSource.PORTAL, permit=permit, holder=applicant,
        holder_name=(printed.get("holder") or applicant.full_name or applicant.email)[:150],
        # Only a number someone vouched for binds the certificate to an identity (selectors.wallet_for).
        holder_id_number=applicant.id_number.upper() if applicant.identity_verified else "",
        company_code=_company_code(answers.get("unified_social_credit_code")),
        company_name=str(printed.get("business_name") or "")[:200],
        valid_from=permit.valid_from, valid_until=permit.valid_until, data=printed,
        replaces=Certificate.objects.filter(permit_id=permit.replaces_id).first() if permit.replaces_id else None,
    )


# --- Certificates department systems issue --------------------------------------------------------


def _text(value, field: str, limit: int, errors: dict, *, required: bool = False) -> str:
    """Text as stored: whitespace collapsed; control and direction-override characters refused
    (they would change what a reader sees); markup is kept as text and shown escaped."""
    text = " ".join(str(value if value is not None else "").split())
    if any(unicodedata.category(c) == "Cc" for c in text) or _INVISIBLE.search(text):
        errors[field] = [_("Remove the control characters.")]
    elif required and not text:
        errors[field] = [_("This field is required.")]
    elif len(text) > limit:
        errors[field] = [_("Keep it under %(n)s characters.") % {"n": limit + 1}]
    return text


def _data(value, errors: dict) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        errors["data"] = [_("Send what the certificate prints as an object of label: value pairs.")]
        return {}
    if len(value) > DATA_MAX_ITEMS:
        errors["data"] = [_("A certificate prints at most %(n)s details.") % {"n": DATA_MAX_ITEMS}]
        return {}
    data = {}
    for key, item in value.items():
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            errors["data"] = [_("Each value of data must be text or a number.")]
            return {}
        label = _text(key, "data", DATA_KEY_MAX, errors, required=True)
        text = _text(item, "data", DATA_VALUE_MAX, errors) if isinstance(item, str) else item
        if "data" in errors:
            return {}
        data[label] = text
    return data


@dataclass(frozen=True)
class Push:
    """A checked push: what the certificate row holds."""

    number: str
    holder_name: str
    holder_id_number: str
    company_code: str
    company_name: str
    valid_from: date
    valid_until: date | None
    data: dict

    def differs(self, certificate: Certificate) -> list[str]:
        """The details in which ``certificate`` says something else."""
        return [name for name in ("holder_name", "holder_id_number", "company_code", "company_name", "valid_from",
                                  "valid_until", "data") if getattr(certificate, name) != getattr(self, name)]


def _certificate_type(code) -> CertificateType:
    certificate_type = CertificateType.objects.filter(code=str(code or "")[:64]).first()
    if certificate_type is None:
        raise ValidationFailed({"type": [_("No certificate type has this code.")]})
    return certificate_type


def push_check(*, number, holder_name, holder_id_number, company_code="", company_name="", valid_from,
               valid_until=None, data=None) -> Push:
    """The push as it will be stored, or ValidationFailed naming each wrong field."""
    errors: dict[str, list] = {}
    number = str(number or "").strip()
    if not NUMBER_PATTERN.fullmatch(number):
        errors["number"] = [_("Use 1 to 64 letters, digits, “.”, “-” or “_”, starting with a letter or a digit.")]
    name = _text(holder_name, "holder.name", 150, errors, required=True)
    id_number = "".join(str(holder_id_number or "").split()).upper()
    try:
        validate_id_number(id_number)
        if not id_number or len(id_number) > 32:
            raise ValidationError(_("Enter the holder's identity document number (4 to 32 letters, digits or hyphens)."))
    except ValidationError as invalid:
        errors["holder.id_number"] = list(invalid.messages)
    code = "".join(str(company_code or "").split()).upper()
    if code and not COMPANY_CODE_PATTERN.fullmatch(code):
        errors["holder.company_code"] = [_("A unified social credit code has 18 digits and capital letters.")]
    company = _text(company_name, "holder.company_name", 200, errors)
    if company and not code:
        errors["holder.company_code"] = [_("Give the company's unified social credit code with its name.")]
    if not isinstance(valid_from, date):
        errors["valid_from"] = [_("Give the date the certificate is valid from.")]
    elif valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = [_("The end of validity cannot be before its start (%(date)s).") % {
            "date": valid_from.isoformat()}]
    printed = _data(data, errors)
    if errors:
        raise ValidationFailed(errors)
    return Push(number=number, holder_name=name, holder_id_number=id_number, company_code=code, company_name=company,
                valid_from=valid_from, valid_until=valid_until, data=printed)


def _exists_answer(existing: Certificate, push: Push) -> Certificate:
    """The same push again is answered with the row it made; other details under the same number
    are a conflict (a number names one certificate, for good)."""
    if push.differs(existing):
        raise Conflict(_("Certificate %(number)s is already in the wallet with other details (%(fields)s). A "
                         "corrected certificate needs a new number that names this one in “replaces”.") % {
            "number": existing.number, "fields": ", ".join(push.differs(existing))})
    return existing


def _replaced(issuer: Department, certificate_type: CertificateType, number: str, push: Push) -> Certificate:
    """The issuer's certificate a push replaces, locked: same type, same holder, not revoked or
    replaced already."""
    old = (Certificate.objects.select_for_update().select_related("type")
           .filter(issuer=issuer, type=certificate_type, number=str(number)[:64]).first())
    if old is None:
        raise ValidationFailed({"replaces": [_("Your department issued no certificate of this type with this number.")]})
    if old.holder_id_number != push.holder_id_number or old.company_code != push.company_code:
        raise ValidationFailed({"replaces": [_("The certificate it replaces belongs to another holder.")]})
    return old


@transaction.atomic
def certificate_push(*, issuer: Department, type_code: str, push: Push, replaces: str = "", via: TokenActor,
                     ip: str | None = None) -> tuple[Certificate, bool]:
    """Put a certificate the department issued outside the portal into its holder's wallet.
    Returns the row and whether it is new: the same push again answers the row it made; the same
    number with other details is a Conflict. Naming ``replaces`` (a valid certificate of the same
    issuer, type and holder) supersedes it in the same transaction."""
    certificate_type = _certificate_type(type_code)
    old = _replaced(issuer, certificate_type, replaces, push) if replaces else None
    existing = Certificate.objects.filter(issuer=issuer, type=certificate_type, number=push.number).first()
    if existing is not None:
        return _exists_answer(existing, push), False
    if old is not None and old.status != CertificateStatus.VALID:
        raise InvalidTransition(_("Certificate %(number)s is %(status)s: it cannot be replaced.") % {
            "number": old.number, "status": old.get_status_display().lower()})
    try:
        with transaction.atomic():
            certificate = Certificate.objects.create(
                type=certificate_type, number=push.number, source=CertificateSource.DEPARTMENT_SYSTEM, issuer=issuer,
                holder_name=push.holder_name, holder_id_number=push.holder_id_number, company_code=push.company_code,
                company_name=push.company_name, valid_from=push.valid_from, valid_until=push.valid_until,
                data=push.data, replaces=old)
    except IntegrityError:  # the same number pushed at the same moment: the first one stands
        existing = Certificate.objects.get(issuer=issuer, type=certificate_type, number=push.number)
        return _exists_answer(existing, push), False
    subject_id = holder_account_id(certificate)
    events = [_certificate_event(Action.CERTIFICATE_ADDED, certificate, via=via, subject_id=subject_id,
                                 department_code=issuer.code, ip=ip, purpose=ISSUE_PURPOSE,
                                 **({"replaces": old.number} if old else {}))]
    if old is not None:
        now = timezone.now()
        Certificate.objects.filter(pk=old.pk, status=CertificateStatus.VALID).update(
            status=CertificateStatus.SUPERSEDED, superseded_at=now, updated_at=now)
        events.append(_certificate_event(Action.CERTIFICATE_SUPERSEDED, old, via=via, subject_id=subject_id,
                                         department_code=issuer.code, ip=ip, purpose=ISSUE_PURPOSE,
                                         by=certificate.number))
    audit_record(*events)
    return certificate, True


def issued_by(issuer: Department, type_code: str, number: str):
    """The issuer's certificates of this type and number (none or one), type and permit read along."""
    return (Certificate.objects.select_related("type", "issuer", "permit")
            .filter(issuer=issuer, type__code=str(type_code)[:64], number=str(number)[:64]))


@transaction.atomic
def certificate_revoke(*, issuer: Department, type_code: str, number: str, reason: str, via: TokenActor,
                       ip: str | None = None) -> Certificate:
    """Revoke a certificate the department issued: the holder's wallet and every check show it
    revoked, with the date and the reason. Revoking a revoked one changes nothing and answers the
    same; a superseded one is revoked through the certificate that replaced it. Another
    department's certificate, or a number never issued: Certificate.DoesNotExist, alike."""
    certificate = issued_by(issuer, type_code, number).select_for_update(of=("self",)).first()
    if certificate is None:
        raise Certificate.DoesNotExist
    errors: dict[str, list] = {}
    reason = _text(reason, "reason", REASON_MAX_LENGTH, errors, required=True)
    if errors:
        raise ValidationFailed(errors)
    if certificate.status == CertificateStatus.REVOKED:
        return certificate
    if certificate.status == CertificateStatus.SUPERSEDED:
        raise InvalidTransition(_("Certificate %(number)s was replaced by a new one: revoke that one instead.") % {
            "number": certificate.number})
    now = timezone.now()
    Certificate.objects.filter(pk=certificate.pk, status=CertificateStatus.VALID).update(
        status=CertificateStatus.REVOKED, revoked_at=now, revocation_reason=reason, updated_at=now)
    certificate.refresh_from_db(fields=["status", "revoked_at", "revocation_reason", "updated_at"])
    audit_record(_certificate_event(Action.CERTIFICATE_REVOKED, certificate, via=via,
                                    subject_id=holder_account_id(certificate), department_code=issuer.code, ip=ip,
                                    purpose=ISSUE_PURPOSE, reason=reason))
    return certificate


# --- Checks by department systems -----------------------------------------------------------------


class ConsentRequired(NotAllowed):
    """The department may not check this certificate: nobody gave it consent, or no certificate
    has this type and number (the two are answered alike, so numbers cannot be probed)."""


def certificate_check(*, department: Department, certificate_type_code: str, number: str, via: TokenActor,
                      ip: str | None = None) -> Certificate:
    """The certificate a department system asks about, when the department may check it
    (selectors.checkable: its own, or with the holder's open consent); the check is on record
    for the holder ("who viewed my data"), once a minute as every access is. Else ConsentRequired."""
    found = checkable(department, certificate_type_code, number)
    if found is None:
        raise ConsentRequired(_("The holder of this certificate has not given your department consent to check it, "
                                "or no certificate has this type and number. Ask the holder to give consent on "
                                "their wallet page."))
    certificate, subject_id = found
    access_record(_certificate_event(Action.CERTIFICATE_CHECKED, certificate, via=via, subject_id=subject_id,
                                     department_code=department.code, ip=ip, purpose=CHECK_PURPOSE))
    return certificate


# --- The holder's consents ----------------------------------------------------------------------


@transaction.atomic
def consent_grant(*, user, certificate_id: int, department_code: str, days: int,
                  ip: str | None = None) -> CertificateConsent:
    """The holder lets one department's systems check one of their certificates for ``days``
    days (one of CONSENT_DAYS). Given again, the open consent is replaced by the new one."""
    certificate = wallet_certificate(user, certificate_id)
    errors = {}
    department = Department.objects.filter(code=str(department_code or "")[:40]).first()
    if department is None:
        errors["department"] = [_("Choose the department that will check the certificate.")]
    if days not in CONSENT_DAYS:
        errors["days"] = [_("Choose how long the department may check it.")]
    if errors:
        raise ValidationFailed(errors)
    Certificate.objects.select_for_update().filter(pk=certificate.pk).first()  # givers of one certificate take turns
    now = timezone.now()
    replaced = CertificateConsent.objects.filter(certificate=certificate, department=department,
                                                 withdrawn_at__isnull=True).update(withdrawn_at=now)
    consent = CertificateConsent.objects.create(certificate=certificate, department=department, granted_by=user,
                                                granted_at=now, expires_at=now + timedelta(days=days))
    audit_record(_certificate_event(Action.CERTIFICATE_CONSENT_GIVEN, certificate, actor=user, subject_id=user.pk,
                                    department_code=department.code, ip=ip, days=days,
                                    until=consent.expires_at.isoformat(), **({"replaced": True} if replaced else {})))
    return consent


@transaction.atomic
def consent_withdraw(*, user, consent_id: int, ip: str | None = None) -> CertificateConsent:
    """The holder ends a consent before it runs out; ending an ended one changes nothing."""
    consent = (CertificateConsent.objects.select_for_update(of=("self",))
               .select_related("certificate__type", "department").filter(pk=consent_id).first())
    if consent is None:
        raise CertificateConsent.DoesNotExist
    wallet_certificate(user, consent.certificate_id)  # someone else's: DoesNotExist
    if consent.withdrawn_at is not None or not consent.is_active():
        return consent
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at"])
    audit_record(_certificate_event(Action.CERTIFICATE_CONSENT_WITHDRAWN, consent.certificate, actor=user,
                                    subject_id=user.pk, department_code=consent.department.code, ip=ip))
    return consent

