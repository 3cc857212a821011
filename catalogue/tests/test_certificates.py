"""Certificate types in catalogue files: a file question a valid certificate answers, the type a
service's permit is; checked at load (unknown types, a certificate on a question that takes no
file, a service requiring what it issues), frozen in the schema with the services issuing the
type, dumped back, and kept current when a type or its issuers change."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from catalogue.dumper import catalogue_dump
from catalogue.models import CertificateType, Field, Service

from .conftest import BASE, state
from .test_admin import change_url, form_data, versions

pytestmark = pytest.mark.django_db

TYPES = """\
certificate_types:
  - code: restaurant_operating_permit
    name: {en: Restaurant operating permit, zh-hans: 餐饮经营许可证}
  - code: business_licence
    name: {en: Business licence, zh-hans: 营业执照}
"""
PERMIT_FIELD = """\
  - key: restaurant_permit
    kind: file
    label: {en: Restaurant operating permit, zh-hans: 餐饮经营许可证}
    section: {en: Documents, zh-hans: 材料}
    required: true
    accept: [application/pdf]
    max_size_mb: 10
    certificate: restaurant_operating_permit
"""
# The restaurant's permit is a restaurant operating permit; extending the opening hours asks for one.
WITH_CERTIFICATES = (
    BASE.replace("services:\n", PERMIT_FIELD + "services:\n")
    .replace("valid_days: 1095}", "valid_days: 1095, certificate_type: restaurant_operating_permit}")
    .replace("fields: [business_name, opening_date]}", "fields: [business_name, opening_date, restaurant_permit]}")
    + TYPES
)
RESTAURANT_PERMIT = {"en": "Restaurant operating permit", "zh-hans": "餐饮经营许可证"}


@pytest.fixture
def with_certificates(write, load):
    path = write("catalogue.yaml", WITH_CERTIFICATES)
    output = load(path)
    return path, output


def test_types_fields_and_permits_are_loaded_and_frozen_with_their_issuers(with_certificates):
    _path, output = with_certificates

    assert output.splitlines()[:2] == ["Certificate types: 2 created, 0 updated, 0 unchanged",
                                       "Departments: 3 created, 0 updated, 0 unchanged"]
    assert list(CertificateType.objects.values_list("code", "name")) == [
        ("business_licence", {"en": "Business licence", "zh-hans": "营业执照"}),
        ("restaurant_operating_permit", RESTAURANT_PERMIT),
    ]
    assert Field.objects.get(key="restaurant_permit").certificate_type.code == "restaurant_operating_permit"
    assert Field.objects.get(key="floor_plan").certificate_type is None
    assert dict(Service.objects.values_list("slug", "certificate_type__code")) == {
        "open-a-restaurant": "restaurant_operating_permit", "open-a-cafe": None, "extend-opening-hours": None}
    hours = Service.objects.get(slug="extend-opening-hours").current_version.schema
    assert hours["fields"][-1] == {
        "key": "restaurant_permit", "kind": "file", "label": RESTAURANT_PERMIT, "help": {},
        "section": {"en": "Documents", "zh-hans": "材料"}, "required": True, "accept": ["application/pdf"],
        "max_size_mb": 10,
        "certificate": {"type": "restaurant_operating_permit", "name": RESTAURANT_PERMIT,
                        "issued_by": ["open-a-restaurant"]},
    }
    restaurant = Service.objects.get(slug="open-a-restaurant").current_version.schema
    assert [f for f in restaurant["fields"] if "certificate" in f] == []


def test_dump_writes_them_back_and_load_dump_load_is_a_fixed_point(with_certificates, load, tmp_path):
    dump = catalogue_dump()

    assert ("certificate_types:\n"
            "  - code: business_licence\n"
            "    name: {en: Business licence, zh-hans: 营业执照}\n"
            "  - code: restaurant_operating_permit\n"
            "    name: {en: Restaurant operating permit, zh-hans: 餐饮经营许可证}\n") in dump
    assert "    max_size_mb: 10\n    certificate: restaurant_operating_permit\n" in dump
    assert ("    permit: {title: {en: Restaurant operating permit, zh-hans: 餐饮经营许可证}, valid_days: 1095, "
            "certificate_type: restaurant_operating_permit}\n") in dump
    first = tmp_path / "first.yaml"
    first.write_text(dump, encoding="utf-8")
    before = state()

    output = load(first)

    assert output.splitlines()[0] == "Certificate types: 0 created, 0 updated, 2 unchanged"
    assert output.splitlines()[-1] == "No new versions published: every service is unchanged."
    assert state() == before
    assert catalogue_dump() == dump


def test_a_renamed_type_publishes_the_services_asking_for_it(with_certificates, write, load):
    output = load(write("renamed.yaml", WITH_CERTIFICATES.replace(
        "name: {en: Restaurant operating permit, zh-hans: 餐饮经营许可证}", "name: {en: Catering permit, zh-hans: 餐饮许可证}")))

    assert output.splitlines()[0] == "Certificate types: 0 created, 1 updated, 1 unchanged"
    assert output.splitlines()[-1] == "New versions published (1): extend-opening-hours v2"
    schema = Service.objects.get(slug="extend-opening-hours").current_version.schema
    assert schema["fields"][-1]["certificate"]["name"] == {"en": "Catering permit", "zh-hans": "餐饮许可证"}


def test_a_service_that_starts_issuing_the_type_is_named_in_the_forms_asking_for_it(with_certificates, write, load):
    output = load(write("cafe.yaml", WITH_CERTIFICATES.replace(
        "valid_days: 365}\n    reviews:\n      - {department: health, stage: 1, sla_days: 4",
        "valid_days: 365, certificate_type: restaurant_operating_permit}\n    reviews:\n"
        "      - {department: health, stage: 1, sla_days: 4")))

    # The cafe's own form is unchanged; the form asking for the type now names it too.
    assert output.splitlines()[-1] == "New versions published (1): extend-opening-hours v2"
    schema = Service.objects.get(slug="extend-opening-hours").current_version.schema
    assert schema["fields"][-1]["certificate"]["issued_by"] == ["open-a-restaurant", "open-a-cafe"]

    # And no longer: the type left out of the cafe's permit.
    output = load(write("again.yaml", WITH_CERTIFICATES))
    assert output.splitlines()[-1] == "New versions published (1): extend-opening-hours v3"
    schema = Service.objects.get(slug="extend-opening-hours").current_version.schema
    assert schema["fields"][-1]["certificate"]["issued_by"] == ["open-a-restaurant"]


FILE_FIELD = "fields:\n  - {key: f, kind: file, label: {en: F, zh-hans: 字段}, certificate: %s}\n"
SERVICE = """\
services:
  - slug: s
    name: {en: S, zh-hans: 服务}
    life_event: {en: Life, zh-hans: 生活}
    permit: {title: {en: Permit, zh-hans: 许可}, valid_days: 30, certificate_type: %s}
    reviews:
      - {department: health, stage: 1, sla_days: 3, fields: [%s]}
