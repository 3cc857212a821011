from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .codes import new_verify_code


class PermitStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")
    SUPERSEDED = "superseded", _("Superseded")
    # Given up by its holder from ``cancelled_from`` (today or a later day): valid until then.
    CANCELLED = "cancelled", _("Cancelled by the holder")


class PermitState(models.TextChoices):
    """What verification reports: the stored status, plus expiry and a file not yet produced."""

    VALID = "valid", _("Valid")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")
    SUPERSEDED = "superseded", _("Superseded")
    CANCELLED = "cancelled", _("Cancelled by the holder")
    PENDING = "pending", _("Being issued")


def permit_upload_to(instance, filename):
    return f"permits/{instance.number}.pdf"


class Permit(models.Model):
    """The one combined permit of an approved application.

    The row is created in the same transaction that approves the application (under the
    application's row lock); the PDF is produced afterwards by a Celery task. The partial
    UNIQUE constraint is the backstop that makes a second current permit impossible."""

    application = models.ForeignKey("approvals.Application", on_delete=models.PROTECT, related_name="permits")
    # A combined permit (一业一证) stands for every permit of a bundle application: it hangs on the
    # bundle's first child (``application``, whose row lock its render and changes take) and names
    # the bundle application, whose members it lists.
    bundle_application = models.ForeignKey(
        "approvals.BundleApplication", on_delete=models.PROTECT, null=True, blank=True, related_name="permits",
        verbose_name=_("bundle application"),
    )
    number = models.CharField(_("permit number"), max_length=30, unique=True)
    # The unguessable part of the verification address printed on the permit (permits.codes);
    # each issue has its own.
    verify_code = models.CharField(_("verification code"), max_length=32, default=new_verify_code, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=PermitStatus.choices, default=PermitStatus.VALID)
    issued_at = models.DateTimeField(_("issued"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    file = models.FileField(_("file"), upload_to=permit_upload_to, blank=True, max_length=200)
    sha256 = models.CharField(max_length=64, blank=True)
    rendered_at = models.DateTimeField(_("file produced"), null=True, blank=True)
    render_claimed_at = models.DateTimeField(null=True, blank=True)
    render_attempts = models.PositiveSmallIntegerField(default=0)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revocation_reason = models.TextField(_("revocation reason"), blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )
    # What the permit states (holder, business, service, approvals): fixed when the file is
    # produced, so a permit keeps saying what it said; a re-issue stores its corrected facts.
    data = models.JSONField(_("permit data"), default=dict, db_default={}, blank=True)
    # Re-issue after a correction: the new permit points at the one it replaces, which stays
    # on record as superseded (its file still verifies, as superseded).
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by",
        verbose_name=_("replaces"),
    )
    reissue_reason = models.TextField(_("reason for the re-issue"), blank=True, db_default="")
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)
    # The holder's cancellation (approvals.permit_life): recorded when asked, in force from the
    # local day ``cancelled_from``, so the state says so from that midnight with no job to run.
    cancelled_at = models.DateTimeField(_("cancellation recorded"), null=True, blank=True)
    cancelled_from = models.DateField(_("cancelled from"), null=True, blank=True)
    cancellation_reason = models.TextField(_("reason for the cancellation"), blank=True, db_default="")
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("cancelled by"),
    )
    # Renewed (approvals.permit_life): the renewed permit ``replaces`` this one, which stays valid
    # until the local day the renewed one starts and is superseded from then, with no job to run.
    superseded_from = models.DateField(_("superseded from"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(status="cancelled") | Q(cancelled_from__isnull=False),
                                   name="permit_cancelled_has_date"),
            models.UniqueConstraint(
                fields=["application"], condition=~Q(status="superseded"), name="permit_one_current_per_application",
            ),
            models.UniqueConstraint(
                fields=["bundle_application"], condition=~Q(status="superseded") & Q(bundle_application__isnull=False),
                name="permit_one_current_per_bundle",
            ),
        ]
        indexes = [
            models.Index(fields=["issued_at"], name="permit_unrendered", condition=Q(rendered_at__isnull=True)),
            # "Is this the file you issued?": an uploaded file is looked up by its hash.
            models.Index(fields=["sha256"], name="permit_sha256", condition=~Q(sha256="")),
            # The daily expiry reminders scan the valid permits ending soon.
            models.Index(fields=["valid_until"], name="permit_valid_until", condition=Q(status="valid")),
        ]
        verbose_name = _("permit")
        verbose_name_plural = _("permits")

    def __str__(self):
        return self.number

    @property
    def valid_days(self) -> int:
        """How long the permit is valid, in calendar days (catalogue.durations says it)."""
        return (self.valid_until - self.valid_from).days

    def state(self, today=None) -> str:
        """The one computation of a permit's state on ``today`` (default: today in
        settings.TIME_ZONE), from its status and dates: expiry and a cancellation take effect at
        the local midnight of their day, without a job."""
        today = today or timezone.localdate()
        if self.status == PermitStatus.REVOKED:
            return PermitState.REVOKED
        if self.status == PermitStatus.SUPERSEDED or (self.superseded_from and self.superseded_from <= today):
            return PermitState.SUPERSEDED
        if self.status == PermitStatus.CANCELLED and self.cancelled_from <= today:
            return PermitState.CANCELLED
        if not self.rendered_at:
            return PermitState.PENDING
        if self.valid_until < today:
            return PermitState.EXPIRED
        return PermitState.VALID


