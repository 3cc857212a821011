"""Fields taken from a register in a catalogue file: the registers section, a field's ``register``
binding and a key field's ``format``, each checked with its file, path and reason at load time,
written to the database, frozen into the versions of the services that ask them and dumped back."""

import io
import textwrap

import pytest
from django.core.management import call_command

from catalogue.dumper import catalogue_dump
from catalogue.loading.reader import CatalogueInvalid, catalogue_parse
from catalogue.models import Register, Service
from tests.registers.catalogue import CATALOGUE

pytestmark = pytest.mark.django_db


def problems(write, text: str) -> list[tuple[str, str]]:
    with pytest.raises(CatalogueInvalid) as excinfo:
        catalogue_parse(paths=[write("catalogue.yaml", text)])
    return [(p.path, p.message) for p in excinfo.value.problems]


def changed(old: str, new: str) -> str:
    text = textwrap.dedent(CATALOGUE)
    assert old in text, old
    return text.replace(old, new)


COMPANY_BINDING = "register: {register: company, attribute: registered_name, key: unified_social_credit_code}"


def test_registers_and_bindings_are_loaded_frozen_and_dumped_back(write, load):
    load(write("catalogue.yaml", CATALOGUE))
    assert list(Register.objects.values_list("code", "consent_required")) == [
        ("company", False), ("population", True), ("address", False)]
    schema = Service.objects.get(slug="put-up-a-sign").current_version.schema
    fields = {f["key"]: f for f in schema["fields"]}
    assert fields["company_registered_name"]["register"] == {
        "register": "company", "attribute": "registered_name", "key": "unified_social_credit_code"}
    assert fields["registered_residence"]["register"] == {"register": "population", "attribute": "registered_residence"}
    assert fields["unified_social_credit_code"]["format"] == "uscc"
    assert schema["registers"] == {
        "company": {"name": {"en": "Company register", "zh-hans": "企业登记信息系统"}, "consent_required": False},
        "population": {"name": {"en": "Population register", "zh-hans": "人口信息系统"}, "consent_required": True},
        "address": {"name": {"en": "Address register", "zh-hans": "标准地址信息系统"}, "consent_required": False}}

    dump = catalogue_dump()
    assert "registers:\n  - code: company\n    name: {en: Company register, zh-hans: 企业登记信息系统}\n" \
           "    consent_required: false\n" in dump
    assert f"    {COMPANY_BINDING}\n" in dump
    load(write("dump.yaml", dump))
    assert catalogue_dump() == dump
    assert Service.objects.get(slug="put-up-a-sign").versions.count() == 1


