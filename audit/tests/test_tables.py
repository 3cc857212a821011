"""One declaration of columns, three outputs: the page's cells, the HTML body and the CSV download."""

from datetime import date
from decimal import Decimal

from django.utils.html import format_html
from django.utils.translation import override

from audit.tables import Cell, Column, Table, cells, csv_download

ROWS = [
    {"name": "=SUM(A1)", "amount": Decimal("1234.50"), "day": date(2026, 12, 7), "note": "<b>bold</b>", "id": 3},
    {"name": "Health Bureau", "amount": None, "day": date(2026, 12, 8), "note": "", "id": 4},
]
COLUMNS = [
    Column("Name", lambda row: row["name"], link=lambda row: f"/rows/{row['id']}/"),
    Column("Amount", lambda row: row["amount"], numeric=True),
    Column("Day", lambda row: row["day"]),
    Column("Note", lambda row: row["note"], on_page=False),
]


def body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


def test_cells_give_each_value_as_text_with_its_link_and_alignment():
    assert cells(COLUMNS, ROWS) == [
        [Cell("=SUM(A1)", "/rows/3/"), Cell("1234.50", "", True), Cell("2026-12-07"), Cell("<b>bold</b>")],
        [Cell("Health Bureau", "/rows/4/"), Cell("", "", True), Cell("2026-12-08"), Cell("")],
    ]


def test_the_csv_has_every_column_neutralised_after_the_byte_order_mark():
    response = csv_download(COLUMNS, iter(ROWS), filename="rows.csv")
    assert response["Content-Disposition"] == 'attachment; filename="rows.csv"'
    assert body(response) == ("\ufeffName,Amount,Day,Note\r\n"
                              "'=SUM(A1),1234.50,2026-12-07,<b>bold</b>\r\n"
                              "Health Bureau,,2026-12-08,\r\n")


def test_a_table_shows_its_page_columns_escaped_and_downloads_them_all(settings):
    settings.USE_THOUSAND_SEPARATOR = False
    table = Table("rows", "Rows", COLUMNS + [Column("Link", lambda row: format_html('<a href="/x/">{}</a>', row["id"]))],
                  ROWS[:1] + [{**ROWS[0], "name": "<i>Esc</i>", "amount": None}])
    assert table.header_cells() == ["Name", "Amount", "Day", "Link"]
    assert table.header_cells(page=False) == ["Name", "Amount", "Day", "Note", "Link"]
    with override("en"):
        html = table.body_html()
    assert html == (
        '<tr><th scope="row">=SUM(A1)</th><td class="text-end">1234.50</td><td>7 Dec 2026</td>'
        '<td><a href="/x/">3</a></td></tr>\n'
        '<tr><th scope="row">&lt;i&gt;Esc&lt;/i&gt;</th><td class="text-end"><span aria-label="no data">–</span></td>'
        '<td>7 Dec 2026</td><td><a href="/x/">3</a></td></tr>')
    assert body(table.csv_response()).splitlines()[0] == "\ufeffName,Amount,Day,Note,Link"
