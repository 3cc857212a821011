"""What the sign-in and registration pages need to know about the identity service, without
their views knowing it: {% identity_service as service %} is its name when one is configured."""

from django import template
from django.conf import settings

from accounts import oidc

register = template.Library()


@register.simple_tag
def identity_service() -> str:
    return oidc.provider_name() if oidc.configured() else ""


@register.simple_tag
def citizen_password_sign_in() -> bool:
    return settings.CITIZEN_PASSWORD_SIGN_IN