def test_a_registers_consent_setting_changed_publishes_the_services_that_use_it(write, load):
    load(write("catalogue.yaml", CATALOGUE))
    out = load(write("changed.yaml", changed(
        "{code: company, name: {en: Company register, zh-hans: 企业登记信息系统}}",
        "{code: company, name: {en: Company register, zh-hans: 企业登记信息系统}, consent_required: true}")))
    assert "Registers: 0 created, 1 updated, 2 unchanged" in out
    assert "New versions published (1): put-up-a-sign v2" in out
    version = Service.objects.get(slug="put-up-a-sign").current_version
    assert version.schema["registers"]["company"]["consent_required"] is True


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("{code: company, name:", "{code: vehicles, name:",
     [("registers[0].code", "unknown register 'vehicles' (the register interface knows company, population, address)"),
      ("fields[2].register.register", "register 'company' is not defined: add it to registers"),
      ("fields[3].register.register", "register 'company' is not defined: add it to registers")]),
    ("consent_required: true}", "consent_required: maybe}",
     [("registers[1].consent_required", "must be true or false, not 'maybe'")]),
    (COMPANY_BINDING, "register: {register: vehicles, attribute: registered_name, key: unified_social_credit_code}",
     [("fields[2].register.register",
       "unknown register 'vehicles' (the register interface knows company, population, address)")]),
    (COMPANY_BINDING, "register: {register: company, attribute: shareholders, key: unified_social_credit_code}",
     [("fields[2].register.attribute", "the company register answers registered_name, registered_address, "
                                       "legal_representative, status, not 'shareholders'")]),
    (COMPANY_BINDING, "register: {register: company, attribute: registered_name}",
     [("fields[2].register.key", "name the field whose answer the company register is looked up by")]),
    (COMPANY_BINDING, "register: {register: company, attribute: registered_name, key: business_name}",
     [("fields[2].register.key", "field 'business_name' must be a text field with format: uscc")]),
    (COMPANY_BINDING, "register: {register: company, attribute: registered_name, key: company_code}",
     [("fields[2].register.key", "unknown field 'company_code'")]),
    (COMPANY_BINDING, "register: {register: company, attribute: registered_name, key: unified_social_credit_code, "
                      "colour: red}",
     [("fields[2].register.colour", "unknown key (expected one of register, attribute, key)")]),
    ("register: {register: population, attribute: registered_residence}",
     "register: {register: population, attribute: registered_residence, key: unified_social_credit_code}",
     [("fields[4].register.key", "the population register is looked up by the applicant's verified identity number: "
                                 "give no key")]),
    ("    max_length: 200\n    " + COMPANY_BINDING, "    max_length: 100\n    " + COMPANY_BINDING,
     [("fields[2].register", "the register's registered_name may be 200 characters long: give the field a max_length "
                             "of at least that")]),
    ("      - {value: mixed, label: {en: Mixed use, zh-hans: 混合用地}}\n", "",
     [("fields[6].register", "the field's choices must offer every value the register may answer; missing: mixed")]),
    ("max_length: 18\n    format: uscc", "max_length: 18\n    format: ean13",
     [("fields[1].format", "unknown format 'ean13' (expected one of uscc, ric, address_code)")]),
    ("max_length: 18\n    format: uscc", "max_length: 12\n    format: uscc",
     [("fields[1].max_length", "must be at least 18 for the format uscc")]),
    ("fields: [business_name, unified_social_credit_code, company_registered_name",
     "fields: [business_name, company_registered_name",
     [("services[0].reviews", "company_registered_address is taken from the company register by the answer to "
                              "unified_social_credit_code: list unified_social_credit_code in a review's fields too"),
      ("services[0].reviews", "company_registered_name is taken from the company register by the answer to "
                              "unified_social_credit_code: list unified_social_credit_code in a review's fields too")]),
])
def test_a_wrong_binding_is_reported_at_its_path(write, old, new, expected):
    assert problems(write, changed(old, new)) == expected


def test_a_binding_to_a_field_or_register_loaded_earlier_is_checked_against_the_database(write, load):
    load(write("catalogue.yaml", CATALOGUE))
    later = """\
    fields:
      - key: company_status
        kind: text
        label: {en: Company status, zh-hans: 企业状态}
        max_length: 20
        register: {register: company, attribute: status, key: unified_social_credit_code}
    """
    assert problems(write, later) == [
        ("fields[0].register", "the status is one of a list: the field must be of kind choice")]
    as_choice = """\
    fields:
      - key: company_status
        kind: choice
        label: {en: Company status, zh-hans: 企业状态}
        choices:
          - {value: active, label: {en: Active, zh-hans: 存续}}
          - {value: revoked, label: {en: Revoked, zh-hans: 吊销}}
          - {value: cancelled, label: {en: Cancelled, zh-hans: 注销}}
        register: {register: company, attribute: status, key: unified_social_credit_code}
    """
    out, err = io.StringIO(), io.StringIO()
    call_command("load_catalogue", str(write("later.yaml", as_choice)), stdout=out, stderr=err)
    assert "Fields: 1 created" in out.getvalue(), err.getvalue()


def test_the_admin_changes_a_registers_agreement_and_publishes_the_services_that_use_it(write, load, client):
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    load(write("catalogue.yaml", CATALOGUE))
    client.force_login(get_user_model().objects.create_superuser(email="admin@example.gov", password="horse-battery-9"))
    register = Register.objects.get(code="company")
    url = reverse("admin:catalogue_register_change", args=[register.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": '{"en": "Company register", "zh-hans": "企业登记信息系统"}',
                                 "consent_required": "on", "position": "0"})
    assert response.status_code == 302
    version = Service.objects.get(slug="put-up-a-sign").current_version
    assert (version.number, version.schema["registers"]["company"]["consent_required"]) == (2, True)
    assert client.post(reverse("admin:catalogue_register_add"), {
        "code": "vehicles", "name": '{"en": "Vehicles", "zh-hans": "车辆"}', "position": "3"}).status_code == 200
    assert not Register.objects.filter(code="vehicles").exists()
