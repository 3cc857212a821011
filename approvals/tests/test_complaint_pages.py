"""The complainant's pages: filing about an application (only one's own), the "Complaints" section
of My applications and the application's page, the verdict, and the public's complaint with its
confirmation link and rate limit."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import complaints
from approvals.complaint_links import confirm_token, follow_token
from approvals.complaint_mail import complaint_mail_send
from approvals.complaints import Grounds
from approvals.models import Complaint, ComplaintAbout, ComplaintCategory, ComplaintMail, ComplaintStatus
from audit.models import Action, AuditEvent
from departments.models import Department
from tests.complaint_fixtures import application_grounds
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def new_url(application=None):
    url = reverse("complaints:new")
    return f"{url}?application={application.pk}" if application else url


def test_a_citizen_complains_about_their_application_from_its_page(client, citizen, routed_application, office,
                                                                   officers):
    client.force_login(citizen)
    page = client.get(reverse("approvals:detail", args=[routed_application.pk])).content.decode()
    assert f'href="{new_url(routed_application)}"' in page.replace("&amp;", "&")
    health = Department.objects.get(code="health")
    response = client.post(new_url(routed_application), {
        "department_id": health.pk, "category": "slow", "text": "Nobody has looked at it for five weeks."})
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("complaints:detail", args=[complaint.pk])
    assert (complaint.application_id, complaint.handler_id) == (routed_application.pk, officers["health_supervisor"].pk)
    page = client.get(reverse("approvals:detail", args=[routed_application.pk])).content.decode()
    assert f"Complaint {complaint.reference}" in page
    detail = client.get(response["Location"]).content.decode()
    assert officers["health_supervisor"].get_full_name() in detail and "Answer due" in detail


def test_another_citizens_application_answers_404_saves_nothing_and_is_on_record(client, routed_application, office):
    stranger = UserFactory(email="stranger@example.org")
    client.force_login(stranger)
    health = Department.objects.get(code="health")
    for response in (client.get(new_url(routed_application)),
                     client.post(new_url(routed_application), {"department_id": health.pk, "category": "slow",
                                                               "text": "Nobody has looked at it for five weeks."})):
        assert response.status_code == 404
    assert Complaint.objects.count() == 0
    denied = AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=stranger)
    assert sorted(denied.values_list("object_type", "object_id")) == [
        ("application", str(routed_application.pk)), ("application", str(routed_application.pk))]
    assert client.get(new_url() + "?application=abc").status_code == 404


def test_bad_input_shows_every_problem_and_saves_nothing(client, citizen, office):
    client.force_login(citizen)
    response = client.post(new_url(), {"about": "officer", "department_id": "", "category": "", "text": "short"})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "department_id": ["This field is required."], "category": ["This field is required."]}
    health = Department.objects.create(code="health2", name={"en": "Health", "zh-hans": "卫生"})
    response = client.post(new_url(), {"about": "officer", "department_id": health.pk, "category": "conduct",
                                       "text": "short"})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "officer_name": ["Give the officer's name as you know it."],
        "text": ["Describe what happened in at least 20 characters."]}
    assert Complaint.objects.count() == 0


def answered(complaint, handler):
    complaints.complaint_answer(complaint_id=complaint.pk, actor=handler, text="It is decided now.", upheld=True)


def test_the_verdict_form_refuses_no_reason_and_a_second_verdict(client, citizen, routed_application, office, officers):
    complaint = complaints.complaint_file(complainant=citizen, grounds=application_grounds(routed_application))
    answered(complaint, officers["health_supervisor"])
    client.force_login(citizen)
    url = reverse("complaints:verdict", args=[complaint.pk])
    response = client.post(url, {"satisfied": "no", "reason": " "})
    assert response.status_code == 400
    assert response.context["verdict_form"].errors == {"reason": ["Tell us why you are not satisfied with the answer."]}
    response = client.post(url, {"satisfied": "no", "reason": "Five weeks."}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Thank you: your verdict was recorded."]
    assert Complaint.objects.get().status == ComplaintStatus.ESCALATED
    response = client.post(url, {"satisfied": "yes"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["You have already given your verdict on this answer."]
    assert Complaint.objects.get().answers.get().verdict_reason == "Five weeks."
    other = UserFactory(email="other@example.org")
    client.force_login(other)
    assert client.get(reverse("complaints:detail", args=[complaint.pk])).status_code == 404
    assert client.post(url, {"satisfied": "yes"}).status_code == 404


def test_my_applications_lists_complaints_in_a_constant_number_of_queries(client, citizen, office, officers):
    health = Department.objects.get(code="health")

    def file():
        complaint = complaints.complaint_file(complainant=citizen, grounds=Grounds(
            about=ComplaintAbout.DEPARTMENT, category=ComplaintCategory.SLOW, department_id=health.pk,
            text="The department never answers its telephone."))
        answered(complaint, office.supervisor)

    client.force_login(citizen)
    url = reverse("approvals:my_applications")
    file()
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        page = client.get(url).content.decode()
    assert page.count("Complaint C-") == 1
    file()
    with CaptureQueriesContext(connection) as two:
        page = client.get(url).content.decode()
    assert page.count("Complaint C-") == 2
    assert len(two) == len(one), [q["sql"] for q in two.captured_queries]


# --- The public --------------------------------------------------------------------------------------------


def public_data(department, email="chen@example.net"):
    return {"name": "Chen Jie", "email": email, "about": "department", "department_id": department.pk,
            "category": "slow", "text": "The queue at the counter took four hours."}


def test_a_public_complaint_is_confirmed_by_the_mailed_link_once_and_followed_by_another(client, office, officers,
                                                                                        mailoutbox):
    health = Department.objects.get(code="health")
    response = client.post(reverse("complaints:public_new"), public_data(health))
    assert response.status_code == 302 and response["Location"] == reverse("complaints:public_sent")
    complaint = Complaint.objects.get()
    assert complaint.status == ComplaintStatus.UNCONFIRMED
    complaint_mail_send(mail_id=ComplaintMail.objects.get().pk)
    link = re.search(r"http\S+/complaints/confirm/\S+/", mailoutbox[0].body)[0]
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200
    assert Complaint.objects.get().status == ComplaintStatus.UNCONFIRMED  # opening the link confirms nothing
    response = client.post("/" + path)
    assert response.status_code == 302
    assert response["Location"] == reverse("complaints:follow", args=[follow_token(complaint.pk)])
    assert Complaint.objects.get().status == ComplaintStatus.OPEN
    again = client.post("/" + path)
    assert again.status_code == 409 and "This link was used already" in again.content.decode()
    page = client.get(response["Location"]).content.decode()
    assert office.supervisor.get_full_name() in page

    answered(complaint, office.supervisor)
    verdict = reverse("complaints:follow_verdict", args=[follow_token(complaint.pk)])
    assert client.post(verdict, {"satisfied": "yes"}).status_code == 302
    assert Complaint.objects.get().status == ComplaintStatus.CLOSED
    assert client.get(reverse("complaints:follow", args=["1:forged"])).status_code == 404


def test_a_forged_or_expired_link_says_so(client, office, officers, time_machine):
    time_machine.move_to("2026-11-20 12:00 +0800", tick=False)
    health = Department.objects.get(code="health")
    complaint = complaints.complaint_file_public(name="", email="chen@example.net", language="en",
                                                 grounds=Grounds(about="department", category="slow",
                                                                 department_id=health.pk,
                                                                 text="The queue at the counter took four hours."))
    token = confirm_token(complaint.pk)
    forged = client.post(reverse("complaints:confirm", args=[token[:-3] + "abc"]))
    assert forged.status_code == 404 and "This confirmation link is not valid" in forged.content.decode()
    time_machine.move_to("2026-11-23 12:00 +0800", tick=False)
    expired = client.post(reverse("complaints:confirm", args=[token]))
    assert expired.status_code == 400 and "This confirmation link has expired" in expired.content.decode()
    assert Complaint.objects.get().status == ComplaintStatus.UNCONFIRMED


def test_the_public_form_is_rate_limited_per_address_mailed(client, office, officers, settings):
    settings.COMPLAINT_RATE_PER_EMAIL = "2/h"
    health = Department.objects.get(code="health")
    url = reverse("complaints:public_new")
    assert [client.post(url, public_data(health)).status_code for _ in range(3)] == [302, 302, 429]
    assert Complaint.objects.count() == 2
    assert client.post(url, public_data(health, email="other@example.net")).status_code == 302


def test_the_public_form_is_rate_limited_per_client_address(client, office, officers, settings):
    settings.COMPLAINT_RATE_PER_ADDRESS = "2/h"
    health = Department.objects.get(code="health")
    url = reverse("complaints:public_new")
    codes = [client.post(url, public_data(health, email=f"p{n}@example.net")).status_code for n in range(3)]
    assert codes == [302, 302, 429]
    limited = client.post(url, public_data(health, email="p9@example.net"))
    assert "We have sent nothing this time" in limited.content.decode()
    assert Complaint.objects.count() == 2
    assert len(mail.outbox) == 0  # mails go from the outbox after commit, by the worker


def test_the_public_form_never_takes_an_application(client, office, officers, routed_application):
    health = Department.objects.get(code="health")
    response = client.post(reverse("complaints:public_new"), {**public_data(health), "about": "application"})
    assert response.status_code == 400
    assert Complaint.objects.count() == 0
