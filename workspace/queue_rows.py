"""The rows of the queue table, built in Python.

A page has 50 rows, each with a reference link, its dates, a claim or release form and, for a
supervisor, a checkbox for the assignment form under the table. Through the template language a row cost about 0.3 ms
(some 50 nodes each resolved and escaped), about half of a supervisor's page at a million
reviews; f-strings with every value escaped build the same markup in a fraction of that. The
table's frame and headings stay in templates/departments/includes/queue_table.html."""

import html
from dataclasses import dataclass, field
from datetime import date

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from approvals.models import ApplicationKind, ReviewStatus
from core.i18n import translated

# Each route is reversed once per page with this stand-in id, which is then replaced per row.
PK_MARK = "2147483647"


def row_urls() -> dict[str, str]:
    return {name: reverse(f"departments:{name}", args=[PK_MARK]) for name in ("review", "claim", "release")}


def row_labels() -> dict[str, str]:
    """The rows' words in the page's language, translated once a page rather than a few times a
    row (a status's display name costs a choices lookup and a translation on every call)."""
    labels = {status: str(label) for status, label in ReviewStatus.choices}
    labels.update(claim=_("Claim"), release=_("Release"), red=_("Red card"), yellow=_("Yellow card"),
                  select=_("Select %(ref)s"), under_a_day=_("Less than a working day"),
                  bundle=_("part of bundle %(ref)s"))
    labels.update({f"kind:{kind}": str(label) for kind, label in ApplicationKind.choices})
    return labels


@dataclass(frozen=True)
class RowContext:
    """What every row of one page shares."""

    tab: str
    is_supervisor: bool
    many_departments: bool
    csrf_token: str
    here: str
    urls: dict
    labels: dict  # row_labels()
    service_names: dict  # service id → name, from the page's service filter
    department_names: dict  # department id → name, from the user's memberships
    today: date | None = None
    calendars: object = None  # the departments' working-day calendars (catalogue.calendar.Calendars)
    words: dict = field(default_factory=dict)  # per page: the words of a count, and working days per arrival day


def _e(value) -> str:
    """Escaped for HTML text and attribute values (what Django's escape does, without its lazy
    wrapper: some 30 values a row)."""
    return html.escape(str(value), quote=True)


def _url(page: RowContext, name: str, review) -> str:
    return page.urls[name].replace(PK_MARK, str(review.pk))


def _form(page: RowContext, review, action: str, body: str) -> str:
    return (f'<form method="post" action="{_e(_url(page, action, review))}">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{_e(page.csrf_token)}">'
            f'<input type="hidden" name="next" value="{_e(page.here)}">{body}</form>')


def _button(css: str, label: str, reference: str) -> str:
    return (f'<button class="btn btn-sm {css}" type="submit">{_e(label)}'
            f'<span class="visually-hidden"> {_e(reference)}</span></button>')


def _actions(page: RowContext, review) -> str:
    reference = review.application.reference
    parts = []
    if review.status == ReviewStatus.PENDING:
        parts.append(_form(page, review, "claim", _button("btn-primary", page.labels["claim"], reference)))
    elif review.can_release:
        parts.append(_form(page, review, "release", _button("btn-outline-secondary", page.labels["release"], reference)))
    return f'<div class="d-flex flex-wrap gap-2 align-items-center">{"".join(parts)}</div>'


def _when(page: RowContext, review) -> str:
    if page.tab == "decided":
        decided = date_format(timezone.localtime(review.decided_at).date(), "SHORT_DATE_FORMAT") if review.decided_at else ""
        return f"{decided} · {_e(page.labels[review.status])}"
    due = date_format(review.due_date, "SHORT_DATE_FORMAT") if review.due_date else "—"
    if review.red_at:
        return f'{due} <span class="badge text-bg-danger">{_e(page.labels["red"])}</span>'
    if review.yellow_at:
        return f'{due} <span class="badge text-bg-warning">{_e(page.labels["yellow"])}</span>'
    return due


