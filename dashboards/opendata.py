"""The open data files of the published performance tables: one row per department (or service) and
month, as CSV and JSON, each described by a Frictionless Table Schema. Column names are stable
(English identifiers, never translated); a suppressed figure is empty in CSV with its
``<name>_suppressed`` column giving the reason, and ``null`` in JSON with the reason under
``suppressed``. Descriptions are English whatever the request's language."""

from datetime import date

from django.utils import translation

from core.i18n import translated

from .public import COMPLEMENTARY, DERIVED, REASONS, SMALL_COUNT, Published, Row

KINDS = {"departments": "department", "services": "service"}
KEY = {"department": "department_code", "service": "service_slug"}


def suppression_rule(threshold: int) -> str:
    return (f"A count from 1 to {threshold - 1} is suppressed ({SMALL_COUNT}); a zero is published. Every figure "
            f"computed over a suppressed count is suppressed ({DERIVED}). No totals are published. A department's "
            f"count is the sum of its shares of the counts of the services it counted that month; once the shares "
            f"equal to a published service count are taken away, what is left must hold at least {threshold} "
            f"wherever it includes a suppressed service count, otherwise the department's count is suppressed too "
            f"({COMPLEMENTARY}).")


def _subject_fields(kind: str) -> list[dict]:
    noun = KINDS[kind]
    return [
        {"name": "month", "type": "yearmonth", "title": "Month", "description": "The calendar month (YYYY-MM), "
         "in the portal's time zone.", "constraints": {"required": True}},
        {"name": KEY[noun], "type": "string", "title": f"{noun.title()} {KEY[noun].split('_')[1]}",
         "description": f"The {noun}'s stable identifier, as in its page's address.", "constraints": {"required": True}},
        {"name": f"{noun}_name_en", "type": "string", "title": f"{noun.title()} name (English)"},
        {"name": f"{noun}_name_zh_hans", "type": "string", "title": f"{noun.title()} name (Simplified Chinese)"},
    ]


def schema(table: Published, kind: str) -> dict:
    """The Table Schema of the ``kind`` file (departments or services)."""
    fields = _subject_fields(kind)
    with translation.override("en"):
        for measure in table.measures:
            rule = (f"Suppressed from 1 to {table.threshold - 1}, or to protect such a count (see suppression)."
                    if measure.is_count else f"Suppressed when {measure.base} is suppressed.")
            fields.append({"name": measure.name, "type": measure.type, "title": str(measure.title),
                           "description": str(measure.description), "unit": measure.unit,
                           "constraints": {"minimum": 0}, "suppression": rule})
            fields.append({"name": f"{measure.name}_suppressed", "type": "string",
                           "title": f"Why {measure.name} is empty",
                           "description": f"Empty when {measure.name} is published; otherwise the reason it is not.",
                           "constraints": {"enum": ["", *REASONS]}})
    return {"fields": fields, "primaryKey": ["month", KEY[KINDS[kind]]], "missingValues": [""],
            "suppression": {"min_count": table.threshold, "rule": suppression_rule(table.threshold)}}


def header(table: Published, kind: str) -> list[str]:
    return [f["name"] for f in schema(table, kind)["fields"]]


def _subject(row: Row, kind: str) -> list:
    noun = KINDS[kind]
    key = row.subject.code if noun == "department" else row.subject.slug
    return [row.month.strftime("%Y-%m"), key, translated(row.subject.name, "en"),
            translated(row.subject.name, "zh-hans")]


def rows(table: Published, kind: str) -> list[Row]:
    return table.departments if kind == "departments" else table.services


def csv_rows(table: Published, kind: str):
    for row in rows(table, kind):
        values = _subject(row, kind)
        for measure in table.measures:
            cell = row.cells[measure.name]
            values += ["" if cell.published is None else cell.published, cell.reason or ""]
        yield values


def json_document(table: Published, kind: str, *, schema_url: str, capped: bool) -> dict:
    names = [f["name"] for f in _subject_fields(kind)]
    records = []
    for row in rows(table, kind):
        record = dict(zip(names, _subject(row, kind), strict=True))
        record.update({m.name: row.cells[m.name].published for m in table.measures})
        record["suppressed"] = {m.name: row.cells[m.name].reason for m in table.measures if row.cells[m.name].suppressed}
        records.append(record)
    return {"schema": schema_url, "period": {"from": _month(table.months[0]), "to": _month(table.months[-1]),
                                             "capped": capped},
            "suppression": {"min_count": table.threshold, "rule": suppression_rule(table.threshold)},
            "rows": records}


def _month(month: date) -> str:
    return month.strftime("%Y-%m")
