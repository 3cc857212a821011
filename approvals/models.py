import uuid
from datetime import UTC, date, datetime
from functools import cached_property

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from catalogue.schema import Schema, frozen_schema

from .check_codes import new_check_code, printed


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    # Submitted; its reviews start once the fee is paid (a service whose fee is paid before review).
    AWAITING_PAYMENT = "awaiting_payment", _("Waiting for payment")
    IN_REVIEW = "in_review", _("In review")
    NEEDS_CORRECTION = "needs_correction", _("Needs your correction")
    APPROVED = "approved", _("Approved")
    ISSUED = "issued", _("Permit issued")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ApplicationKind(models.TextChoices):
    NEW = "new", _("New permit")
    RENEWAL = "renewal", _("Renewal")
    AMENDMENT = "amendment", _("Amendment")


APPLICATION_FINAL = frozenset({ApplicationStatus.ISSUED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN})


class ReviewStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for an earlier stage")
    PENDING = "pending", _("In the department's queue")
    IN_PROGRESS = "in_progress", _("Being reviewed")
    CORRECTION_REQUESTED = "correction_requested", _("Waiting for the applicant's correction")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


REVIEW_OPEN = frozenset({ReviewStatus.PENDING, ReviewStatus.IN_PROGRESS})
REVIEW_UNDECIDED = frozenset({
    ReviewStatus.WAITING, ReviewStatus.PENDING, ReviewStatus.IN_PROGRESS, ReviewStatus.CORRECTION_REQUESTED,
})


# Sort keys of the officers' queues for reviews without a due date (last) or a decision time.
QUEUE_NO_DUE_DATE = date(9999, 12, 31)
QUEUE_NEVER_DECIDED = datetime(1970, 1, 1, tzinfo=UTC)


def upload_to(instance, filename):
    # Server-generated name: the citizen's file name never reaches the file system.
    return f"attachments/{instance.application_id}/{uuid.uuid4().hex}"


def disarmed_upload_to(instance, filename):
    return f"attachments/{instance.application_id}/{uuid.uuid4().hex}.disarmed"


class Application(models.Model):
    reference = models.CharField(_("reference"), max_length=20, unique=True, null=True, blank=True)
    # With the reference, lets anyone holding the receipt check the progress (approvals.progress).
    check_code = models.CharField(_("check code"), max_length=8, default=new_check_code, editable=False)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications", verbose_name=_("applicant"),
    )
    service = models.ForeignKey("catalogue.Service", on_delete=models.PROTECT, related_name="applications")
    # The immutable schema this application is answered and reviewed against.
    service_version = models.ForeignKey("catalogue.ServiceVersion", on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(_("status"), max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    # What the citizen was asked and what was taken from registers and the wallet instead, counted
    # at submission and at each answered correction (approvals.once_only); empty for a draft and
    # for an application submitted before the portal counted it.
    once_only = models.JSONField(_("once only"), default=dict, db_default={}, blank=True)
    current_stage = models.PositiveSmallIntegerField(_("current stage"), null=True, blank=True)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    # One permit of a bundle application (approvals.bundle_flow); empty for a single application.
    bundle_application = models.ForeignKey("BundleApplication", on_delete=models.PROTECT, null=True, blank=True,
                                           related_name="children", verbose_name=_("bundle application"))
    # A renewal (approvals.permit_life) names the permit it renews; its approval issues the next
    # permit of that permit's series.
    kind = models.CharField(_("kind"), max_length=12, choices=ApplicationKind.choices, default=ApplicationKind.NEW,
                            db_default=ApplicationKind.NEW)
    renews = models.ForeignKey("permits.Permit", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="renewals", verbose_name=_("renews"))
    # An amendment (approvals.permit_life) names the valid permit whose details it changes; its
    # approval issues the amended permit, the next of that permit's series, which supersedes it at once.
    amends = models.ForeignKey("permits.Permit", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="amendments", verbose_name=_("amends"))

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(kind="new", renews__isnull=True, amends__isnull=True)
                                   | Q(kind="renewal", renews__isnull=False, amends__isnull=True)
                                   | Q(kind="amendment", renews__isnull=True, amends__isnull=False),
                                   name="application_follow_on_names_permit"),
            # One renewal, and one amendment, in progress or done per permit (a withdrawn or refused
            # one may be tried again).
            models.UniqueConstraint(fields=["renews"], condition=Q(renews__isnull=False)
                                    & ~Q(status__in=["withdrawn", "rejected"]), name="application_one_renewal_per_permit"),
            models.UniqueConstraint(fields=["amends"], condition=Q(amends__isnull=False)
                                    & ~Q(status__in=["withdrawn", "rejected"]), name="application_one_amendment_per_permit"),
        ]
        indexes = [
            models.Index(fields=["applicant", "-created_at"], name="application_applicant_created"),
            models.Index(fields=["status", "submitted_at"], name="application_status_submitted"),
        ]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self):
        return self.reference or f"draft #{self.pk}"

    @cached_property
    def schema(self) -> Schema:
        return frozen_schema(self.service_version_id)

    @property
    def follows_id(self) -> int | None:
        """The permit a renewal or an amendment follows (None for a new permit)."""
        return self.renews_id or self.amends_id

    @property
    def follows(self):
        return self.renews if self.renews_id else self.amends

    @property
    def fee_rule(self) -> dict:
        """The frozen fee rule the application pays by (catalogue.fees): an amendment pays none, the
        permit it changes having been paid for."""
        return {} if self.kind == ApplicationKind.AMENDMENT else self.schema.fee

    @property
    def printed_check_code(self) -> str:
        return printed(self.check_code)

    @property
    def is_final(self) -> bool:
        return self.status in APPLICATION_FINAL


class RegisterValueReason(models.TextChoices):
    """Why a value of a field taken from a register was not verified by it (empty: verified)."""

    VERIFIED = "", _("Taken from the register")
    REPORTED = "reported", _("The applicant reported the register's value wrong and typed it")
    REFUSED = "refused", _("The applicant did not agree to the lookup and typed it")
    UNAVAILABLE = "unavailable", _("The register did not answer; the applicant typed it")
    NOT_FOUND = "not_found", _("The register had no record; the applicant typed it")
    MISMATCH = "mismatch", _("The register named someone else; the applicant typed it")
    INVALID_ANSWER = "invalid_answer", _("The register's answer could not be used; the applicant typed it")
    NO_KEY = "no_key", _("Nothing to look it up by; the applicant typed it")
    TYPED = "typed", _("Typed by the applicant")
    CORRECTED = "corrected", _("Changed by the applicant in a correction")


