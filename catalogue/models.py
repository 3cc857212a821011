from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.i18n import translated


class FieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    TEXTAREA = "textarea", _("Long text")
    INTEGER = "integer", _("Whole number")
    DECIMAL = "decimal", _("Decimal number")
    DATE = "date", _("Date")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHOICE = "choice", _("Choice")
    MULTICHOICE = "multichoice", _("Multiple choice")
    BOOLEAN = "boolean", _("Yes / no")
    FILE = "file", _("File")


class IdentityDetail(models.TextChoices):
    """A detail of the applicant's identity a department's review may show, in the order shown."""

    NAME = "name", _("Name")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    ID_NUMBER = "id_number", _("Identity document number")


# A detail that comes from the applicant's profile is shown only in a service whose form asks for
# it, by this field key of the dictionary (every applicant gave a name and an address at registration).
IDENTITY_ASKED_BY = {IdentityDetail.PHONE: "contact_phone", IdentityDetail.ID_NUMBER: "id_number"}


def identity_in_order(details) -> list[str]:
    """The details as stored and frozen: each once, in IdentityDetail's order."""
    return [d.value for d in IdentityDetail if d.value in set(details)]


class Weekday(models.IntegerChoices):
    MON = 0, _("Monday")
    TUE = 1, _("Tuesday")
    WED = 2, _("Wednesday")
    THU = 3, _("Thursday")
    FRI = 4, _("Friday")
    SAT = 5, _("Saturday")
    SUN = 6, _("Sunday")


class WorkCalendar(models.Model):
    """The single working-week definition; SLA clocks count its working days. ``revision`` goes up
    in the same transaction as any change to the calendar (working week, holidays, make-up
    working days, a department's calendar): each process compares it with the revision of the
    calendar it holds before using it (catalogue.calendar)."""

    workdays = models.JSONField(_("working weekdays"), default=list, help_text=_("0 = Monday … 6 = Sunday"))
    revision = models.PositiveBigIntegerField(_("revision"), default=0, editable=False)

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendar")

    def __str__(self):
        return ", ".join(str(Weekday(d).label) for d in sorted(self.workdays))


class Holiday(models.Model):
    date = models.DateField(_("date"), unique=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self):
        return self.date.isoformat()