def _counted(page: RowContext, kind: str, n: int) -> str:
    """A count in words, translated once a page per count. The messages are written out here, so
    makemessages finds them."""
    key = (kind, n)
    if key not in page.words:
        if kind == "working days":
            words = ngettext("%(n)d working day", "%(n)d working days", n)
        else:
            words = ngettext("%(n)d unread message from the applicant", "%(n)d unread messages from the applicant", n)
        page.words[key] = words % {"n": n}
    return page.words[key]


def _arrived(page: RowContext, review) -> str:
    """When the review came to the department (its latest arrival: a review back from a
    correction arrived again) and, while it is open, the working days it has waited since."""
    if not review.pending_since:
        return "—"
    day = timezone.localdate(review.pending_since)
    cell = f'<time datetime="{day.isoformat()}">{date_format(day, "SHORT_DATE_FORMAT")}</time>'
    if page.tab == "decided" or page.today is None:
        return cell
    key = ("waited", day, review.department_id)
    if key not in page.words:
        page.words[key] = page.calendars.of(review.department_id).working_days_between(day, page.today)
    waited = page.words[key]
    words = (_counted(page, "working days", waited) if waited
             else page.labels["under_a_day"])
    return f'{cell}<br><span class="small text-body-secondary">{_e(words)}</span>'


def _unread(page: RowContext, review) -> str:
    n = review.unread_messages
    if not n:
        return ""
    words = _counted(page, "unread", n)
    return (f' <span class="badge rounded-pill text-bg-primary" title="{_e(words)}">'
            f'<span aria-hidden="true">✉ {n}</span><span class="visually-hidden">{_e(words)}</span></span>')


def _row_notes(page: RowContext, application) -> str:
    """"part of bundle B-…" under a permit applied for with others in one application, and what
    a renewal or an amendment of a permit is."""
    kind = "" if application.kind == ApplicationKind.NEW else (
        f'<br><span class="small text-body-secondary application-kind">{_e(page.labels[f"kind:{application.kind}"])}</span>')
    bundle = application.bundle_application
    if bundle is None:
        return kind
    words = page.labels["bundle"] % {"ref": bundle.reference}
    return f'{kind}<br><span class="small text-body-secondary bundle-of">{_e(words)}</span>'


def queue_row(page: RowContext, review) -> str:
    application = review.application
    cells = []
    if page.is_supervisor:
        select = ""
        if review.supervised and review.assignable:
            label = page.labels["select"] % {"ref": application.reference}
            select = (f'<input class="form-check-input" type="checkbox" form="bulk-assign" name="review" '
                      f'value="{review.pk}" id="bulk-{review.pk}">'
                      f'<label class="visually-hidden" for="bulk-{review.pk}">{_e(label)}</label>')
        cells.append(f"<td>{select}</td>")
    cells.append(f'<th scope="row"><a href="{_e(_url(page, "review", review))}">{_e(application.reference)}</a>'
                 f'{_unread(page, review)}{_row_notes(page, application)}</th>')
    cells.append(f"<td>{_e(translated(page.service_names[application.service_id]))}</td>")
    business = f'<br><span class="small text-body-secondary">{_e(review.business_name)}</span>' if review.business_name else ""
    cells.append(f"<td>{_e(review.applicant_name)}{business}</td>")
    if page.many_departments:
        cells.append(f"<td>{_e(translated(page.department_names[review.department_id]))}</td>")
    cells.append(f"<td>{review.stage}</td>")
    cells.append(f"<td>{_arrived(page, review)}</td>")
    cells.append(f"<td>{_when(page, review)}</td>")
    cells.append(f"<td>{_e((review.assignee.full_name if review.assignee_id else '') or '—')}</td>")
    cells.append(f"<td>{_actions(page, review)}</td>")
    card = "card-red" if review.red_at else "card-yellow" if review.yellow_at else ""
    return f'<tr class="{card}">{"".join(cells)}</tr>'


def queue_rows(page: RowContext, reviews) -> SafeString:
    """The table body. Every value from the database or a translation goes through _e()."""
    return mark_safe("\n".join(queue_row(page, r) for r in reviews))  # noqa: S308 -- escaped above