class ApplicationRegisterValue(models.Model):
    """What a field taken from a register held when the application was submitted: one row per
    such field and application, written in the submit transaction. ``verified`` is true only
    for a value the register gave and the applicant kept; ``reason`` says why not otherwise."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="register_values")
    field_key = models.CharField(_("field"), max_length=64)
    register = models.CharField(_("register"), max_length=32)
    attribute = models.CharField(_("attribute"), max_length=64)
    value = models.TextField(_("value"), blank=True)
    looked_up_at = models.DateTimeField(_("looked up at"), null=True, blank=True)
    verified = models.BooleanField(_("verified by the register"))
    reason = models.CharField(_("why not verified"), max_length=20, blank=True, choices=RegisterValueReason.choices)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["application", "field_key"]
        constraints = [
            models.UniqueConstraint(fields=["application", "field_key"], name="register_value_once_per_field"),
            models.CheckConstraint(condition=Q(verified=False) | Q(reason=""), name="register_value_verified_no_reason"),
        ]
        indexes = [models.Index(fields=["register", "created_at"], name="register_value_register_at")]
        verbose_name = _("value taken from a register")
        verbose_name_plural = _("values taken from registers")

    def __str__(self):
        return f"{self.application_id}: {self.field_key} ({'verified' if self.verified else 'not verified'})"


class Attachment(models.Model):
    """A file a citizen uploaded. ``file`` is the upload as it came, kept for the record (only an
    auditor or an administrator retrieves it); everyone else is given ``disarmed_file``, the copy
    approvals.disarm wrote (empty for files stored before copies were made, until
    ``manage.py disarm_attachments`` or the first download makes one). ``size`` and ``sha256``
    describe the upload."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    field_key = models.CharField(_("field"), max_length=64)
    file = models.FileField(_("file"), upload_to=upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    disarmed_file = models.FileField(_("disarmed copy"), upload_to=disarmed_upload_to, max_length=200, blank=True)
    disarmed_sha256 = models.CharField(max_length=64, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        ordering = ["field_key", "uploaded_at"]
        indexes = [models.Index(fields=["application", "field_key"], name="attachment_application_field")]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name


class ApplicationCertificate(models.Model):
    """A certificate from the applicant's wallet answering a document question (a file field whose
    catalogue definition names its type) instead of an upload: one per question and application.

    A draft keeps the one the citizen chose (``submitted_at`` empty); submitting, or answering a
    correction with it, checks it again under the application's lock and records when and in what
    state it was relied on. Its state now is always read live from the certificate. Rows with a
    ``submitted_at`` are the documents reused; the attachments of submitted applications the
    documents uploaded."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="certificates")
    field_key = models.CharField(_("field"), max_length=64)
    certificate = models.ForeignKey("certificates.Certificate", on_delete=models.PROTECT, related_name="uses",
                                    verbose_name=_("certificate"))
    chosen_at = models.DateTimeField(_("chosen"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted with"), null=True, blank=True)
    # certificates.models.CertificateState at that moment (always "valid": nothing else is accepted).
    state_at_submit = models.CharField(_("state when submitted"), max_length=16, blank=True)

    class Meta:
        ordering = ["field_key"]
        constraints = [
            models.UniqueConstraint(fields=["application", "field_key"], name="application_certificate_unique_field"),
        ]
        indexes = [
            # Documents reused, counted per month.
            models.Index(fields=["submitted_at"], name="application_certificate_used",
                         condition=Q(submitted_at__isnull=False)),
        ]
        verbose_name = _("certificate used as a document")
        verbose_name_plural = _("certificates used as documents")

    def __str__(self):
        return f"{self.application_id} / {self.field_key}: {self.certificate_id}"


# The answer that names the applicant's business, in the services that ask for one.
BUSINESS_NAME_KEY = "business_name"
BUSINESS_NAME_MAX_LENGTH = 200


def business_name_of(answers: dict) -> str:
    value = answers.get(BUSINESS_NAME_KEY)
    return value.strip()[:BUSINESS_NAME_MAX_LENGTH] if isinstance(value, str) else ""


class NameWords(models.Func):
    """The words of a name in capitals, as an array: what the index of name words holds
    (migration 0010) and what a short name search matches whole."""

    function = "string_to_array"
    template = "%(function)s(UPPER(%(expressions)s), ' ')"
    output_field = ArrayField(models.TextField())


class Review(models.Model):
    # Neither foreign key has an index of its own: review_unique_application_department leads with
    # the application and review_queue with the department, and every write of a review paid for
    # the two copies (docs/profiles/review-indexes.md).
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reviews", db_index=False)
    # The application's service, which never changes: copied here so that the queues filter and
    # count a department's reviews by service from the review indexes, without a join per row.
    service = models.ForeignKey("catalogue.Service", on_delete=models.PROTECT, related_name="+", db_index=False)
    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, related_name="reviews",
                                   db_index=False)
    # The applicant's name, copied so that a queue's name search filters the rows it walks in due
    # order instead of joining the application and the person for each; a rename updates it
    # (approvals.applicants.applicant_name_sync).
    applicant_name = models.CharField(_("applicant"), max_length=150, blank=True, default="")
    # The application's business name (its BUSINESS_NAME_KEY answer, where the service asks it),
    # copied for the same reason: the queue searches it with the applicant's name. Written at
    # submission and when a correction changes the answer.
    business_name = models.CharField(_("business name"), max_length=BUSINESS_NAME_MAX_LENGTH, blank=True, default="")
    stage = models.PositiveSmallIntegerField(_("stage"))
    sla_days = models.PositiveSmallIntegerField(_("time limit (working days)"))
    status = models.CharField(_("status"), max_length=24, choices=ReviewStatus.choices, default=ReviewStatus.WAITING)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_reviews",
        verbose_name=_("assigned officer"),
    )
    # Routing and the SLA clock. Dates are working-day deadlines in the portal's time zone;
    # every deadline is a column scanned by beat, never a countdown in the broker.
    pending_since = models.DateTimeField(_("in queue since"), null=True, blank=True)
    routed_at = models.DateTimeField(_("routed"), null=True, blank=True)
    started_on = models.DateField(_("clock started"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    remind_on = models.DateField(_("reminder date"), null=True, blank=True)
    red_on = models.DateField(_("red card date"), null=True, blank=True)
    paused_on = models.DateField(_("clock paused since"), null=True, blank=True)
    # Working days the clock stood still waiting on the applicant, over every correction round:
    # the dashboards count processing time net of them, as the SLA does.
    paused_days = models.PositiveIntegerField(_("working days waited on the applicant"), default=0)
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    yellow_at = models.DateTimeField(_("yellow card"), null=True, blank=True)
    red_at = models.DateTimeField(_("red card"), null=True, blank=True)
    extension_reason = models.TextField(_("extension reason"), blank=True)
    # The applicant's messages to this department that none of its officers has opened yet, kept
    # by approvals.consultation, so that a queue row shows them without reading the messages.
    unread_messages = models.PositiveIntegerField(_("unread messages from the applicant"), default=0)
    # Decision.
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("decided by"),
    )
    conditions = models.TextField(_("conditions"), blank=True)
    reason = models.TextField(_("reason"), blank=True)
    correction_fields = models.JSONField(_("fields to correct"), default=list, blank=True)
    correction_message = models.TextField(_("correction message"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)  # bumped on every transition
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["stage", "department_id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "department"], name="review_unique_application_department"),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""), name="review_rejection_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status", "due_date"], name="review_queue"),
            # The officers' queue pages walk these in keyset order (workspace.selectors), so
            # a page costs the same at a million reviews as at a hundred.
            models.Index(F("department"), F("status"), Coalesce(F("due_date"), Value(QUEUE_NO_DUE_DATE)), F("id"),
                         name="review_queue_keyset"),
            models.Index(F("department"), Coalesce(F("decided_at"), Value(QUEUE_NEVER_DECIDED)).desc(), F("id").desc(),
                         name="review_decided_keyset", condition=Q(status__in=["approved", "rejected"])),
            models.Index(F("assignee"), F("department"), Coalesce(F("due_date"), Value(QUEUE_NO_DUE_DATE)), F("id"),
                         name="review_held_keyset", condition=Q(status="in_progress")),
            # The supervisor's workload panel counts held and overdue reviews per officer from
            # this index alone (an index-only scan), not from the table's rows.
            models.Index(fields=["department", "assignee"], include=["id", "yellow_at", "red_at"], name="review_workload",
                         condition=Q(status__in=["pending", "in_progress"], assignee__isnull=False)),
            # Carded reviews per tab, by service too, and an officer's own ("mine"), counted from
            # the index alone.
            models.Index(fields=["department", "status", "service"], include=["assignee"], name="review_carded_held",
                         condition=Q(yellow_at__isnull=False) | Q(red_at__isnull=False)),
            models.Index(fields=["status", "pending_since"], name="review_unrouted",
                         condition=Q(routed_at__isnull=True, status="pending")),
            models.Index(fields=["due_date"], name="review_open_due",
                         condition=Q(status__in=["pending", "in_progress"])),
            # An officer appraisal's final decisions: a department's, by officer, in a period.
            models.Index(fields=["department", "decided_by", "decided_at"], name="review_final_by_officer",
                         condition=Q(status__in=["approved", "rejected"])),
        ]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self):
        return f"{self.application} / {self.department.code}"

    @property
    def is_open(self) -> bool:
        return self.status in REVIEW_OPEN


class Filing(models.Model):
    """An approved application told to a body its service names for it, without a review (record
    filing after approval, 登记后备案: catalogue.FilingRequirement, frozen in the version's
    ``filings``). Made once, in the transaction that approves the application; the department
    reads exactly what its filing lists (approvals.need_to_know) and acknowledges it, once
    (approvals.filings). Not a front desk filing an application for a citizen (api.ApiFiling)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="filings")
    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, related_name="filings",
                                   verbose_name=_("department"))
    created_at = models.DateTimeField(_("filed"), default=timezone.now)
    # FILING_ACKNOWLEDGE_DAYS working days after the approval; later, the dashboard flags it.
    acknowledge_by = models.DateField(_("to acknowledge by"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name=_("acknowledged by"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The backstop of "exactly once": the approval runs under the application's row lock.
            models.UniqueConstraint(fields=["application", "department"], name="filing_unique_application_department"),
            models.CheckConstraint(condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                                   | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                                   name="filing_acknowledged_by_someone"),
        ]
        indexes = [
            # A department's filings to acknowledge, oldest first, and the dashboard's figures of
            # them (count, oldest, overdue), from the index alone.
            models.Index(fields=["department", "created_at", "id"], include=["acknowledge_by"],
                         name="filing_unacknowledged", condition=Q(acknowledged_at__isnull=True)),
            models.Index(fields=["department", "-acknowledged_at", "-id"], name="filing_acknowledged",
                         condition=Q(acknowledged_at__isnull=False)),
        ]
        verbose_name = _("filing after approval")
        verbose_name_plural = _("filings after approval")

    def __str__(self):
        return f"{self.application_id} → {self.department_id}"

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    def overdue(self, today: date) -> bool:
        return self.acknowledged_at is None and self.acknowledge_by < today


class NotificationKind(models.TextChoices):
    SUBMITTED = "submitted", _("Application received")
    CORRECTION_REQUESTED = "correction_requested", _("Correction requested")
    REJECTED = "rejected", _("Application rejected")
    APPROVED = "approved", _("Application approved")
    PERMIT_READY = "permit_ready", _("Permit ready")
    REVIEW_ROUTED = "review_routed", _("New application in your queue")
    REVIEW_REMINDER = "review_reminder", _("Review due soon")
    REVIEW_YELLOW = "review_yellow", _("Review overdue (yellow card)")
    REVIEW_RED = "review_red", _("Review seriously overdue (red card)")
    WITHDRAWN = "withdrawn", _("Application withdrawn")
    MESSAGE_FROM_CITIZEN = "message_from_citizen", _("New message from an applicant")
    MESSAGE_FROM_DEPARTMENT = "message_from_department", _("New message from a department")
    LOW_RATING = "low_rating", _("Low rating from an applicant")
    PERMIT_REVOKED = "permit_revoked", _("Permit revoked")
    # Four eyes on a permit's correction: to those who may approve it, then to its proposer.
    PERMIT_CORRECTION_PROPOSED = "permit_correction_proposed", _("Permit correction waiting for your approval")
    PERMIT_CORRECTION_APPROVED = "permit_correction_approved", _("Your permit correction was approved")
    PERMIT_CORRECTION_REJECTED = "permit_correction_rejected", _("Your permit correction was rejected")
    # A permit's life after issue (approvals.permit_life): to its holder, and to the departments told.
    PERMIT_EXPIRING = "permit_expiring", _("Your permit ends soon")
    PERMIT_CANCELLED = "permit_cancelled", _("A permit was cancelled by its holder")
    OPINION_GIVEN = "opinion_given", _("Another department gave its opinion")
    OPINION_DUE = "opinion_due", _("Opinion due tomorrow")
    OPINION_OVERDUE = "opinion_overdue", _("Opinion overdue")
    FILING_RECEIVED = "filing_received", _("Approved application filed with your department")
    # Complaints (approvals.complaints): to the handler, and to a signed-in complainant.
    COMPLAINT_ASSIGNED = "complaint_assigned", _("Complaint for you to answer")
    COMPLAINT_REMINDER = "complaint_reminder", _("Complaint answer due soon")
    COMPLAINT_OVERDUE = "complaint_overdue", _("Complaint answer overdue")
    COMPLAINT_RECEIVED = "complaint_received", _("Complaint received")
    COMPLAINT_ANSWERED = "complaint_answered", _("Your complaint was answered")
    COMPLAINT_ESCALATED = "complaint_escalated", _("Your complaint went to the supervising office")
    # To whoever gave the answer the complainant was not satisfied with.
    COMPLAINT_ESCALATED_FROM_YOU = "complaint_escalated_from_you", _(
        "A complaint you answered went to the supervising office")
    RECTIFICATION_ASSIGNED = "rectification_assigned", _("A bad rating to rectify")
    RECTIFICATION_DUE = "rectification_due", _("Rectification due soon")
    RECTIFICATION_OVERDUE = "rectification_overdue", _("Rectification overdue")
    RECTIFICATION_CLOSED = "rectification_closed", _("A department rectified what you rated badly")
    # Appointments (approvals.appointments): to the citizen, each mail with the .ics invitation.
    APPOINTMENT_BOOKED = "appointment_booked", _("Appointment booked")
    APPOINTMENT_MOVED = "appointment_moved", _("Appointment moved")
    APPOINTMENT_CANCELLED = "appointment_cancelled", _("Appointment cancelled")
    APPOINTMENT_REMINDER = "appointment_reminder", _("Your appointment is tomorrow")
    # Pre-application advice (approvals.advice): to the departments asked, then to the citizen.
    ADVICE_REQUESTED = "advice_requested", _("A draft application sent for advice")
    ADVICE_GIVEN = "advice_given", _("A department gave advice on your draft")


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("To send")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    NONE = "none", _("No email")


class Notification(models.Model):
    """An in-app notification, and the outbox row of its email: the email is sent by
    ``notification_email_task`` and re-sent by the reconciler while it stays pending."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient"),
            models.Index(fields=["created_at"], name="notification_email_outbox",
                         condition=Q(email_status__in=["pending", "sending"])),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        return f"{self.kind} → {self.recipient_id}"


MESSAGE_MAX_LENGTH = 4000
RATING_COMMENT_MAX_LENGTH = 1000
RATING_MIN, RATING_MAX = 1, 5
LOW_RATING_MAX = 2  # a score this low is flagged to the supervisors of the reviewing departments
# A final decision was made: the applicant may rate the service.
APPLICATION_RATEABLE = frozenset({ApplicationStatus.APPROVED, ApplicationStatus.ISSUED, ApplicationStatus.REJECTED})


class MessageSide(models.TextChoices):
    CITIZEN = "citizen", _("Applicant")
    DEPARTMENT = "department", _("Department")


class Message(models.Model):
    """One message in the consultation thread between an applicant and one department
    reviewing the application. The thread is (application, department)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="messages")
    department = models.ForeignKey(
        "departments.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("department"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author"),
    )
    side = models.CharField(_("written by"), max_length=12, choices=MessageSide.choices)
    body = models.TextField(_("message"), max_length=MESSAGE_MAX_LENGTH)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    read_by_citizen_at = models.DateTimeField(_("read by the applicant"), null=True, blank=True)
    read_by_department_at = models.DateTimeField(_("read by the department"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="message_body_not_empty"),
            models.CheckConstraint(condition=LessThanOrEqual(Length("body"), MESSAGE_MAX_LENGTH), name="message_body_max_length"),
            models.CheckConstraint(condition=Q(side__in=MessageSide.values), name="message_side_valid"),
        ]
        indexes = [
            models.Index(fields=["application", "department", "created_at"], name="message_thread"),
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return f"{self.application} / {self.department_id} / {self.side}"

    @property
    def from_citizen(self) -> bool:
        return self.side == MessageSide.CITIZEN


class Rating(models.Model):
    """The applicant's rating of the service after a final decision: one per application.
    Per department it is read through the application's reviews (selectors.ratings_for_department)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="ratings")
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("rated by"),
    )
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), max_length=RATING_COMMENT_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(_("rated"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["application"], name="rating_unique_application"),
            models.CheckConstraint(condition=Q(score__gte=RATING_MIN, score__lte=RATING_MAX), name="rating_score_range"),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("comment"), RATING_COMMENT_MAX_LENGTH), name="rating_comment_max_length",
            ),
        ]
        indexes = [models.Index(fields=["score", "created_at"], name="rating_score_created")]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")

    def __str__(self):
        return f"{self.application} ★{self.score}"

    @property
    def is_low(self) -> bool:
        return self.score <= LOW_RATING_MAX


# --- The review workspace: internal notes, shares for an opinion ----------------------------------
# Created by the departments app; the tables keep their names.

NOTE_MAX_LENGTH = 4000
SHARE_MIN_DAYS, SHARE_MAX_DAYS = 1, 30


class InternalNote(models.Model):
    """A note kept inside the reviewing department: never shown to the applicant or to another
    department."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="internal_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("author"))
    body = models.TextField(_("note"), max_length=NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        db_table = "departments_internalnote"  # the table it was created as
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="internal_note_body_not_empty"),
            models.CheckConstraint(condition=LessThanOrEqual(Length("body"), NOTE_MAX_LENGTH),
                                   name="internal_note_body_max_length"),
        ]
        indexes = [models.Index(fields=["review", "created_at"], name="internal_note_review")]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self):
        return f"{self.review_id} / {self.author_id} / {self.created_at:%Y-%m-%d}"


