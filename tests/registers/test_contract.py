"""The register interface, version 1, against the reference register service run as a real process:
each answer and each error is what docs/registers-openapi.yaml describes, and the portal's
vocabulary of the interface (catalogue.registers) is the same as the description's."""

from pathlib import Path

import httpx
import jsonschema
import pytest
import yaml

from catalogue.registers import REGISTERS
from tests.register_service.fixtures import ADDRESS_CODE, COMPANY, PERSON_NUMBER, UNKNOWN_COMPANY

OPENAPI = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "registers-openapi.yaml").read_text())
SCHEMAS = {"companies": "Company", "persons": "Person", "addresses": "Address"}


def schema(name: str) -> dict:
    """A component schema, with the other components reachable for its $refs."""
    return {**OPENAPI["components"]["schemas"][name], "components": OPENAPI["components"]}


def test_the_portals_vocabulary_is_the_description_of_the_interface():
    for kind in REGISTERS.values():
        component = OPENAPI["components"]["schemas"][SCHEMAS[kind.resource]]
        properties = component["properties"]
        assert sorted(component["required"]) == sorted([kind.key_name, *kind.attributes])
        assert f"/v1/{kind.resource}/{{{kind.key_name}}}" in OPENAPI["paths"]
        for name, attribute in kind.attributes.items():
            if attribute.choices:
                assert properties[name]["enum"] == list(attribute.choices)
            else:
                assert properties[name]["maxLength"] == attribute.max_length


@pytest.mark.parametrize(("path", "expected"), [
    (f"/v1/companies/{COMPANY}", {"unified_social_credit_code": COMPANY, "registered_name": "Wang Fang Test Trading Co., Ltd.",
                                  "registered_address": "5 Test Street, Central District",
                                  "legal_representative": "Wang Fang", "status": "active"}),
    (f"/v1/persons/{PERSON_NUMBER}", {"identity_number": PERSON_NUMBER, "name": "Wang Fang",
                                      "registered_residence": "Room 301, 5 Garden Lane, Chaoyang District, Beijing"}),
    (f"/v1/addresses/{ADDRESS_CODE}", {"address_code": ADDRESS_CODE, "address": "3 Riverside Industrial Park, West District",
                                       "land_use_class": "industrial"}),
])
def test_a_record_is_answered_as_the_interface_describes_it(register_service, path, expected):
    response = httpx.get(register_service.url + path, timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.json() == expected
    jsonschema.validate(response.json(), schema(SCHEMAS[path.split("/")[2]]))


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("GET", f"/v1/companies/{UNKNOWN_COMPANY}", 404, "not_found"),
    ("GET", "/v1/companies/91110105MA01EMPT20", 400, "malformed_key"),  # the check character is wrong
    ("GET", "/v1/companies/9111", 400, "malformed_key"),
    ("GET", "/v1/persons/110105198806150025", 400, "malformed_key"),  # the check digit is wrong
    ("GET", "/v1/addresses/11010800200000", 400, "malformed_key"),
    ("GET", "/v1/vehicles/1", 404, "no_such_resource"),
    ("GET", "/v2/companies/" + COMPANY, 404, "no_such_resource"),
    ("POST", f"/v1/companies/{COMPANY}", 405, "method_not_allowed"),
])
def test_every_error_is_a_json_error_the_interface_describes(register_service, method, path, status, code):
    response = httpx.request(method, register_service.url + path, timeout=5)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    jsonschema.validate(response.json(), schema("Error"))


def test_health(register_service):
    assert httpx.get(register_service.url + "/v1/health", timeout=5).json() == {"status": "ok", "version": "v1"}