class PermitReminder(models.Model):
    """An expiry reminder sent to a permit's holder ``days`` before it ends: one row per permit
    and number of days, claimed by its insert (the UNIQUE constraint makes a second one of the
    same day impossible, whichever beat runs it)."""

    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="reminders",
                               verbose_name=_("permit"))
    days = models.PositiveSmallIntegerField(_("days before expiry"))
    sent_on = models.DateField(_("sent on"))

    class Meta:
        ordering = ["permit", "-days"]
        constraints = [models.UniqueConstraint(fields=["permit", "days"], name="permit_reminder_once")]
        verbose_name = _("permit expiry reminder")
        verbose_name_plural = _("permit expiry reminders")

    def __str__(self):
        return f"{self.permit_id}: {self.days} days"


class ReissueRequestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a second supervisor")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ReissueRequest(models.Model):
    """A correction of what a permit prints, proposed by one person and approved or rejected by
    another (four eyes): only the approval issues the corrected permit (approvals.permit_flow).
    At most one waits per permit; the constraints keep an approval from being the proposer's."""

    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="reissue_requests",
                               verbose_name=_("permit"))
    status = models.CharField(_("status"), max_length=12, choices=ReissueRequestStatus.choices,
                              default=ReissueRequestStatus.PENDING)
    # Only the printed details that change, with their new values: {"holder": "Li Lei"}.
    corrections = models.JSONField(_("corrections"), default=dict)
    reason = models.TextField(_("reason for the re-issue"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("proposed by"))
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("reason for the rejection"), blank=True)
    reissued = models.OneToOneField(Permit, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reissue_request", verbose_name=_("corrected permit"))

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["permit"], condition=Q(status="pending"),
                                    name="permit_one_waiting_reissue"),
            models.CheckConstraint(
                condition=~Q(status="approved") | (Q(reissued__isnull=False) & Q(decided_by__isnull=False)
                                                   & ~Q(decided_by=F("proposed_by"))),
                name="permit_reissue_four_eyes",
            ),
        ]
        indexes = [models.Index(fields=["id"], name="permit_reissue_waiting", condition=Q(status="pending"))]
        verbose_name = _("permit correction")
        verbose_name_plural = _("permit corrections")

    def __str__(self):
        return f"correction {self.pk} of {self.permit_id}"
