"""Reads of the wallet: which certificates a person holds, and which of them are valid now.

A person holds a certificate when it names their account as holder, or names as the holder's
identity document number the number their identity was verified with (an issuer outside the
portal knows the person by it, not by an account). A number typed into an unverified profile
matches nothing: anyone could type anyone's."""

from django.db.models import Q
from django.utils import timezone

from .models import Certificate, CertificateState


def holder_filter(user) -> Q:
    """The one rule of who holds a certificate (see the module's docstring)."""
    held = Q(holder_id=user.pk)
    if user.identity_verified and user.id_number:
        held |= Q(holder_id_number=user.id_number)
    return held


def _held(user):
    return (Certificate.objects.filter(holder_filter(user))
            .select_related("type", "issuer", "permit").order_by("-valid_from", "-pk"))


def held_valid(user, certificate_type_code: str, today=None) -> list[Certificate]:
    """The user's certificates of the type that are valid ``today`` (live: a portal permit's
    state is the permit's), newest first."""
    today = today or timezone.localdate()
    candidates = _held(user).filter(type__code=certificate_type_code, valid_from__lte=today)
    return [c for c in candidates if c.state(today) == CertificateState.VALID]


def held_certificate(user, certificate_id) -> Certificate | None:
    """One of the user's certificates, in whatever state, by its id; None when there is none
    with this id or it is someone else's (the caller cannot tell the two apart)."""
    try:
        certificate_id = int(certificate_id)
    except (TypeError, ValueError):
        return None
    if not 0 < certificate_id < 2**63:
        return None
    return _held(user).filter(pk=certificate_id).first()
