from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.models import SERVICE_ACCOUNT_DOMAIN
from core.i18n import translated

code_validator = RegexValidator(r"^[a-z0-9_-]+$", _("Use lowercase letters, digits, - and _ only."))


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True, validators=[code_validator])
    # {"en": "...", "zh-hans": "..."}: catalogue text is kept with all its translations.
    name = models.JSONField(_("name"))
    email = models.EmailField(_("email"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return translated(self.name) or self.code


class MembershipRole(models.TextChoices):
    OFFICER = "officer", _("Officer")
    SUPERVISOR = "supervisor", _("Supervisor")


class MembershipQuerySet(models.QuerySet):
    def people(self):
        """Memberships of active people: not the service accounts API tokens act as, which are
        members so that the engine's rules apply to them, but get no mail and no assigned work."""
        return self.filter(user__is_active=True).exclude(user__email__endswith="@" + SERVICE_ACCOUNT_DOMAIN)


class Membership(models.Model):
    """An officer's or supervisor's place in a department; queues filter on it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=MembershipRole.choices, default=MembershipRole.OFFICER)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "department"], name="membership_unique_user_department")]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user} @ {self.department.code} ({self.role})"


NOTE_MAX_LENGTH = 4000
SHARE_MIN_DAYS, SHARE_MAX_DAYS = 1, 30


class StandardReason(models.Model):
    """A rejection reason a department uses often; the officer picks one and adds details."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="standard_reasons")
    # {"en": "...", "zh-hans": "..."}
    text = models.JSONField(_("text"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["department", "position", "pk"]
        verbose_name = _("standard rejection reason")
        verbose_name_plural = _("standard rejection reasons")

    def __str__(self):
        return self.display_text

    @property
    def display_text(self) -> str:
        return translated(self.text)


class InternalNote(models.Model):
    """A note kept inside the reviewing department: never shown to the applicant or to another
    department."""

    review = models.ForeignKey("approvals.Review", on_delete=models.CASCADE, related_name="internal_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("author"))
    body = models.TextField(_("note"), max_length=NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
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
    until ``expires_at`` or revocation. The object permission itself is held by guardian
    (ApplicationUserObjectPermission); the share says for how long and why."""

    application = models.ForeignKey("approvals.Application", on_delete=models.CASCADE, related_name="shares")
    # The department asking for the opinion: the opinion page shows what its requirement lists.
    from_department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("asking department"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="shares",
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

    class Meta:
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


class ApplicationUserObjectPermission(UserObjectPermissionBase):
    """guardian's direct foreign-key table for per-user rights on an application."""

    content_object = models.ForeignKey("approvals.Application", on_delete=models.CASCADE)


class ApplicationGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey("approvals.Application", on_delete=models.CASCADE)
