import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TokenKind(models.TextChoices):
    DEPARTMENT = "department", _("Department system")
    CITIZEN = "citizen", _("Citizen")
    FRONT_DESK = "front_desk", _("Front desk")


class Scope(models.TextChoices):
    """What a token may do within its kind (api.scopes: which kind may hold which, and which
    scope each endpoint needs)."""

    READ = "read", _("Read")
    DECIDE = "decide", _("Decide reviews")
    WEBHOOKS = "webhooks", _("Manage webhooks")
    FILE = "file", _("File applications")
    REGISTER = "register", _("Register walk-in citizens")
    CERTIFICATES_WRITE = "certificates:write", _("Push and revoke e-certificates")
    CERTIFICATES_VERIFY = "certificates:verify", _("Check e-certificates, with the holder's consent")
    ACKNOWLEDGE = "acknowledge", _("Acknowledge filings")


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 digest is stored (the token is 256 random bits, so a
    fast digest is enough); the token itself is shown once when it is made. It acts as
    ``user``: the citizen for a citizen token, a service account that is a member of the
    department for a department token, the desk's service account for a front-desk token.
    It works until ``expires_at`` and only for the calls its ``scopes`` allow."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=TokenKind.choices)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens",
                             verbose_name=_("acts as"))
    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="api_tokens", verbose_name=_("department"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("issued by"))
    # The smallest of API_TOKEN_EXPIRY_WARNING_DAYS whose warning was mailed (api.expiry): each
    # threshold's mail is claimed by one conditional UPDATE of this column, so it goes out once.
    expiry_warned_days = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(kind="department") | Q(department__isnull=False),
                                   name="api_token_department_has_department"),
        ]
        indexes = [models.Index(fields=["expires_at"], name="api_token_expiry", condition=Q(revoked_at__isnull=True))]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def label(self) -> str:
        """How the audit log names the token."""
        return f"API token {self.prefix} ({self.name})"[:200]

    @property
    def scope_labels(self) -> list[str]:
        return [Scope(s).label for s in self.scopes if s in Scope.values]

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired


class ApiFiling(models.Model):
    """An application a front-desk token filed on a citizen's behalf: that token may work on it."""

    token = models.ForeignKey(ApiToken, on_delete=models.PROTECT, related_name="filings")
    application = models.OneToOneField("approvals.Application", on_delete=models.CASCADE, related_name="api_filing")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["token", "-created_at"], name="api_filing_token")]


class ConsentMethod(models.TextChoices):
    PAPER_SCAN = "paper_scan", _("Paper form, signed and scanned")
    SIGNATURE_PAD = "signature_pad", _("Signed on a signature pad")


def consent_upload_to(instance, filename):
    # Server-generated name: the desk's file name never reaches the file system.
    return f"consents/{uuid.uuid4().hex}"


class FilingConsent(models.Model):
    """The citizen's signed consent to a front desk filing on their behalf, kept with the filing:
    how and when it was signed, the officer who took it, and the signed document (stored here,
    with its SHA-256) or the desk archive's reference to it."""

    filing = models.OneToOneField(ApiFiling, on_delete=models.CASCADE, related_name="consent")
    method = models.CharField(_("signed by"), max_length=16, choices=ConsentMethod.choices)
    signed_at = models.DateTimeField(_("signed at"))
    officer_name = models.CharField(_("officer's name"), max_length=150)
    officer_staff_number = models.CharField(_("officer's staff number"), max_length=32)
    document = models.FileField(_("signed document"), upload_to=consent_upload_to, max_length=200, blank=True)
    document_name = models.CharField(_("file name"), max_length=200, blank=True)
    document_content_type = models.CharField(_("content type"), max_length=100, blank=True)
    document_size = models.PositiveBigIntegerField(_("size"), null=True, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    document_reference = models.CharField(_("document reference"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(document="") | ~Q(document_reference=""),
                                   name="filing_consent_has_document"),
        ]
        verbose_name = _("filing consent")
        verbose_name_plural = _("filing consents")

    def __str__(self):
        return f"{self.get_method_display()} ({self.signed_at:%Y-%m-%d})"


class SigningSecret(models.Model):
    """A department system's secret for signing what it writes into the wallet (api.request_signing):
    issued by an administrator (``manage.py certificate_signing_secret``), never through the API, so
    that a bearer token alone cannot push or revoke a certificate. Kept sealed as webhook secrets
    are (api.webhook_secrets); two may be active while a system moves to a new one."""

    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT,
                                   related_name="signing_secrets", verbose_name=_("department"))
    secret_sealed = models.TextField(_("signing secret, encrypted"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        ordering = ["department", "-created_at", "-pk"]
        verbose_name = _("request signing secret")
        verbose_name_plural = _("request signing secrets")

    def __str__(self):
        return f"{self.department_id} #{self.pk}"


class IdempotencyRecord(models.Model):
    """The first answer to a POST with an Idempotency-Key, replayed for the same key and body."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path and body
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)  # null while the first request runs
    body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="idempotency_unique_token_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]


class WebhookEvent(models.TextChoices):
    REVIEW_ROUTED = "review.routed", _("Review routed to the department")
    REVIEW_DECIDED = "review.decided", _("Review decided")
    REVIEW_CANCELLED = "review.cancelled", _("Review no longer needed after a correction")
    APPLICATION_APPROVED = "application.approved", _("Application approved")
    APPLICATION_REJECTED = "application.rejected", _("Application rejected")
    PERMIT_ISSUED = "permit.issued", _("Permit issued")
    PERMIT_REVOKED = "permit.revoked", _("Permit revoked")
    PERMIT_CANCELLED = "permit.cancelled", _("Permit cancelled by its holder (to the departments told)")
    FILING_CREATED = "filing.created", _("Approval filed with the department")


class WebhookSubscription(models.Model):
    department = models.ForeignKey("departments.Department", on_delete=models.CASCADE, related_name="webhooks",
                                   verbose_name=_("department"))
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    # The receiver checks signatures with the secret, so it is encrypted, not hashed
    # (api.webhook_secrets); it is shown once, when made or rotated.
    secret_sealed = models.TextField(_("signing secret, encrypted"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["department", "pk"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self):
        return f"{self.department.code} → {self.url}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("To send")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event for one subscription: the outbox row. Retries are columns scanned by beat."""

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries",
                                     verbose_name=_("subscription"))
    audit_event_id = models.BigIntegerField(_("audit event"))
    event_id = models.CharField(_("event id"), max_length=40)
    event_type = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    give_up_at = models.DateTimeField(_("give up after"))
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "audit_event_id"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due", condition=Q(status="pending")),
        ]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self):
        return f"{self.event_type} {self.event_id} → {self.subscription_id}"


class WebhookCursor(models.Model):
    """The position in the sealed audit chain up to which events were turned into deliveries."""

    last_seq = models.BigIntegerField(default=0)
