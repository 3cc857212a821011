from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import SERVICE_ACCOUNT_DOMAIN
from core.i18n import translated

code_validator = RegexValidator(r"^[a-z0-9_-]+$", _("Use lowercase letters, digits, - and _ only."))


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True, validators=[code_validator])
    # {"en": "...", "zh-hans": "..."}: catalogue text is kept with all its translations.
    name = models.JSONField(_("name"))
    email = models.EmailField(_("email"), blank=True)
    # Where a citizen goes in person, shown in every service guide the department takes part in:
    # address and opening hours per language ({"en": …, "zh-hans": …}), one phone number.
    address = models.JSONField(_("address"), default=dict, blank=True)
    opening_hours = models.JSONField(_("opening hours"), default=dict, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # The office that supervises the departments' service: it handles complaints about a department
    # as a whole or about its supervisor, and every complaint its complainant is not satisfied with.
    is_supervising_office = models.BooleanField(_("supervising office"), default=False)
    # Working days to answer a draft sent for pre-application advice (empty: ADVICE_DAYS).
    advice_days = models.PositiveSmallIntegerField(_("advice time limit (working days)"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["is_supervising_office"],
                                               condition=models.Q(is_supervising_office=True),
                                               name="department_one_supervising_office")]
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
