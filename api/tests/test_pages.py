"""Constant query counts on the API's lists, and the citizen's API tokens page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.models import ApiToken, TokenKind
from api.services import api_token_create
from api.tests.conftest import Api
from audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


def queries(api, path) -> int:
    api.get(path)  # the token's first use of the minute also records last_used_at
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_review_list_costs_the_same_for_n_and_n_plus_1(dept_api, submit):
    _, tax = dept_api["tax"]
    submit()
    submit()
    n = queries(tax, "/api/v1/reviews/")
    submit()
    assert queries(tax, "/api/v1/reviews/") == n
    assert len(tax.get("/api/v1/reviews/").json()["results"]) == 3


def test_application_list_costs_the_same_for_n_and_n_plus_1(citizen_api, submit):
    submit()
    submit()
    n = queries(citizen_api, "/api/v1/applications/")
    submit()
    assert queries(citizen_api, "/api/v1/applications/") == n
    assert len(citizen_api.get("/api/v1/applications/").json()["results"]) == 3


def test_review_pages_follow_the_cursor(dept_api, submit):
    _, tax = dept_api["tax"]
    ids = [submit().reviews.get(department__code="tax").pk for _ in range(3)]
    first = tax.get("/api/v1/reviews/?page_size=2").json()
    second = tax.get(first["next"]).json()
    assert [r["id"] for r in first["results"]] + [r["id"] for r in second["results"]] == ids
    assert second["next"] is None


def test_citizen_makes_sees_once_and_revokes_a_token(client, citizen, restaurant):
    client.force_login(citizen)
    profile = client.get("/accounts/profile/")
    assert b'href="/api/tokens/"' in profile.content
    assert client.post("/api/tokens/", {"name": ""}).status_code == 400
    page = client.post("/api/tokens/", {"name": "Family app", "scopes": ["read", "file"]})
    assert page.status_code == 200
    token = ApiToken.objects.get(user=citizen)
    clear = page.context["new_token"]
    assert token.kind == TokenKind.CITIZEN and clear.startswith(f"pt_{token.prefix}_")
    assert clear.encode() in page.content
    listing = client.get("/api/tokens/")
    assert clear.encode() not in listing.content and f"pt_{token.prefix}".encode() in listing.content
    api = Api(clear)
    assert api.get("/api/v1/applications/").status_code == 200
    assert client.post(f"/api/tokens/{token.pk}/revoke/").status_code == 302
    assert api.get("/api/v1/applications/").status_code == 401
    assert AuditEvent.objects.filter(action=Action.API_TOKEN_REVOKED, actor=citizen).count() == 1


def test_citizen_chooses_what_a_token_may_do_and_how_long_it_works(client, citizen, restaurant):
    client.force_login(citizen)
    form = client.get("/api/tokens/").content.decode()
    assert '<input class="form-check-input" type="checkbox" name="scopes" value="read" id="id_scope_read" ' \
           'aria-describedby="id_scope_read_help" checked>' in form
    assert [(days, label) for days, label in client.get("/api/tokens/").context["lifetime_choices"]] == [
        (30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "365 days")]
    assert '<option value="365" selected>365 days</option>' in form

    page = client.post("/api/tokens/", {"name": "Permit viewer", "scopes": ["read"], "lifetime_days": "30"})
    token = ApiToken.objects.get(user=citizen)
    assert (token.scopes, token.expires_at - token.created_at) == (["read"], timedelta(days=30))
    expires = timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")
    assert f"It works until {expires}." in page.content.decode()
    listing = client.get("/api/tokens/").content.decode()
    assert "<td>Read</td>" in listing and f"<td>Expires on {expires}</td>" in listing
    assert Api(page.context["new_token"]).post("/api/v1/applications/", {"service": "open-a-restaurant"}).status_code == 403

    for data, field, message in (
        ({"name": "x", "lifetime_days": "30"}, "scopes", "Choose at least one scope."),
        ({"name": "x", "scopes": ["read", "decide"]}, "scopes", "A token of this kind cannot have these scopes: decide."),
        ({"name": "x", "scopes": ["read"], "lifetime_days": "999"}, "lifetime_days",
         "Give a number of days from 1 to 365."),
    ):
        refused = client.post("/api/tokens/", data)
        assert refused.status_code == 400 and refused.context["errors"] == {field: [message]}
        anchor = "#id_scope_read" if field == "scopes" else "#id_lifetime_days"
        assert f'<li><a href="{anchor}">{message}</a></li>' in refused.content.decode()
    assert ApiToken.objects.count() == 1


def test_an_expired_token_shows_as_expired(client, citizen, citizen_token, time_machine):
    token, _ = citizen_token
    client.force_login(citizen)
    assert b"Revoke my phone" in client.get("/api/tokens/").content
    time_machine.move_to(token.expires_at + timedelta(minutes=1))
    client.force_login(citizen)
    page = client.get("/api/tokens/").content.decode()
    assert "<td>Expired</td>" in page and "Revoke my phone" not in page


def test_nobody_revokes_anothers_token(client, citizen, restaurant, officers):

    theirs, _ = api_token_create(kind=TokenKind.CITIZEN, name="x", user=citizen)
    other = officers["tax"]
    client.force_login(other)
    assert client.get("/api/tokens/").status_code == 404
    assert client.post(f"/api/tokens/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_schema_and_docs_are_served_locally(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/reviews/{id}/decision/" in paths and "/api/v1/applications/" in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs.content
    assert b"cdn" not in docs.content.lower()
