"""How the audit log names departments (registered in DepartmentsConfig.ready)."""

from audit.objects import DEPARTMENT_NAME, register_reader

from .models import Department


def department_names(codes: set[str]) -> dict[str, str]:
    """Each department's name in the active language."""
    return {d.code: d.display_name for d in Department.objects.filter(code__in=codes).only("code", "name")}


def register() -> None:
    register_reader(DEPARTMENT_NAME, department_names)
