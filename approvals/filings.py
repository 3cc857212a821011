"""Record filing after approval (登记后备案): the bodies a service names for it (catalogue
``filings``, frozen in the application's version) are told of each approval without reviewing it,
and acknowledge it.

A filing is made in the transaction that approves the application and creates its permit
(workflow's fan-in, under the application's row lock), one per body, so exactly once: the UNIQUE
constraint on (application, department) is the backstop. Its department's officers are notified
in that transaction, and its audit event (``filing.created``, naming the department) is what the
webhooks deliver to the department's subscriptions, with ids only: the department's system then
reads the filing through the API, which shows what the filing lists and nothing more
(approvals.need_to_know.filing_need_to_know).

Acknowledging is once, by an officer or supervisor of the department (in the workspace, or its
system through the API): a conditional UPDATE claims it, so of two at once one is recorded and
audited, and the other is told it was acknowledged already."""

from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from audit.models import Action
from audit.services import Event, TokenActor, audit_record
from catalogue.schema import frozen_department_ids
from core.calendar import Calendar
from core.errors import Conflict
from departments.access import member_role

from .access import may_see_filing
from .events import engine_event
from .models import Application, Filing, Notification, NotificationKind
from .notifications import departments_staff_ids, notifications_create
from .sla import local_today, sla_calendars


class AlreadyAcknowledged(Conflict):
    """The filing was acknowledged before: nothing more is recorded."""

    api_code = "already_acknowledged"


def filing_acknowledge_by(today: date, calendar: Calendar) -> date:
    """The day a filing made ``today`` is to be acknowledged by (FILING_ACKNOWLEDGE_DAYS working
    days of the calendar of the department told)."""
    return calendar.add_working_days(today, settings.FILING_ACKNOWLEDGE_DAYS)


def filings_create(*, application: Application, now: datetime) -> list[Event]:
    """One filing per body the application's version names; their departments' officers
    notified. Returns their audit events, for the caller's transaction (which holds the
    application's row lock and has just approved it)."""
    told = application.schema.filings
    if not told:
        return []
    department_ids = frozen_department_ids(application.service_version_id)
    calendars, today = sla_calendars(), local_today()
    filings = Filing.objects.bulk_create([
        Filing(application=application, department_id=department_ids[entry["department"]], created_at=now,
               acknowledge_by=filing_acknowledge_by(today, calendars.of(department_ids[entry["department"]])))
        for entry in told])
    staff = departments_staff_ids([f.department_id for f in filings])
    notifications_create([
        Notification(recipient_id=recipient, kind=NotificationKind.FILING_RECEIVED, application=application,
                     params={"filing": filing.pk, "due_date": filing.acknowledge_by.isoformat()})
        for filing in filings for recipient in staff.get(filing.department_id, [])])
    # What the department is told, by the names of the answers and details, never their values.
    return [engine_event(Action.FILING_CREATED, application, obj=filing, department_code=entry["department"],
                         fields=list(entry.get("fields", [])), identity=list(entry.get("identity", [])),
                         acknowledge_by=filing.acknowledge_by.isoformat())
            for filing, entry in zip(filings, told, strict=True)]


@transaction.atomic
def filing_acknowledge(*, filing_id: int, actor, ip: str | None = None, via: TokenActor | None = None) -> Filing:
    """The department acknowledges its filing, once. Another department's filing does not exist
    for the actor (Filing.DoesNotExist); a second acknowledgement raises AlreadyAcknowledged and
    records nothing. ``via``: the department system's API token."""
    filing = Filing.objects.select_related("application", "department").get(pk=filing_id)
    if not may_see_filing(filing, role=member_role(actor, filing.department_id)):
        raise Filing.DoesNotExist
    now = timezone.now()
    if not Filing.objects.filter(pk=filing.pk, acknowledged_at__isnull=True).update(acknowledged_at=now,
                                                                                     acknowledged_by=actor):
        filing.refresh_from_db(fields=["acknowledged_at", "acknowledged_by"])
        raise AlreadyAcknowledged(_("This filing was already acknowledged on %(when)s.") % {
            "when": formats.date_format(timezone.localtime(filing.acknowledged_at), "SHORT_DATETIME_FORMAT")})
    filing.acknowledged_at, filing.acknowledged_by = now, actor
    audit_record(engine_event(Action.FILING_ACKNOWLEDGED, filing.application, obj=filing, actor=actor, via=via, ip=ip,
                              department_code=filing.department.code, purpose="filing"))
    return filing
