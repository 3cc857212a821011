"""Starting an application the citizen has already started: the draft is offered, in English
and Chinese, and continuing it opens the page that needs answers."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from approvals import workflow
from approvals.models import Application, ApplicationStatus
from catalogue.models import Service
from catalogue.tests.conftest import DEMO
from tests.browser.steps import sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def draft(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_catalogue", str(DEMO), verbosity=0)
    service = Service.objects.get(slug="open-a-restaurant")
    citizen = UserFactory(email="li.na@example.org", full_name="Li Na")
    application = workflow.application_start(applicant=citizen, service=service, answers={
        "legal_representative": "Li Na", "contact_phone": "+86 138 0000 0001"})
    Application.objects.filter(pk=application.pk).update(created_at=timezone.now() - timedelta(days=2))
    return application


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_start_offers_the_draft(page, assert_accessible, live_server, draft, language):
    sign_in(page, email="li.na@example.org", password=PASSWORD)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.goto(f"/services/{draft.service.slug}/")
    page.locator(f'form[action="/applications/start/{draft.service.slug}/"] button[type="submit"]').click()
    page.wait_for_url(re.compile(rf"/applications/start/{draft.service.slug}/$"))
    heading = {"en": "You have already started this application", "zh-hans": "您已开始办理此申请"}[language]
    expect(page.locator("h1")).to_have_text(heading)
    assert_accessible(page)
    page.locator(f'a[href="/applications/{draft.pk}/continue/"]').click()
    page.wait_for_url(re.compile(rf"/applications/{draft.pk}/step/2/"))
    assert Application.objects.filter(applicant=draft.applicant, status=ApplicationStatus.DRAFT).count() == 1
