"""Bank statements read into lines: ISO 20022 camt.053 (XML) and a plain CSV export.

Lenient where banks differ (a byte-order mark, comma or semicolon, a decimal point or comma,
a few date styles), strict where money is concerned: an amount that is negative, malformed,
has more than two decimals or could be read two ways ("1,234") rejects the whole file, naming
the line or entry and the reason, so a statement is taken whole or not at all.

The payer writes the payment code in free text; it is found by its shape (a run of digits,
perhaps grouped by spaces or dashes) and its check digit, given by the caller as ``is_code``."""

import csv
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from core.errors import InvalidStatement

CAMT = "camt.053"
CSV = "csv"
# An uploaded statement larger than this is refused before it is read (a month of a busy
# account in camt.053 is well under a megabyte).
MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 20_000
# A payment code is 16–22 digits as the payer writes it; the check digit decides.
_CODE_RUN = re.compile(r"(?<![0-9])[0-9](?:[ \-]?[0-9]){15,27}(?![0-9])")
_CODE_LENGTHS = range(16, 23)
_CAMT_NS = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_PLAIN_AMOUNT = re.compile(r"^[0-9]{1,12}(?:\.[0-9]{1,2})?$")
_NOT_PROVIDED = "NOTPROVIDED"


@dataclass(frozen=True)
class Line:
    position: int  # 1-based: the CSV row after the header, or the entry (and transaction) order
    bank_reference: str  # "" when the bank gave none
    booking_date: date
    amount: Decimal
    currency: str
    credit: bool
    code: str | None
    text: str
    where: str = field(default="", compare=False)  # "Line 3", "Entry 2, transaction 1": for messages

    def transaction_id(self, account: str) -> str:
        """The bank's reference, or a stable hash of what the line says when it has none."""
        if self.bank_reference:
            return self.bank_reference
        digest = hashlib.sha256(
            "\x1f".join([account, self.booking_date.isoformat(), str(self.amount), self.currency, self.text]).encode()
        ).hexdigest()
        return f"sha256:{digest[:40]}"


@dataclass(frozen=True)
class Statement:
    format: str
    account: str
    period_start: date | None
    period_end: date | None
    lines: list[Line] = field(default_factory=list)

    @property
    def credits(self) -> list[Line]:
        return [line for line in self.lines if line.credit]

    @property
    def debits(self) -> list[Line]:
        return [line for line in self.lines if not line.credit]


def parse_statement(data: bytes, *, is_code: Callable[[str], bool], max_bytes: int = MAX_BYTES) -> Statement:
    if not data or not data.strip():
        raise InvalidStatement(_("The file is empty."))
    if len(data) > max_bytes:
        raise InvalidStatement(
            _("The file is too large: a statement can be at most %(size)s.") % {"size": filesizeformat(max_bytes)}
        )
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return parse_camt053(data, is_code=is_code)
    return parse_csv(data, is_code=is_code)


def find_code(text: str, *, is_code: Callable[[str], bool]) -> str | None:
    """The one payment code written in the text, or None when there is none or more than one."""
    found = set()
    for match in _CODE_RUN.finditer(text or ""):
        run = match.group(0)
        candidates = [re.sub(r"[ \-]", "", run), *re.split(r"[ \-]", run)]
        for candidate in candidates:
            if len(candidate) in _CODE_LENGTHS and is_code(candidate):
                found.add(candidate)
                break
    return found.pop() if len(found) == 1 else None


# camt.053 ---------------------------------------------------------------------------------


def parse_camt053(data: bytes, *, is_code: Callable[[str], bool]) -> Statement:
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise InvalidStatement(_("The file declares a document type or entities, which a bank statement never does."))
    except SafeET.ParseError as error:
        raise InvalidStatement(_("The file is not well-formed XML (%(reason)s).") % {"reason": error})
    namespace, _sep, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if local != "Document":
        raise InvalidStatement(_("The file is XML but not an ISO 20022 bank statement (camt.053)."))
    if not _CAMT_NS.match(namespace):
        raise InvalidStatement(
            _("The file is an ISO 20022 document of another kind (%(namespace)s), not a camt.053 bank statement.")
            % {"namespace": namespace or _("no namespace")}
        )
    ns = {"c": namespace}
    statements = root.findall("c:BkToCstmrStmt/c:Stmt", ns)
    if not statements:
        raise InvalidStatement(_("The file holds no statement (BkToCstmrStmt/Stmt)."))
    lines: list[Line] = []
    accounts, starts, ends = [], [], []
    for stmt in statements:
        account = _text(stmt, "c:Acct/c:Id/c:IBAN", ns) or _text(stmt, "c:Acct/c:Id/c:Othr/c:Id", ns)
        accounts.append(account)
        starts.append(_date_of(_text(stmt, "c:FrToDt/c:FrDtTm", ns)))
        ends.append(_date_of(_text(stmt, "c:FrToDt/c:ToDtTm", ns)))
        for entry_number, entry in enumerate(stmt.findall("c:Ntry", ns), start=1):
            lines.extend(_entry_lines(entry, entry_number, len(lines), ns, is_code))
            if len(lines) > MAX_LINES:
                raise InvalidStatement(_("The statement has more than %(count)s lines.") % {"count": MAX_LINES})
    account = ", ".join(sorted({a for a in accounts if a}))
    starts = [d for d in starts if d]
    ends = [d for d in ends if d]
    dates = [line.booking_date for line in lines]
    return Statement(
        format=CAMT,
        account=account,
        period_start=min(starts) if starts else (min(dates) if dates else None),
        period_end=max(ends) if ends else (max(dates) if dates else None),
        lines=lines,
    )