class ApplicationShare(models.Model):
    """An application shared by its reviewing department with another department for an opinion,
    until ``expires_at`` or revocation. The object permissions themselves are held by guardian
    (ApplicationUserObjectPermission), one row per member, each naming this share; the share says
    for how long and why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="shares")
    # The department asking for the opinion: the opinion page shows what its requirement lists.
    from_department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("asking department"))
    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, related_name="shares",
                                   verbose_name=_("shared with"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("granted by"))
    reason = models.TextField(_("reason"), max_length=2000)
    expires_at = models.DateTimeField(_("expires"))
    created_at = models.DateTimeField(_("shared"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("revoked by"))
    # When the view permission was taken back (on revocation, or by the beat sweep once expired).
    ended_at = models.DateTimeField(_("access ended"), null=True, blank=True)
    # The day the opinion is due (approvals/opinion_deadlines.py); when its members were told it
    # is due tomorrow, and that it is overdue (each once, claimed by a conditional UPDATE; a due
    # date the backfill of approvals 0021 found already past is claimed by it, told to nobody).
    opinion_due = models.DateField(_("opinion due"), null=True, blank=True)
    opinion_reminded_at = models.DateTimeField(null=True, blank=True)
    opinion_overdue_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "departments_applicationshare"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(department=models.F("from_department")), name="share_other_department"),
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="share_expires_after_created"),
            models.CheckConstraint(condition=~Q(reason=""), name="share_reason_not_empty"),
        ]
        indexes = [
            models.Index(fields=["department", "expires_at"], name="share_department_active",
                         condition=Q(revoked_at__isnull=True)),
            models.Index(fields=["expires_at"], name="share_unended", condition=Q(ended_at__isnull=True)),
        ]
        verbose_name = _("application share")
        verbose_name_plural = _("application shares")

    def __str__(self):
        return f"{self.application_id} → {self.department_id}"

    def is_active(self, now=None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())

    def opinion_overdue(self, today: date) -> bool:
        return self.opinion_due is not None and self.opinion_due < today


OPINION_TEXT_MAX = 2000  # conditions, reasons and the optional comment, each


class OpinionVerdict(models.TextChoices):
    AGREE = "agree", _("Agree")
    AGREE_WITH_CONDITIONS = "agree_with_conditions", _("Agree with conditions")
    DISAGREE = "disagree", _("Disagree")


class ShareOpinion(models.Model):
    """The opinion the department asked gives back on a share: one per share, final once given
    (part of the application's record, never edited)."""

    share = models.OneToOneField(ApplicationShare, on_delete=models.CASCADE, related_name="opinion",
                                 verbose_name=_("share"))
    verdict = models.CharField(_("opinion"), max_length=24, choices=OpinionVerdict.choices)
    conditions = models.TextField(_("conditions"), max_length=OPINION_TEXT_MAX, blank=True)
    reasons = models.TextField(_("reasons"), max_length=OPINION_TEXT_MAX, blank=True)
    comment = models.TextField(_("comment"), max_length=OPINION_TEXT_MAX, blank=True)
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("given by"))
    given_at = models.DateTimeField(_("given"), default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(verdict__in=OpinionVerdict.values), name="opinion_verdict_known"),
            models.CheckConstraint(condition=~Q(verdict=OpinionVerdict.AGREE_WITH_CONDITIONS) | ~Q(conditions=""),
                                   name="opinion_conditions_given"),
            models.CheckConstraint(condition=~Q(verdict=OpinionVerdict.DISAGREE) | ~Q(reasons=""),
                                   name="opinion_reasons_given"),
        ]
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")

    def __str__(self):
        return f"{self.share_id}: {self.verdict}"


