"""Bank statements into payments: the offline provider "bank_statement".

A finance officer uploads the bank's statement; each credit line goes to
``approvals.payment_flow.payment_record`` with the bank's reference as the transaction (or a
stable hash of the account, date, amount and text when the bank gave none), so a line told
again, in a second statement that overlaps the first, is recorded once. A line without a
recognisable payment code becomes an issue (unknown_code) for a person, like any money that
cannot be applied. Debits are kept as ignored lines.

The whole upload is one transaction: all lines or none. A file that cannot be read, or a line
the engine refuses (a currency that is not one), rejects the file with the line and the reason
and writes nothing. The same file twice (its SHA-256) is refused, naming the first upload."""

import hashlib
from datetime import datetime, time

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import audit_record
from core.errors import InvalidStatement
from payments.codes import payment_code_valid
from payments.models import BankStatement, IssueSource, LineOutcome, StatementLine
from payments.statements import parse_statement

from .events import finance_event
from .payment_flow import PaymentOutcome, PaymentRefused, payment_record

STATEMENT_PROVIDER = "bank_statement"
_LINE_OUTCOME = {PaymentOutcome.RECORDED: LineOutcome.MATCHED, PaymentOutcome.ISSUE: LineOutcome.ISSUE,
                 PaymentOutcome.DUPLICATE: LineOutcome.IGNORED}


@transaction.atomic
def statement_import(*, data: bytes, filename: str, actor, ip: str | None = None) -> BankStatement:
    """Read, match and keep one uploaded statement; InvalidStatement (nothing written) when the
    file was uploaded before, cannot be read, or holds a line that is not a payment."""
    digest = hashlib.sha256(data).hexdigest()
    _refuse_if_uploaded(digest)
    parsed = parse_statement(data, is_code=payment_code_valid, max_bytes=settings.STATEMENT_MAX_BYTES)
    statement = BankStatement(sha256=digest, format=parsed.format, filename=filename[:200], account=parsed.account,
                              period_start=parsed.period_start, period_end=parsed.period_end, uploaded_by=actor)
    try:
        with transaction.atomic():  # two uploads of one file at once: the second waits and finds the first
            statement.save()
    except IntegrityError:
        _refuse_if_uploaded(digest)
        raise
    rows = [_line_row(statement, line, transaction_id) for line, transaction_id in _transaction_ids(parsed)]
    StatementLine.objects.bulk_create(rows)
    statement.line_count = len(rows)
    statement.matched_count, statement.issue_count, statement.ignored_count = (
        sum(1 for row in rows if row.outcome == outcome) for outcome in LineOutcome)
    statement.file.save(f"{digest}.{'xml' if parsed.format == 'camt.053' else 'csv'}", ContentFile(data), save=False)
    statement.save(update_fields=["line_count", "matched_count", "issue_count", "ignored_count", "file"])
    audit_record(finance_event(Action.STATEMENT_IMPORTED, statement, actor=actor, ip=ip, sha256=digest,
                               lines=statement.line_count, matched=statement.matched_count,
                               issues=statement.issue_count, ignored=statement.ignored_count))
    return statement


def _refuse_if_uploaded(digest: str) -> None:
    earlier = BankStatement.objects.filter(sha256=digest).select_related("uploaded_by").first()
    if earlier is not None:
        raise InvalidStatement(
            _("This statement was already uploaded on %(when)s by %(who)s. A statement is counted once.")
            % {"when": formats.date_format(timezone.localtime(earlier.uploaded_at), "j F Y, H:i"),
               "who": earlier.uploaded_by.full_name or earlier.uploaded_by.email}
        )


def _transaction_ids(parsed):
    """Each line with its transaction id. Two lines alike without a bank reference (the same
    payer paying the same twice in a day) are two payments: the second's hash is numbered."""
    seen: dict[str, int] = {}
    for line in parsed.lines:
        transaction_id = line.transaction_id(parsed.account)
        seen[transaction_id] = seen.get(transaction_id, 0) + 1
        yield line, transaction_id if seen[transaction_id] == 1 else f"{transaction_id}#{seen[transaction_id]}"


def _line_row(statement: BankStatement, line, transaction_id: str) -> StatementLine:
    row = StatementLine(statement=statement, position=line.position, bank_reference=line.bank_reference[:100],
                        transaction_id=transaction_id[:100], booking_date=line.booking_date,
                        amount=line.amount, currency=line.currency, credit=line.credit, code=line.code or "",
                        text=line.text[:500], outcome=LineOutcome.IGNORED)
    if not line.credit:
        return row
    try:
        recorded = payment_record(
            provider=STATEMENT_PROVIDER, transaction_id=row.transaction_id, code=row.code, amount=line.amount,
            currency=line.currency, source=IssueSource.STATEMENT,
            paid_at=timezone.make_aware(datetime.combine(line.booking_date, time.min)),
            details={"statement": statement.pk, "position": line.position, "text": row.text},
        )
    except PaymentRefused as refused:
        raise InvalidStatement(f"{line.where}: {refused.message}")
    row.outcome = _LINE_OUTCOME[recorded.outcome]
    row.payment, row.issue = recorded.payment, recorded.issue
    return row
