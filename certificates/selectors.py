"""What a person holds: the one place that says which certificates are someone's, which of them
are valid, and which a department may check. Another holder's certificate does not exist here
(Certificate.DoesNotExist, like a number never issued), so references cannot be probed.

A certificate is the person's when it names their account as holder, or names their identity
number as holder or company code and that number is *verified* (assurance set: an identity
service or a front desk vouched for it). A number a person only typed into their profile matches
nothing: anyone can type anyone's number."""

from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import Assurance, Role, User
from permits.selectors import permit_data

from .models import Certificate, CertificateConsent, CertificateState, CertificateStatus


def _verified_number(user) -> str:
    return (user.id_number or "").upper() if user.identity_verified else ""


def holder_filter(user) -> Q:
    """The one rule of whose a certificate is (see the module's docstring): held by the account,
    or issued to the user's verified identity number (a person's, or a company's unified social
    credit code for a company's account)."""
    mine = Q(holder_id=user.pk)
    if number := _verified_number(user):
        mine |= Q(holder_id_number=number) | Q(company_code=number)
    return mine


def wallet_for(user) -> QuerySet[Certificate]:
    """The user's own certificates, newest first, with their type, issuer and permit (a portal
    permit's state is the permit's)."""
    if user is None or not user.is_authenticated:
        return Certificate.objects.none()
    return Certificate.objects.filter(holder_filter(user)).select_related("type", "issuer", "permit")


def held_valid(user, certificate_type_code: str, today: date | None = None) -> list[Certificate]:
    """The user's certificates of this type that are valid on ``today`` (default: today in the
    portal's time zone), newest first. Valid as Certificate.state says: not revoked or superseded,
    within its dates, and for a portal permit, its file produced."""
    today = today or timezone.localdate()
    within = Q(status=CertificateStatus.VALID, valid_from__lte=today) & (
        Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    pushed = Q(permit__isnull=True) & within
    # A permit its holder cancelled from a later day is valid until then (Permit.state).
    issued = Q(permit__rendered_at__isnull=False, permit__valid_until__gte=today) & (
        Q(permit__status="valid") | Q(permit__status="cancelled", permit__cancelled_from__gt=today))
    candidates = wallet_for(user).filter(type__code=certificate_type_code).filter(pushed | issued)
    return [c for c in candidates if c.state(today) == CertificateState.VALID]


def certificate_for_holder(user, number: str, *, certificate_type_code: str | None = None) -> Certificate:
    """The user's certificate with this number (of this type, when given; the newest when two
    issuers used the same number). Another holder's, or a number never issued:
    Certificate.DoesNotExist, alike."""
    found = wallet_for(user).filter(number=str(number or "").strip()[:64])
    if certificate_type_code:
        found = found.filter(type__code=certificate_type_code)
    certificate = found.first()
    if certificate is None:
        raise Certificate.DoesNotExist
    return certificate


def held_certificate(user, certificate_id) -> Certificate | None:
    """One of the user's certificates, in whatever state, by its id as a form or the API sent it;
    None when there is none with this id or it is someone else's (the caller cannot tell which)."""
    try:
        certificate_id = int(certificate_id)
    except (TypeError, ValueError):
        return None
    if not 0 < certificate_id < 2**63:
        return None
    return wallet_for(user).filter(pk=certificate_id).first()


def wallet_certificate(user, certificate_id: int) -> Certificate:
    """One certificate of the user's wallet by its id (the wallet's pages); another's:
    Certificate.DoesNotExist."""
    certificate = wallet_for(user).select_related("replaces").filter(pk=certificate_id).first()
    if certificate is None:
        raise Certificate.DoesNotExist
    return certificate


def consents_for(certificate: Certificate, now=None) -> list[CertificateConsent]:
    """The certificate's consents still open (given and neither withdrawn nor run out), newest first."""
    return list(certificate.consents.filter(withdrawn_at__isnull=True, expires_at__gt=now or timezone.now())
                .select_related("department"))


def holder_account_id(certificate: Certificate) -> int | None:
    """The account the certificate belongs to, for the audit log's subject: its holder, else the
    citizen whose verified identity number (or company code) it names; None when nobody has one."""
    if certificate.holder_id:
        return certificate.holder_id
    for number in (certificate.holder_id_number, certificate.company_code):
        if number:
            pk = (User.objects.filter(role=Role.CITIZEN, id_number__iexact=number).exclude(assurance=Assurance.NONE)
                  .order_by("pk").values_list("pk", flat=True).first())
            if pk is not None:
                return pk
    return None


def checkable(department, certificate_type_code: str, number: str, now=None) -> tuple[Certificate, int | None] | None:
    """The certificate of this type and number that ``department`` may check, with the account
    the check is on record for: one it issued itself, or one whose holder gave it a consent that
    is still open (the consent's giver). None otherwise, whether or not the number exists."""
    now = now or timezone.now()
    code, number = str(certificate_type_code)[:64], str(number)[:64]
    own = (Certificate.objects.select_related("type", "issuer", "permit")
           .filter(issuer=department, type__code=code, number=number).first())
    if own is not None:
        return own, holder_account_id(own)
    consent = (CertificateConsent.objects
               .select_related("certificate__type", "certificate__issuer", "certificate__permit")
               .filter(department=department, certificate__type__code=code, certificate__number=number,
                       withdrawn_at__isnull=True, expires_at__gt=now)
               .order_by("-granted_at", "-pk").first())
    if consent is None:
        return None
    return consent.certificate, consent.granted_by_id


def _local(text) -> str:
    if isinstance(text, dict):
        zh = (get_language() or "").lower().startswith("zh")
        return str((text.get("zh") or text.get("zh-hans") if zh else None) or text.get("en") or "")
    return str(text or "")


def printed(certificate: Certificate) -> list[tuple[str, str]]:
    """What the certificate prints, as (label, text) rows to show (escaped): a portal permit's facts
    as its page words them; a department's certificate as its system pushed them."""
    if certificate.permit_id is None:
        return [(str(label), str(value)) for label, value in (certificate.data or {}).items()]
    facts = permit_data(certificate.permit) or certificate.data or {}
    rows = [(_("Permit"), _local(facts.get("title"))), (_("Service"), _local(facts.get("service"))),
            (_("Holder"), facts.get("holder", "")), (_("Business name"), facts.get("business_name", "")),
            (_("Business site"), facts.get("site_address", "")), (_("Application"), facts.get("application", ""))]
    for approval in facts.get("approvals") or []:
        name = _local(approval.get("name")) or approval.get("department", "")
        text = _("Approved on %(date)s") % {"date": approval.get("approved_on", "")}
        if approval.get("conditions"):
            text = f"{text}. {approval['conditions']}"
        rows.append((name, text))
    return [(label, str(value)) for label, value in rows if value]
