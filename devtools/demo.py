"""The demo's upkeep and what `make run` tells a newcomer about it; ``manage.py seed_demo`` uses both.

Everything the summary says is read from the data: which citizen holds a permit, which
officer has reviews waiting or filings to acknowledge."""

import json
from collections import Counter

from django.conf import settings
from django.db.models import Count

from approvals.models import Application, ApplicationStatus, Filing, Review, ReviewStatus
from approvals.permit_flow import permit_render
from departments.models import Membership, MembershipRole
from permits.models import Permit, PermitStatus
from permits.rendering import DATA_ATTACHMENT, verify_url

RULE = "─" * 72
# What the accounts without a queue of their own are for.
PURPOSES = {
    "manager": "dashboards of every department, the monthly scorecard",
    "auditor": "the audit log and its chain check",
    "admin": "the administration (/admin/): catalogue, staff, API tokens",
    "finance": "the finance pages (/finance/): bank statements, payment issues, refunds",
}


def recorded_verify_url(permit: Permit) -> str | None:
    """The verification address the permit's file carries (its attached permit.json)."""
    from pypdf import PdfReader

    try:
        with permit.file.open("rb") as handle:
            document = PdfReader(handle).attachments.get(DATA_ATTACHMENT)
            return json.loads(document[0])["verify_url"] if document else None
    except (OSError, ValueError, KeyError):
        return None


def permits_readdress(applicant_emails) -> list[str]:
    """Render again the demo's permits whose QR code points at another address than SITE_URL
    (the demo was started before on another port). A permit that points here is left alone, so
    running it twice changes nothing. Returns the numbers of the permits rendered again."""
    again = []
    for permit in (Permit.objects.filter(application__applicant__email__in=applicant_emails,
                                         rendered_at__isnull=False).exclude(file="").order_by("pk")):
        if recorded_verify_url(permit) == verify_url(permit):
            continue
        # Unrendered again, the permit goes through the one renderer the worker uses; its
        # application is issued already, so nothing is announced twice.
        Permit.objects.filter(pk=permit.pk).update(rendered_at=None, render_claimed_at=None)
        permit_render(permit_id=permit.pk)
        again.append(permit.number)
    return again


def _citizen_line(email: str) -> str:
    applications = Application.objects.filter(applicant__email=email)
    statuses = Counter(dict(applications.values_list("status").annotate(n=Count("pk")).order_by()))
    parts = [f"permit {number} issued" for number in Permit.objects.filter(
        application__applicant__email=email, application__status=ApplicationStatus.ISSUED,
        status=PermitStatus.VALID).order_by("number").values_list("number", flat=True)]
    parts += [f"{statuses[status]} {label.lower()}" for status, label in ApplicationStatus.choices
              if statuses[status] and status != ApplicationStatus.ISSUED]
    return "; ".join(parts) or "no applications yet"


def summary(*, citizens: list[str], password: str, totp_secret: str) -> str:
    """The block `make run` prints once the portal answers: where it runs, and the demo
    accounts grouped by role, each with what it is good for, and how staff give their second
    factor."""
    waiting = dict(Review.objects.filter(status__in=(ReviewStatus.PENDING, ReviewStatus.IN_PROGRESS))
                   .values_list("department__code").annotate(n=Count("pk")).order_by())
    filings = dict(Filing.objects.filter(acknowledged_at__isnull=True).values_list("department__code")
                   .annotate(n=Count("pk")).order_by())
    officers = (Membership.objects.people().filter(role=MembershipRole.OFFICER,
                                                   department__code__in=set(waiting) | set(filings))
                .select_related("user", "department").order_by("department__code", "user__email"))
    others = [(f"{role}@demo.example.gov", purpose) for role, purpose in PURPOSES.items()]
    width = max(len(e) for e in [*citizens, *(m.user.email for m in officers), *dict(others)]) + 2
    lines = [RULE, f"Portal:   {settings.SITE_URL}/", f"Password of every demo account: {password}", "",
             "Citizens"]
    lines += [f"  {email:<{width}}{_citizen_line(email)}" for email in citizens]
    lines += ["  Registers (answered by the reference register service): Wang Fang runs the company 91110105MA01GD8N3Q,",
              "  Li Lei 91110105MA01HX2K7B; site address codes 1101050010000088 (commercial), 1101080020000003 (industrial)"]
    lines += ["Officers (one per department: officer.<department>@demo.example.gov), with work waiting"]
    for membership in officers:
        code, work = membership.department.code, []
        if n := waiting.get(code):
            work.append(f"{n} review{'s' if n != 1 else ''} waiting")
        if n := filings.get(code):
            work.append(f"{n} filing{'s' if n != 1 else ''} to acknowledge")
        lines.append(f"  {membership.user.email:<{width}}{'; '.join(work)}")
    lines += ["Supervisors (supervisor.<department>@demo.example.gov): extend due dates, revoke or re-issue permits",
              "Manager, auditor, administrator, finance officer"]
    lines += [f"  {email:<{width}}{purpose}" for email, purpose in others]
    lines += ["", "Staff confirm each sign-in with a code from an authenticator app. Add this key to one",
              f"(time-based): {totp_secret}",
              "or print the current code: .venv/bin/python manage.py totp_code <email>"]
    if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
        lines += ["", f"Mails (verification, password reset, notices) are written to {settings.EMAIL_FILE_PATH}/"]
    return "\n".join([*lines, RULE])
