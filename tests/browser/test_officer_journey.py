"""An officer's day in real Chromium: sign in, find the new application in the queue, open and
claim it, see only the department's fields, ask for a correction, and once the applicant has
answered approve with a condition using the keyboard alone; the other departments decide
through the engine and the permit row appears. axe-core checks the queue and the review page."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from approvals import consultation, workflow
from approvals.models import ReviewStatus
from audit.models import Action, AuditEvent
from permits.models import Permit
from tests.browser import steps
from tests.engine_fixtures import submitted_application
from tests.factories import PASSWORD, PDF_BYTES

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, email):
    steps.sign_in(page, email=email, password=PASSWORD)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(1)


def tab_to(page, predicate: str, limit: int = 200):
    """Press Tab until the focused element satisfies the JavaScript ``predicate`` on ``el``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({predicate}); }})()"):
            return
    raise AssertionError(f"Tab never reached an element with {predicate}")


def decide(application, code, officers, decision="approve", **kwargs):
    review = application.reviews.get(department__code=code)
    workflow.review_decide(review_id=review.pk, actor=officers[code], decision=decision, **kwargs)


def test_officer_reviews_asks_for_a_correction_and_approves(page, assert_accessible, restaurant, citizen, officers,
                                                            settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    application = submitted_application(restaurant, citizen)
    workflow.application_route(application_ids=[application.pk])
    review = application.reviews.get(department__code="health")
    consultation.message_send_by_citizen(application_id=application.pk, department_id=review.department_id,
                                         actor=citizen, body="Is the plan readable?")

    sign_in(page, officers["health"].email)
    page.goto(reverse("departments:queue"))
    link = page.get_by_role("link", name=application.reference)
    expect(link.first).to_be_visible()
    # The row: the business name, the day it arrived, and the applicant's unread message.
    row = page.get_by_role("row").filter(has=link.first)
    expect(row).to_contain_text("Golden Dragon")
    expect(row).to_contain_text("Less than a working day")
    expect(row.get_by_text("1 unread message from the applicant")).to_be_attached()
    assert_accessible(page)
    link.first.click()
    expect(page).to_have_url(re.compile(reverse("departments:review", args=[review.pk]) + "$"))
    expect(page.locator("h1")).to_contain_text(application.reference)
    # Once the messages have been on screen the page marks them read by itself.
    page.locator("#messages").scroll_into_view_if_needed()
    expect(page.get_by_role("button", name="Mark messages as read")).to_be_hidden()
    page.goto(reverse("departments:queue"))
    expect(page.get_by_text("1 unread message from the applicant")).to_have_count(0)  # seen: read
    page.goto(reverse("departments:review", args=[review.pk]))

    page.get_by_role("button", name="Claim this review").click()
    expect(page.get_by_text("You hold this review now.")).to_be_visible()
    assert_accessible(page)
    # Health's fields, and nothing of the fire department's.
    expect(page.get_by_text("Golden Dragon")).to_be_visible()
    expect(page.get_by_role("link", name="plan.pdf")).to_be_visible()
    expect(page.get_by_text("1 Harbour Road")).to_have_count(0)
    expect(page.get_by_text("Site address")).to_have_count(0)

    # Ask for a correction of the number of seats.
    page.get_by_label("Ask the applicant to correct").check()
    page.get_by_role("checkbox", name="Seats").check()
    page.get_by_label("Message to the applicant (if asking for a correction)").fill("How many seats exactly?")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    review.refresh_from_db()
    assert review.status == ReviewStatus.CORRECTION_REQUESTED and review.correction_fields == ["seats"]

    # Meanwhile the tax department approves, and the applicant answers the correction.
    decide(application, "tax", officers)
    workflow.application_resubmit(application_id=application.pk, actor=citizen, data={"seats": "45"})

    page.goto(reverse("departments:review", args=[review.pk]))
    expect(page.get_by_text("45", exact=True)).to_be_visible()
    # Back with the officer who asked: still theirs, nothing to claim.
    expect(page.get_by_role("button", name="Claim this review")).to_have_count(0)
    expect(page.get_by_role("button", name="Release to the queue")).to_be_visible()

    # The decision with the keyboard alone: Tab to "Approve", Space, Tab to the conditions, type,
    # Tab to the button, Enter.
    tab_to(page, "el.name === 'decision' && el.value === 'approve'")
    page.keyboard.press("Space")
    expect(page.get_by_role("radio", name="Approve")).to_be_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "conditions"
    page.keyboard.type("Keep the kitchen exhaust clean")
    tab_to(page, "el.name === 'decide'")
    page.keyboard.press("Enter")
    # Nothing is recorded before the officer checks it: back to the form keeps the text.
    expect(page.get_by_role("heading", name="Check your decision")).to_be_visible()
    assert_accessible(page)
    review.refresh_from_db()
    assert review.status == ReviewStatus.IN_PROGRESS
    page.get_by_role("button", name="Go back and change it").click()
    expect(page.get_by_label("Conditions (if approving)")).to_have_value("Keep the kitchen exhaust clean")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("#decision-summary")).to_contain_text("Keep the kitchen exhaust clean")
    page.get_by_role("button", name="Record this decision").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    review.refresh_from_db()
    assert review.status == ReviewStatus.APPROVED and review.conditions == "Keep the kitchen exhaust clean"

    # The rest of the departments, through the engine: registration (stage 1), then fire (stage 2).
    assert not Permit.objects.filter(application=application).exists()
    decide(application, "registration", officers)
    decide(application, "fire", officers)
    assert Permit.objects.filter(application=application).count() == 1
    # Every opening of the review within a minute of the last one recorded is the same visit.
    assert AuditEvent.objects.filter(action=Action.REVIEW_VIEWED, application_id=application.pk,
                                     department_code="health", purpose="review").count() >= 1


