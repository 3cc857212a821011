"""The shape of a catalogue file: the keys each entry may and must have, the rules each field kind
takes, the limits of the columns the values end up in, and the checked data a file becomes.

(Not to be confused with ``catalogue.schema``, the frozen form schema of a published service.)
"""

import re
from dataclasses import dataclass, field
from datetime import date

from departments.models import Department

from ..models import (
    RECTIFY_DAYS_DEFAULT,
    REMINDER_DAYS_DEFAULT,
    RENEW_GRACE_DAYS_DEFAULT,
    CertificateType,
    Field,
    FieldKind,
    Service,
)

TOP_LEVEL_KEYS = ("calendar", "certificate_types", "departments", "registers", "fields", "services", "bundles")
CALENDAR_KEYS = ("workdays", "holidays", "working_weekends")
# ``address``, ``opening_hours`` (text per language) and ``phone``: where a citizen goes in person.
DEPARTMENT_KEYS = ("code", "name", "email", "calendar", "address", "opening_hours", "phone")
PHONE_MAX = Department._meta.get_field("phone").max_length
# A department's own calendar, on top of the catalogue's: its working week (instead of the
# catalogue's), extra closure days, extra working days.
DEPARTMENT_CALENDAR_KEYS = ("workdays", "holidays", "working_days")
CERTIFICATE_TYPE_KEYS = ("code", "name")
RULE_KEYS = ("max_length", "format", "min", "max", "choices", "accept", "max_size_mb")
# ``certificate``: the certificate type whose valid certificate answers a file question.
# ``when``: the condition on earlier answers under which the field is asked (catalogue.conditions).
FIELD_KEYS = ("key", "kind", "label", "help", "section", "required", *RULE_KEYS, "register", "certificate", "when")
REGISTER_KEYS = ("code", "name", "consent_required")
REGISTER_REQUIRED = ("code", "name")
BINDING_KEYS = ("register", "attribute", "key")
# ``rectify_days``: working days to rectify a bad rating (RECTIFY_DAYS_MIN–MAX, default RECTIFY_DAYS_DEFAULT).
SERVICE_KEYS = ("slug", "name", "life_event", "description", "synonyms", "fee", "permit", "rectify_days", "sections",
                "reviews", "filings", "guide")
# A page of the service's form asked only under a condition: the section with this English title.
SECTION_KEYS = ("title", "when")
SYNONYM_MAX = 100  # characters of one synonym
# ``certificate_type``: the type the service's permit is, once issued (optional).
# ``reminder_days``: calendar days before the permit ends that its holder is reminded (optional).
# ``renewal_asks``: the questions asked again at renewal; ``renew_grace_days``: days after the end
# that the permit may still be renewed (both optional). ``amendable``: the questions whose answer
# the holder may change on a valid permit (optional).
PERMIT_KEYS = ("title", "valid_days", "certificate_type", "reminder_days", "renewal_asks", "renew_grace_days",
               "amendable")
PERMIT_REQUIRED = ("title", "valid_days")
# ``when``: the condition under which the department reviews; ``not_needed``: why not, in words.
# ``told_of_cancellation``: the department is told when a holder cancels the permit.
# ``reviews_renewals``: the department reviews a renewal of the permit; ``reviews_changes_of``: the
# amendable questions of its own fields a change of which it reviews.
REVIEW_KEYS = ("department", "stage", "sla_days", "fields", "identity", "when", "not_needed", "told_of_cancellation",
               "reviews_renewals", "reviews_changes_of")
FILING_KEYS = ("department", "fields", "identity")
CHOICE_KEYS = ("value", "label")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# The keys an entry cannot do without (the others are optional); a choice and a certificate type
# need every key they may have.
DEPARTMENT_REQUIRED = ("code", "name")
FIELD_REQUIRED = ("key", "kind", "label")
SERVICE_REQUIRED = ("slug", "name", "life_event", "permit", "reviews")
REVIEW_REQUIRED = ("department", "stage", "sla_days", "fields")
FILING_REQUIRED = ("department",)

RULES_BY_KIND = {
    FieldKind.TEXT: ("max_length", "format"),
    FieldKind.TEXTAREA: ("max_length",),
    FieldKind.EMAIL: ("max_length",),
    FieldKind.PHONE: ("max_length",),
    FieldKind.INTEGER: ("min", "max"),
    FieldKind.DECIMAL: ("min", "max"),
    FieldKind.DATE: ("min", "max"),
    FieldKind.CHOICE: ("choices",),
    FieldKind.MULTICHOICE: ("choices",),
    FieldKind.BOOLEAN: (),
    FieldKind.FILE: ("accept", "max_size_mb"),
}

