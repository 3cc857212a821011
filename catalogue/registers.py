"""The registers a form may take answers from, as version 1 of the register interface defines them
(docs/registers.md; the OpenAPI description is docs/registers-openapi.yaml): for each register the
resource it answers at (``/v1/<resource>/{key}``), what it is looked up by, and the attributes its
answer holds, with their limits. The catalogue checks its bindings against this at load time; the
portal's client (registers.client) checks every answer against it.

A register is looked up either by a form field's answer (a company by its unified social credit
code, an address by its code) or by the applicant's verified identity number from their account
(the population register): ``key_from_account``.
"""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as NumberInvalid

CONTRACT_VERSION = "v1"


@dataclass(frozen=True)
class Attribute:
    label: str
    max_length: int
    choices: tuple[str, ...] = ()  # an enumeration: the answer is one of these


@dataclass(frozen=True)
class RegisterKind:
    code: str
    resource: str  # the path segment: /v1/<resource>/{key}
    key_format: str  # one of KEY_FORMATS
    key_name: str  # the answer's field that repeats the key
    attributes: dict[str, Attribute] = field(default_factory=dict)
    key_from_account: bool = False


LAND_USE_CLASSES = ("residential", "commercial", "industrial", "public", "mixed")

REGISTERS = {
    "company": RegisterKind("company", "companies", "uscc", "unified_social_credit_code", {
        "registered_name": Attribute(_("registered name"), 200),
        "registered_address": Attribute(_("registered address"), 300),
        "legal_representative": Attribute(_("legal representative"), 100),
        "status": Attribute(_("status"), 20, ("active", "revoked", "cancelled")),
    }),
    "population": RegisterKind("population", "persons", "ric", "identity_number", {
        "name": Attribute(_("name"), 100),
        "registered_residence": Attribute(_("registered residence"), 300),
    }, key_from_account=True),
    "address": RegisterKind("address", "addresses", "address_code", "address_code", {
        "address": Attribute(_("address"), 300),
        "land_use_class": Attribute(_("land-use class"), 20, LAND_USE_CLASSES),
    }),
}

# The formats of lookup keys, which a text field of the dictionary may declare (``format``).
ADDRESS_CODE = re.compile(r"[0-9]{16}")  # the 6-digit division code and a 10-digit number
KEY_FORMATS = ("uscc", "ric", "address_code")
KEY_LENGTHS = {"uscc": 18, "ric": 18, "address_code": 16}


def key_normalized(key_format: str, value: str) -> str:
    """A key as the register expects it: no spaces, capitals (an x check digit is X)."""
    return "".join(str(value).split()).upper()


def key_valid(key_format: str, value: str) -> bool:
    """Whether ``value`` is a well-formed key: the USCC's check character and the identity
    number's check digit are verified (python-stdnum), an address code is 16 digits."""
    value = key_normalized(key_format, value)
    if key_format == "address_code":
        return bool(ADDRESS_CODE.fullmatch(value))
    module = {"uscc": uscc, "ric": ric}[key_format]
    try:
        module.validate(value)
    except NumberInvalid:
        return False
    return True
