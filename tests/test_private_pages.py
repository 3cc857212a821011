"""The pages, files and API answers that hold personal data or a secret shown once.

No cache keeps them (portal.cache_headers): every response to a signed-in person, to a request
with a token, to a session that holds something (a claim code, an identity waiting to be linked),
and every file download carries Django's never-cache headers. Public pages for anonymous visitors
and static files stay cacheable.

Opening them writes nothing but the record of the access (and, at most once a minute, the
session's or the token's last activity): marking something read takes a POST of its own."""

import re
from functools import cached_property, partial
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.mail import verification_url
from accounts.models import Role
from api.models import TokenKind
from api.services import api_token_create
from approvals import consultation, opinions, sharing, workflow
from approvals.models import Attachment, OpinionAttachment
from approvals.permit_flow import permit_render
from permits.tests.conftest import approve_all
from tests.client import PortalClient
from tests.factories import PDF_BYTES, UserFactory, officer, seating_service, wallet_certificate
from tests.rectification_fixtures import case_of, rate_badly

pytestmark = pytest.mark.django_db

NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"
WALK_IN = {
    "full_name": "Zhao Min", "document_type": "resident_id_card", "document_number": "110105 19491231 002x",
    "phone": "+86 10 6512 3456", "officer_name": "Li Na", "officer_staff_number": "A1023", "claim_letter": True,
}


class World:
    """What the pages need, made when a case first asks for it."""

    def __init__(self, submit, citizen, officers, admin_user):
        self.submit, self.citizen, self.officers, self.admin_user = submit, citizen, officers, admin_user

    @cached_property
    def application(self):
        application = self.submit()
        health = self.review("health", application)
        # Unread messages on both sides, each with its notification: opening a page leaves them unread.
        consultation.message_send_by_citizen(application_id=application.pk, department_id=health.department_id,
                                             actor=self.citizen, body="Is the plan readable?")
        consultation.message_send_by_department(review_id=health.pk, actor=self.officers["health"], body="It is.")
        return application

    @cached_property
    def permit(self):
        permit = approve_all(self.submit(), self.officers)
        assert permit_render(permit_id=permit.pk) == "rendered"
        permit.refresh_from_db()
        return permit

    @cached_property
    def evidence(self):
        """Urban management's review of outdoor seating, relying on the citizen's restaurant permit."""
        seating, _restaurant = seating_service()
        wallet_certificate(self.citizen, number="RP-2026-000042")
        application = workflow.application_start(applicant=self.citizen, service=seating,
                                                 answers={"business_name": "Golden Dragon", "outdoor_seats": "12"})
        workflow.application_submit(application_id=application.pk, actor=self.citizen)
        workflow.application_route(application_ids=[application.pk])
        return application.reviews.select_related("department").get(department__code="urban")

    def review(self, code="health", application=None):
        return (application or self.application).reviews.get(department__code=code)

    @cached_property
    def attachment(self) -> Attachment:
        return self.application.attachments.get()

    @cached_property
    def opinion_file(self) -> OpinionAttachment:
        """A file tax gave with its opinion on health's review."""
        share = sharing.application_share(review_id=self.review().pk, actor=self.officers["health_supervisor"],
                                          department_id=self.review("tax").department_id, days=7, reason="The name?")
        opinions.opinion_give(share_id=share.pk, actor=self.officers["tax"], verdict="agree",
                              files=[SimpleUploadedFile("extract.pdf", PDF_BYTES)])
        return OpinionAttachment.objects.get(opinion__share=share)

    @cached_property
    def rectification(self):
        """A case health's supervisor owns: the applicant rated a rejection 1."""
        return case_of(rate_badly(self.submit, self.officers, self.citizen), "health")

    def signed_in(self, user) -> PortalClient:
        client = PortalClient()
        client.force_login(user)
        return client

    def citizen_client(self):
        return self.signed_in(self.citizen)

    def staff(self, key="health"):
        return self.signed_in(self.officers[key])

    def with_role(self, role):
        return self.signed_in(UserFactory(email=f"{role}@example.gov", role=role))

    def api(self, kind, **owner) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(kind=kind, name='tests', **owner)[1]}")
        return client

    def department_api(self, code="health"):
        return self.api(TokenKind.DEPARTMENT, department=self.review(code).department)

    def citizen_api(self):
        return self.api(TokenKind.CITIZEN, user=self.citizen)

    def desk_api(self):
        return self.api(TokenKind.FRONT_DESK)


def _walk_in(w):
    desk = w.desk_api()
    return partial(desk.post, "/api/v1/citizens/", WALK_IN, format="json")


def _registered_walk_in(w):
    desk = w.desk_api()
    registered = desk.post("/api/v1/citizens/", WALK_IN, format="json")
    assert registered.status_code == 201, registered.content
    return desk, registered.json()


def _new_claim_letter(w):
    desk, registered = _registered_walk_in(w)
    return partial(desk.post, reverse("api:citizen-claim-letter", args=[registered["id"]]))


