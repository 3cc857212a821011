"""Checks on the details a citizen gives, shared by the forms and the services."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()\-]*$")
ID_NUMBER_RE = re.compile(r"^[A-Za-z0-9\-]+$")


def validate_full_name(value: str) -> None:
    if not (value or "").strip():
        raise ValidationError(_("Enter your full name."), code="required")


def validate_phone(value: str) -> None:
    if not value:
        return
    digits = sum(c.isdigit() for c in value)
    if not PHONE_RE.match(value) or not 6 <= digits <= 20:
        raise ValidationError(
            _("Enter a phone number using digits, spaces and hyphens, with + before a country code, like +86 10 1234 5678."),
            code="invalid_phone",
        )


def validate_id_number(value: str) -> None:
    if not value:
        return
    if not ID_NUMBER_RE.match(value) or len(value) < 4:
        raise ValidationError(
            _("Enter the number exactly as printed on your identity document: letters, digits and hyphens only."),
            code="invalid_id_number",
        )


PROFILE_VALIDATORS = {
    "full_name": [validate_full_name, MaxLengthValidator(150)],
    "phone": [validate_phone, MaxLengthValidator(32)],
    "id_number": [validate_id_number, MaxLengthValidator(32)],
    "address": [MaxLengthValidator(255)],
}
