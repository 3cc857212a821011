from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    APPLICATION_CREATED = "application.created", _("Application started")
    APPLICATION_SUBMITTED = "application.submitted", _("Application submitted")
    APPLICATION_RESUBMITTED = "application.resubmitted", _("Corrections submitted")
    APPLICATION_WITHDRAWN = "application.withdrawn", _("Application withdrawn")
    APPLICATION_APPROVED = "application.approved", _("Application approved")
    APPLICATION_REJECTED = "application.rejected", _("Application rejected")
    APPLICATION_VIEWED = "application.viewed", _("Application viewed")
    REVIEW_ROUTED = "review.routed", _("Review routed")
    REVIEW_CLAIMED = "review.claimed", _("Review claimed")
    REVIEW_RELEASED = "review.released", _("Review released")
    REVIEW_ASSIGNED = "review.assigned", _("Review assigned")
    REVIEW_APPROVED = "review.approved", _("Review approved")
    REVIEW_REJECTED = "review.rejected", _("Review rejected")
    REVIEW_CORRECTION = "review.correction_requested", _("Correction requested")
    REVIEW_REOPENED = "review.reopened", _("Review reopened")
    REVIEW_EXTENDED = "review.extended", _("Due date extended")
    REVIEW_ESCALATED = "review.escalated", _("Review escalated")
    REVIEW_VIEWED = "review.viewed", _("Review viewed")
    ATTACHMENT_VIEWED = "attachment.viewed", _("Attachment downloaded")
    PERMIT_ISSUED = "permit.issued", _("Permit issued")
    PERMIT_RENDERED = "permit.rendered", _("Permit file produced")
    PERMIT_REVOKED = "permit.revoked", _("Permit revoked")
    PERMIT_SUPERSEDED = "permit.superseded", _("Permit superseded by a new issue")
    APPLICATION_SHARED = "application.shared", _("Application shared for an opinion")
    SHARE_REVOKED = "application.share_revoked", _("Sharing withdrawn")
    DASHBOARD_VIEWED = "dashboard.viewed", _("Dashboard viewed")
    AUDIT_LOG_VIEWED = "audit.viewed", _("Audit log viewed")
    EXPORT_DOWNLOADED = "export.downloaded", _("Data exported")
    API_TOKEN_CREATED = "api_token.created", _("API token created")
    API_TOKEN_REVOKED = "api_token.revoked", _("API token revoked")
    ACCESS_DENIED = "access.denied", _("Access denied")
    MESSAGE_SENT = "message.sent", _("Message sent")
    RATING_GIVEN = "rating.given", _("Service rated")


class AuditEvent(models.Model):
    """One append-only entry of the audit log.

    Events are written cheaply inside the business transaction (no hash yet) and sealed into
    a single hash chain afterwards by ``audit.chain.audit_seal`` in commit-visible order, so
    concurrent transactions never queue on a chain lock. On PostgreSQL a trigger refuses any
    UPDATE except sealing an unsealed row, and any DELETE."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("actor"),
    )
    # Free text for actors that are not users (the system, an API token), kept even if the
    # user is renamed.
    actor_label = models.CharField(_("actor label"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.CharField(_("object id"), max_length=40)
    # The citizen whose data this is about, and the application: "who viewed my data".
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("data subject"),
    )
    application_id = models.BigIntegerField(_("application"), null=True, blank=True)
    department_code = models.CharField(_("department"), max_length=40, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    # Chain: position in the sealed chain and sha256(prev_hash + canonical event).
    seq = models.BigIntegerField(_("chain position"), null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["subject", "at"], name="audit_subject_at"),
            models.Index(fields=["application_id", "at"], name="audit_application_at"),
            models.Index(fields=["id"], name="audit_unsealed", condition=models.Q(seq__isnull=True)),
            # The auditor's filters, newest first.
            models.Index(fields=["actor", "-id"], name="audit_actor_id"),
            models.Index(fields=["department_code", "-id"], name="audit_department_id"),
            models.Index(fields=["action", "-id"], name="audit_action_id"),
        ]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}:{self.object_id}"
