from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    OFFICER = "officer", _("Officer")
    SUPERVISOR = "supervisor", _("Supervisor")
    MANAGER = "manager", _("Manager")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")
    FINANCE = "finance", _("Finance officer")


class Assurance(models.TextChoices):
    """How sure the portal is of who the person is (eIDAS levels for an identity service's
    assertion; "in person" when an officer checked an identity document at a counter)."""

    NONE = "", _("Not verified")
    LOW = "low", _("Low (identity service)")
    SUBSTANTIAL = "substantial", _("Substantial (identity service)")
    HIGH = "high", _("High (identity service)")
    IN_PERSON = "in_person", _("Verified in person")


STAFF_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.MANAGER, Role.AUDITOR, Role.ADMIN, Role.FINANCE})
# The accounts that API tokens act as (a department system, a front desk) live on this domain:
# they never sign in, receive mail or take work from a supervisor.
SERVICE_ACCOUNT_DOMAIN = "api.portal.invalid"
# A citizen registered at a front desk without an e-mail address gets a login on this domain: the
# e-mail field is the login and must be unique, but nothing is ever sent there.
WALK_IN_DOMAIN = "counter.portal.invalid"


def mailable(address: str) -> bool:
    """Whether mail may be sent to ``address``: never to a reserved one (".invalid" never
    resolves, RFC 2606), which service accounts and walk-ins without an address have."""
    return bool(address) and not address.lower().rstrip(".").endswith(".invalid")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("role", Role.CITIZEN)
        return self._create(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(role=Role.ADMIN, is_staff=True, is_superuser=True, email_verified=True)
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: citizens and staff. Email is the login.

    A citizen's identity and contact details live here too: they are asked once at
    registration or in the profile and reused in every combined form."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    id_number = models.CharField(_("identity document number"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CITIZEN)
    # The language mail is written in: the one the person used last on the portal.
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="en")
    # The larger-text mode chosen in the header, remembered across devices.
    large_text = models.BooleanField(_("larger text"), default=False, db_default=False)
    email_verified = models.BooleanField(_("email verified"), default=False)
    # Who vouched for the person's identity, and how well. Once verified, the identity number
    # is the one the identity service (or the counter) confirmed, and the citizen cannot edit it.
    assurance = models.CharField(_("identity assurance"), max_length=16, choices=Assurance.choices, blank=True,
                                 default=Assurance.NONE, db_default=Assurance.NONE)
    identity_verified_by = models.CharField(_("identity verified by"), max_length=150, blank=True, default="",
                                            db_default="")
    identity_verified_at = models.DateTimeField(_("identity verified at"), null=True, blank=True)
    identity_verifier = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("officer who checked the identity document"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("may use the admin site"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return f"{self.full_name} <{self.email}>" if self.full_name else self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name or self.email

    @property
    def identity_verified(self) -> bool:
        return bool(self.assurance)

    @property
    def has_mailbox(self) -> bool:
        """False for a reserved login (a service account, a walk-in who gave no address)."""
        return mailable(self.email)

    @property
    def is_citizen(self) -> bool:
        return self.role == Role.CITIZEN

    @property
    def may_read_audit_log(self) -> bool:
        """Auditors and administrators read the audit log and check its chain."""
        return self.role in (Role.AUDITOR, Role.ADMIN)

    @property
    def is_department_staff(self) -> bool:
        return self.role in (Role.OFFICER, Role.SUPERVISOR)


class ExternalIdentity(models.Model):
    """An identity an OpenID Connect provider asserted, bound to one account: the provider's
    issuer and its subject identifier (``sub``) name the person for good, whatever their e-mail."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities",
                             verbose_name=_("account"))
    issuer = models.CharField(_("issuer"), max_length=255)
    subject = models.CharField(_("subject identifier"), max_length=255)
    provider_name = models.CharField(_("identity service"), max_length=150)
    assurance = models.CharField(_("assurance"), max_length=16, choices=Assurance.choices, blank=True)
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), default=timezone.now)

    class Meta:
        verbose_name = _("external identity")
        verbose_name_plural = _("external identities")
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="external_identity_unique")]

    def __str__(self):
        return f"{self.provider_name}: {self.subject}"


class DocumentType(models.TextChoices):
    """The identity documents a front desk checks. A resident identity card's number is checked
    with its checksum, birth date and region (stdnum.cn.ric); the others by their form."""

    RESIDENT_ID_CARD = "resident_id_card", _("Resident identity card")
    PASSPORT = "passport", _("Passport")
    TRAVEL_PERMIT = "travel_permit", _("Mainland travel permit for Hong Kong, Macao or Taiwan residents")
    PERMANENT_RESIDENCE = "permanent_residence", _("Foreign permanent resident identity card")


class CounterRegistration(models.Model):
    """A citizen a front desk registered after its officer checked an identity document in person.
    The officer is the desk system's clerk, not a portal account: the desk sends the name and
    staff number, kept here as sent."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="counter_registration", verbose_name=_("citizen"))
    # The desk's service account (the one its API token acts as): only that desk prints letters.
    desk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("front desk"))
    desk_name = models.CharField(_("front desk name"), max_length=100)
    officer_name = models.CharField(_("officer's name"), max_length=150)
    officer_staff_number = models.CharField(_("officer's staff number"), max_length=32)
    document_type = models.CharField(_("identity document"), max_length=24, choices=DocumentType.choices)
    document_number = models.CharField(_("document number"), max_length=32)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)

    class Meta:
        verbose_name = _("registration at a front desk")
        verbose_name_plural = _("registrations at a front desk")
        constraints = [
            models.UniqueConstraint(fields=["document_type", "document_number"], name="counter_document_once"),
        ]

    def __str__(self):
        return f"{self.desk_name}: {self.user_id}"


class ClaimChannel(models.TextChoices):
    MAIL = "mail", _("Link mailed to the citizen")
    LETTER = "letter", _("Letter printed at the front desk")


class AccountClaim(models.Model):
    """A single-use code with which a citizen registered at a front desk sets the password of their
    account. Only its SHA-256 digest is stored (the code is 100 random bits); the clear code is in
    the mail or on the printed letter, nowhere else."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_claims",
                             verbose_name=_("account"))
    channel = models.CharField(_("sent by"), max_length=8, choices=ClaimChannel.choices)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used or withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("account claim code")
        verbose_name_plural = _("account claim codes")
        indexes = [models.Index(fields=["user", "channel"], name="account_claim_user")]

    def __str__(self):
        return f"{self.get_channel_display()} ({self.user_id})"