class WorkingWeekend(models.Model):
    """A make-up working day (调休): a rest day of the working week worked in exchange for a holiday."""

    date = models.DateField(_("date"), unique=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("make-up working day")
        verbose_name_plural = _("make-up working days")

    def __str__(self):
        return self.date.isoformat()


class DepartmentCalendar(models.Model):
    """Where a department's working days differ from the catalogue's: its own working week (empty:
    the catalogue's), extra closure days and extra working days (ISO dates), applied on top of the
    catalogue's calendar."""

    department = models.OneToOneField("departments.Department", models.CASCADE, related_name="calendar",
                                      verbose_name=_("department"))
    workdays = models.JSONField(_("own working weekdays"), default=list, blank=True,
                                help_text=_("0 = Monday … 6 = Sunday; empty: the catalogue's working week"))
    holidays = models.JSONField(_("extra closure days"), default=list, blank=True)
    working_days = models.JSONField(_("extra working days"), default=list, blank=True)

    class Meta:
        ordering = ["department__code"]
        verbose_name = _("department calendar")
        verbose_name_plural = _("department calendars")

    def __str__(self):
        return str(self.department)


class CalendarRevision(models.Model):
    """What the calendars were at one revision (catalogue.calendar.calendar_snapshot), written with
    the change: the engine compares two revisions to find the open reviews whose due date a change
    would move."""

    revision = models.PositiveBigIntegerField(_("revision"), unique=True)
    changed_at = models.DateTimeField(_("changed at"))
    content = models.JSONField(_("content"))

    class Meta:
        ordering = ["revision"]
        verbose_name = _("calendar revision")
        verbose_name_plural = _("calendar revisions")

    def __str__(self):
        return str(self.revision)


class Field(models.Model):
    """One entry of the shared field dictionary: one key has one meaning in every service."""

    key = models.CharField(
        _("key"), max_length=64, unique=True,
        validators=[RegexValidator(r"^[a-z0-9_]+$", _("Use lowercase letters, digits and _ only."))],
    )
    kind = models.CharField(_("kind"), max_length=16, choices=FieldKind.choices)
    label = models.JSONField(_("label"))
    help = models.JSONField(_("help text"), default=dict, blank=True)
    section = models.JSONField(_("section"), default=dict, blank=True)
    required = models.BooleanField(_("required"), default=False)
    # Kind-specific rules, exactly as in the catalogue file: max_length, format, min, max, choices,
    # accept, max_size_mb.
    rules = models.JSONField(_("rules"), default=dict, blank=True)
    # Where the answer is taken from instead of asking: {"register": code, "attribute": name,
    # "key": field key} (no key for a register looked up by the applicant's identity number), as
    # in the catalogue file and checked against catalogue.registers; empty: the citizen answers.
    register = models.JSONField(_("taken from a register"), default=dict, blank=True)
    # A file question a valid certificate of this type answers instead of an upload: the citizen
    # who holds one is asked nothing, the departments see it as verified evidence.
    certificate_type = models.ForeignKey(
        "CertificateType", on_delete=models.PROTECT, null=True, blank=True, related_name="fields",
        verbose_name=_("answered by a certificate of type"),
    )
    # When the field is asked (catalogue.conditions), on answers of earlier pages; empty: always.
    when = models.JSONField(_("asked when"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("field")
        verbose_name_plural = _("fields")

    def __str__(self):
        return self.key

    @property
    def display_label(self) -> str:
        return translated(self.label) or self.key


class CertificateType(models.Model):
    """A kind of e-certificate the government issues ("business licence", "fire safety approval"):
    the permit of a service, or a certificate a department system issues outside the portal. A
    document question can be answered by a valid certificate of a type instead of an upload."""

    code = models.CharField(
        _("code"), max_length=64, unique=True,
        validators=[RegexValidator(r"^[a-z0-9_]+$", _("Use lowercase letters, digits and _ only."))],
    )
    name = models.JSONField(_("name"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("certificate type")
        verbose_name_plural = _("certificate types")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return translated(self.name) or self.code


class Register(models.Model):
    """A register the government keeps that answers some fields (catalogue.registers.REGISTERS
    holds what each may answer), by its name to citizens and whether the deployment's law needs the
    citizen's agreement before the portal looks them up in it."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.JSONField(_("name"))
    consent_required = models.BooleanField(_("the citizen's agreement is required"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("register")
        verbose_name_plural = _("registers")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return translated(self.name) or self.code


# Working days to rectify a bad rating (approvals.rectifications): a service's own, within these bounds.
RECTIFY_DAYS_DEFAULT = 5
RECTIFY_DAYS_MIN, RECTIFY_DAYS_MAX = 1, 15
# Calendar days before a permit ends that its holder is reminded (approvals.permit_life): a
# service's own, each within these bounds, distinct.
REMINDER_DAYS_DEFAULT = [90, 30, 7]
REMINDER_DAYS_MIN, REMINDER_DAYS_MAX = 1, 365
REMINDERS_MAX = 5


def reminder_days_default() -> list[int]:
    return list(REMINDER_DAYS_DEFAULT)


# Calendar days after its end that a permit may still be renewed (approvals.permit_life).
RENEW_GRACE_DAYS_DEFAULT = 90
RENEW_GRACE_DAYS_MAX = 3650


class Service(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.JSONField(_("name"))
    life_event = models.JSONField(_("life event"))
    description = models.JSONField(_("description"), default=dict, blank=True)
    # The fee in words per language (the guide's description of it) and, when the portal charges
    # it, the rule that computes it from the answers (catalogue.fees; frozen with each version).
    fee = models.JSONField(_("fee"), default=dict, blank=True)
    fee_rule = models.JSONField(_("fee rule"), default=dict, blank=True)
    # The everyday words people search with, per language: {"en": ["eatery"], "zh-hans": ["餐厅"]}.
    synonyms = models.JSONField(
        _("search synonyms"), default=dict, blank=True,
        help_text=_('Words people search with, per language: {"en": ["eatery", "diner"], "zh-hans": ["餐厅"]}'),
    )
    permit_title = models.JSONField(_("permit title"))
    permit_valid_days = models.PositiveIntegerField(_("permit validity (days)"), validators=[MinValueValidator(1)])
    # Working days a department has to rectify a bad rating of the service (approvals.rectifications).
    rectify_days = models.PositiveSmallIntegerField(
        _("time to rectify a bad rating (working days)"), default=RECTIFY_DAYS_DEFAULT,
        validators=[MinValueValidator(RECTIFY_DAYS_MIN), MaxValueValidator(RECTIFY_DAYS_MAX)])
    # Calendar days before its permit ends that the holder is reminded, largest first (catalogue
    # ``permit.reminder_days``); empty: no reminders. Read when the reminders are sent.
    reminder_days = models.JSONField(_("expiry reminders (days before)"), default=reminder_days_default, blank=True)
    # Renewal (approvals.permit_life): the questions asked again (catalogue ``permit.renewal_asks``,
    # frozen in the schema; every other answer is carried from the permit's application), and how
    # long after its end a permit may still be renewed.
    renewal_asks = models.JSONField(_("asked again at renewal"), default=list, blank=True)
    renew_grace_days = models.PositiveSmallIntegerField(
        _("renewal allowed after the end (days)"), default=RENEW_GRACE_DAYS_DEFAULT,
        validators=[MaxValueValidator(RENEW_GRACE_DAYS_MAX)])
    # Amendment (approvals.permit_life): the questions whose answer the holder may change on a
    # valid permit (catalogue ``permit.amendable``, frozen in the schema). Which departments review
    # a change of which is their requirement's ``reviews_changes_of``; a change nobody reviews is
    # recorded at once.
    amendable = models.JSONField(_("details the holder may change"), default=list, blank=True)
    # The certificate type the service's permit is: it enters the holder's wallet as one, and a
    # service asking for that type says this service issues it.
    certificate_type = models.ForeignKey(
        CertificateType, on_delete=models.PROTECT, null=True, blank=True, related_name="issuing_services",
        verbose_name=_("certificate type of the permit"),
    )
    # Pages of the form asked only under a condition: [{"title": {"en": …}, "when": condition}],
    # each matched to the fields whose section has that English title; the condition is combined
    # into each such field's frozen ``when`` (catalogue.schema). Empty: every page is asked.
    sections = models.JSONField(_("conditional sections"), default=list, blank=True)
    # The service guide (办事指南) published before anyone applies, as in the catalogue file
    # (catalogue.guides describes it): legal basis, who may apply, conditions, materials (a
    # template names a GuideFile of the service), statutory and promised time limits, questions.
    guide = models.JSONField(_("service guide"), default=dict, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("open for applications"), default=True)
    current_version = models.ForeignKey(
        "ServiceVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("current version"),
    )

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return translated(self.name) or self.slug


def guide_file_upload_to(instance, filename):
    # Named by content: the same template loaded twice is stored once.
    return f"guides/{instance.sha256[:2]}/{instance.sha256}"


class GuideFile(models.Model):
    """A template or sample a service guide offers for download (a form to fill in, a sample floor
    plan): copied from the catalogue's folder at load time, its real type checked
    (catalogue.guide_files), served by name under the service's page."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="guide_files")
    name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file = models.FileField(_("file"), upload_to=guide_file_upload_to, max_length=200)

    class Meta:
        ordering = ["service", "name"]
        constraints = [models.UniqueConstraint(fields=["service", "name"], name="guide_file_unique_service_name")]
        verbose_name = _("guide file")
        verbose_name_plural = _("guide files")

    def __str__(self):
        return f"{self.service.slug}: {self.name}"


class Bundle(models.Model):
    """Several services one life event needs, applied for together (一件事一次办): one combined form
    that asks each shared question once, one submission. Each member service keeps its own reviews
    and permit; a member may apply only under a condition on the answers (catalogue.conditions),
    and may depend on others (refused with them). ``one_permit``: the catalogue says the members'
    approvals are issued as one combined permit (一业一证)."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.JSONField(_("name"))
    life_event = models.JSONField(_("life event"))
    description = models.JSONField(_("description"), default=dict, blank=True)
    one_permit = models.BooleanField(_("one combined permit"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("bundle of services")
        verbose_name_plural = _("bundles of services")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return translated(self.name) or self.slug


class BundleMember(models.Model):
    """A service of a bundle: when it applies (empty: always) and the members it depends on (their
    slugs: a refusal of one of them refuses it too)."""

    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="members")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bundle_memberships")
    when = models.JSONField(_("applies when"), default=dict, blank=True)
    depends_on = models.JSONField(_("depends on"), default=list, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["bundle", "service"], name="bundle_member_unique_service")]
        verbose_name = _("service of a bundle")
        verbose_name_plural = _("services of a bundle")

    def __str__(self):
        return f"{self.bundle.slug}: {self.service.slug}"


class Requirement(models.Model):
    """What one department needs to review a service: its fields, its stage, its time limit."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="requirements")
    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT, related_name="requirements")
    stage = models.PositiveSmallIntegerField(_("stage"), default=1, validators=[MinValueValidator(1)])
    sla_days = models.PositiveSmallIntegerField(_("time limit (working days)"), validators=[MinValueValidator(1)])
    fields = models.ManyToManyField(Field, related_name="requirements", verbose_name=_("fields"))
    # What of the applicant's identity the department sees (IdentityDetail values, in that order):
    # need to know, like ``fields``. Nothing listed, nothing shown.
    identity = models.JSONField(_("applicant's identity shown"), default=list, blank=True)
    # When the department reviews at all (catalogue.conditions, on any answer); empty: always. A
    # review that does not apply is not routed, and the applicant is told why: in ``not_needed``'s
    # words ({"en": …, "zh-hans": …}) when the catalogue gives them, else the condition's own.
    when = models.JSONField(_("reviews when"), default=dict, blank=True)
    not_needed = models.JSONField(_("why not needed"), default=dict, blank=True)
    # The department is told when a holder cancels the service's permit (approvals.permit_life).
    told_of_cancellation = models.BooleanField(_("told when the permit is cancelled"), default=False)
    # Only the departments marked so review a renewal of the service's permit (approvals.permit_life).
    reviews_renewals = models.BooleanField(_("reviews renewals"), default=False)
    # The amendable questions (Service.amendable) a change of which the department reviews, among
    # its own ``fields`` (approvals.permit_life).
    reviews_changes_of = models.JSONField(_("reviews changes of"), default=list, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["stage", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "department"], name="requirement_unique_service_department"),
        ]
        verbose_name = _("department requirement")
        verbose_name_plural = _("department requirements")

    def __str__(self):
        return f"{self.service.slug}: {self.department.code} (stage {self.stage})"


class FilingRequirement(models.Model):
    """A body told of an approval without reviewing the application (record filing after
    approval, 登记后备案): when the service's application is approved it receives, through its queue
    or its webhooks, the answers and the details of the applicant's identity listed here (need to
    know, like a review's), and acknowledges them. A department that reviews a service is never
    also told of it by filing: it has the application already."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="filing_requirements")
    department = models.ForeignKey("departments.Department", on_delete=models.PROTECT,
                                   related_name="filing_requirements")
    # Answers of the service's form (never files: a filing passes on facts, not documents).
    fields = models.ManyToManyField(Field, related_name="filing_requirements", blank=True, verbose_name=_("fields"))
    identity = models.JSONField(_("applicant's identity shown"), default=list, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "department"], name="filing_requirement_unique_service_department"),
        ]
        verbose_name = _("filing after approval")
        verbose_name_plural = _("filings after approval")

    def __str__(self):
        return f"{self.service.slug}: {self.department.code} (filing)"


class ServiceVersion(models.Model):
    """An immutable snapshot of a service's form, reviews and filings. A change to the service, its
    requirements or any field it uses publishes a new version; an application keeps the
    version it was started on."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    # {"fields": [<field definition>...], "reviews": [{"department", "stage", "sla_days",
    #  "fields", "identity"}...], "filings": [{"department", "fields", "identity"}...] (only when
    #  there are some), "service": {...}}; see catalogue.schema.
    schema = models.JSONField(_("schema"))
    created_at = models.DateTimeField(_("published"), auto_now_add=True)

    class Meta:
        ordering = ["service", "-number"]
        constraints = [models.UniqueConstraint(fields=["service", "number"], name="serviceversion_unique_number")]
        verbose_name = _("service version")
        verbose_name_plural = _("service versions")

    def __str__(self):
        return f"{self.service.slug} v{self.number}"
