"""Complaints in the workspace: who sees which (404 for anyone else, on record), the answer and
the handing over, every opening audited for the citizen's "who viewed my data", and the queue's
query count."""

import pytest
from django.urls import reverse

from approvals import complaints
from approvals.complaints import Grounds
from approvals.models import Complaint, ComplaintAbout, ComplaintAnswer, ComplaintCategory, ComplaintStatus
from approvals.selectors import who_viewed_page
from audit.models import Action, AuditEvent
from departments.models import Department
from tests.complaint_fixtures import application_grounds

from .queue_helpers import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed(citizen, routed_application, office):
    return complaints.complaint_file(complainant=citizen, grounds=application_grounds(routed_application))


def test_the_handler_sees_answers_and_the_opening_is_on_the_citizens_record(client, filed, officers, citizen):
    supervisor = officers["health_supervisor"]
    client.force_login(supervisor)
    queue = client.get(reverse("departments:complaints")).content.decode()
    assert filed.reference in queue
    page = client.get(reverse("departments:complaint", args=[filed.pk]))
    assert page.status_code == 200 and page.context["answer_form"] is not None
    viewed, = AuditEvent.objects.filter(action=Action.COMPLAINT_VIEWED)
    assert (viewed.actor_id, viewed.subject_id, viewed.application_id, viewed.purpose, viewed.department_code) == (
        supervisor.pk, citizen.pk, filed.application_id, "complaint", "health")
    access, = [a for a in who_viewed_page(citizen).object_list if a.action == "Opened your complaint to handle it"]
    assert (access.staff_name, access.purpose) == (supervisor.full_name, "Handling your complaint")

    url = reverse("departments:complaint_answer", args=[filed.pk])
    response = client.post(url, {"upheld": "no", "text": "  "})
    assert response.status_code == 400
    assert response.context["answer_form"].errors == {"text": ["This field is required."]}
    assert ComplaintAnswer.objects.count() == 0
    response = client.post(url, {"upheld": "no", "text": "Your file was complete."}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Your answer was sent to the complainant."]
    assert Complaint.objects.get().status == ComplaintStatus.ANSWERED
    response = client.post(url, {"upheld": "no", "text": "Once more."}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["This complaint is answered already."]
    assert ComplaintAnswer.objects.count() == 1


def test_staff_of_another_department_get_404_and_are_on_record(client, filed, officers):
    tax_supervisor = officers["tax_supervisor"]
    client.force_login(tax_supervisor)
    assert filed.reference not in client.get(reverse("departments:complaints")).content.decode()
    for response in (client.get(reverse("departments:complaint", args=[filed.pk])),
                     client.post(reverse("departments:complaint_answer", args=[filed.pk]),
                                 {"upheld": "yes", "text": "Not ours but fine."}),
                     client.post(reverse("departments:complaint_reassign", args=[filed.pk]),
                                 {"handler": tax_supervisor.pk})):
        assert response.status_code == 404
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=tax_supervisor,
                                     object_type="complaint").count() == 3
    assert (ComplaintAnswer.objects.count(), Complaint.objects.get().handler_id) == (
        0, officers["health_supervisor"].pk)


def test_an_officer_who_does_not_handle_it_gets_404_a_citizen_too(client, filed, officers, citizen):
    client.force_login(officers["health"])
    assert client.get(reverse("departments:complaint", args=[filed.pk])).status_code == 404
    client.force_login(citizen)
    assert client.get(reverse("departments:complaint", args=[filed.pk])).status_code == 404


def test_a_supervisor_hands_it_to_a_colleague_who_then_answers(client, filed, officers):
    client.force_login(officers["health_supervisor"])
    response = client.post(reverse("departments:complaint_reassign", args=[filed.pk]), {"handler": officers["health"].pk})
    assert response.status_code == 302
    page = client.get(reverse("departments:complaint", args=[filed.pk]))
    assert page.context["answer_form"] is None and page.context["reassign_form"] is not None
    client.force_login(officers["health"])
    assert client.post(reverse("departments:complaint_answer", args=[filed.pk]),
                       {"upheld": "yes", "text": "We apologise."}).status_code == 302
    assert Complaint.objects.get().answers.get().answered_by_id == officers["health"].pk


def test_the_supervising_office_sees_the_escalated_complaint(client, filed, officers, office, citizen):
    complaints.complaint_answer(complaint_id=filed.pk, actor=officers["health_supervisor"], text="Fine.", upheld=False)
    complaints.complaint_verdict(complaint_id=filed.pk, actor=citizen, satisfied=False, reason="Not fine.")
    client.force_login(office.supervisor)
    assert filed.reference in client.get(reverse("departments:complaints")).content.decode()
    client.force_login(officers["health_supervisor"])  # answered it: still reads it, no longer answers
    page = client.get(reverse("departments:complaint", args=[filed.pk]))
    assert page.status_code == 200 and page.context["answer_form"] is None
    assert filed.reference not in client.get(reverse("departments:complaints")).content.decode()
    assert filed.reference in client.get(reverse("departments:complaints") + "?tab=closed").content.decode()


def test_the_supervisor_keeps_sight_of_what_a_colleague_answered_once_it_goes_on(client, filed, officers, citizen):
    complaints.complaint_reassign(complaint_id=filed.pk, actor=officers["health_supervisor"],
                                  handler_id=officers["health"].pk)
    complaints.complaint_answer(complaint_id=filed.pk, actor=officers["health"], text="Fine.", upheld=False)
    complaints.complaint_verdict(complaint_id=filed.pk, actor=citizen, satisfied=False, reason="Not fine.")
    client.force_login(officers["health_supervisor"])
    page = client.get(reverse("departments:complaint", args=[filed.pk]))
    assert page.status_code == 200 and page.context["answer_form"] is None and page.context["reassign_form"] is None
    closed = client.get(reverse("departments:complaints") + "?tab=closed").content.decode()
    assert closed.count(filed.reference) == 1  # once, however many answers match
    client.force_login(officers["tax_supervisor"])
    assert client.get(reverse("departments:complaint", args=[filed.pk])).status_code == 404


def test_the_complaints_queue_costs_the_same_for_one_and_two(client, citizen, office, officers):
    health = Department.objects.get(code="health")

    def file():
        complaints.complaint_file(complainant=citizen, grounds=Grounds(
            about=ComplaintAbout.OFFICER, category=ComplaintCategory.CONDUCT, department_id=health.pk,
            officer_name="Somebody", text="The officer was rude to me at the counter."))

    client.force_login(officers["health_supervisor"])
    url = reverse("departments:complaints")
    file()
    one = count_queries(client, url)
    file()
    two = count_queries(client, url)
    assert len(two) == len(one), [q["sql"] for q in two.captured_queries]
    assert client.get(url).content.decode().count("C-20") == 2


def test_the_first_answerer_finds_the_escalated_complaint_from_their_notifications(client, filed, officers, citizen,
                                                                                  office):
    supervisor = officers["health_supervisor"]
    complaints.complaint_answer(complaint_id=filed.pk, actor=supervisor, text="It is decided.", upheld=False)
    complaints.complaint_verdict(complaint_id=filed.pk, actor=citizen, satisfied=False, reason="It took five weeks.")
    client.force_login(supervisor)
    listing = client.get(reverse("approvals:notifications")).content.decode()
    page = reverse("departments:complaint", args=[filed.pk])
    assert listing.count("<strong>A complaint you answered went to the supervising office</strong>") == 1
    # This notice and the first one (the complaint to answer) both link to the complaint.
    assert listing.count(f'<a href="{page}">{filed.reference}</a>') == 2
    opened = client.get(page)
    assert (opened.status_code, opened.context["answer_form"]) == (200, None)
    client.force_login(citizen)
    mine = client.get(reverse("approvals:notifications")).content.decode()
    assert mine.count(f'<a href="{reverse("complaints:detail", args=[filed.pk])}">{filed.reference}</a>') == 3
