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
    ANSWERS_SAVED = "application.answers_saved", _("Answers saved")
    REVIEW_ROUTED = "review.routed", _("Review routed")
    REVIEW_CLAIMED = "review.claimed", _("Review claimed")
    REVIEW_RELEASED = "review.released", _("Review released")
    REVIEW_ASSIGNED = "review.assigned", _("Review assigned")
    REVIEW_APPROVED = "review.approved", _("Review approved")
    REVIEW_REJECTED = "review.rejected", _("Review rejected")
    REVIEW_CORRECTION = "review.correction_requested", _("Correction requested")
    REVIEW_REOPENED = "review.reopened", _("Review reopened")
    REVIEW_EXTENDED = "review.extended", _("Due date extended")
    CALENDAR_CHANGED = "calendar.changed", _("Working-day calendar changed")
    REVIEW_DUE_RECOMPUTED = "review.due_recomputed", _("Due date recomputed after a calendar change")
    REVIEW_DUE_KEPT = "review.due_kept", _("Due date kept after a calendar change")
    REVIEW_ESCALATED = "review.escalated", _("Review escalated")
    REVIEW_VIEWED = "review.viewed", _("Review viewed")
    REVIEW_NOT_NEEDED = "review.not_needed", _("Review not needed")
    REVIEW_ADDED = "review.added", _("Review needed after a correction")
    REVIEW_CANCELLED = "review.cancelled", _("Review no longer needed after a correction")
    ATTACHMENT_VIEWED = "attachment.viewed", _("Attachment downloaded")
    ATTACHMENT_UPLOADED = "attachment.uploaded", _("Document uploaded")
    ATTACHMENT_REMOVED = "attachment.removed", _("Document removed")
    CERTIFICATE_USED = "application.certificate_used", _("Certificate used as a document")
    PERMIT_ISSUED = "permit.issued", _("Permit issued")
    PERMIT_RENDERED = "permit.rendered", _("Permit file produced")
    PERMIT_REVOKED = "permit.revoked", _("Permit revoked")
    PERMIT_SUPERSEDED = "permit.superseded", _("Permit superseded by a new issue")
    PERMIT_REISSUE_PROPOSED = "permit.reissue_proposed", _("Permit correction proposed")
    PERMIT_REISSUE_APPROVED = "permit.reissue_approved", _("Permit correction approved")
    PERMIT_REISSUE_REJECTED = "permit.reissue_rejected", _("Permit correction rejected")
    PERMIT_CANCELLED = "permit.cancelled", _("Permit cancelled by its holder")
    PERMIT_CANCELLATION_TOLD = "permit.cancellation_told", _("Department told of a permit's cancellation")
    PERMIT_EXPIRY_REMINDED = "permit.expiry_reminded", _("Holder reminded that the permit ends")
    PERMIT_RENEWAL_STARTED = "permit.renewal_started", _("Renewal of a permit started")
    PERMIT_RENEWED = "permit.renewed", _("Permit renewed")
    PERMIT_AMENDMENT_STARTED = "permit.amendment_started", _("Amendment of a permit started")
    PERMIT_AMENDED = "permit.amended", _("Permit amended")
    BUNDLE_STARTED = "bundle.started", _("Application for a life event started")
    BUNDLE_SUBMITTED = "bundle.submitted", _("Application for a life event submitted")
    BUNDLE_MEMBER_DISCARDED = "bundle.member_discarded", _("Draft of a permit not needed discarded")
    BUNDLE_WITHDRAWN = "bundle.withdrawn", _("Draft application for a life event withdrawn")
    APPLICATION_SHARED = "application.shared", _("Application shared for an opinion")
    SHARE_REVOKED = "application.share_revoked", _("Sharing withdrawn")
    OPINION_GIVEN = "application.opinion_given", _("Opinion given on a shared application")
    APPOINTMENT_SLOTS_PUBLISHED = "appointment.slots_published", _("Appointment slots published")
    APPOINTMENT_BOOKED = "appointment.booked", _("Appointment booked")
    APPOINTMENT_MOVED = "appointment.moved", _("Appointment moved")
    APPOINTMENT_CANCELLED = "appointment.cancelled", _("Appointment cancelled")
    APPOINTMENT_REMINDED = "appointment.reminded", _("Reminded of an appointment")
    APPOINTMENT_NO_SHOW = "appointment.no_show", _("No-show at an appointment recorded")
    ADVICE_REQUESTED = "advice.requested", _("Pre-application advice asked for")
    ADVICE_VIEWED = "advice.viewed", _("Draft sent for advice viewed")
    ADVICE_GIVEN = "advice.given", _("Pre-application advice given")
    FILING_CREATED = "filing.created", _("Approval filed with a department")
    FILING_VIEWED = "filing.viewed", _("Filing viewed")
    FILING_ACKNOWLEDGED = "filing.acknowledged", _("Filing acknowledged")
    DASHBOARD_VIEWED = "dashboard.viewed", _("Dashboard viewed")
    AUDIT_LOG_VIEWED = "audit.viewed", _("Audit log viewed")
    CHAIN_CHECK_REQUESTED = "audit.check_requested", _("Audit chain check requested")
    EXPORT_DOWNLOADED = "export.downloaded", _("Data exported")
    API_TOKEN_CREATED = "api_token.created", _("API token created")
    API_TOKEN_REVOKED = "api_token.revoked", _("API token revoked")
    WEBHOOK_SUBSCRIBED = "webhook.subscribed", _("Webhook subscribed")
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated", _("Webhook signing secret renewed")
    WEBHOOK_UNSUBSCRIBED = "webhook.unsubscribed", _("Webhook unsubscribed")
    ACCESS_DENIED = "access.denied", _("Access denied")
    MESSAGE_SENT = "message.sent", _("Message sent")
    RATING_GIVEN = "rating.given", _("Service rated")
    RECTIFICATION_OPENED = "rectification.opened", _("Rectification of a bad rating opened")
    RECTIFICATION_REASSIGNED = "rectification.reassigned", _("Rectification reassigned")
    RECTIFICATION_VIEWED = "rectification.viewed", _("Rectification viewed")
    RECTIFICATION_ESCALATED = "rectification.escalated", _("Rectification overdue, escalated")
    RECTIFICATION_CLOSED = "rectification.closed", _("Rectification written")
    RECTIFICATION_FOLLOWED_UP = "rectification.followed_up", _("Service rated again after a rectification")
    APPRAISAL_VIEWED = "appraisal.viewed", _("Officer appraisal viewed")
    SIGNED_IN = "auth.signed_in", _("Signed in")
    SIGN_IN_FAILED = "auth.sign_in_failed", _("Sign-in failed")
    LOCKED_OUT = "auth.locked_out", _("Sign-in slowed down after failures")
    SPRAYING_SUSPECTED = "auth.spraying", _("Password spraying suspected")
    SIGNED_OUT = "auth.signed_out", _("Signed out")
    SECOND_FACTOR_ADDED = "auth.factor_added", _("Second factor added")
    SECOND_FACTOR_REMOVED = "auth.factor_removed", _("Second factor removed")
    RECOVERY_CODE_USED = "auth.recovery_code_used", _("Recovery code used")
    REAUTHENTICATED = "auth.reauthenticated", _("Second factor confirmed again")
    PASSWORD_CHANGED = "auth.password_changed", _("Password changed")
    PASSWORD_RESET = "auth.password_reset", _("Password reset")
    IDENTITY_LINKED = "auth.identity_linked", _("Identity service linked")
    IDENTITY_VERIFIED = "auth.identity_verified", _("Identity verified in person")
    ACCOUNT_CLAIMED = "auth.account_claimed", _("Account claimed")
    CLAIM_LETTER_PRINTED = "auth.claim_letter_printed", _("Claim letter printed")
    ROLE_CHANGED = "staff.role_changed", _("Role changed")
    MEMBERSHIP_CHANGED = "staff.membership_changed", _("Department membership changed")
    PERSONAL_DATA_VIEWED = "person.viewed", _("Personal details viewed")
    CERTIFICATE_ADDED = "certificate.added", _("E-certificate added by a department system")
    CERTIFICATE_REVOKED = "certificate.revoked", _("E-certificate revoked")
    CERTIFICATE_SUPERSEDED = "certificate.superseded", _("E-certificate superseded")
    CERTIFICATE_CHECKED = "certificate.checked", _("E-certificate checked")
    CERTIFICATE_CONSENT_GIVEN = "certificate.consent_given", _("Consent to check an e-certificate given")
    CERTIFICATE_CONSENT_WITHDRAWN = "certificate.consent_withdrawn", _("Consent to check an e-certificate withdrawn")
    REGISTER_LOOKUP = "register.lookup", _("Looked up in a register")
    PROGRESS_CHECKED = "application.progress_checked", _("Progress checked with the reference and check code")
    REGISTER_LOOKUP_FAILED = "register.lookup_failed", _("Register lookup without a usable answer")
    REGISTER_CONSENT = "register.consent", _("Agreement to a register lookup answered")
    REGISTER_VALUE_DISPUTED = "register.disputed", _("A register's value reported wrong")
    COMPLAINT_FILED = "complaint.filed", _("Complaint filed")
    COMPLAINT_ASSIGNED = "complaint.assigned", _("Complaint assigned")
    COMPLAINT_VIEWED = "complaint.viewed", _("Complaint viewed")
    COMPLAINT_ANSWERED = "complaint.answered", _("Complaint answered")
    COMPLAINT_VERDICT = "complaint.verdict", _("Verdict on a complaint's answer")
    COMPLAINT_ESCALATED = "complaint.escalated", _("Complaint sent to the supervising office")
    COMPLAINT_OVERDUE = "complaint.overdue", _("Complaint answer overdue")
    PAYMENT_ORDER_ISSUED = "payment.order_issued", _("Payment order issued")
    PAYMENT_ORDER_CANCELLED = "payment.order_cancelled", _("Payment order cancelled")
    PAYMENT_RECORDED = "payment.recorded", _("Payment recorded")
    APPLICATION_PAID = "application.paid", _("Fee paid: the application moves on")
    PAYMENT_ISSUE = "payment.issue", _("Payment could not be applied")
    PAYMENT_ISSUE_RESOLVED = "payment.issue_resolved", _("Payment issue resolved")
    PAYMENT_VIEWED = "payment.viewed", _("Payments viewed by finance staff")
    STATEMENT_IMPORTED = "payment.statement_imported", _("Bank statement imported")
    REFUND_PROPOSED = "refund.proposed", _("Refund proposed")
    REFUND_CONFIRMED = "refund.confirmed", _("Refund confirmed")
    REFUND_CANCELLED = "refund.cancelled", _("Refund cancelled")
    RETENTION_PURGED = "retention.purged", _("Records past their retention deleted")


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
    # Chain: position in the sealed chain and HMAC-SHA256(key, prev_hash + canonical event) under the
    # chain key named by key_id (audit.keys); links sealed before the chain was keyed name no key and
    # hold sha256(prev_hash + canonical event).
    seq = models.BigIntegerField(_("chain position"), null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)
    key_id = models.CharField(max_length=40, blank=True, default="", db_default="")

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


class ChainCheckStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for a worker")
    RUNNING = "running", _("Running")
    INTACT = "intact", _("Intact")
    BROKEN = "broken", _("Broken")


# audit.chain.REASONS in the words of the auditor's page.
CHECK_REASONS = {
    "gap": _("position %(position)s is missing"),
    "previous": _("its previous hash does not match the event before it"),
    "content": _("the event's content does not match its hash"),
    "key": _("it names a chain key that is not configured"),
    "unkeyed": _("it carries no key where every link must be keyed"),
    "checkpoint": _("it does not match the checkpoint written outside the database"),
}


class ChainCheck(models.Model):
    """A walk along the whole hash chain asked for from the auditor's page, run by a Celery task
    that writes its progress here after every batch (``audit.services.chain_check_run``). At most
    one is under way (``active``); finished ones stay, with their result."""

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The last sign of life: a check that shows none for a while is sent to a worker again.
    updated_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=ChainCheckStatus.choices,
                              default=ChainCheckStatus.QUEUED)
    active = models.BooleanField(default=True)
    total = models.BigIntegerField(_("events to check"), default=0)  # the chain's length when the walk started
    # Where the walk stands: the next position and the hash it must follow.
    checked = models.BigIntegerField(_("events checked"), default=0)
    next_position = models.BigIntegerField(default=1)
    prev_hash = models.CharField(max_length=64, default="0" * 64)
    keyed = models.BooleanField(default=False)  # a keyed link lies behind: every later one must be keyed
    unsealed = models.BigIntegerField(null=True, blank=True)
    broken_position = models.BigIntegerField(null=True, blank=True)
    broken_event_id = models.BigIntegerField(null=True, blank=True)
    reason_code = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["active"], condition=models.Q(active=True),
                                               name="audit_one_chain_check_at_a_time")]
        verbose_name = _("chain check")
        verbose_name_plural = _("chain checks")

    def __str__(self):
        return f"chain check {self.pk} ({self.status})"

    @property
    def reason_text(self) -> str:
        return str(CHECK_REASONS.get(self.reason_code, self.reason_code)) % {"position": self.broken_position}

    @property
    def percent(self) -> int:
        return min(100, self.checked * 100 // self.total) if self.total else 100


class AuditAnchor(models.Model):
    """The database's note of a checkpoint written outside it (``audit.anchors``): one per period.
    Its UNIQUE period is what makes the checkpoint job write once per period however many beats
    send it. ``verify_audit`` reads the checkpoint files, never this table: whoever can change the
    database could change it too."""

    period = models.DateTimeField(unique=True)  # the start of the period
    position = models.BigIntegerField()
    head = models.CharField(max_length=64)
    key_id = models.CharField(max_length=40, blank=True)
    written_at = models.DateTimeField(default=timezone.now)
    file = models.CharField(max_length=200)
    time_stamped = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")

    def __str__(self):
        return f"checkpoint {self.period:%Y-%m-%d %H:%M} at position {self.position}"