"""
INVALID = [
    (FILE_FIELD % "fire_safety_approval", ["fields[0].certificate: unknown certificate type 'fire_safety_approval'"]),
    (FILE_FIELD % "'Business Licence'",
     ["fields[0].certificate: 'Business Licence' is not a valid certificate type code (use [a-z0-9_]+)"]),
    ("fields:\n  - {key: f, kind: text, label: {en: F, zh-hans: 字段}, certificate: business_licence}\n",
     ["fields[0].certificate: is allowed only for kind file, not text"]),
    (SERVICE % ("nope", "business_name"), ["services[0].permit.certificate_type: unknown certificate type 'nope'"]),
    ("certificate_types:\n  - {code: fire_safety_approval, name: {en: Fire safety approval}}\n",
     ["certificate_types[0].name: missing zh-hans translation"]),
    ("certificate_types:\n  - {code: Fire, name: {en: Fire, zh-hans: 消防}, issuer: fire}\n",
     ["certificate_types[0].issuer: unknown key (expected one of code, name)",
      "certificate_types[0].code: 'Fire' is not a valid certificate type code (use [a-z0-9_]+)"]),
    ("certificate_types:\n  - {name: {en: Fire, zh-hans: 消防}}\n", ["certificate_types[0].code: is required"]),
    ("certificate_types:\n  - {code: t, name: {en: T, zh-hans: 证}}\n  - {code: t, name: {en: T2, zh-hans: 证二}}\n",
     ["certificate_types[1].code: duplicate certificate type 't' (first defined at {file}: certificate_types[0].code)"]),
    # The field is the one in the database: the restaurant's permit, which this service would issue.
    (SERVICE % ("restaurant_operating_permit", "business_name, restaurant_permit"),
     ["services[0].permit.certificate_type: the service issues 'restaurant_operating_permit' and its form asks for a "
      "certificate of that type (restaurant_permit): a service cannot require the certificate it issues"]),
    # Everything in the one file.
    ("certificate_types:\n  - {code: t, name: {en: T, zh-hans: 证}}\n" + FILE_FIELD % "t" + SERVICE % ("t", "f"),
     ["services[0].permit.certificate_type: the service issues 't' and its form asks for a certificate of that type "
      "(f): a service cannot require the certificate it issues"]),
]


@pytest.mark.parametrize(("text", "expected"), INVALID, ids=range(len(INVALID)))
def test_invalid_certificates_are_reported_and_change_nothing(with_certificates, write, load_errors, text, expected):
    before = state()
    bad = write("bad.yaml", text)

    lines = load_errors(bad)

    assert lines == [f"{bad}: {line.replace('{file}', str(bad))}" for line in expected]
    assert state() == before


# -- the admin ---------------------------------------------------------------------------------------


def test_admin_refuses_a_certificate_on_a_question_that_takes_no_file(with_certificates, admin_client):
    seats = Field.objects.get(key="seats")
    data = form_data(admin_client.get(change_url(seats)))
    data["certificate_type"] = CertificateType.objects.get(code="business_licence").pk
    before = state()

    response = admin_client.post(change_url(seats), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["certificate_type"] == ["is allowed only for kind file, not integer"]
    assert state() == before


def test_admin_refuses_a_service_issuing_the_certificate_it_requires(with_certificates, admin_client):
    hours = Service.objects.get(slug="extend-opening-hours")
    data = form_data(admin_client.get(change_url(hours)))
    data["certificate_type"] = CertificateType.objects.get(code="restaurant_operating_permit").pk
    before = state()

    response = admin_client.post(change_url(hours), data)

    assert response.status_code == 200
    assert ("The service issues restaurant_operating_permit and its form asks for a certificate of that type "
            "(restaurant_permit): a service cannot require the certificate it issues.") in response.content.decode()
    assert state() == before


def test_admin_changes_of_a_type_or_its_issuer_publish_the_services_asking_for_it(with_certificates, admin_client):
    licence = CertificateType.objects.get(code="restaurant_operating_permit")
    data = form_data(admin_client.get(change_url(licence)))
    data["name"] = '{"en": "Catering permit", "zh-hans": "餐饮许可证"}'

    response = admin_client.post(change_url(licence), data, follow=True)

    assert "New versions published: extend-opening-hours v2" in response.content.decode()
    cafe = Service.objects.get(slug="open-a-cafe")
    data = form_data(admin_client.get(change_url(cafe)))
    data["certificate_type"] = licence.pk

    response = admin_client.post(change_url(cafe), data, follow=True)

    assert "New versions published: extend-opening-hours v3" in response.content.decode()
    assert versions() == {"open-a-restaurant": 1, "open-a-cafe": 1, "extend-opening-hours": 3}
    schema = Service.objects.get(slug="extend-opening-hours").current_version.schema
    assert schema["fields"][-1]["certificate"] == {
        "type": "restaurant_operating_permit", "name": {"en": "Catering permit", "zh-hans": "餐饮许可证"},
        "issued_by": ["open-a-restaurant", "open-a-cafe"]}


def test_certificate_type_admin_pages_open(with_certificates, admin_client):
    assert admin_client.get(reverse("admin:catalogue_certificatetype_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:catalogue_certificatetype_add")).status_code == 200
    licence = CertificateType.objects.get(code="business_licence")
    assert admin_client.get(change_url(licence)).status_code == 200


def test_dump_of_a_catalogue_without_types_has_no_section(base):
    out = io.StringIO()
    call_command("dump_catalogue", stdout=out)
    assert "certificate_types" not in out.getvalue()
