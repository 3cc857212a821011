"""CSV downloads, one way for the whole portal: streamed row by row, every cell safe from
spreadsheet formulas, and starting with UTF-8's byte order mark.

Why the mark, always (rather than a choice on the page): Excel opens a CSV without it in the
computer's legacy code page (GBK on a Chinese Windows, cp1252 elsewhere), which turns Chinese
headers and names into mojibake; with it, Excel, LibreOffice, Numbers, Google Sheets and
Python's ``utf-8-sig`` all read the file as UTF-8. A reader that does not expect it sees one
invisible character before the first header, which costs less than a question nobody can
answer without knowing their spreadsheet's defaults."""

import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse

BOM = "\ufeff"
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """A CSV cell that a spreadsheet shows as text: a leading formula character gets a quote."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value):
        return value


def csv_lines(header: Iterable, rows: Iterable[Iterable]) -> Iterable[str]:
    """The header (after the byte order mark), then each row, one line at a time, every cell neutralised."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([str(cell) for cell in header])
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


def csv_response(header: Iterable, rows: Iterable[Iterable], *, filename: str) -> StreamingHttpResponse:
    """A streamed CSV download; ``rows`` is consumed lazily, while the response is sent."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
