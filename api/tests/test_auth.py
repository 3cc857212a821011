"""Who may call what: the auth and scope matrix, need to know, and the audit of every read."""

import pytest
from django.core.management import call_command
from rest_framework.settings import api_settings

from api.models import ApiToken, TokenKind
from api.services import api_token_create, api_token_revoke, token_digest
from api.tests.conftest import Api, department_token, signed_consent
from api.throttles import PublicRateThrottle, TokenRateThrottle
from approvals.models import Application
from audit.models import Action, AuditEvent
from core.errors import ValidationFailed
from departments.models import Department
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOT_AUTHENTICATED = "not_authenticated"


def error_of(response):
    return response.json()["error"]


@pytest.mark.parametrize("header", [
    None, "Bearer", "Bearer pt_unknown_token", "Token pt_x", "Bearer pt_a pt_b", "Basic dXNlcjpwYXNz",
    "Bearer not-a-portal-token",
])
def test_missing_malformed_or_unknown_token_is_401_in_the_error_shape(restaurant, header):
    api = Api()
    if header is not None:
        api.client.credentials(HTTP_AUTHORIZATION=header)
    for path in ("/api/v1/reviews/", "/api/v1/applications/"):
        response = api.get(path)
        assert response.status_code == 401, (path, header)
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
        assert body["error"]["code"] == NOT_AUTHENTICATED
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_revoked_token_is_401_at_once(dept_api, submit):
    token, api = dept_api["tax"]
    assert api.get("/api/v1/reviews/").status_code == 200
    api_token_revoke(token_id=token.pk)
    response = api.get("/api/v1/reviews/")
    assert response.status_code == 401
    assert error_of(response)["code"] == NOT_AUTHENTICATED
    assert AuditEvent.objects.filter(action=Action.API_TOKEN_REVOKED, object_id=str(token.pk)).count() == 1


def test_token_of_a_deactivated_account_is_401(citizen, citizen_api):
    citizen.is_active = False
    citizen.save(update_fields=["is_active"])
    assert citizen_api.get("/api/v1/applications/").status_code == 401


def test_kinds_reach_only_their_endpoints(dept_api, citizen_api, desk_token, submit):
    application = submit()
    review = application.reviews.get(department__code="tax")
    desk = Api(desk_token[1])
    _, tax = dept_api["tax"]
    assert tax.get("/api/v1/applications/").status_code == 403
    assert tax.post("/api/v1/applications/", {"service": "open-a-restaurant"}).status_code == 403
    for api in (citizen_api, desk):
        assert api.get("/api/v1/reviews/").status_code == 403
        assert api.get(f"/api/v1/reviews/{review.pk}/").status_code == 403
        assert api.post(f"/api/v1/reviews/{review.pk}/claim/").status_code == 403
        assert api.get("/api/v1/webhooks/").status_code == 403
    assert error_of(citizen_api.get("/api/v1/reviews/"))["code"] == "forbidden"


def test_review_of_another_department_is_404_and_audited(dept_api, submit):
    application = submit()
    fire_review = application.reviews.get(department__code="fire")
    token, tax = dept_api["tax"]
    before = application.reviews.values_list("pk", "status", "version").order_by("pk")
    before = list(before)
    for method, path in (("get", f"/api/v1/reviews/{fire_review.pk}/"),
                         ("post", f"/api/v1/reviews/{fire_review.pk}/claim/"),
                         ("post", f"/api/v1/reviews/{fire_review.pk}/decision/"),
                         ("post", f"/api/v1/reviews/{fire_review.pk}/messages/")):
        response = getattr(tax, method)(path, **({"data": {"decision": "approve", "body": "hi"}} if method == "post" else {}))
        assert response.status_code == 404, path
        assert error_of(response) == {"code": "not_found", "message": "Not found.", "fields": {}}
    assert list(application.reviews.values_list("pk", "status", "version").order_by("pk")) == before
    denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED, object_type="review", object_id=str(fire_review.pk))
    assert denied.count() == 4
    assert set(denied.values_list("actor_id", flat=True)) == {token.user_id}
    assert tax.get("/api/v1/reviews/999999999/").status_code == 404


def test_department_list_shows_only_its_reviews(dept_api, submit):
    first, second = submit(), submit()
    _, tax = dept_api["tax"]
    body = tax.get("/api/v1/reviews/").json()
    tax_ids = sorted(r.pk for a in (first, second) for r in a.reviews.filter(department__code="tax"))
    assert sorted(r["id"] for r in body["results"]) == tax_ids
    assert {r["application_id"] for r in body["results"]} == {first.pk, second.pk}
    assert body["next"] is None


