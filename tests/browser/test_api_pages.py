"""The API's pages in real Chromium: the citizen's token page (axe-core on every state) and the
API docs rendering from the portal's own assets under its Content Security Policy."""

import pytest
from django.utils import timezone

from api.models import ApiToken
from tests.browser.steps import sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_citizen_creates_and_revokes_a_token(page, assert_accessible):
    citizen = UserFactory(email="token.owner@example.org", full_name="Token Owner")
    sign_in(page, email=citizen.email, password=PASSWORD)
    page.goto("/accounts/profile/")
    page.get_by_role("link", name="API tokens for apps that file applications for you").click()
    assert page.get_by_role("heading", name="API tokens", level=1).count() == 1
    assert_accessible(page)
    page.get_by_role("button", name="Create a token").click()
    assert page.get_by_role("alert").count() == 1  # a name is needed
    assert_accessible(page)
    page.get_by_label("Name of the app").fill("Family app")
    page.get_by_label("Read", exact=True).uncheck()
    page.get_by_label("File applications").uncheck()
    page.get_by_role("button", name="Create a token").click()
    page.get_by_role("link", name="Choose at least one scope.").click()  # the summary leads to the choice
    assert page.evaluate("document.activeElement.id") == "id_scope_read"
    assert_accessible(page)
    page.get_by_label("Name of the app").fill("Family app")
    page.get_by_label("Read", exact=True).check()
    page.get_by_label("Works for").select_option("90")
    page.get_by_label("Name of the app").press("Enter")
    token = ApiToken.objects.get(user=citizen)
    shown = page.locator("#new-token").inner_text()
    assert shown.startswith(f"pt_{token.prefix}_")
    assert (token.scopes, (token.expires_at - token.created_at).days) == (["read"], 90)
    expires = timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")
    assert page.get_by_role("cell", name=f"Expires on {expires}").count() == 1
    assert_accessible(page)
    page.get_by_role("button", name="Revoke Family app").click()
    assert page.get_by_role("cell", name="Revoked").count() == 1
    assert page.locator("#new-token").count() == 0
    assert_accessible(page)
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_api_docs_render_under_the_content_security_policy(chromium, live_server, settings):
    settings.ALLOWED_HOSTS = ["*"]
    context = chromium.new_context(base_url=live_server.url, locale="en-GB")  # CSP enforced
    errors = []
    try:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto("/api/docs/")
        page.locator(".swagger-ui .opblock").first.wait_for(timeout=20_000)
        assert page.locator(".swagger-ui .opblock").count() >= 20
    finally:
        context.close()
    assert [e for e in errors if "script" in e] == []
