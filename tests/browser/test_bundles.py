"""One application for a life event, in Chromium: a 20-seat noodle shop without gas that plans a
sign applies for the restaurant bundle; each shared question is asked once, fire safety is not
routed, three permits are submitted under one reference; when the health bureau approves, the food
permit is issued while the others are still in review."""

import re

import pytest
from playwright.sync_api import expect

from approvals import workflow
from approvals.models import Application, ApplicationStatus, BundleApplication
from approvals.permit_flow import permit_render
from permits.models import Permit
from tests.browser.steps import sign_in
from tests.bundle_fixtures import BUNDLE_ANSWERS, demo_bundle
from tests.factories import PASSWORD, PDF_BYTES, UserFactory, officer

pytestmark = pytest.mark.django_db(transaction=True)

CHOSEN = {"taxpayer_type", "cuisine", "plans_sign", "uses_gas"}  # drawn as a list to choose from
FILES = {"floor_plan", "lease_contract", "sign_design"}


def form_names(page) -> list[str]:
    return page.eval_on_selector_all(
        'form[enctype="multipart/form-data"] [name]:not([type=hidden]):not(button)',
        "els => [...new Set(els.map(e => e.name))]")


def test_a_citizen_applies_once_for_the_permits_of_opening_a_restaurant(page, assert_accessible, live_server, settings,
                                                                        tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    demo_bundle()
    citizen = UserFactory(email="wang.fang@example.org", full_name="Wang Fang")

    page.goto("/")
    page.get_by_role("link", name="Open a restaurant — all permits in one application").click()
    expect(page.locator(".bundle-measure")).to_contain_text("22 questions, each asked once, instead of 32")
    expect(page.locator(".bundle-members")).to_contain_text("Only when Number of seats is more than 50 or Gas is used")
    assert_accessible(page)
    sign_in(page, email=citizen.email, password=PASSWORD)
    page.goto("/life-events/open-a-restaurant/")
    page.get_by_role("button", name="Start application").click()

    asked = []
    while "/check/" not in page.url:
        names = form_names(page)
        asked += names
        for name in names:
            field = page.locator(f'[name="{name}"]')
            if name in FILES:
                field.set_input_files({"name": f"{name}.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES})
            elif name in CHOSEN:
                field.select_option(BUNDLE_ANSWERS[name])
            elif name in BUNDLE_ANSWERS:
                field.fill(BUNDLE_ANSWERS[name])
        assert_accessible(page)
        page.get_by_role("button", name="Save and continue").click()
        expect(page.locator(".error-summary")).to_have_count(0)
    assert len(asked) == len(set(asked)), asked  # each shared question once
    assert "fire_escape_plan" not in asked and {"sign_text", "floor_plan", "uses_gas"} <= set(asked)

    expect(page.locator("#permit-fire-safety-check")).to_contain_text("not needed (Number of seats is 50 or less")
    expect(page.locator("#permit-food-operating-permit")).to_contain_text("reviewed by Public Health Bureau")
    assert_accessible(page)
    page.get_by_label(re.compile("^I declare that my answers are true")).check()
    page.get_by_role("button", name="Submit application").click()
    row = BundleApplication.objects.get()
    expect(page.locator(".bundle-reference")).to_have_text(row.reference)
    children = {c.service.slug: c for c in Application.objects.filter(bundle_application=row).select_related("service")}
    assert sorted(children) == ["food-operating-permit", "register-a-business", "renovate-a-shop-front"]
    assert {c.status for c in children.values()} == {ApplicationStatus.IN_REVIEW}
    assert not children["food-operating-permit"].reviews.filter(department__code="fire").exists()
    assert_accessible(page)

    # The health bureau approves the food permit: issued on its own, the others still in review.
    health = officer(children["food-operating-permit"].reviews.get().department)
    workflow.review_decide(review_id=children["food-operating-permit"].reviews.get().pk, actor=health, decision="approve")
    permit_render(permit_id=Permit.objects.get(application=children["food-operating-permit"]).pk)
    page.goto(f"/applications/bundles/{row.pk}/")
    expect(page.locator("#child-food-operating-permit")).to_contain_text("Permit issued")
    expect(page.locator("#child-register-a-business")).to_contain_text("In review")
    expect(page.locator("#child-renovate-a-shop-front")).to_contain_text("In review")
    # One timeline, in time order: each permit received, then the food permit approved and ready.
    items = page.locator(".bundle-timeline li")
    expect(items).to_have_count(5)
    assert [text.split(": ", 1)[1].split(" — ")[0] for text in items.all_inner_texts()] == [
        "Application received"] * 3 + ["Application approved", "Permit ready"]
    assert_accessible(page)
    page.goto("/applications/")
    expect(page.locator(".bundle-item")).to_have_count(1)
    expect(page.locator(".bundle-children-list li")).to_have_count(3)
    assert_accessible(page)