def test_review_detail_has_need_to_know_fields_only_and_is_audited(dept_api, submit):
    application = submit()
    token, tax = dept_api["tax"]
    review = application.reviews.get(department__code="tax")
    body = tax.get(f"/api/v1/reviews/{review.pk}/").json()
    assert [a["key"] for a in body["answers"]] == ["business_name"]
    assert body["answers"][0]["value"] == "Golden Dragon"
    assert body["attachments"] == []
    # Tax's requirement lists the whole identity; the restaurant's form asks for no phone and
    # no identity document, and the citizen gave neither (test_review_identity.py).
    assert body["applicant"] == {"full_name": "Wang Fang", "email": "wang.fang@example.org"}
    assert sorted(o["department"] for o in body["other_reviews"]) == ["fire", "health", "registration"]
    viewed = AuditEvent.objects.get(action=Action.REVIEW_VIEWED, object_id=str(review.pk))
    assert viewed.actor_id == token.user_id
    assert viewed.actor_label == f"API token {token.prefix} (tax system)"
    assert viewed.subject_id == application.applicant_id
    assert viewed.department_code == "tax"
    assert viewed.details == {"token": token.prefix}

    _, health = dept_api["health"]
    review = application.reviews.get(department__code="health")
    body = health.get(f"/api/v1/reviews/{review.pk}/").json()
    assert [a["key"] for a in body["answers"]] == ["business_name", "seats", "floor_plan"]
    [attachment] = body["attachments"]
    assert attachment["field_key"] == "floor_plan"
    download = health.get(attachment["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action=Action.ATTACHMENT_VIEWED, object_id=str(attachment["id"])).count() == 1
    # The tax department may not download the health department's file.
    tax_review = application.reviews.get(department__code="tax")
    assert tax.get(f"/api/v1/reviews/{tax_review.pk}/attachments/{attachment['id']}/").status_code == 404


def test_another_citizens_application_is_404(citizen_api, submit, restaurant):
    other = UserFactory(email="li.lei@example.org", full_name="Li Lei")
    theirs = submit(applicant=other)
    for path in (f"/api/v1/applications/{theirs.pk}/", f"/api/v1/applications/{theirs.pk}/permit/"):
        assert citizen_api.get(path).status_code == 404
    assert citizen_api.post(f"/api/v1/applications/{theirs.pk}/submit/").status_code == 404
    assert citizen_api.post(f"/api/v1/applications/{theirs.pk}/answers/", {"answers": {"seats": 2}}).status_code == 404
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, object_id=str(theirs.pk)).count() == 4
    assert citizen_api.get("/api/v1/applications/").json()["results"] == []


def test_front_desk_files_for_a_citizen_and_sees_only_its_filings(citizen, desk_token, submit, restaurant):
    token, clear = desk_token
    desk = Api(clear)
    response = desk.post("/api/v1/applications/", {"service": "open-a-restaurant", "applicant_email": "WANG.FANG@example.org",
                                                    "answers": {"business_name": "Counter Café"},
                                                    "consent": signed_consent()})
    assert response.status_code == 201, response.json()
    filed = response.json()
    assert filed["answers"] == {"business_name": "Counter Café"}

    application = Application.objects.get(pk=filed["id"])
    assert application.applicant_id == citizen.pk
    own = submit()  # the citizen's own, not filed by the desk
    assert desk.get(f"/api/v1/applications/{own.pk}/").status_code == 404
    assert [a["id"] for a in desk.get("/api/v1/applications/").json()["results"]] == [application.pk]
    unknown = desk.post("/api/v1/applications/", {"service": "open-a-restaurant", "applicant_email": "nobody@example.org",
                                                  "consent": signed_consent()})
    assert unknown.status_code == 400
    assert error_of(unknown)["fields"] == {"applicant_email": ["No citizen account has this email address."]}
    # The desk's read of the citizen's data is on record, naming the token.
    viewed = AuditEvent.objects.filter(action=Action.APPLICATION_VIEWED, application_id=application.pk)
    assert viewed.count() == 1 and viewed.get().actor_label == token.label


def test_citizen_cannot_file_for_someone_else(citizen_api, restaurant):
    response = citizen_api.post("/api/v1/applications/", {"service": "open-a-restaurant", "applicant_email": "x@example.org"})
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"applicant_email": ["Only a front desk files for someone else."]}


