"""Complaints in real Chromium. A citizen complains about their application; the health
department's supervisor answers; the citizen is not satisfied, so the complaint goes, once, to the
supervising office, whose named handler answers; the citizen is not satisfied again, and the
complaint closes without going further. Then every complaint page, the public's included, passes
axe-core in English and in Simplified Chinese."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from approvals import complaints
from approvals.complaint_links import confirm_token, follow_token
from approvals.models import Complaint, ComplaintStatus
from audit.models import Action, AuditEvent
from departments.models import Department
from tests.browser import steps
from tests.complaint_fixtures import application_grounds
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()


def answer(page, *, upheld: str, text: str):
    page.goto(reverse("departments:queue"))
    page.get_by_role("link", name="Complaints", exact=True).click()
    page.locator("#complaints").get_by_role("link").first.click()
    page.get_by_label(upheld).check()
    page.get_by_label("Your written answer to the complainant").fill(text)
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_text("Your answer was sent to the complainant.")).to_be_visible()


def not_satisfied(page, complaint, reason: str):
    page.goto(reverse("complaints:detail", args=[complaint.pk]))
    page.get_by_label("No", exact=True).check()
    page.get_by_label("If not, why not?").fill(reason)
    page.get_by_role("button", name="Send your verdict").click()
    expect(page.get_by_text("Thank you: your verdict was recorded.")).to_be_visible()


def test_a_complaint_is_answered_escalated_once_and_answered_by_the_office(page, assert_accessible, citizen,
                                                                         routed_application, officers, office):
    health = Department.objects.get(code="health")
    supervisor = officers["health_supervisor"]
    steps.sign_in(page, email=citizen.email, password=PASSWORD)
    page.goto(reverse("approvals:detail", args=[routed_application.pk]))
    page.get_by_role("link", name="Complain about this application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Complain about your application")
    page.get_by_label("Which department's handling is your complaint about?").select_option(str(health.pk))
    page.get_by_label("Slow handling").check()
    page.get_by_label("What happened?").fill("Nobody has looked at my application for five weeks.")
    button = page.get_by_role("button", name="Send your complaint")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Complaint C-2\d{3}-\d{6}$"))
    complaint = Complaint.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Complaint {complaint.reference}")
    expect(page.get_by_text(f"{supervisor.get_full_name()}, Health Bureau")).to_be_visible()
    page.goto(reverse("approvals:my_applications"))
    expect(page.locator("#complaints")).to_contain_text(complaint.reference)
    sign_out(page)

    steps.sign_in(page, email=supervisor.email, password=PASSWORD)
    answer(page, upheld="Not upheld", text="Your file was complete on 1 December; the decision followed.")
    sign_out(page)

    steps.sign_in(page, email=citizen.email, password=PASSWORD)
    not_satisfied(page, complaint, "It took five weeks, not ten days.")
    expect(page.get_by_text("Being handled by the supervising office")).to_be_visible()
    expect(page.get_by_text("Zhou Min, Government Service Supervision Office")).to_be_visible()
    sign_out(page)

    steps.sign_in(page, email=office.supervisor.email, password=PASSWORD)
    answer(page, upheld="Upheld: the complaint is justified", text="The department was late; it has been told so.")
    sign_out(page)

    steps.sign_in(page, email=citizen.email, password=PASSWORD)
    not_satisfied(page, complaint, "Nobody apologised.")
    expect(page.get_by_text("Closed", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Your verdict on the answer")).to_have_count(0)
    assert_accessible(page)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.upheld, complaint.handler_id) == (ComplaintStatus.CLOSED, True,
                                                                          office.supervisor.pk)
    assert [(a.level, a.satisfied) for a in complaint.answers.all()] == [(1, False), (2, False)]
    assert AuditEvent.objects.filter(action=Action.COMPLAINT_ESCALATED).count() == 1


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_complaint_page_passes_axe(page, assert_accessible, citizen, routed_application, officers, office,
                                         language, live_server):
    supervisor = officers["health_supervisor"]
    complaint = complaints.complaint_file(complainant=citizen, grounds=application_grounds(routed_application))
    complaints.complaint_answer(complaint_id=complaint.pk, actor=supervisor, text="It is decided now.", upheld=True)

    def visit(path, *, heading=None):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", language)
        if heading:
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_accessible(page)

    steps.sign_in(page, email=citizen.email, password=PASSWORD)
    visit(reverse("complaints:new") + f"?application={routed_application.pk}")
    visit(reverse("complaints:new"))
    visit(reverse("complaints:detail", args=[complaint.pk]))  # the verdict form
    visit(reverse("approvals:my_applications"))
    visit(reverse("approvals:detail", args=[routed_application.pk]))
    page.goto(reverse("complaints:new"))  # a problem: the error summary
    page.get_by_role("button").filter(has_text=re.compile("Send your complaint|提交投诉")).click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.context.clear_cookies()

    steps.sign_in(page, email=supervisor.email, password=PASSWORD)
    visit(reverse("departments:complaints") + "?tab=closed")
    visit(reverse("departments:complaint", args=[complaint.pk]))
    other = complaints.complaint_file(complainant=citizen, grounds=application_grounds(routed_application))
    visit(reverse("departments:complaints"))
    visit(reverse("departments:complaint", args=[other.pk]))  # the answer and hand-over forms
    page.context.clear_cookies()

    health = Department.objects.get(code="health")
    visit(reverse("complaints:public_new"))
    page.get_by_label(re.compile("Your e-mail address|您的邮箱地址")).fill("chen@example.net")
    page.locator("input[name=about][value=department]").check()
    page.locator("select[name=department_id]").select_option(str(health.pk))
    page.locator("input[name=category][value=slow]").check()
    page.locator("textarea[name=text]").fill("The queue at the counter took four hours.")
    page.locator("input[type=submit][name=complain]").click()
    expect(page).to_have_url(re.compile(reverse("complaints:public_sent")))
    public = Complaint.objects.get(complainant__isnull=True)
    assert_accessible(page)
    confirm = reverse("complaints:confirm", args=[confirm_token(public.pk)])
    visit(confirm)
    page.locator(f"form[action='{confirm}'] button").click()
    expect(page).to_have_url(re.compile(reverse("complaints:follow", args=[follow_token(public.pk)])))
    assert_accessible(page)
    visit(confirm)
    page.locator(f"form[action='{confirm}'] button").click()  # used already: the link's problem, said
    expect(page.locator("h1")).to_have_text({"en": "This link does not work", "zh-hans": "此链接无法使用"}[language])
    assert_accessible(page)