OPINION_MAX_FILES = 5  # files given with one opinion
OPINION_FILE_MAX_MB = 10  # each (and the request as a whole: UPLOAD_MAX_REQUEST_BYTES)


def opinion_upload_to(instance, filename):
    # Server-generated name, as for citizens' files; a folder per share (MEDIA_SWEEP_FOLDERS).
    return f"opinions/{instance.opinion.share_id}/{uuid.uuid4().hex}"


def opinion_disarmed_upload_to(instance, filename):
    return f"opinions/{instance.opinion.share_id}/{uuid.uuid4().hex}.disarmed"


class OpinionAttachment(models.Model):
    """A file the department asked gave with its opinion (a signed statement, a marked-up plan),
    checked like a citizen's upload and as final as the opinion: written with it, never changed
    or removed. ``file`` is the upload as it came, kept for the record; everyone is given
    ``disarmed_file``, the copy approvals.disarm wrote at upload (always there: a file no copy
    can be made of is refused). ``size`` and ``sha256`` describe the upload."""

    opinion = models.ForeignKey(ShareOpinion, on_delete=models.CASCADE, related_name="attachments",
                                verbose_name=_("opinion"))
    file = models.FileField(_("file"), upload_to=opinion_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    disarmed_file = models.FileField(_("disarmed copy"), upload_to=opinion_disarmed_upload_to, max_length=200)
    disarmed_sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(disarmed_file="") & ~Q(file=""), name="opinion_attachment_stored"),
        ]
        verbose_name = _("opinion file")
        verbose_name_plural = _("opinion files")

    def __str__(self):
        return self.original_name


