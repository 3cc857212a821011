from django.http import Http404

from .models import Permit


def permit_for_holder(user, number: str) -> Permit:
    permit = Permit.objects.select_related("application").filter(number=number, application__applicant=user).first()
    if permit is None or not permit.file:
        raise Http404
    return permit


def permit_for_verification(number: str) -> Permit | None:
    return (
        Permit.objects.select_related("application__applicant", "application__service_version")
        .filter(number=number).first()
    )


def mask_name(name: str) -> str:
    """Show enough to recognise the holder, not enough to learn a full name: 'W** F**'."""
    return " ".join(part[:1] + "*" * max(1, len(part) - 1) for part in name.split()) if name else ""
