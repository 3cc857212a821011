"""What the application page and "My applications" show of the rectifications of a bad rating:
each department's case (owner, deadline, state, what was done) and, once a case is closed, the
form to rate the service again."""

from approvals import rectification_selectors
from approvals.sla import local_today

from .rectification_forms import FollowUpForm


def rectification_context(application, user, *, invalid: FollowUpForm | None = None, invalid_case: int | None = None):
    cases = rectification_selectors.cases_for_citizen(user, [application.pk]).get(application.pk, [])
    for case in cases:
        if case.awaits_follow_up:
            case.follow_up_form = invalid if case.pk == invalid_case else FollowUpForm(case_id=case.pk)
    return {"rectifications": cases, "today": local_today()}


def with_rectifications(applications, user) -> None:
    """Give each application its cases (``rectification_cases``), read in one query."""
    cases = rectification_selectors.cases_for_citizen(user, [a.pk for a in applications])
    for application in applications:
        application.rectification_cases = cases.get(application.pk, [])