class ApplicationUserObjectPermission(UserObjectPermissionBase):
    """guardian's direct foreign-key table for per-user rights on an application.

    A right a share gave is its own row, naming the share and the membership it came through:
    ending the share removes exactly its rows, and a member leaving the department takes theirs
    with the membership (CASCADE), by whatever path the membership goes. A member holding the
    same right through another share keeps that share's row. guardian's one row per (user,
    permission, application) holds for rights given otherwise (``share`` empty)."""

    content_object = models.ForeignKey(Application, on_delete=models.CASCADE)
    share = models.ForeignKey(ApplicationShare, on_delete=models.CASCADE, null=True, blank=True, related_name="grants")
    membership = models.ForeignKey("departments.Membership", on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="+")

    class Meta(UserObjectPermissionBase.Meta):
        db_table = "departments_applicationuserobjectpermission"
        unique_together = ()
        constraints = [
            models.UniqueConstraint(fields=["user", "permission", "content_object"], condition=Q(share__isnull=True),
                                    name="appuserperm_unique_unshared"),
            models.UniqueConstraint(fields=["share", "membership", "permission"], name="appuserperm_unique_share_member"),
            models.CheckConstraint(condition=Q(share__isnull=True, membership__isnull=True)
                                   | Q(share__isnull=False, membership__isnull=False),
                                   name="appuserperm_share_with_membership"),
        ]


class ApplicationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Application, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        db_table = "departments_applicationgroupobjectpermission"


class BundleApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class BundleApplication(models.Model):
    """One application for a life event (a catalogue.Bundle): one combined form, one submission,
    one reference. Each member service is a child Application of its own frozen version, decided
    and issued on its own (approvals.bundle_flow)."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, null=True, blank=True)
    check_code = models.CharField(_("check code"), max_length=8, default=new_check_code, editable=False)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="bundle_applications", verbose_name=_("applicant"))
    bundle = models.ForeignKey("catalogue.Bundle", on_delete=models.PROTECT, related_name="applications",
                               verbose_name=_("bundle"))
    # The combined form at the start (catalogue.bundles.bundle_schema), with the children's versions.
    schema = models.JSONField(_("combined form"))
    status = models.CharField(_("status"), max_length=12, choices=BundleApplicationStatus.choices,
                              default=BundleApplicationStatus.DRAFT)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["applicant", "-created_at"], name="bundle_app_applicant_created")]
        verbose_name = _("bundle application")
        verbose_name_plural = _("bundle applications")

    def __str__(self):
        return self.reference or f"bundle draft #{self.pk}"

    @cached_property
    def combined(self) -> Schema:
        return Schema(self.schema)

    @property
    def one_permit(self) -> bool:
        """The catalogue said one combined permit for the whole bundle (一业一证)."""
        return bool(self.schema.get("bundle", {}).get("one_permit"))

    @property
    def printed_check_code(self) -> str:
        return printed(self.check_code)


class CalendarChange(models.Model):
    """A change of the working-day calendars (one revision of catalogue.CalendarRevision against
    the one before) as it touches open reviews: the reviews whose due date it would move are
    listed with their current and recomputed dates (CalendarChangeReview), for their department's
    supervisors to apply or keep. A revision is recorded once, whether or not it moves any."""

    revision = models.PositiveBigIntegerField(_("calendar revision"), unique=True)
    changed_at = models.DateTimeField(_("calendar changed"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["-revision"]
        verbose_name = _("calendar change")
        verbose_name_plural = _("calendar changes")

    def __str__(self):
        return str(self.revision)


class CalendarChangeState(models.TextChoices):
    PENDING = "pending", _("To decide")
    APPLIED = "applied", _("Recomputed date applied")
    KEPT = "kept", _("Current date kept")
    SUPERSEDED = "superseded", _("Superseded by a later calendar change")


class CalendarChangeReview(models.Model):
    """An open review whose due date a calendar change would move: its dates when the change was
    recorded and those its department's new calendar gives (the same number of working days
    from the day its clock started). Nothing moves until a supervisor applies it."""

    change = models.ForeignKey(CalendarChange, on_delete=models.CASCADE, related_name="reviews")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="calendar_changes")
    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("department"))
    due_date = models.DateField(_("current due date"))
    new_due_date = models.DateField(_("recomputed due date"))
    new_remind_on = models.DateField(null=True, blank=True)
    new_red_on = models.DateField(null=True, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=CalendarChangeState.choices,
                             default=CalendarChangeState.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["new_due_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["change", "review"], name="calendar_change_review_once"),
        ]
        indexes = [
            # A supervisor's list: the department's reviews still to decide, soonest first.
            models.Index(fields=["department", "new_due_date", "id"], name="calendar_change_pending",
                         condition=Q(state="pending")),
        ]

    def __str__(self):
        return f"{self.review_id}: {self.due_date} → {self.new_due_date}"


# --- Complaints (supervision of the service): each handled by a named person by a deadline ------------

COMPLAINT_TEXT_MIN_LENGTH, COMPLAINT_TEXT_MAX_LENGTH = 20, 4000
COMPLAINT_ANSWER_MAX_LENGTH = 4000
COMPLAINT_REASON_MAX_LENGTH = 2000
COMPLAINT_OFFICER_NAME_MAX_LENGTH = 150


class ComplaintCategory(models.TextChoices):
    SLOW = "slow", _("Slow handling")
    WRONG_DECISION = "wrong_decision", _("Wrong decision")
    CONDUCT = "conduct", _("An officer's conduct")
    # Once-only (approvals.once_only): a department asked again for data the portal already holds.
    ASKED_AGAIN = "asked_again", _("Asked again for data another department already holds")
    OTHER = "other", _("Other")


class ComplaintAbout(models.TextChoices):
    APPLICATION = "application", _("One of my applications")
    DEPARTMENT = "department", _("A department as a whole")
    OFFICER = "officer", _("An officer's conduct")


class ComplaintStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("Waiting for the e-mail address to be confirmed")
    OPEN = "open", _("Being handled")
    ANSWERED = "answered", _("Answered: waiting for your verdict")
    ESCALATED = "escalated", _("Being handled by the supervising office")
    CLOSED = "closed", _("Closed")


COMPLAINT_OPEN = frozenset({ComplaintStatus.OPEN, ComplaintStatus.ESCALATED})


class Complaint(models.Model):
    """A complaint about an application of the complainant's own, a department, or an officer's
    conduct. A named handler answers it by a working-day due date (approvals.complaints); the
    complainant's "not satisfied" sends it once to the supervising office. A signed-in citizen is
    the ``complainant``; a member of the public gives ``contact_email`` and confirms it first."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, null=True, blank=True)
    complainant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="complaints", verbose_name=_("complainant"))
    contact_name = models.CharField(_("name"), max_length=150, blank=True)
    contact_email = models.EmailField(_("email"), blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    about = models.CharField(_("about"), max_length=16, choices=ComplaintAbout.choices)
    category = models.CharField(_("category"), max_length=16, choices=ComplaintCategory.choices)
    application = models.ForeignKey(Application, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="complaints", verbose_name=_("application"))
    # The department concerned, and the officer complained about or who decided (when known).
    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, related_name="complaints",
                                   verbose_name=_("department concerned"))
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("officer concerned"))
    officer_name = models.CharField(_("officer's name"), max_length=COMPLAINT_OFFICER_NAME_MAX_LENGTH, blank=True)
    text = models.TextField(_("complaint"), max_length=COMPLAINT_TEXT_MAX_LENGTH)
    status = models.CharField(_("status"), max_length=12, choices=ComplaintStatus.choices,
                              default=ComplaintStatus.UNCONFIRMED)
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    filed_at = models.DateTimeField(_("received"), null=True, blank=True)  # routed (after confirmation)
    # Who handles it now: a named person of the handling department (the department concerned,
    # or the supervising office).
    handling_department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, null=True,
                                            blank=True, related_name="+", verbose_name=_("handling department"))
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="handled_complaints", verbose_name=_("handler"))
    # The clock of the current level, in working days (columns scanned by beat).
    due_date = models.DateField(_("answer due"), null=True, blank=True)
    remind_on = models.DateField(_("reminder date"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("overdue escalation sent"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("sent to the supervising office"), null=True, blank=True)
    # Figures for the statistics: the first answer came by its due date; the last answer upheld it.
    answered_in_time = models.BooleanField(_("answered in time"), null=True, blank=True)
    upheld = models.BooleanField(_("upheld"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(complainant__isnull=False) | ~Q(contact_email=""),
                                   name="complaint_has_complainant"),
            models.CheckConstraint(condition=~Q(about="application") | Q(application__isnull=False,
                                                                         complainant__isnull=False),
                                   name="complaint_application_signed_in"),
            models.CheckConstraint(condition=LessThanOrEqual(Length("text"), COMPLAINT_TEXT_MAX_LENGTH),
                                   name="complaint_text_max_length"),
        ]
        indexes = [
            models.Index(fields=["handler", "status"], name="complaint_handler"),
            models.Index(fields=["handling_department", "status"], name="complaint_handling_department"),
            models.Index(fields=["due_date"], name="complaint_open_due", condition=Q(status__in=["open", "escalated"])),
            models.Index(fields=["department", "filed_at"], name="complaint_department_filed"),
        ]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")

    def __str__(self):
        return self.reference or f"complaint {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in COMPLAINT_OPEN


class ComplaintAnswer(models.Model):
    """One level's written answer (1: the department concerned, 2: the supervising office) and the
    complainant's verdict on it."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="answers")
    level = models.PositiveSmallIntegerField(_("level"))
    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, related_name="+")
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("answered by"))
    text = models.TextField(_("answer"), max_length=COMPLAINT_ANSWER_MAX_LENGTH)
    upheld = models.BooleanField(_("upheld"))
    answered_at = models.DateTimeField(_("answered"), default=timezone.now)
    satisfied = models.BooleanField(_("satisfied"), null=True, blank=True)
    verdict_reason = models.TextField(_("reason"), max_length=COMPLAINT_REASON_MAX_LENGTH, blank=True)
    verdict_at = models.DateTimeField(_("verdict given"), null=True, blank=True)

    class Meta:
        ordering = ["complaint", "level"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "level"], name="complaint_answer_unique_level"),
            models.CheckConstraint(condition=Q(level__in=[1, 2]), name="complaint_answer_level"),
            models.CheckConstraint(condition=~Q(text=""), name="complaint_answer_has_text"),
            models.CheckConstraint(condition=~Q(satisfied=False) | ~Q(verdict_reason=""),
                                   name="complaint_not_satisfied_has_reason"),
        ]
        verbose_name = _("answer to a complaint")
        verbose_name_plural = _("answers to complaints")

    def __str__(self):
        return f"{self.complaint} / {self.level}"


class ComplaintMail(models.Model):
    """The outbox of mails to a member of the public who complained without an account (a
    signed-in complainant gets notifications): one row per mail, sent after commit by
    ``complaint_mail_task`` and re-sent by the reconciler while it stays pending."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="mails")
    kind = models.CharField(_("kind"), max_length=32)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    email_status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="complaint_mail_outbox",
                                condition=Q(email_status__in=["pending", "sending"]))]
        verbose_name = _("complaint mail")
        verbose_name_plural = _("complaint mails")

    def __str__(self):
        return f"{self.kind} → {self.complaint_id}"


