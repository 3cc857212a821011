"""What the portal asked the government's registers for a person's application, what they
answered, and the person's agreement to asking. The application is named by its id: the engine
(approvals) owns applications and sits above this app."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LookupOutcome(models.TextChoices):
    FOUND = "found", _("Found")
    NOT_FOUND = "not_found", _("Not in the register")
    MISMATCH = "mismatch", _("The register names someone else")
    UNAVAILABLE = "unavailable", _("The register did not answer")
    INVALID_ANSWER = "invalid_answer", _("The register's answer could not be used")
    MALFORMED_KEY = "malformed_key", _("The register refused the code as malformed")


# The outcomes in which the register answered with a record (the person's data left the register).
RECORD_OUTCOMES = frozenset({LookupOutcome.FOUND, LookupOutcome.MISMATCH})


class RegisterLookup(models.Model):
    """One question put to a register for an application, and what came of it. ``values`` holds
    the attributes of a usable answer, checked against the interface (catalogue.registers); an
    answer that names someone else keeps none of them. ``disputed`` lists the attributes the
    citizen reported wrong."""

    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("person"))
    application_id = models.BigIntegerField(_("application"))
    register = models.CharField(_("register"), max_length=32)
    key = models.CharField(_("looked up by"), max_length=64)
    purpose = models.CharField(_("purpose"), max_length=200)
    outcome = models.CharField(_("outcome"), max_length=20, choices=LookupOutcome.choices)
    values = models.JSONField(_("values"), default=dict, blank=True)
    disputed = models.JSONField(_("reported wrong"), default=list, blank=True)
    looked_up_at = models.DateTimeField(_("looked up at"), default=timezone.now)

    class Meta:
        ordering = ["-looked_up_at", "-id"]
        indexes = [models.Index(fields=["application_id", "register", "-looked_up_at"], name="lookup_application")]
        verbose_name = _("register lookup")
        verbose_name_plural = _("register lookups")

    def __str__(self):
        return f"{self.register} for application {self.application_id}: {self.outcome}"


class RegisterConsent(models.Model):
    """The citizen's answer to "may we take these from the register?" for one application, where
    the catalogue says the register needs it. Changing one's mind replaces the answer (the audit
    log keeps each)."""

    subject = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("person"))
    application_id = models.BigIntegerField(_("application"))
    register = models.CharField(_("register"), max_length=32)
    agreed = models.BooleanField(_("agreed"))
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application_id", "register"], name="consent_once_per_register")]
        verbose_name = _("agreement to a register lookup")
        verbose_name_plural = _("agreements to register lookups")

    def __str__(self):
        return f"{self.register} for application {self.application_id}: {'agreed' if self.agreed else 'refused'}"