def test_public_endpoints_need_no_token(restaurant):
    api = Api()
    services = api.get("/api/v1/services/").json()
    assert services == [{"slug": "open-a-restaurant", "name": "Open a restaurant", "life_event": "Starting a business",
                         "version": restaurant.current_version_id}]
    detail = api.get("/api/v1/services/open-a-restaurant/").json()
    assert [f["key"] for f in detail["fields"]] == ["business_name", "cuisine", "seats", "site_address",
                                                    "floor_plan"]
    assert [(r["department"], r["stage"], r["time_limit_working_days"]) for r in detail["reviews"]] == [
        ("registration", 1, 3), ("health", 1, 5), ("tax", 1, 2), ("fire", 2, 5)]
    assert detail["fields"][2]["rules"] == {"min": 1, "max": 2000}
    assert api.get("/api/v1/services/nothing-here/").status_code == 404
    assert api.get("/api/v1/permits/P-2026-000001/verification/").status_code == 404


def test_public_endpoints_are_rate_limited(restaurant, settings):
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "public": "3/min"}
    PublicRateThrottle.THROTTLE_RATES = rates
    try:
        api = Api()
        codes = [api.get("/api/v1/services/").status_code for _ in range(5)]
    finally:
        PublicRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert codes == [200, 200, 200, 429, 429]


def test_a_forged_forwarded_for_does_not_escape_the_public_rate_limit(restaurant, settings):
    """A new X-Forwarded-For on every request once made each one a new client to DRF; the address
    is the portal's one rule (accounts.client_ip), so only the proxy's word counts."""
    PublicRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, "public": "3/min"}
    try:
        api = Api()
        direct = [api.get("/api/v1/services/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(5)]
        # Behind one proxy: the client's own entries on the left are ignored, the proxy's one is counted.
        settings.PROXY_COUNT = 1
        proxied = [api.get("/api/v1/services/", REMOTE_ADDR="10.0.0.2",
                           HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.9").status_code for n in range(5)]
        other = api.get("/api/v1/services/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.10").status_code
    finally:
        PublicRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert direct == [200, 200, 200, 429, 429]
    assert proxied == [200, 200, 200, 429, 429]
    assert other == 200


def test_throttling_is_per_token(dept_api, restaurant):
    TokenRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, "token": "2/min"}
    try:
        _, tax = dept_api["tax"]
        _, fire = dept_api["fire"]
        tax_codes = [tax.get("/api/v1/reviews/").status_code for _ in range(3)]
        fire_codes = [fire.get("/api/v1/reviews/").status_code for _ in range(2)]
        limited = tax.get("/api/v1/reviews/")
    finally:
        TokenRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert tax_codes == [200, 200, 429]
    assert fire_codes == [200, 200]
    assert error_of(limited)["code"] == "throttled" and int(limited["Retry-After"]) > 0


def test_create_api_token_prints_it_once_and_stores_only_its_digest(restaurant, capsys):
    call_command("create_api_token", "--department", "tax", "--name", "Tax case system")
    out, err = capsys.readouterr()
    clear = out.strip()
    token = ApiToken.objects.get(kind=TokenKind.DEPARTMENT)
    assert clear.startswith(f"pt_{token.prefix}_") and len(clear) > 40
    assert token.digest == token_digest(clear) and clear not in (token.digest, token.prefix)
    assert token.name == "Tax case system" and token.department.code == "tax"
    assert "shown only now" in err
    assert Api(clear).get("/api/v1/reviews/").status_code == 200
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No department has the code 'nope'"):
        call_command("create_api_token", "--department", "nope")


def test_citizen_token_needs_a_citizen(officers):

    with pytest.raises(ValidationFailed):
        api_token_create(kind=TokenKind.CITIZEN, name="x", user=officers["tax"])
    token, _ = department_token("tax")
    assert token.user.memberships.get().department.code == "tax"
    assert not token.user.has_usable_password()


def test_a_department_tokens_account_is_recorded_as_a_staff_change(restaurant):
    admin = UserFactory(email="root@example.gov", role="admin")
    token, _ = api_token_create(kind=TokenKind.DEPARTMENT, name="Tax case system", department=Department.objects.get(code="tax"),
                                created_by=admin)
    account = token.user
    assert list(AuditEvent.objects.filter(action__in=[Action.ROLE_CHANGED, Action.MEMBERSHIP_CHANGED]).order_by("id")
                .values_list("action", "actor_id", "object_id", "department_code", "details")) == [
        (Action.ROLE_CHANGED, admin.pk, str(account.pk), "", {
            "before": None, "after": {"role": "officer", "is_staff": False, "is_superuser": False}}),
        (Action.MEMBERSHIP_CHANGED, admin.pk, str(account.pk), "tax", {"before": {}, "after": {"tax": "officer"}}),
    ]
