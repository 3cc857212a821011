"""Factories for tests (factory_boy) and a small catalogue built directly from models."""

import factory
from django.contrib.auth import get_user_model

from accounts.models import Role
from catalogue.models import Field, FilingRequirement, Requirement, Service
from catalogue.schema import service_publish
from departments.models import Department, Membership, MembershipRole
from devtools.samples import blank_pdf

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"citizen{n}@example.org")
    full_name = factory.Faker("name")
    role = Role.CITIZEN
    email_verified = True

    @factory.post_generation
    def password(self, create, value, **kwargs):
        self.set_password(value or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept{n}")
    name = factory.LazyAttribute(lambda o: {"en": f"{o.code.title()} Bureau", "zh-hans": f"{o.code}局"})
    email = factory.LazyAttribute(lambda o: f"{o.code}@example.gov")


def officer(department, *, role=MembershipRole.OFFICER, email=None):
    user = UserFactory(
        email=email or f"{role}.{department.code}@example.gov",
        role=Role.SUPERVISOR if role == MembershipRole.SUPERVISOR else Role.OFFICER,
    )
    Membership.objects.get_or_create(user=user, department=department, defaults={"role": role})
    return user


FIELDS = [
    # key, kind, section, required, rules
    ("business_name", "text", "business", True, {"max_length": 120}),
    ("cuisine", "choice", "business", True, {"choices": [
        {"value": "chinese", "label": {"en": "Chinese", "zh-hans": "中餐"}},
        {"value": "western", "label": {"en": "Western", "zh-hans": "西餐"}},
    ]}),
    ("seats", "integer", "business", True, {"min": 1, "max": 2000}),
    ("opening_date", "date", "business", False, {}),
    ("site_address", "text", "site", True, {"max_length": 200}),
    ("floor_plan", "file", "documents", True, {"accept": ["application/pdf", "image/png"], "max_size_mb": 1}),
]
SECTIONS = {
    "business": {"en": "Your business", "zh-hans": "经营信息"},
    "site": {"en": "The site", "zh-hans": "经营场所"},
    "documents": {"en": "Documents", "zh-hans": "材料"},
}
REVIEWS = [
    # department, stage, sla_days, fields, and (optional) the applicant's identity it sees
    ("registration", 1, 3, ["business_name", "cuisine"], ["name", "email"]),
    ("health", 1, 5, ["business_name", "seats", "floor_plan"]),
    ("tax", 1, 2, ["business_name"], ["name", "email", "phone", "id_number"]),
    ("fire", 2, 5, ["seats", "site_address", "floor_plan"], ["name"]),
]


def restaurant_service(*, slug="open-a-restaurant", reviews=REVIEWS, fields=FIELDS, filings=(), field_when=None,
                       review_when=None):
    """A service like the demo's restaurant: 4 departments, 2 stages, one document; ``filings``:
    the bodies told of its approvals, as (department, fields, identity); ``field_when`` and
    ``review_when``: conditions (catalogue.conditions) by field key and by department code."""
    field_when, review_when = field_when or {}, review_when or {}
    by_key = {}
    for position, (key, kind, section, required, rules) in enumerate(fields):
        by_key[key], _ = Field.objects.update_or_create(key=key, defaults={
            "kind": kind, "label": {"en": key.replace("_", " ").capitalize(), "zh-hans": key}, "section": SECTIONS[section],
            "required": required, "rules": rules, "position": position, "when": field_when.get(key, {}),
        })
    service, _ = Service.objects.update_or_create(slug=slug, defaults={
        "name": {"en": "Open a restaurant", "zh-hans": "开办餐饮店"},
        "life_event": {"en": "Starting a business", "zh-hans": "企业开办"},
        "description": {"en": "Everything to open a restaurant."},
        "fee": {"en": "Free", "zh-hans": "免费"},
        "permit_title": {"en": "Restaurant operating permit", "zh-hans": "餐饮经营许可证"},
        "permit_valid_days": 1095,
    })
    for position, (code, stage, sla, keys, *identity) in enumerate(reviews):
        department = DepartmentFactory(code=code)
        req, _ = Requirement.objects.update_or_create(
            service=service, department=department,
            defaults={"stage": stage, "sla_days": sla, "position": position, "identity": identity[0] if identity else [],
                      "when": review_when.get(code, {})},
        )
        req.fields.set([by_key[k] for k in keys])
    for position, (code, keys, identity) in enumerate(filings):
        told, _ = FilingRequirement.objects.update_or_create(
            service=service, department=DepartmentFactory(code=code),
            defaults={"position": position, "identity": identity})
        told.fields.set([by_key[k] for k in keys])
    service_publish(service=service)
    service.refresh_from_db()
    return service


# A citizen's identity as their profile holds it, and a restaurant service whose form asks for a
# contact phone and an identity document number, each department seeing a different part of it.
IDENTITY = {"full_name": "Wang Fang", "email": "wang.fang@example.org", "phone": "+86 138 0000 0000",
            "id_number": "110101199001011234"}
ASKING_FIELDS = [("contact_phone", "phone", "business", False, {"max_length": 20}),
                 ("id_number", "text", "business", False, {"max_length": 32}), *FIELDS]
ASKING_REVIEWS = [
    ("registration", 1, 3, ["business_name", "cuisine"], ["name", "email"]),
    ("health", 1, 5, ["business_name", "seats", "floor_plan"], []),
    ("tax", 1, 2, ["business_name", "contact_phone", "id_number"], ["name", "email", "phone", "id_number"]),
    ("fire", 2, 5, ["seats", "site_address", "floor_plan"], ["name", "phone"]),
]


def identity_asking_service():
    return restaurant_service(slug="open-a-licensed-restaurant", fields=ASKING_FIELDS, reviews=ASKING_REVIEWS)


VALID_ANSWERS = {
    "business_name": "Golden Dragon",
    "cuisine": "chinese",
    "seats": "40",
    "site_address": "1 Harbour Road",
}

# The smallest valid PDF libmagic recognises as application/pdf.
PDF_BYTES = blank_pdf()


# --- E-certificates: a type, services issuing and requiring it, and certificates in a wallet -----

RESTAURANT_PERMIT_TYPE = {"en": "Restaurant operating permit", "zh-hans": "餐饮经营许可证"}
SEATING_FIELDS = [
    ("business_name", "text", "business", True, {"max_length": 120}),
    ("outdoor_seats", "integer", "business", True, {"min": 1, "max": 200}),
    ("restaurant_permit", "file", "documents", True, {"accept": ["application/pdf"], "max_size_mb": 1}),
]
SEATING_REVIEWS = [
    # Urban management sees the permit; planning does not (need to know).
    ("urban", 1, 5, ["business_name", "outdoor_seats", "restaurant_permit"], ["name"]),
    ("planning", 1, 5, ["business_name", "outdoor_seats"]),
]


def certificate_type(code="restaurant_operating_permit", name=None):
    from catalogue.models import CertificateType

    return CertificateType.objects.update_or_create(code=code, defaults={"name": name or RESTAURANT_PERMIT_TYPE})[0]


def seating_service():
    """Outdoor seating, whose restaurant_permit question a valid restaurant operating permit
    answers; the restaurant service issues that type. Returns (seating, restaurant)."""
    kind = certificate_type()
    restaurant = restaurant_service()
    Service.objects.filter(pk=restaurant.pk).update(certificate_type=kind)
    seating = restaurant_service(slug="outdoor-seating", fields=SEATING_FIELDS, reviews=SEATING_REVIEWS)
    Service.objects.filter(pk=seating.pk).update(name={"en": "Outdoor seating for a restaurant", "zh-hans": "餐饮店外摆经营"})
    Field.objects.filter(key="restaurant_permit").update(certificate_type=kind, label=RESTAURANT_PERMIT_TYPE)
    service_publish(service=seating)
    seating.refresh_from_db()
    return seating, restaurant


def wallet_certificate(holder=None, *, number="RP-2026-000001", valid_from=None, valid_until=None, issuer="registration",
                       kind=None, holder_id_number="", **extra):
    """A certificate a department system issued (pushed into the wallet), valid unless told."""
    from datetime import date

    from certificates.models import Certificate, CertificateSource

    return Certificate.objects.create(
        type=kind or certificate_type(), number=number, source=CertificateSource.DEPARTMENT_SYSTEM,
        issuer=DepartmentFactory(code=issuer), holder=holder, holder_name=getattr(holder, "full_name", "") or "Wang Fang",
        holder_id_number=holder_id_number, company_name="Golden Dragon Ltd", company_code="91310000MA1FL0000X",
        valid_from=valid_from or date(2026, 1, 1), valid_until=valid_until, **extra,
    )


def permit_certificate(application, *, holder):
    """The certificate of a portal permit (issued for ``application``, rendered), as the wallet
    makes it at issue: its state is the permit's."""
    from django.utils import timezone

    from certificates.models import Certificate, CertificateSource
    from permits.services import permit_create

    permit = permit_create(application=application)
    type(permit).objects.filter(pk=permit.pk).update(rendered_at=timezone.now())
    permit.refresh_from_db()
    return Certificate.objects.create(
        type=certificate_type(), number=permit.number, source=CertificateSource.PORTAL, permit=permit, holder=holder,
        holder_name=holder.full_name, valid_from=permit.valid_from, valid_until=permit.valid_until,
    )