# --- Rectification of a bad rating (好差评 整改) -------------------------------------------------

RECTIFICATION_ACCOUNT_MIN_LENGTH = 20  # a sentence, not "done"
RECTIFICATION_ACCOUNT_MAX_LENGTH = 4000


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("Being rectified")
    CLOSED = "closed", _("Rectified, waiting for the applicant's rating")
    FOLLOWED_UP = "followed_up", _("Rectified and rated again")


class Rectification(models.Model):
    """What a department did about a bad rating (a score of LOW_RATING_MAX or less): one case per
    department that took a decision on the application, opened in the rating's transaction
    (approvals.rectifications). A named owner in the department writes an account of what was done
    by ``due_date`` (working days of the department's calendar); the applicant then rates the
    service once more. The original rating is kept as it was."""

    rating = models.ForeignKey(Rating, on_delete=models.CASCADE, related_name="rectifications")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="rectifications")
    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("department"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="rectifications", verbose_name=_("owner"))
    status = models.CharField(_("status"), max_length=16, choices=RectificationStatus.choices,
                              default=RectificationStatus.OPEN)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    due_date = models.DateField(_("due date"))
    # The reminder to the owner and the escalation to the supervisors and managers: each sent once,
    # claimed by a conditional UPDATE of its column (approvals.rectifications.rectification_scan).
    remind_on = models.DateField(_("reminder date"))
    reminded_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    account = models.TextField(_("what was done"), max_length=RECTIFICATION_ACCOUNT_MAX_LENGTH, blank=True)
    closed_at = models.DateTimeField(_("rectified"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("rectified by"))
    follow_up_score = models.PositiveSmallIntegerField(_("rating after the rectification"), null=True, blank=True)
    follow_up_comment = models.TextField(_("comment after the rectification"), max_length=RATING_COMMENT_MAX_LENGTH,
                                         blank=True)
    follow_up_at = models.DateTimeField(_("rated again"), null=True, blank=True)

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rating", "department"], name="rectification_once_per_department"),
            models.CheckConstraint(condition=Q(status__in=RectificationStatus.values), name="rectification_status_known"),
            models.CheckConstraint(condition=Q(status="open") | (Q(closed_at__isnull=False) & ~Q(account="")),
                                   name="rectification_closed_with_account"),
            models.CheckConstraint(condition=Q(follow_up_score__isnull=True)
                                   | Q(follow_up_score__gte=RATING_MIN, follow_up_score__lte=RATING_MAX),
                                   name="rectification_follow_up_range"),
            models.CheckConstraint(condition=~Q(status="followed_up") | Q(follow_up_score__isnull=False),
                                   name="rectification_followed_up_scored"),
        ]
        indexes = [
            # The owners' and supervisors' queues, and the scorecard's counts per department.
            models.Index(fields=["department", "status", "due_date"], name="rectification_department"),
            models.Index(fields=["owner", "status", "due_date"], name="rectification_owner"),
            # What the beat scan claims: open cases not yet reminded or escalated.
            models.Index(fields=["due_date"], name="rectification_open_due", condition=Q(status="open")),
        ]
        verbose_name = _("rectification")
        verbose_name_plural = _("rectifications")

    def __str__(self):
        return f"{self.application_id} / {self.department_id}: {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status == RectificationStatus.OPEN

    def overdue(self, today: date) -> bool:
        return self.is_open and self.due_date < today

    def closed_in_time(self) -> bool:
        from .sla import local_date  # sla imports the models

        return self.closed_at is not None and local_date(self.closed_at) <= self.due_date

    @property
    def awaits_follow_up(self) -> bool:
        return self.status == RectificationStatus.CLOSED