def _entry_lines(entry, number: int, before: int, ns: dict, is_code) -> list[Line]:
    where = _("Entry %(number)s") % {"number": number}
    entry_amount, entry_currency = _camt_amount(entry.find("c:Amt", ns), where)
    indicator = _text(entry, "c:CdtDbtInd", ns)
    if indicator not in ("CRDT", "DBIT"):
        raise InvalidStatement(_("%(where)s: the credit or debit mark (CdtDbtInd) is missing.") % {"where": where})
    booked = _text(entry, "c:BookgDt/c:Dt", ns) or _text(entry, "c:BookgDt/c:DtTm", ns)
    booking_date = _date_of(booked)
    if booking_date is None:
        raise InvalidStatement(_("%(where)s: the booking date (BookgDt) is missing or invalid.") % {"where": where})
    entry_reference = _text(entry, "c:AcctSvcrRef", ns)
    details = entry.findall("c:NtryDtls/c:TxDtls", ns)
    if not details:
        text = _text(entry, "c:AddtlNtryInf", ns)
        return [
            Line(
                position=before + 1,
                bank_reference=entry_reference,
                booking_date=booking_date,
                amount=entry_amount,
                currency=entry_currency,
                credit=indicator == "CRDT",
                code=find_code(text, is_code=is_code),
                text=text,
                where=where,
            )
        ]
    lines = []
    for index, tx in enumerate(details, start=1):
        tx_where = _("Entry %(number)s, transaction %(index)s") % {"number": number, "index": index}
        amount_node = tx.find("c:Amt", ns)
        if amount_node is None:
            amount_node = tx.find("c:AmtDtls/c:TxAmt/c:Amt", ns)
        if amount_node is not None:
            amount, currency = _camt_amount(amount_node, tx_where)
        elif len(details) == 1:
            amount, currency = entry_amount, entry_currency
        else:
            raise InvalidStatement(
                _("%(where)s: the amount is missing in an entry of several transactions.") % {"where": tx_where}
            )
        tx_indicator = _text(tx, "c:CdtDbtInd", ns) or indicator
        reference = _text(tx, "c:Refs/c:AcctSvcrRef", ns)
        if not reference and entry_reference:
            reference = entry_reference if len(details) == 1 else f"{entry_reference}/{index}"
        if not reference:
            end_to_end = _text(tx, "c:Refs/c:EndToEndId", ns)
            reference = "" if end_to_end.upper() == _NOT_PROVIDED else end_to_end
        unstructured = [node.text.strip() for node in tx.findall("c:RmtInf/c:Ustrd", ns) if node.text]
        structured = [node.text.strip() for node in tx.findall("c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns) if node.text]
        text = " ".join(structured + unstructured)
        code = None
        for candidate in structured:
            code = find_code(candidate, is_code=is_code)
            if code:
                break
        lines.append(
            Line(
                position=before + index,
                bank_reference=reference,
                booking_date=booking_date,
                amount=amount,
                currency=currency,
                credit=tx_indicator == "CRDT",
                code=code or find_code(" ".join(unstructured), is_code=is_code),
                text=text,
                where=tx_where if len(details) > 1 else where,
            )
        )
    return lines


def _camt_amount(node, where: str) -> tuple[Decimal, str]:
    if node is None or not (node.text or "").strip():
        raise InvalidStatement(_("%(where)s: the amount is missing.") % {"where": where})
    currency = (node.get("Ccy") or "").strip()
    if not _CURRENCY.match(currency):
        raise InvalidStatement(_("%(where)s: the amount has no currency (Ccy).") % {"where": where})
    raw = node.text.strip()
    if raw.startswith("-"):
        raise InvalidStatement(
            _("%(where)s: the amount %(amount)s is negative; a statement marks debits with CdtDbtInd instead.")
            % {"where": where, "amount": raw}
        )
    if not _PLAIN_AMOUNT.match(raw) or Decimal(raw) <= 0:
        raise InvalidStatement(_("%(where)s: the amount “%(amount)s” is not valid.") % {"where": where, "amount": raw})
    return Decimal(raw), currency


def _text(node, path: str, ns: dict) -> str:
    found = node.find(path, ns)
    return (found.text or "").strip() if found is not None else ""


def _date_of(value: str) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).date() if "T" in value else date.fromisoformat(value[:10])
    except ValueError:
        return None


# CSV --------------------------------------------------------------------------------------

# The columns a CSV statement names in its header row, in any order; the names each may go by.
CSV_COLUMNS = {
    "date": ("date", "booking date", "booking_date", "value date"),
    "amount": ("amount",),
    "currency": ("currency", "ccy"),
    "reference": ("reference", "bank reference", "transaction id", "ref"),
    "text": ("text", "remittance", "remittance text", "remittance information", "details", "description"),
}
_REQUIRED_COLUMNS = ("date", "amount", "currency")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%d.%m.%Y")


def parse_csv(data: bytes, *, is_code: Callable[[str], bool]) -> Statement:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = "\x00"
    if "\x00" in text:  # UTF-16, a PDF, a spreadsheet…
        raise InvalidStatement(_("The file is not UTF-8 text. Export the statement as UTF-8 CSV or camt.053."))
    first_line = text.lstrip().split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = None
    for header in rows:
        if any(cell.strip() for cell in header):
            break
    columns = _csv_columns(header or [])
    lines: list[Line] = []
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        number = rows.line_num
        if len(lines) >= MAX_LINES:
            raise InvalidStatement(_("The statement has more than %(count)s lines.") % {"count": MAX_LINES})
        lines.append(_csv_line(row, number, len(lines) + 1, columns, is_code))
    if not lines:
        raise InvalidStatement(_("The statement has a header but no lines."))
    dates = [line.booking_date for line in lines]
    return Statement(format=CSV, account="", period_start=min(dates), period_end=max(dates), lines=lines)


def _csv_columns(header: list[str]) -> dict[str, int]:
    names = [cell.strip().lower() for cell in header]
    columns = {}
    for key, aliases in CSV_COLUMNS.items():
        for index, name in enumerate(names):
            if name in aliases:
                columns[key] = index
                break
    missing = [key for key in _REQUIRED_COLUMNS if key not in columns]
    if missing:
        raise InvalidStatement(
            _(
                "The file is not a statement this portal reads: its first line must name the columns "
                "date, amount, currency, reference and text (missing: %(missing)s)."
            )
            % {"missing": ", ".join(missing)}
        )
    return columns


def _csv_line(row: list[str], number: int, position: int, columns: dict, is_code) -> Line:
    where = _("Line %(number)s") % {"number": number}

    def cell(key):
        index = columns.get(key)
        return row[index].strip() if index is not None and index < len(row) else ""

    booking_date = None
    for pattern in _DATE_FORMATS:
        try:
            booking_date = datetime.strptime(cell("date"), pattern).date()
            break
        except ValueError:
            continue
    if booking_date is None:
        raise InvalidStatement(
            _("%(where)s: the date “%(date)s” is not a date (write it as 2026-12-07).")
            % {"where": where, "date": cell("date")}
        )
    amount = parse_amount(cell("amount"), where=where)
    currency = cell("currency").upper()
    if not currency:
        raise InvalidStatement(_("%(where)s: the currency is missing.") % {"where": where})
    if not _CURRENCY.match(currency):
        raise InvalidStatement(
            _("%(where)s: the currency “%(currency)s” is not a three-letter ISO 4217 code.")
            % {"where": where, "currency": cell("currency")}
        )
    text = cell("text")
    return Line(
        position=position,
        bank_reference=cell("reference"),
        booking_date=booking_date,
        amount=amount,
        currency=currency,
        credit=True,
        code=find_code(text, is_code=is_code) or find_code(cell("reference"), is_code=is_code),
        text=text,
        where=where,
    )


_GROUPED = {
    ".": re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]{1,2}$"),  # 1,234.50
    ",": re.compile(r"^[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]{1,2}$"),  # 1.234,50
}
_ONE_SEPARATOR = re.compile(r"^[0-9]{1,12}(?:[.,][0-9]{1,2})?$")


