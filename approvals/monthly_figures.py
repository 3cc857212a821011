"""What the engine's month-by-month figures are counted per (``<x>_by_month(by=…)``): the id
columns that name a row's subject. The public performance tables key their rows by the same
names, so a new subject is added here once."""

SUBJECT_COLUMNS: dict[str, tuple[str, ...]] = {
    "department": ("department_id",),
    "service": ("service_id",),
    "pair": ("department_id", "service_id"),  # a department's share of a service's count
}
