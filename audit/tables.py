"""A list declared once as columns, then shown as an HTML table and downloaded as CSV from the same
declaration (the CSV through audit.exports, beside this module: every cell safe from spreadsheet
formulas). Each app keeps its own tables; this is the mechanism they share."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .exports import csv_response


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[object], object]
    numeric: bool = False
    # Where the cell's text links to (cells() only); "" for no link.
    link: Callable[[object], str] | None = None
    # False: in the CSV only, the page showing the figure in a table of its own.
    on_page: bool = True


@dataclass(frozen=True)
class Cell:
    text: str
    url: str = ""
    numeric: bool = False


def text_of(value) -> str:
    return "" if value is None else str(value)


def cells(columns: list[Column], objects: Iterable) -> list[list[Cell]]:
    """Each object's row of cells, as a template shows them (text as it is, a link where the column has one)."""
    return [[Cell(text_of(c.value(obj)), c.link(obj) if c.link else "", c.numeric) for c in columns]
            for obj in objects]


def csv_download(columns: list[Column], objects: Iterable, *, filename: str):
    """The objects as a streamed CSV download, one row each, every column (those off the page too)."""
    return csv_response([str(c.header) for c in columns], ([c.value(obj) for c in columns] for obj in objects),
                        filename=filename)


@dataclass
class Table:
    name: str
    caption: str
    columns: list[Column]
    rows: list

    @property
    def page_columns(self) -> list[Column]:
        return [c for c in self.columns if c.on_page]

    def header_cells(self, *, page: bool = True) -> list[str]:
        return [str(c.header) for c in (self.page_columns if page else self.columns)]

    def body_html(self) -> str:
        """The rows as HTML (built here rather than cell by cell in a template: a two-year table has
        hundreds of rows). The first cell of a row is its header; every value is localized and escaped."""
        missing = format_html('<span aria-label="{}">–</span>', _("no data"))
        lines = []
        for row in self.rows:
            row_cells = []
            for i, column in enumerate(self.page_columns):
                value = column.value(row)
                text = missing if value is None else conditional_escape(localize(value))
                tag = "th" if i == 0 else "td"
                scope = ' scope="row"' if i == 0 else ""
                align = ' class="text-end"' if column.numeric else ""
                row_cells.append(f"<{tag}{scope}{align}>{text}</{tag}>")
            lines.append("<tr>" + "".join(row_cells) + "</tr>")
        return mark_safe("\n".join(lines))  # noqa: S308 (every value escaped above)

    def csv_response(self):
        return csv_download(self.columns, self.rows, filename=f"{self.name}.csv")
