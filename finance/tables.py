"""Each finance list is declared once as columns, then shown as an HTML table and downloaded as
CSV from the same declaration (audit.exports: every cell safe from spreadsheet formulas). Amounts
are written as the Decimal they are ("1234.50"), never through a float."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from audit.exports import csv_response


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[object], object]
    link: Callable[[object], str] | None = None
    numeric: bool = False


@dataclass(frozen=True)
class Cell:
    text: str
    url: str = ""
    numeric: bool = False


def text_of(value) -> str:
    return "" if value is None else str(value)


def rows_of(columns: list[Column], objects: Iterable) -> list[list[Cell]]:
    return [[Cell(text_of(c.value(obj)), c.link(obj) if c.link else "", c.numeric) for c in columns]
            for obj in objects]


def csv_download(columns: list[Column], objects: Iterable, *, filename: str):
    return csv_response([str(c.header) for c in columns],
                        ([text_of(c.value(obj)) for c in columns] for obj in objects), filename=filename)
