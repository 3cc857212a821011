"""The dashboards' tables, defined once (audit.tables): each is shown as an accessible HTML table
(under its chart) and exported as CSV from the same definition."""

from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from audit.tables import Column, Table


def _col(header, key, numeric=True):
    return Column(header, (lambda row: row[key]) if isinstance(key, str) else key, numeric)


def _name(key):
    return lambda row: row[key].display_name


def dashboard_tables(figures: dict) -> dict[str, Table]:
    rates = [_col(_("Decisions"), "decided"), _col(_("Correction requests"), "corrections"),
             _col(_("Approved %"), "approval_rate"), _col(_("Rejected %"), "rejection_rate"),
             _col(_("Correction requested %"), "correction_rate")]
    return {t.name: t for t in [
        Table("weekly", _("Submissions per week"), [_col(_("Week starting"), "week", False),
                                                    _col(_("Submitted"), "submitted")], figures["weekly"]),
        Table("daily", _("Submissions per day"), [_col(_("Day"), "day", False), _col(_("Submitted"), "submitted")],
              figures["daily"]),
        Table("backlog", _("Backlog by department and stage"), [
            _col(_("Department"), _name("department"), False), _col(_("Stage"), "stage"),
            _col(_("Waiting for an earlier stage"), "waiting"), _col(_("In the queue"), "pending"),
            _col(_("Being reviewed"), "in_progress"), _col(_("Waiting for the applicant"), "correction_requested"),
            _col(_("Total"), "total")], figures["backlog"]),
        Table("times_department", _("Working days from routing to decision, by department"), [
            _col(_("Department"), _name("department"), False), _col(_("Decisions"), "n"),
            _col(_("Median (p50)"), "p50"), _col(_("p90"), "p90")], figures["times_department"]),
        Table("times_service", _("Working days from routing to decision, by service"), [
            _col(_("Service"), _name("service"), False), _col(_("Decisions"), "n"),
            _col(_("Median (p50)"), "p50"), _col(_("p90"), "p90")], figures["times_service"]),
        Table("departments", _("Decisions, time limits, cards, permits and ratings by department"), [
            _col(_("Department"), _name("department"), False), _col(_("Applications submitted"), "submitted"),
            *rates, _col(_("Decided in time %"), "sla_rate"), _col(_("Yellow cards"), "yellow"),
            _col(_("Red cards"), "red"), _col(_("Permits issued"), "permits"), _col(_("Ratings"), "ratings"),
            _col(_("Average rating"), "average_rating"), _col(_("Low ratings (1–2)"), "low_ratings")],
              figures["departments"]),
        waits_table(figures["waits"]),
        Table("once_only", _("What citizens did not have to provide, by service"), [
            _col(_("Service"), _name("service"), False), _col(_("Answers asked"), "fields_asked"),
            _col(_("Answers taken from registers"), "fields_taken"), _col(_("Taken from registers %"), "fields_taken_rate"),
            _col(_("Documents uploaded"), "documents_uploaded"),
            _col(_("Documents reused from wallets"), "documents_reused"),
            _col(_("Reused from wallets %"), "documents_reused_rate")], figures["once_only"]["services"]),
        Table("filings", _("Filings after approval not acknowledged, by department"), [
            _col(_("Department"), _name("department"), False), _col(_("Not acknowledged"), "count"),
            _col(_("Oldest filed"), lambda row: localtime(row["oldest"]), False),
            _col(_("Past their acknowledge-by day"), "overdue")], figures["filings"]["departments"]),
    ]}


def waits_table(rows: list[dict]) -> Table:
    return Table("waits", _("Where applications wait longest (working days, by department and stage)"), [
        _col(_("Department"), _name("department"), False), _col(_("Stage"), "stage"),
        _col(_("Decisions"), "n"), _col(_("Mean"), "mean"), _col(_("Median (p50)"), "p50"), _col(_("p90"), "p90")],
        rows)


def scorecard_table(rows: list[dict]) -> Table:
    return Table("scorecard", _("Department scorecard"), [
        _col(_("Rank"), "rank"), _col(_("Department"), _name("department"), False), _col(_("Decisions"), "decided"),
        _col(_("Decided in time %"), "sla_rate"), _col(_("Median working days"), "median_days"),
        _col(_("Speed score"), "speed_score"), _col(_("Average rating"), "average_rating"),
        _col(_("Rating score"), "rating_score"), _col(_("Yellow cards"), "yellow"), _col(_("Red cards"), "red"),
        _col(_("Open complaints"), "complaints_open"), _col(_("Complaints overdue"), "complaints_overdue"),
        _col(_("Score"), "score"),
        # The page shows these in the rectifications table, overdue cases in red.
        *(Column(header, lambda row, key=key: row["rectifications"][key], numeric=True, on_page=False) for header, key in (
            (_("Rectifications open"), "open"), (_("Rectifications overdue"), "overdue"),
            (_("Rectified in time this month"), "closed_in_time")))], rows)


def review_table(name: str, caption, reviews, supervisors: dict[int, list[str]]) -> Table:
    def owner(review):
        if review.assignee_id:
            return review.assignee.get_full_name()
        return _("Nobody yet (supervisors: %(names)s)") % {"names": ", ".join(supervisors.get(review.department_id, []))}

    return Table(name, caption, [
        Column(_("Reference"), lambda r: r.application.reference, False),
        # The name as the review's department sees it (approvals.need_to_know): blank where its
        # requirement does not list it.
        Column(_("Applicant"), lambda r: r.applicant_name, False),
        Column(_("Service"), lambda r: r.application.service.display_name, False),
        Column(_("Department"), lambda r: r.department.display_name, False),
        Column(_("Stage"), lambda r: r.stage, numeric=True),
        Column(_("Status"), lambda r: r.get_status_display(), False),
        Column(_("Clock started"), lambda r: r.started_on, False),
        Column(_("Due date"), lambda r: r.due_date, False),
        Column(_("Responsible"), owner, False),
    ], reviews)
