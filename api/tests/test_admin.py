"""The admin's API tokens: expiry and scopes in the list, the expiry filter, and issuing a token
for a department system or a front desk (a fresh second factor; shown once)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.second_factor import FRESH_AT
from api.models import ApiToken, TokenKind
from api.services import api_token_create
from api.tests.conftest import Api
from audit.models import Action, AuditEvent
from departments.models import Department

pytestmark = pytest.mark.django_db

LIST = "/admin/api/apitoken/"
ADD = "/admin/api/apitoken/add/"


def names_listed(response) -> list[str]:
    return sorted(str(token.name) for token in response.context["cl"].result_list)


def test_the_list_shows_expiry_and_scopes_and_filters_by_expiry(admin_client, citizen):
    api_token_create(kind=TokenKind.CITIZEN, name="year", user=citizen)
    api_token_create(kind=TokenKind.CITIZEN, name="fortnight", user=citizen, lifetime_days=14, scopes=["read"])
    ended, _ = api_token_create(kind=TokenKind.FRONT_DESK, name="ended", lifetime_days=1)
    ApiToken.objects.filter(pk=ended.pk).update(created_at=timezone.now() - timedelta(days=2),
                                                expires_at=timezone.now() - timedelta(days=1))
    page = admin_client.get(LIST)
    assert page.status_code == 200
    headers = [str(header["text"]) for header in page.context["result_headers"]]
    assert headers[1:] == ["name", "prefix", "kind", "department", "acts as", "scopes", "created", "expires",
                           "last used", "revoked"]
    html = page.content.decode()
    assert '<td class="field-scope_list">Read, File applications, Register walk-in citizens</td>' in html
    assert '<td class="field-scope_list">Read</td>' in html
    assert names_listed(admin_client.get(LIST + "?expiry=expired")) == ["ended"]
    assert names_listed(admin_client.get(LIST + "?expiry=soon")) == ["fortnight"]
    assert names_listed(admin_client.get(LIST + "?expiry=valid")) == ["fortnight", "year"]


def test_an_admin_issues_a_shorter_lived_narrower_token_shown_once(admin_client, admin_user, restaurant):
    form = admin_client.get(ADD)
    assert form.status_code == 200
    assert list(form.context["adminform"].form.fields) == ["kind", "department", "name", "lifetime_days", "scopes"]
    assert form.context["adminform"].form["lifetime_days"].initial == 365
    tax = Department.objects.get(code="tax")
    page = admin_client.post(ADD, {"kind": "department", "department": tax.pk, "name": "Tax reporting",
                                   "lifetime_days": "90", "scopes": ["read"]})
    assert page.status_code == 200
    token = ApiToken.objects.get()
    clear = page.context["clear"]
    assert clear.startswith(f"pt_{token.prefix}_") and clear in page.content.decode()
    assert (token.kind, token.department, token.name, token.scopes, token.created_by) == (
        "department", tax, "Tax reporting", ["read"], admin_user)
    assert token.expires_at - token.created_at == timedelta(days=90)
    assert page["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    created = AuditEvent.objects.get(action=Action.API_TOKEN_CREATED)
    assert (created.actor_id, created.details["scopes"]) == (admin_user.pk, ["read"])
    assert clear not in admin_client.get(f"{LIST}{token.pk}/change/").content.decode()
    reader = Api(clear)
    assert reader.get("/api/v1/reviews/").status_code == 200
    assert reader.get("/api/v1/webhooks/").status_code == 403

    desk = admin_client.post(ADD, {"kind": "front_desk", "name": "Counter 3", "lifetime_days": "365"})
    desk_token = ApiToken.objects.get(kind=TokenKind.FRONT_DESK)
    assert desk.status_code == 200 and desk_token.scopes == ["read", "file", "register"]
    assert desk_token.department is None


@pytest.mark.parametrize(("data", "errors"), [
    ({"kind": "department", "name": "x", "lifetime_days": "366"},
     {"lifetime_days": ["Ensure this value is less than or equal to 365."]}),
    ({"kind": "department", "name": "x", "lifetime_days": "0"},
     {"lifetime_days": ["Ensure this value is greater than or equal to 1."]}),
    ({"kind": "department", "name": "x", "lifetime_days": "30"}, {"department": ["Choose the department."]}),
    ({"kind": "front_desk", "name": "x", "lifetime_days": "30", "scopes": ["read", "decide"]},
     {"scopes": ["A token of this kind cannot have these scopes: decide."]}),
    ({"kind": "citizen", "name": "x", "lifetime_days": "30"},
     {"kind": ["Select a valid choice. citizen is not one of the available choices."]}),
])
def test_what_cannot_be_issued_is_said_on_its_field(admin_client, restaurant, data, errors):
    page = admin_client.post(ADD, data)
    assert page.status_code == 200
    assert page.context["adminform"].form.errors == errors
    assert ApiToken.objects.count() == 0


def test_issuing_asks_for_a_fresh_second_factor(admin_client, restaurant):
    session = admin_client.session
    session[FRESH_AT] -= 11 * 60
    session.save()
    response = admin_client.post(ADD, {"kind": "front_desk", "name": "Counter 3", "lifetime_days": "30"})
    assert response.status_code == 302 and response.url.startswith("/accounts/confirm/?next=")
    assert ApiToken.objects.count() == 0
    # Listing and revoking stay as they were.
    token, _ = api_token_create(kind=TokenKind.FRONT_DESK, name="Counter 4")
    assert admin_client.get(LIST).status_code == 200
    admin_client.post(LIST, {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_at <= timezone.now()