CODE_RE = re.compile(r"^[a-z0-9_-]+$")
KEY_RE = re.compile(r"^[a-z0-9_]+$")
SLUG_RE = re.compile(r"^[a-z0-9_-]+$")
MIME_RE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9*][a-z0-9!#$&^_.+-]*$")
# Column limits of the models the values end up in.
CODE_MAX = Department._meta.get_field("code").max_length
KEY_MAX = Field._meta.get_field("key").max_length
SLUG_MAX = Service._meta.get_field("slug").max_length
CERTIFICATE_TYPE_MAX = CertificateType._meta.get_field("code").max_length
EMAIL_MAX = Department._meta.get_field("email").max_length
SMALL_INT_MAX = 32767  # stage and sla_days are PositiveSmallIntegerField
INT_MAX = 2147483647


# -- the checked data ----------------------------------------------------------------------------


@dataclass
class CalendarSpec:
    workdays: list[int]
    holidays: list[date]
    working_weekends: list[date] = field(default_factory=list)  # make-up working days (调休)


@dataclass
class DepartmentCalendarSpec:
    workdays: list[int]  # empty: the catalogue's working week
    holidays: list[date]
    working_days: list[date]


@dataclass
class DepartmentSpec:
    code: str
    name: dict
    email: str
    calendar: DepartmentCalendarSpec | None = None  # None: the catalogue's calendar
    address: dict = field(default_factory=dict)
    opening_hours: dict = field(default_factory=dict)
    phone: str = ""


@dataclass
class RegisterSpec:
    code: str
    name: dict
    consent_required: bool
    position: int


@dataclass
class CertificateTypeSpec:
    code: str
    name: dict


@dataclass
class FieldSpec:
    key: str
    kind: str
    label: dict
    help: dict
    section: dict
    required: bool
    rules: dict
    position: int
    register: dict = field(default_factory=dict)
    certificate: str = ""  # a certificate type's code: a valid certificate of it answers the question
    when: dict = field(default_factory=dict)  # asked only when this holds (catalogue.conditions)


@dataclass
class ReviewSpec:
    department: str
    stage: int
    sla_days: int
    fields: list[str]
    position: int
    identity: list[str] = field(default_factory=list)
    when: dict = field(default_factory=dict)  # reviews only when this holds
    not_needed: dict = field(default_factory=dict)  # why the review is not needed, in every language
    told_of_cancellation: bool = False
    reviews_renewals: bool = False
    reviews_changes_of: list[str] = field(default_factory=list)


@dataclass
class FilingSpec:
    """A body told of the service's approvals by filing, with what it is told."""

    department: str
    fields: list[str]
    identity: list[str]
    position: int


@dataclass
class ServiceSpec:
    slug: str
    name: dict
    life_event: dict
    description: dict
    fee: dict
    permit_title: dict
    permit_valid_days: int
    reviews: list[ReviewSpec]
    position: int
    synonyms: dict = field(default_factory=dict)
    filings: list[FilingSpec] = field(default_factory=list)
    certificate_type: str = ""  # the type the permit is, when it has one
    sections: list[dict] = field(default_factory=list)  # [{"title": {...}, "when": condition}]
    guide: dict = field(default_factory=dict)  # catalogue.guides
    guide_files: list = field(default_factory=list)  # catalogue.guide_files.CheckedFile, read beside the file
    rectify_days: int = RECTIFY_DAYS_DEFAULT
    fee_rule: dict = field(default_factory=dict)  # catalogue.fees; empty: ``fee`` is only text
    reminder_days: list[int] = field(default_factory=lambda: list(REMINDER_DAYS_DEFAULT))
    renewal_asks: list[str] = field(default_factory=list)
    renew_grace_days: int = RENEW_GRACE_DAYS_DEFAULT
    amendable: list[str] = field(default_factory=list)


@dataclass
class Catalogue:
    calendar: CalendarSpec | None = None
    certificate_types: list[CertificateTypeSpec] = field(default_factory=list)
    departments: list[DepartmentSpec] = field(default_factory=list)
    registers: list[RegisterSpec] = field(default_factory=list)
    fields: list[FieldSpec] = field(default_factory=list)
    services: list[ServiceSpec] = field(default_factory=list)
    bundles: list = field(default_factory=list)  # loading.bundles.BundleSpec
    sections: dict = field(default_factory=dict)  # key of a registered section -> its checked data
    # What is valid but not yet published (a guide incomplete in a language): reader.Problem each.
    warnings: list = field(default_factory=list)
