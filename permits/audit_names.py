"""How the audit log names permits (registered in PermitsConfig.ready)."""

from audit.objects import PERMIT_NUMBER, numeric, register_reader

from .models import Permit


def permit_numbers(ids: set[str]) -> dict[str, str]:
    return {str(pk): number for pk, number in Permit.objects.filter(pk__in=numeric(ids)).values_list("pk", "number")}


def register() -> None:
    register_reader(PERMIT_NUMBER, permit_numbers)
