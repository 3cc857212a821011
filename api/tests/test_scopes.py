"""Token scopes: each scope reaches exactly its endpoints (walked over every route of api/urls.py,
so an endpoint added without a scope fails here), the refusal's answer and audit, issuing with
scopes, and the schema naming each operation's scope."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from api import urls as api_urls
from api.models import ApiToken, Scope, TokenKind
from api.permissions import IsApplicantToken, IsDepartmentToken, IsFrontDeskToken
from api.scopes import ENDPOINT_SCOPES, KIND_SCOPES
from api.services import api_token_create
from api.tests.conftest import Api
from audit.models import Action, AuditEvent
from core.errors import ValidationFailed
from departments.models import Department

pytestmark = pytest.mark.django_db

# Routes that take no token (the schema, its docs, the catalogue and its fee quote, permit verification,
# a payment provider's signed notification, the 404
# of any other address) and the citizen's own pages (a signed-in session, not a token).
PUBLIC = {"schema", "docs", "services", "service", "service-fee-quote", "payment-notifications", "permit-verify",
          "permit-verify-code", "not-found"}
PAGES = {"tokens", "token-revoke", "consent-document"}
BEYOND_SCOPE = {"signature_required", "consent_required"}
KINDS_OF = {IsDepartmentToken: [TokenKind.DEPARTMENT], IsApplicantToken: [TokenKind.CITIZEN, TokenKind.FRONT_DESK],
            IsFrontDeskToken: [TokenKind.FRONT_DESK]}


def token_routes() -> list:
    routes = []
    for pattern in api_urls.urlpatterns:
        if pattern.name in PUBLIC | PAGES:
            continue
        view_class = pattern.callback.view_class
        for method in view_class.http_method_names:
            if method not in ("options", "head") and hasattr(view_class, method):
                routes.append(pytest.param(pattern, method.upper(), id=f"{method.upper()} {pattern.name}"))
    return routes


def scope_denials():
    return list(AuditEvent.objects.filter(action=Action.ACCESS_DENIED, details__reason="insufficient_scope")
                .order_by("id").values_list("object_id", "details"))


def issue(kind, scope, citizen):
    extra = {TokenKind.DEPARTMENT: {"department": Department.objects.get(code="tax")},
             TokenKind.CITIZEN: {"user": citizen}}.get(kind, {})
    return api_token_create(kind=kind, name=f"{kind} {scope}", scopes=[scope], **extra)


@pytest.mark.parametrize(("pattern", "method"), token_routes())
def test_each_scope_allows_exactly_its_endpoints(pattern, method, restaurant, citizen):
    view_class = pattern.callback.view_class
    required = ENDPOINT_SCOPES.get(view_class.__name__, {}).get(method)
    assert required is not None, f"{method} {pattern.name}: name its scope in api.scopes.ENDPOINT_SCOPES"
    kinds = [kind for permission in view_class.permission_classes for kind in KINDS_OF[permission]]
    assert kinds, f"{pattern.name} serves no kind of token"
    path = reverse(f"api:{pattern.name}", kwargs=dict.fromkeys(pattern.pattern.converters, "999999"))
    for kind in kinds:
        assert required in KIND_SCOPES[kind], f"a {kind} token can never hold {required}"
        for scope in KIND_SCOPES[kind]:
            token, clear = issue(kind, scope, citizen)
            before = scope_denials()
            response = getattr(Api(clear).client, method.lower())(path, {}, format="json")
            if scope == required:
                # Past the scope, a signed write asks for its signature, a check for the holder's consent.
                assert response.status_code not in (401, 403) or response.json()["error"]["code"] in BEYOND_SCOPE, (
                    kind, scope, response.json())
                assert scope_denials() == before
            else:
                assert response.status_code == 403, (kind, scope)
                assert response.json() == {"error": {
                    "code": "insufficient_scope", "message": f"This call needs a token with the {required} scope.",
                    "fields": {}}}
                assert scope_denials() == [*before, (path[:40], {"path": path, "reason": "insufficient_scope",
                                                                 "token": token.prefix, "scope": required})]


def test_the_refusal_is_audited_with_the_token_and_changes_nothing(restaurant, citizen, submit):
    application = submit()
    review = application.reviews.get(department__code="tax")
    token, clear = api_token_create(kind=TokenKind.DEPARTMENT, name="tax reader", scopes=["read"],
                                    department=Department.objects.get(code="tax"))
    reader = Api(clear)
    assert reader.get(f"/api/v1/reviews/{review.pk}/").status_code == 200
    response = reader.post(f"/api/v1/reviews/{review.pk}/decision/", {"decision": "approve"}, key="k1")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    review.refresh_from_db()
    assert (review.status, review.assignee_id) == ("pending", None)
    denied = AuditEvent.objects.get(action=Action.ACCESS_DENIED, details__reason="insufficient_scope")
    path = f"/api/v1/reviews/{review.pk}/decision/"
    assert (denied.actor_id, denied.actor_label, denied.object_type, denied.object_id, denied.details) == (
        token.user_id, token.label, "url", path[:40],
        {"path": path, "reason": "insufficient_scope", "token": token.prefix, "scope": "decide"})
    # A method the endpoint does not answer is still a 405, whatever the scopes.
    assert reader.post("/api/v1/reviews/", {}).status_code == 405


def test_a_kinds_tokens_get_all_its_scopes_unless_chosen(restaurant, citizen):
    department = Department.objects.get(code="tax")
    assert api_token_create(kind=TokenKind.DEPARTMENT, name="d", department=department)[0].scopes == [
        "read", "decide", "webhooks", "acknowledge", "certificates:write", "certificates:verify"]
    assert api_token_create(kind=TokenKind.CITIZEN, name="c", user=citizen)[0].scopes == ["read", "file"]
    assert api_token_create(kind=TokenKind.FRONT_DESK, name="f")[0].scopes == ["read", "file", "register"]
    # Chosen: kept in the table's order, duplicates once.
    chosen = api_token_create(kind=TokenKind.DEPARTMENT, name="d2", department=department,
                              scopes=["webhooks", "read", "webhooks"])[0]
    assert chosen.scopes == ["read", "webhooks"]


@pytest.mark.parametrize(("kind", "scopes", "message"), [
    (TokenKind.CITIZEN, ["decide"], "A token of this kind cannot have these scopes: decide."),
    (TokenKind.FRONT_DESK, ["webhooks", "read", "admin"], "A token of this kind cannot have these scopes: admin, webhooks."),
    (TokenKind.DEPARTMENT, ["register"], "A token of this kind cannot have these scopes: register."),
    (TokenKind.DEPARTMENT, [], "Choose at least one scope."),
])
def test_a_scope_outside_the_kind_is_refused_and_nothing_is_made(kind, scopes, message, restaurant, citizen):
    extra = {TokenKind.DEPARTMENT: {"department": Department.objects.get(code="tax")},
             TokenKind.CITIZEN: {"user": citizen}}.get(kind, {})
    with pytest.raises(ValidationFailed) as refused:
        api_token_create(kind=kind, name="x", scopes=scopes, **extra)
    assert refused.value.errors == {"scopes": [message]}
    assert ApiToken.objects.count() == 0


def test_create_api_token_takes_scopes(restaurant, capsys):
    call_command("create_api_token", "--department", "tax", "--scope", "read", "--scope", "webhooks")
    out, err = capsys.readouterr()
    token = ApiToken.objects.get()
    assert token.scopes == ["read", "webhooks"]
    assert f"Token {token.prefix} (tax system) created, scopes read, webhooks, works until " in err
    assert Api(out.strip()).get("/api/v1/webhooks/").status_code == 200
    assert Api(out.strip()).post("/api/v1/reviews/1/claim/").status_code == 403
    with pytest.raises(CommandError, match="A token of this kind cannot have these scopes: decide."):
        call_command("create_api_token", "--front-desk", "--scope", "decide")
    with pytest.raises(CommandError):  # not a scope at all: argparse refuses it
        call_command("create_api_token", "--front-desk", "--scope", "everything")
    assert ApiToken.objects.count() == 1


# The scope each token operation needs, as the schema states it.
SCHEMA_SCOPES = {
    ("/api/v1/reviews/", "get"): "read",
    ("/api/v1/reviews/{id}/", "get"): "read",
    ("/api/v1/reviews/{id}/attachments/{attachment_id}/", "get"): "read",
    ("/api/v1/reviews/{id}/opinions/", "get"): "read",
    ("/api/v1/reviews/{id}/opinions/files/{file_id}/", "get"): "read",
    ("/api/v1/reviews/{id}/claim/", "post"): "decide",
    ("/api/v1/reviews/{id}/decision/", "post"): "decide",
    ("/api/v1/reviews/{id}/messages/", "post"): "decide",
    ("/api/v1/filings/", "get"): "read",
    ("/api/v1/filings/{id}/", "get"): "read",
    ("/api/v1/filings/{id}/acknowledge/", "post"): "acknowledge",
    ("/api/v1/webhooks/", "get"): "webhooks",
    ("/api/v1/webhooks/", "post"): "webhooks",
    ("/api/v1/webhooks/{id}/", "get"): "webhooks",
    ("/api/v1/webhooks/{id}/", "delete"): "webhooks",
    ("/api/v1/webhooks/{id}/rotate-secret/", "post"): "webhooks",
    ("/api/v1/applications/", "get"): "read",
    ("/api/v1/applications/", "post"): "file",
    ("/api/v1/applications/{id}/", "get"): "read",
    ("/api/v1/applications/{id}/answers/", "post"): "file",
    ("/api/v1/applications/{id}/attachments/", "post"): "file",
    ("/api/v1/applications/{id}/submit/", "post"): "file",
    ("/api/v1/applications/{id}/corrections/", "post"): "file",
    ("/api/v1/applications/{id}/permit/", "get"): "read",
    ("/api/v1/applications/{id}/permit/cancellation/", "post"): "file",
    ("/api/v1/applications/{id}/permit/renewal/", "post"): "file",
    ("/api/v1/applications/{id}/permit/amendment/", "post"): "file",
    ("/api/v1/citizens/", "post"): "register",
    ("/api/v1/citizens/{id}/claim-letter/", "post"): "register",
    ("/api/v1/certificates/", "post"): "certificates:write",
    ("/api/v1/certificates/{type}/{number}/revoke/", "post"): "certificates:write",
    ("/api/v1/certificates/{type}/{number}/status/", "get"): "certificates:verify",
}


def test_the_schema_names_each_operations_scope(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    found, public = {}, []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if {} in operation.get("security", []):
                public.append(path)
                assert "x-required-scope" not in operation
                continue
            scope = operation["x-required-scope"]
            found[(path, method)] = scope
            assert operation["description"].endswith(f"Needs a token with the `{scope}` scope."), (path, method)
    assert found == SCHEMA_SCOPES
    assert sorted(public) == ["/api/v1/payments/notifications/{provider}/", "/api/v1/permits/{number}/verification/",
                              "/api/v1/permits/{number}/verification/{code}/", "/api/v1/services/",
                              "/api/v1/services/{slug}/", "/api/v1/services/{slug}/fee-quote/"]
    description = schema["components"]["securitySchemes"]["bearer"]["description"]
    for scope in Scope.values:
        assert f"- `{scope}`: " in description
    assert ("- Department system: `read`, `decide`, `webhooks`, `acknowledge`, `certificates:write`,"
            " `certificates:verify`" in description)
    assert "- Citizen: `read`, `file`" in description
    assert "- Front desk: `read`, `file`, `register`" in description
    assert "401 `token_expired`" in description