def _claim_page(w):
    """Anonymous, but the session holds the letter's code and the page names the person."""
    _desk, registered = _registered_walk_in(w)
    client = PortalClient()
    assert client.get(registered["claim_letter"]["url"]).url == reverse("accounts:claim")
    return partial(client.get, reverse("accounts:claim"))


def _opinions_read(w):
    """Health's system reads the opinion tax gave on its review."""
    assert w.opinion_file
    return partial(w.department_api().get, reverse("api:review-opinions", args=[w.review().pk]))


def _verification_path() -> str:
    return urlsplit(verification_url(UserFactory(email="waiting@example.org", email_verified=False))).path


def _verification_button(w):
    """Anonymous, but the session holds the mailed link's token and the page names the address."""
    client = PortalClient()
    assert client.get(_verification_path()).url == reverse("accounts:verify_confirm")
    return partial(client.get, reverse("accounts:verify_confirm"))


# Each case prepares a request (signing in, making what it shows) and returns it, to be sent.
PRIVATE = {
    # The citizen's pages and files.
    "home (signed in)": lambda w: partial(w.citizen_client().get, reverse("home")),
    "approvals:my_applications": lambda w: partial(w.citizen_client().get, reverse("approvals:my_applications")),
    "approvals:detail": lambda w: partial(w.citizen_client().get, reverse("approvals:detail", args=[w.application.pk])),
    "approvals:notifications": lambda w: partial(w.citizen_client().get, reverse("approvals:notifications")),
    "approvals:who_viewed": lambda w: partial(w.citizen_client().get, reverse("approvals:who_viewed")),
    "approvals:attachment": lambda w: partial(
        w.citizen_client().get, reverse("approvals:attachment", args=[w.application.pk, w.attachment.pk])),
    "approvals:receipt": lambda w: partial(w.citizen_client().get, reverse("approvals:receipt", args=[w.application.pk])),
    "accounts:profile": lambda w: partial(w.citizen_client().get, reverse("accounts:profile")),
    "permits:download": lambda w: partial(w.citizen_client().get, reverse("permits:download", args=[w.permit.number])),
    "api:tokens": lambda w: partial(w.citizen_client().get, reverse("api:tokens")),
    "api:tokens (the new token, shown once)": lambda w: partial(w.citizen_client().post, reverse("api:tokens"),
                                                                 {"name": "Family app", "scopes": ["read"]}),
    "404 (signed in)": lambda w: partial(w.citizen_client().get, "/no-such-page/"),
    # The officer workspace.
    "departments:queue": lambda w: partial(w.staff().get, reverse("departments:queue")),
    "departments:review": lambda w: partial(w.staff().get, reverse("departments:review", args=[w.review().pk])),
    "departments:attachment": lambda w: partial(
        w.staff().get, reverse("departments:attachment", args=[w.review().pk, w.attachment.pk])),
    "departments:shared": lambda w: partial(w.staff().get, reverse("departments:shared")),
    "departments:opinion_file": lambda w: partial(w.staff().get, reverse(
        "departments:opinion_file", args=[w.opinion_file.opinion.share_id, w.opinion_file.pk])),
    "departments:certificate": lambda w: partial(
        w.signed_in(officer(w.evidence.department)).get,
        reverse("departments:certificate", args=[w.evidence.pk, "restaurant_permit"])),
    "approvals:notifications (an officer)": lambda w: partial(w.staff().get, reverse("approvals:notifications")),
    "departments:rectifications": lambda w: partial(w.staff("health_supervisor").get,
                                                     reverse("departments:rectifications")),
    "departments:rectification": lambda w: partial(
        w.staff("health_supervisor").get, reverse("departments:rectification", args=[w.rectification.pk])),
    "dashboards:appraisal": lambda w: partial(w.staff("health_supervisor").get,
                                              reverse("dashboards:appraisal", args=["health"])),
    "dashboards:officer_appraisal (their own)": lambda w: partial(
        w.staff().get, reverse("dashboards:officer_appraisal", args=["health", w.officers["health"].pk])),
    "permits:manage_list": lambda w: partial(w.staff("registration_supervisor").get, reverse("permits:manage_list")),
    "permits:manage": lambda w: partial(
        w.staff("registration_supervisor").get, reverse("permits:manage", args=[w.permit.number])),
    # Dashboards, the audit log, the administration site.
    "dashboards:dashboard": lambda w: partial(w.with_role(Role.MANAGER).get, reverse("dashboards:dashboard")),
    "dashboards:export": lambda w: partial(
        w.with_role(Role.MANAGER).get, reverse("dashboards:export", args=["scorecard"]), {"month": "2026-11"}),
    "audit:log": lambda w: partial(w.with_role(Role.AUDITOR).get, reverse("audit:log")),
    "audit:export": lambda w: partial(w.with_role(Role.AUDITOR).get, reverse("audit:export")),
    "departments:attachment_original": lambda w: partial(
        w.with_role(Role.AUDITOR).get, reverse("departments:attachment_original", args=[w.attachment.pk])),
    "departments:opinion_file_original": lambda w: partial(
        w.with_role(Role.AUDITOR).get, reverse("departments:opinion_file_original", args=[w.opinion_file.pk])),
    "admin:index": lambda w: partial(w.signed_in(w.admin_user).get, reverse("admin:index")),
    "admin:accounts_user_change": lambda w: partial(
        w.signed_in(w.admin_user).get, reverse("admin:accounts_user_change", args=[w.citizen.pk])),
    # The API: personal data, files and secrets shown once.
    "api:reviews": lambda w: partial(w.department_api().get, reverse("api:reviews")),
    "api:review": lambda w: partial(w.department_api().get, reverse("api:review", args=[w.review().pk])),
    "api:review-attachment": lambda w: partial(
        w.department_api().get, reverse("api:review-attachment", args=[w.review().pk, w.attachment.pk])),
    "api:review-opinions": _opinions_read,
    "api:review-opinion-file": lambda w: partial(w.department_api().get, reverse(
        "api:review-opinion-file", args=[w.review().pk, w.opinion_file.pk])),
    "api:applications": lambda w: partial(w.citizen_api().get, reverse("api:applications")),
    "api:application": lambda w: partial(w.citizen_api().get, reverse("api:application", args=[w.application.pk])),
    "api:application-permit": lambda w: partial(
        w.citizen_api().get, reverse("api:application-permit", args=[w.permit.application_id])),
    "api:citizens (a claim letter, shown once)": _walk_in,
    "api:citizen-claim-letter": _new_claim_letter,
    "api:reviews (a wrong token)": lambda w: partial(APIClient().get, reverse("api:reviews"),
                                                     HTTP_AUTHORIZATION="Bearer pt_wrong_token"),
    # Anonymous, yet personal: the claim of a front desk's account, the public check of a permit
    # (the holder's name; a revocation shows at once).
    "accounts:claim": _claim_page,
    # Opening the mailed verification link (a mail scanner may, before the person) only checks it
    # and keeps its token in the session; the button's page names the address.
    "accounts:verify": lambda w: partial(PortalClient().get, _verification_path()),
    "accounts:verify_confirm": _verification_button,
    "permits:verify": lambda w: partial(PortalClient().get, reverse("permits:verify", args=[w.permit.number])),
}
STATUS = {"404 (signed in)": 404, "api:citizens (a claim letter, shown once)": 201, "api:citizen-claim-letter": 201,
          "api:reviews (a wrong token)": 401, "accounts:verify": 302}


