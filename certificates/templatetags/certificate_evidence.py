"""A certificate as pages show it: its live state in words, and the last day it is valid."""

from django import template

from ..models import Certificate, CertificateState

register = template.Library()


@register.filter
def live_state(certificate: Certificate) -> str:
    """The state now (certificates.models.Certificate.state), read on every page: never cached."""
    return certificate.state()


@register.filter
def state_label(state: str) -> str:
    """{{ "revoked"|state_label }} → "Revoked"."""
    return str(CertificateState(state).label) if state in CertificateState.values else state


@register.filter
def valid_until(certificate: Certificate):
    """The last day it is valid: a portal permit's own; None for no end."""
    return certificate.permit.valid_until if certificate.permit_id else certificate.valid_until
