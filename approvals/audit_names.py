"""How the audit log names applications and reviews (registered in ApprovalsConfig.ready)."""

from audit.objects import APPLICATION_REFERENCE, REVIEW_DEPARTMENT, numeric, register_reader

from .models import Application, Review


def application_references(ids: set[str]) -> dict[str, str]:
    rows = Application.objects.filter(pk__in=numeric(ids), reference__isnull=False).values_list("pk", "reference")
    return {str(pk): reference for pk, reference in rows}


def review_departments(ids: set[str]) -> dict[str, str]:
    return {str(pk): code for pk, code in Review.objects.filter(pk__in=numeric(ids)).values_list("pk", "department__code")}


def register() -> None:
    register_reader(APPLICATION_REFERENCE, application_references)
    register_reader(REVIEW_DEPARTMENT, review_departments)
