"""Where a person goes after signing in.

``landing_url`` is the one place that decides the page a person lands on when nothing asked for
another one (the sign-in pages send them to the ``landing`` address, which asks it): a citizen
with something to do (a draft to finish, a correction to make, a permit to download) on My
applications, an officer or supervisor on the queue, a manager on the dashboard, an auditor on
the audit log, a finance officer on the day's payments, everyone else on the home page."""

from django.urls import reverse

from accounts.models import Role
from approvals.models import Application, ApplicationStatus

# Application states in which a citizen has something to do or to fetch.
CITIZEN_WORK_STATES = (ApplicationStatus.DRAFT, ApplicationStatus.NEEDS_CORRECTION, ApplicationStatus.ISSUED)

STAFF_LANDING = {
    Role.OFFICER: "departments:queue",
    Role.SUPERVISOR: "departments:queue",
    Role.MANAGER: "dashboards:dashboard",
    Role.AUDITOR: "audit:log",
    Role.FINANCE: "finance:day",
}


def citizen_has_work(user) -> bool:
    return Application.objects.filter(applicant=user, status__in=CITIZEN_WORK_STATES).exists()


def landing_url(user) -> str:
    """The page ``user`` lands on after signing in without an explicit ``next``."""
    if user.is_authenticated:
        if user.role in STAFF_LANDING:
            return reverse(STAFF_LANDING[user.role])
        if user.is_citizen and citizen_has_work(user):
            return reverse("approvals:my_applications")
    return reverse("home")
