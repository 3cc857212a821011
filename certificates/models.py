"""The wallet: every e-certificate a person or company holds.

A certificate is either a permit the portal issued (``permit`` set: its status, validity and file
are the permit's, read live from it and never copied) or one a department system issued outside
the portal and pushed in through the API (its own status, kept by that system's pushes and
revocations). Either can stand as evidence for a document question whose catalogue field names
its type."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")
    SUPERSEDED = "superseded", _("Superseded")


class CertificateState(models.TextChoices):
    """What a reader is told: the status, plus dates (not yet valid, expired) and a permit whose
    file is not yet produced."""

    VALID = "valid", _("Valid")
    NOT_YET_VALID = "not_yet_valid", _("Not yet valid")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")
    SUPERSEDED = "superseded", _("Superseded")
    CANCELLED = "cancelled", _("Cancelled by the holder")  # a portal permit's (permits.models)
    PENDING = "pending", _("Being issued")


class CertificateSource(models.TextChoices):
    PORTAL = "portal", _("Issued through this portal")
    DEPARTMENT_SYSTEM = "department_system", _("Issued by a department system")


class Certificate(models.Model):
    type = models.ForeignKey("catalogue.CertificateType", on_delete=models.PROTECT, related_name="certificates",
                             verbose_name=_("type"))
    number = models.CharField(_("number"), max_length=64)
    source = models.CharField(_("source"), max_length=20, choices=CertificateSource.choices)
    # The department that issued it; a portal permit names none (the service's departments did).
    issuer = models.ForeignKey("departments.Department", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="issued_certificates", verbose_name=_("issuer"))
    # The holder: the person (the account, once known, and as the issuer identified them) and,
    # for a business's certificate, the company by its unified social credit code.
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="certificates", verbose_name=_("holder"))
    holder_name = models.CharField(_("holder's name"), max_length=150)
    holder_id_number = models.CharField(_("holder's identity document number"), max_length=32, blank=True)
    company_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)  # none: no end date
    status = models.CharField(_("status"), max_length=12, choices=CertificateStatus.choices,
                              default=CertificateStatus.VALID)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revocation_reason = models.TextField(_("revocation reason"), blank=True)
    # What the certificate states, as printed (plain values; shown escaped).
    data = models.JSONField(_("certificate data"), default=dict, blank=True)
    permit = models.OneToOneField("permits.Permit", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="certificate", verbose_name=_("permit"))
    # The certificate this one was issued in place of (a department's push naming it, or a
    # permit's re-issue); the old one stays on record as superseded.
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="replaced_by", verbose_name=_("replaces"))
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-valid_from", "-pk"]
        constraints = [
            # A department's number is its own; a portal permit's number is unique in the portal.
            models.UniqueConstraint(fields=["issuer", "type", "number"], name="certificate_unique_number"),
            models.UniqueConstraint(fields=["type", "number"], condition=Q(issuer__isnull=True),
                                    name="certificate_unique_portal_number"),
            models.CheckConstraint(
                condition=Q(source="portal", permit__isnull=False) | Q(source="department_system",
                                                                        permit__isnull=True, issuer__isnull=False),
                name="certificate_source_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["holder", "type"], name="certificate_holder_type"),
            models.Index(fields=["holder_id_number"], name="certificate_holder_id",
                         condition=~Q(holder_id_number="")),
            models.Index(fields=["company_code"], name="certificate_company", condition=~Q(company_code="")),
        ]
        verbose_name = _("e-certificate")
        verbose_name_plural = _("e-certificates")

    def __str__(self):
        return self.number

    def state(self, today=None) -> str:
        """The live state: a portal permit's is the permit's own (permits.models.Permit.state)."""
        if self.permit_id is not None:
            return self.permit.state(today)
        if self.status != CertificateStatus.VALID:
            return self.status
        today = today or timezone.localdate()
        if self.valid_from > today:
            return CertificateState.NOT_YET_VALID
        if self.valid_until is not None and self.valid_until < today:
            return CertificateState.EXPIRED
        return CertificateState.VALID


class CertificateConsent(models.Model):
    """The holder's consent that one department's systems may ask whether one of their
    certificates is valid (api: the status check). Given on the wallet page for a number of days,
    withdrawn there at any time; each check made under it is on the holder's "who viewed my data"
    page. A department without one is told only that consent is needed, whether or not the number
    exists."""

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="consents",
                                    verbose_name=_("e-certificate"))
    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("department"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("given by"))
    granted_at = models.DateTimeField(_("given"), default=timezone.now)
    expires_at = models.DateTimeField(_("ends"))
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        ordering = ["-granted_at", "-pk"]
        constraints = [
            # One open consent per certificate and department: giving it again replaces it.
            models.UniqueConstraint(fields=["certificate", "department"], condition=Q(withdrawn_at__isnull=True),
                                    name="certificate_consent_one_open"),
        ]
        verbose_name = _("consent to check a certificate")
        verbose_name_plural = _("consents to check certificates")

    def __str__(self):
        return f"{self.certificate_id} → {self.department_id}"

    def is_active(self, now=None) -> bool:
        return self.withdrawn_at is None and self.expires_at > (now or timezone.now())