def test_supervisor_extends_and_shares_for_an_opinion(page, assert_accessible, restaurant, citizen, officers,
                                                     settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    application = submitted_application(restaurant, citizen)
    workflow.application_route(application_ids=[application.pk])
    review = application.reviews.get(department__code="health")

    sign_in(page, officers["health_supervisor"].email)
    page.goto(reverse("departments:review", args=[review.pk]))
    page.get_by_text("Extend the due date", exact=True).first.click()  # opens the <details>
    assert_accessible(page)
    new_due = review.due_date.replace(year=review.due_date.year + 1)
    page.get_by_label("New due date").fill(new_due.isoformat())
    page.get_by_label("Reason for the extension").fill("Waiting for a site inspection")
    page.get_by_role("button", name="Extend the due date").click()
    expect(page.get_by_text("The due date was extended.")).to_be_visible()
    expect(page.get_by_text("Waiting for a site inspection")).to_be_visible()

    page.get_by_label("Department to ask").select_option(label="Tax Bureau")
    page.get_by_label("Shared for (days)").fill("3")
    page.get_by_label("What would you like their opinion on?").fill("Is the business name registered for tax?")
    page.get_by_role("button", name="Share for an opinion").click()
    expect(page.get_by_text("The application is shared for an opinion.")).to_be_visible()
    expect(page.get_by_role("button", name="Revoke the share with Tax Bureau")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, officers["tax"].email)
    page.goto(reverse("departments:shared"))
    assert_accessible(page)
    page.get_by_role("link", name=application.reference).click()
    expect(page.get_by_text("Is the business name registered for tax?")).to_be_visible()
    expect(page.get_by_text("Golden Dragon")).to_be_visible()
    expect(page.get_by_text("1 Harbour Road")).to_have_count(0)
    expect(page.get_by_role("button", name="Record decision")).to_have_count(0)
    assert_accessible(page)

    # The department asked answers with a file; a plain officer of health reads it and downloads the file.
    page.get_by_label("Agree with conditions").check()
    page.get_by_label("Conditions", exact=True).fill("Register the name before opening.")
    page.get_by_label("Files (optional)").set_input_files(
        [{"name": "register extract.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}])
    page.get_by_role("button", name="Give the opinion (final)").click()
    expect(page.get_by_text("Your department's opinion was given.")).to_be_visible()
    expect(page.get_by_role("link", name="register extract.pdf")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, officers["health"].email)
    page.goto(reverse("departments:review", args=[review.pk]))
    expect(page.get_by_role("heading", name="Opinions of other departments")).to_be_visible()
    expect(page.get_by_text("Register the name before opening.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="register extract.pdf").click()
    assert download.value.suggested_filename == "register extract.pdf"
