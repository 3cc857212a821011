"""Every link the portal mails or prints, opened by someone who has not signed in: a mail
scanner, a link preview, a QR reader, or the person before pressing anything. Opening one changes
nothing but the visitor's own session (a link's code or token moves there, out of the address
bar). What a link is for (confirming an address, choosing a password) takes the POST of the page
it opens, and so does signing in; a page for signed-in people sends the visitor to sign in."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import counter
from accounts.mail import registration_attempt_message, verification_message
from accounts.models import DocumentType
from api.expiry import api_token_expiry_warn
from api.models import TokenKind
from api.services import api_token_create
from approvals import sharing
from approvals.models import Notification, NotificationKind
from approvals.notifications import build_email
from approvals.permit_flow import permit_render
from permits.rendering import verify_url
from permits.tests.conftest import approve_all
from tests.client import PortalClient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)
LINK = re.compile(r"https?://\S+")


def links(message) -> list[str]:
    return LINK.findall(message.body)


def _verification(ctx):
    return links(verification_message(UserFactory(email="waiting@example.org", email_verified=False),
                                      next_url="/services/open-a-restaurant/"))


def _registration_attempt(ctx):
    return links(registration_attempt_message(ctx["citizen"]))


def _password_reset(ctx):
    PortalClient().post(reverse("accounts:password_reset"), {"email": ctx["citizen"].email})
    return []  # the mail's link


def _claim(ctx):
    """The claim link mailed to a walk-in, and the one printed on their letter."""
    desk, _secret = api_token_create(kind=TokenKind.FRONT_DESK, name="Counter 3")
    walk_in = counter.walk_in_register(
        desk=desk.user, desk_name="Counter 3", officer_name="Li Na", officer_staff_number="A1023", full_name="Zhao Min",
        document_type=DocumentType.RESIDENT_ID_CARD, document_number="110105 19491231 002x", phone="+86 10 6512 3456",
        email="zhao.min@example.org", claim_letter=True)
    return [walk_in.letter.url]  # and the mail's link


def _notifications(ctx):
    """To the applicant (their application, the correction asked for), to an officer (the review)
    and to a department asked for an opinion (the opinion page)."""
    application = ctx["submit"]()
    review = application.reviews.filter(stage=1).select_related("department").first()
    officer = ctx["officers"][review.department.code]
    share = sharing.application_share(review_id=review.pk, actor=ctx["officers"][f"{review.department.code}_supervisor"],
                                      department_id=ctx["officers"]["fire"].memberships.get().department_id, days=7,
                                      reason="Fire exits?")
    mails = [Notification(recipient=ctx["citizen"], kind=NotificationKind.SUBMITTED, application=application),
             Notification(recipient=ctx["citizen"], kind=NotificationKind.CORRECTION_REQUESTED,
                          application=application, review=review, params={"fields": ["seats"]}),
             Notification(recipient=officer, kind=NotificationKind.REVIEW_ROUTED, application=application,
                          review=review),
             Notification(recipient=ctx["officers"]["fire"], kind=NotificationKind.OPINION_OVERDUE,
                          application=application, params={"due_date": "2026-12-09", "share": share.pk})]
    return [url for n in mails for url in links(build_email(n))]


def _token_expiry(ctx):
    api_token_create(kind=TokenKind.CITIZEN, name="Family app", user=ctx["citizen"], lifetime_days=7)
    assert api_token_expiry_warn() == 1
    return []  # the mail's link


def _permit(ctx):
    """The address printed on a permit and in its QR code."""
    permit = approve_all(ctx["submit"](), ctx["officers"])
    assert permit_render(permit_id=permit.pk) == "rendered"
    permit.refresh_from_db()
    return [verify_url(permit)]


SOURCES = {
    "verification": (_verification, ["/accounts/verify/"]),
    "registration attempt": (_registration_attempt, ["/accounts/login/", "/accounts/password-reset/"]),
    "password reset": (_password_reset, ["/accounts/password-reset/"]),
    "claim (mail and letter)": (_claim, ["/accounts/claim/", "/accounts/claim/"]),
    "notifications": (_notifications, ["/applications/", "/applications/", "/officer/reviews/", "/officer/shared/"]),
    "API token expiry": (_token_expiry, ["/api/tokens/"]),
    "permit": (_permit, ["/permits/verify/"]),
}


@pytest.mark.parametrize("source", SOURCES)
def test_opening_a_mailed_or_printed_link_changes_nothing(source, submit, citizen, officers, settings,
                                                         django_capture_on_commit_callbacks):
    settings.SITE_URL = "http://testserver"
    make, prefixes = SOURCES[source]
    with django_capture_on_commit_callbacks(execute=True):
        urls = make({"submit": submit, "citizen": citizen, "officers": officers})
    urls += [url for message in mail.outbox for url in links(message)]
    paths = [urlsplit(url) for url in urls]
    assert len(paths) == len(prefixes), urls
    assert all(p.path.startswith(prefix) for p, prefix in zip(paths, prefixes, strict=True)), urls
    for path in paths:
        visitor = PortalClient()
        with CaptureQueriesContext(connection) as queries:
            response = visitor.get(f"{path.path}?{path.query}" if path.query else path.path, follow=True)
        assert response.status_code == 200, (path, response.redirect_chain)
        writes = [m.group(2) for q in queries.captured_queries if (m := WRITE.match(q["sql"]))]
        assert set(writes) <= {"django_session"}, (path.path, [q["sql"][:200] for q in queries.captured_queries
                                                               if WRITE.match(q["sql"])])
        assert "_auth_user_id" not in visitor.session