def parse_amount(raw: str, *, where: str) -> Decimal:
    """A positive amount with a decimal point or comma and at most two decimals. Thousands may
    be grouped with spaces, apostrophes, or the other mark when the decimals are written: "1,234"
    alone could be either, so it is refused."""
    value = re.sub(r"[\s\u00a0\u202f']", "", raw or "")
    if not value:
        raise InvalidStatement(_("%(where)s: the amount is missing.") % {"where": where})
    if value.startswith("-") or value.endswith("-") or value.startswith("("):
        raise InvalidStatement(
            _("%(where)s: the amount %(amount)s is negative; a statement of payments received holds credits only.")
            % {"where": where, "amount": raw}
        )
    value = value.lstrip("+")
    if _ONE_SEPARATOR.match(value):
        normal = value.replace(",", ".")
    elif _GROUPED["."].match(value):
        normal = value.replace(",", "")
    elif _GROUPED[","].match(value):
        normal = value.replace(".", "").replace(",", ".")
    else:
        raise InvalidStatement(
            _("%(where)s: the amount “%(amount)s” is not valid (write it as 1234.50 or 1234,50).")
            % {"where": where, "amount": raw}
        )
    try:
        amount = Decimal(normal)
    except InvalidOperation:  # pragma: no cover - the patterns above admit only numbers
        raise InvalidStatement(_("%(where)s: the amount “%(amount)s” is not valid.") % {"where": where, "amount": raw})
    if amount <= 0:
        raise InvalidStatement(_("%(where)s: the amount is zero.") % {"where": where})
    return amount