@pytest.fixture
def world(submit, citizen, officers, admin_user):
    return World(submit, citizen, officers, admin_user)


@pytest.mark.parametrize("case", PRIVATE)
def test_no_cache_keeps_a_private_response(world, case):
    response = PRIVATE[case](world)()
    assert response.status_code == STATUS.get(case, 200), (response.status_code, getattr(response, "url", ""))
    assert response["Cache-Control"] == NO_STORE


PUBLIC = {
    "home": lambda w: PortalClient().get(reverse("home")),
    "search": lambda w: PortalClient().get(reverse("search"), {"q": "restaurant"}),
    "service_detail": lambda w: PortalClient().get(reverse("service_detail", args=[w.application.service.slug])),
    "page_accessibility": lambda w: PortalClient().get(reverse("page_accessibility")),
    "permits:verify_start": lambda w: PortalClient().get(reverse("permits:verify_start")),
    "api:services": lambda w: APIClient().get(reverse("api:services")),
}


@pytest.mark.parametrize("case", PUBLIC)
def test_public_pages_for_anonymous_visitors_stay_cacheable(world, case):
    response = PUBLIC[case](world)
    assert response.status_code == 200
    assert not response.has_header("Cache-Control")
    assert "Cookie" in response["Vary"]  # a signed-in person's copy of the same address is never served from it


def test_static_files_stay_cacheable(client, citizen):
    client.force_login(citizen)  # whoever asks: a static file holds nothing of theirs
    response = client.get("/static/js/portal.js")
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"] and "private" not in response["Cache-Control"]


WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)
# What opening a page may write: the record of the access, and, at most once a minute, the
# session's or the API token's last activity.
MAY_WRITE = {"audit_auditevent", "django_session", "api_apitoken"}
GETS = [case for case in PRIVATE if PRIVATE[case].__name__ != "_walk_in" and "shown once" not in case
        and "claim-letter" not in case]


@pytest.mark.parametrize("case", GETS)
def test_opening_a_page_writes_nothing_but_its_access_record(world, case):
    send = PRIVATE[case](world)
    with CaptureQueriesContext(connection) as queries:
        response = send()
    assert response.status_code == STATUS.get(case, 200)
    writes = [m.group(2) for q in queries.captured_queries if (m := WRITE.match(q["sql"]))]
    assert set(writes) <= MAY_WRITE, [q["sql"][:200] for q in queries.captured_queries if WRITE.match(q["sql"])]
    assert writes.count("audit_auditevent") <= 1