# --- Appointments ----------------------------------------------------------------------------------


class AppointmentPurpose(models.TextChoices):
    # What a slot is for: a pre-application meeting now; a site inspection visit books slots the same way.
    ADVICE = "advice", _("Pre-application meeting")
    INSPECTION = "inspection", _("Site inspection")


class AppointmentMode(models.TextChoices):
    ONLINE = "online", _("Online (video call)")
    COUNTER = "counter", _("At a counter")


class AppointmentSlot(models.Model):
    """A time a department receives citizens: ``capacity`` seats, of which ``booked`` are taken.
    ``booked`` only changes by a conditional UPDATE (approvals.appointments), so the last seat is
    taken once."""

    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, related_name="slots",
                                   verbose_name=_("department"))
    # Empty: any service the department reviews.
    service = models.ForeignKey("catalogue.Service", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="slots", verbose_name=_("service"))
    purpose = models.CharField(_("purpose"), max_length=12, choices=AppointmentPurpose.choices,
                               default=AppointmentPurpose.ADVICE)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    booked = models.PositiveSmallIntegerField(_("seats taken"), default=0)
    mode = models.CharField(_("where"), max_length=8, choices=AppointmentMode.choices)
    video_link = models.URLField(_("video link"), blank=True)
    address = models.CharField(_("counter address"), max_length=300, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("published"), auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="slot_capacity_positive"),
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="slot_not_overbooked"),
            models.CheckConstraint(condition=Q(mode="online") & ~Q(video_link="") | Q(mode="counter") & ~Q(address=""),
                                   name="slot_has_place"),
            models.UniqueConstraint(fields=["department", "service", "purpose", "starts_at"], nulls_distinct=False,
                                    name="slot_unique_start"),
        ]
        indexes = [models.Index(fields=["department", "starts_at"], name="slot_department_start")]
        verbose_name = _("appointment slot")
        verbose_name_plural = _("appointment slots")

    def __str__(self):
        return f"{self.department_id} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def seats_left(self) -> int:
        return self.capacity - self.booked

    @property
    def place(self) -> str:
        return self.video_link if self.mode == AppointmentMode.ONLINE else self.address


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("Did not come")


class AppointmentBooking(models.Model):
    """A citizen's seat in a slot. Moving it keeps the row (and the invitation's UID) and raises
    ``sequence``, so a calendar updates the event it holds instead of adding another."""

    slot = models.ForeignKey(AppointmentSlot, on_delete=models.PROTECT, related_name="bookings")
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    application = models.ForeignKey(Application, on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="bookings", verbose_name=_("application"))
    status = models.CharField(_("status"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.BOOKED)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("booked"), auto_now_add=True)
    changed_at = models.DateTimeField(_("changed"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    no_show_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # No citizen holds two seats of one slot.
            models.UniqueConstraint(fields=["slot", "citizen"], condition=Q(status="booked"),
                                    name="booking_one_seat_per_citizen"),
        ]
        indexes = [
            models.Index(fields=["citizen", "-created_at"], name="booking_citizen"),
            # What the reminder scan reads: live bookings not reminded yet.
            models.Index(fields=["slot"], name="booking_to_remind", condition=Q(status="booked", reminded_at__isnull=True)),
        ]
        verbose_name = _("appointment booking")
        verbose_name_plural = _("appointment bookings")

    def __str__(self):
        return f"{self.citizen_id} @ {self.slot_id} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status == BookingStatus.BOOKED


# --- Pre-application advice ------------------------------------------------------------------------


class AdviceRequest(models.Model):
    """A draft sent to one department for advice before it is submitted: what it held then (answers
    and the ids of its files), the citizen's question, and the department's written answer."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="advice")
    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, related_name="advice_requests",
                                   verbose_name=_("department"))
    question = models.TextField(_("question"), blank=True)
    answers = models.JSONField(_("answers sent"), default=dict, blank=True)
    attachment_ids = models.JSONField(_("files sent"), default=list, blank=True)
    requested_at = models.DateTimeField(_("asked"), auto_now_add=True)
    due_date = models.DateField(_("answer due"))
    answer = models.TextField(_("advice"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")

    class Meta:
        ordering = ["-requested_at", "pk"]
        constraints = [
            # Asked again only once the department answered.
            models.UniqueConstraint(fields=["application", "department"], condition=Q(answered_at__isnull=True),
                                    name="advice_one_open_per_department"),
            models.CheckConstraint(condition=Q(answered_at__isnull=True) | ~Q(answer=""), name="advice_answer_written"),
        ]
        indexes = [models.Index(fields=["department", "due_date"], name="advice_open_due",
                                condition=Q(answered_at__isnull=True))]
        verbose_name = _("advice request")
        verbose_name_plural = _("advice requests")

    def __str__(self):
        return f"{self.application_id} / {self.department_id}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None

    def overdue(self, today: date) -> bool:
        return self.is_open and self.due_date < today
