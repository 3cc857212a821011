"""Bank statements read into lines (payments.statements): exact values from real-looking files,
and every kind of bad file refused with the line or entry and the reason."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core.errors import InvalidStatement
from payments.codes import payment_code_valid
from payments.statements import CAMT, CSV, Line, find_code, parse_amount, parse_statement

SAMPLES = Path(__file__).parent / "samples"


def parse(data, **kwargs):
    return parse_statement(data, is_code=payment_code_valid, **kwargs)


def sample(name):
    return (SAMPLES / name).read_bytes()


def refusal(data, **kwargs):
    with pytest.raises(InvalidStatement) as caught:
        parse(data, **kwargs)
    return str(caught.value)


def camt(entries, namespace="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"):
    return (
        f'<?xml version="1.0"?><Document xmlns="{namespace}"><BkToCstmrStmt><Stmt>'
        f"<Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>{entries}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def entry(amount='<Amt Ccy="CNY">10.00</Amt>', indicator="CRDT", booked="2026-12-07"):
    return f"<Ntry>{amount}<CdtDbtInd>{indicator}</CdtDbtInd><BookgDt><Dt>{booked}</Dt></BookgDt></Ntry>"


def test_camt053_lines_with_references_codes_and_debits():
    statement = parse(sample("camt053_december.xml"))
    assert statement.format == CAMT
    assert statement.account == "6222020200112233445"
    assert (statement.period_start, statement.period_end) == (date(2026, 12, 7), date(2026, 12, 7))
    assert statement.lines == [
        Line(1, "ICBK20261207000101", date(2026, 12, 7), Decimal("300.00"), "CNY", True, "20261207000000000182",
             "Restaurant licence fee, payment code 2026 1207 0000 0000 0182, thank you"),
        Line(2, "ICBK20261207000102-A", date(2026, 12, 7), Decimal("200.00"), "CNY", True, "20261207000000000279",
             "20261207000000000279"),
        Line(3, "ICBK20261207000102/2", date(2026, 12, 7), Decimal("250.50"), "CNY", True, None,
             "Invoice 4411 for signage, order 12345"),
        Line(4, "ICBK20261207000103", date(2026, 12, 7), Decimal("12.80"), "CNY", False, None,
             "Account maintenance charge"),
    ]
    assert [line.position for line in statement.credits] == [1, 2, 3]
    assert len(statement.debits) == 1


def test_csv_with_bom_semicolons_and_decimal_commas():
    statement = parse(sample("csv_semicolon_bom.csv"))
    assert statement.format == CSV
    assert statement.account == ""
    assert (statement.period_start, statement.period_end) == (date(2026, 12, 7), date(2026, 12, 8))
    assert statement.lines == [
        Line(1, "BOC-7781-001", date(2026, 12, 7), Decimal("1234.50"), "CNY", True, "20261207000000000376",
             "Zahlung 2026-1207-0000-0000-0376 Bauamt"),
        Line(2, "BOC-7781-002", date(2026, 12, 7), Decimal("300.00"), "CNY", True, "20261207000000000182",
             "fee 20261207000000000182"),
        Line(3, "", date(2026, 12, 8), Decimal("75"), "CNY", True, None, "no code at all"),
    ]


def test_csv_with_commas_and_two_codes_in_one_line_finds_none():
    statement = parse(sample("csv_comma.csv"))
    assert [(line.amount, line.code) for line in statement.lines] == [
        (Decimal("300.00"), "20261207000000000182"),
        (Decimal("1200.00"), None),
    ]


def test_a_line_without_a_bank_reference_gets_a_stable_transaction_id():
    line = parse(sample("csv_semicolon_bom.csv")).lines[2]
    again = parse(sample("csv_semicolon_bom.csv")).lines[2]
    assert line.transaction_id("acct") == again.transaction_id("acct")
    assert line.transaction_id("acct").startswith("sha256:")
    assert line.transaction_id("acct") != line.transaction_id("other")
    assert parse(sample("csv_comma.csv")).lines[0].transaction_id("acct") == "CMB-0001"


@pytest.mark.parametrize(
    "text, code",
    [
        ("20261207000000000182", "20261207000000000182"),
        ("code:20261207000000000182.", "20261207000000000182"),
        ("2026 1207 0000 0000 0182", "20261207000000000182"),
        ("20261207000000000183", None),  # a mistyped digit fails the check digit
        ("order 12 20261207000000000182", "20261207000000000182"),
        ("120261207000000000182", None),  # part of a longer number
        ("", None),
    ],
)
def test_find_code(text, code):
    assert find_code(text, is_code=payment_code_valid) == code


@pytest.mark.parametrize(
    "raw, amount",
    [("1234.50", "1234.50"), ("1234,5", "1234.5"), ("1,234.50", "1234.50"), ("1.234,50", "1234.50"),
     ("1 234,50", "1234.50"), ("1'234.50", "1234.50"), ("+75", "75"), ("0.01", "0.01")],
)
def test_amounts_banks_write(raw, amount):
    assert parse_amount(raw, where="Line 2") == Decimal(amount)


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("-10.00", "Line 2: the amount -10.00 is negative; a statement of payments received holds credits only."),
        ("(10.00)", "Line 2: the amount (10.00) is negative; a statement of payments received holds credits only."),
        ("1,234", "Line 2: the amount “1,234” is not valid (write it as 1234.50 or 1234,50)."),
        ("10.005", "Line 2: the amount “10.005” is not valid (write it as 1234.50 or 1234,50)."),
        ("ten", "Line 2: the amount “ten” is not valid (write it as 1234.50 or 1234,50)."),
        ("1e3", "Line 2: the amount “1e3” is not valid (write it as 1234.50 or 1234,50)."),
        ("0.00", "Line 2: the amount is zero."),
        ("", "Line 2: the amount is missing."),
    ],
)
def test_amounts_refused(raw, reason):
    with pytest.raises(InvalidStatement) as caught:
        parse_amount(raw, where="Line 2")
    assert str(caught.value) == reason


def test_csv_refusals_name_the_line():
    header = b"date,amount,currency,reference,text\n"
    assert refusal(header + b"2026-12-07,10.00,CNY,a,x\n2026-12-07,-5.00,CNY,b,y\n") == (
        "Line 3: the amount -5.00 is negative; a statement of payments received holds credits only."
    )
    assert refusal(header + b"2026-12-07,10.00,,a,x\n") == "Line 2: the currency is missing."
    assert refusal(header + b"2026-12-07,10.00,YUAN,a,x\n") == (
        "Line 2: the currency “YUAN” is not a three-letter ISO 4217 code."
    )
    assert refusal(header + b"12/07/2026,10.00,CNY,a,x\n") == (
        "Line 2: the date “12/07/2026” is not a date (write it as 2026-12-07)."
    )
    assert refusal(header) == "The statement has a header but no lines."


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "The file is empty."),
        (b" \n\n", "The file is empty."),
        (b"Dear customer, your statement is attached.\n", "The file is not a statement this portal reads: its first "
         "line must name the columns date, amount, currency, reference and text (missing: date, amount, currency)."),
        ("date,amount,currency\n2026-12-07,10.00,CNY\n".encode("utf-16"),
         "The file is not UTF-8 text. Export the statement as UTF-8 CSV or camt.053."),
        (b"%PDF-1.7\n\x00\x01", "The file is not UTF-8 text. Export the statement as UTF-8 CSV or camt.053."),
        (b"<html><body>statement</body></html>",
         "The file is XML but not an ISO 20022 bank statement (camt.053)."),
        (b"<Document><oops>", "The file is not well-formed XML (no element found: line 1, column 16)."),
    ],
)
def test_files_that_are_not_statements(data, reason):
    assert refusal(data) == reason


def test_camt_of_another_kind_or_with_entities_is_refused():
    assert refusal(camt(entry(), namespace="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08")) == (
        "The file is an ISO 20022 document of another kind (urn:iso:std:iso:20022:tech:xsd:camt.054.001.08), "
        "not a camt.053 bank statement."
    )
    bomb = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b"<Document>&b;</Document>")
    assert refusal(bomb) == "The file declares a document type or entities, which a bank statement never does."
    external = b'<?xml version="1.0"?><!DOCTYPE d SYSTEM "file:///etc/passwd"><Document/>'
    assert refusal(external) == "The file declares a document type or entities, which a bank statement never does."


def test_camt_entry_refusals_name_the_entry():
    good = entry()
    assert refusal(camt(good + entry(amount='<Amt Ccy="CNY">-10.00</Amt>'))) == (
        "Entry 2: the amount -10.00 is negative; a statement marks debits with CdtDbtInd instead."
    )
    assert refusal(camt(entry(amount="<Amt>10.00</Amt>"))) == "Entry 1: the amount has no currency (Ccy)."
    assert refusal(camt(entry(amount='<Amt Ccy="CNY">10,00</Amt>'))) == "Entry 1: the amount “10,00” is not valid."
    assert refusal(camt(entry(amount=""))) == "Entry 1: the amount is missing."
    assert refusal(camt(entry(indicator=""))) == "Entry 1: the credit or debit mark (CdtDbtInd) is missing."
    assert refusal(camt(entry(booked="07.12.2026"))) == (
        "Entry 1: the booking date (BookgDt) is missing or invalid."
    )
    assert parse(camt("")).lines == []


def test_a_huge_file_is_refused_before_it_is_read():
    assert refusal(b"date,amount\n" + b"x" * 2048, max_bytes=1024) == (
        "The file is too large: a statement can be at most 1.0\xa0KB."
    )
