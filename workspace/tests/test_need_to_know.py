"""Need to know on the officer's pages: each department sees the details of the applicant's
identity its requirement lists (name, e-mail, phone, identity document number) and nothing
before its review's stage starts: not on the review page, its messages, its queue, nor on the
page of another department asked for an opinion."""

import re

import pytest
from django.urls import reverse

from approvals import consultation, sharing, workflow
from approvals.models import ReviewStatus
from audit.models import Action, AuditEvent
from departments.models import Department
from tests.factories import IDENTITY, officer

pytestmark = pytest.mark.django_db

NAME, EMAIL, PHONE, ID_NUMBER = (IDENTITY[k] for k in ("full_name", "email", "phone", "id_number"))
IDENTITY_STRINGS = (NAME, EMAIL, PHONE, ID_NUMBER)


@pytest.fixture
def application(identity_application):
    return identity_application


def review_of(application, code):
    return application.reviews.select_related("department").get(department__code=code)


def identity(html: str) -> list[tuple[str, str]]:
    block = html.split('<dl class="row" id="identity">', 1)[1].split("</dl>", 1)[0]
    return re.findall(r"<dt[^>]*>(.*?)</dt><dd[^>]*>(.*?)</dd>", block, re.S)


def answers(html: str) -> list[str]:
    block = html.split('id="answers"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<dt class="col-sm-4">(.*?)</dt>', block)


def review_page(client, user, review) -> str:
    client.force_login(user)
    response = client.get(reverse("departments:review", args=[review.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_each_department_sees_the_identity_its_requirement_lists(client, application, officers):
    registration = review_page(client, officers["registration"], review_of(application, "registration"))
    health = review_page(client, officers["health"], review_of(application, "health"))
    tax = review_page(client, officers["tax"], review_of(application, "tax"))

    assert identity(registration) == [("Name", NAME), ("Email", EMAIL)]
    assert identity(health) == []
    assert identity(tax) == [("Name", NAME), ("Email", EMAIL), ("Phone", PHONE),
                             ("Identity document number", ID_NUMBER)]
    for text in IDENTITY_STRINGS:
        assert text not in health
    assert PHONE not in registration and ID_NUMBER not in registration
    assert answers(health) == ["Business name", "Seats", "Floor plan"]


def test_a_later_stage_sees_nothing_before_its_stage_starts(client, application, officers):
    fire = review_of(application, "fire")
    assert fire.status == ReviewStatus.WAITING
    html = review_page(client, officers["fire"], fire)

    assert identity(html) == []
    assert answers(html) == []
    for text in (*IDENTITY_STRINGS, "1 Harbour Road", "plan.pdf", "40"):
        assert text not in html.split('id="answers"', 1)[1].split("</section>", 1)[0]
    for text in IDENTITY_STRINGS:
        assert text not in html
    assert "Your department's stage has not started yet" in html
    attachment = application.attachments.get()
    assert client.get(reverse("departments:attachment", args=[fire.pk, attachment.pk])).status_code == 404
    assert AuditEvent.objects.filter(action=Action.ACCESS_DENIED, actor=officers["fire"], object_type="attachment").count() == 1

    for code in ("registration", "health", "tax"):
        workflow.review_decide(review_id=review_of(application, code).pk, actor=officers[code], decision="approve")
    html = review_page(client, officers["fire"], review_of(application, "fire"))

    assert identity(html) == [("Name", NAME), ("Phone", PHONE)]
    assert answers(html) == ["Seats", "Site address", "Floor plan"]
    assert "Your department's stage has not started yet" not in html
    assert client.get(reverse("departments:attachment", args=[fire.pk, attachment.pk])).status_code == 200


def test_the_thread_names_the_applicant_only_where_the_name_is_shown(client, application, officers, citizen):
    for code in ("health", "registration"):
        consultation.message_send_by_citizen(application_id=application.pk, department_id=review_of(application, code)
                                             .department_id, actor=citizen, body=f"A question for {code}.")

    health = review_page(client, officers["health"], review_of(application, "health"))
    registration = review_page(client, officers["registration"], review_of(application, "registration"))

    def author(html):
        block = html.split('id="messages"', 1)[1].split("</section>", 1)[0]
        return [" ".join(a.split()) for a in re.findall(r'<div class="small text-body-secondary">(.*?)·', block, re.S)]

    assert author(health) == ["Applicant"]
    assert author(registration) == [f"Applicant: {NAME}"]
    assert NAME not in health


def opinion_page(client, application, officers, code: str, reason: str):
    """The page of building's officer asked for an opinion by ``code``'s supervisor, and the share."""
    building, _ = Department.objects.get_or_create(code="building", defaults={"name": {"en": "Building Bureau"}})
    consulted = officer(building)
    share = sharing.application_share(review_id=review_of(application, code).pk, actor=officers[f"{code}_supervisor"],
                                      department_id=building.pk, days=7, reason=reason)
    client.force_login(consulted)
    return client.get(reverse("departments:opinion", args=[share.pk])).content.decode(), share


def test_the_opinion_page_shows_no_identity(client, application, officers):
    html, _share = opinion_page(client, application, officers, "tax", "Is the taxpayer known to you?")

    assert "Golden Dragon" in html  # tax's answers are what the opinion is about
    assert NAME not in html and EMAIL not in html and ID_NUMBER not in html
    assert '<h2 class="h5">Applicant</h2>' not in html


def test_an_opinion_on_a_review_not_yet_started_shows_nothing_of_the_application(client, application, officers):
    html, share = opinion_page(client, application, officers, "fire", "Exits?")

    for text in (*IDENTITY_STRINGS, "1 Harbour Road", "plan.pdf"):
        assert text not in html
    attachment = application.attachments.get()
    assert client.get(reverse("departments:opinion_attachment", args=[share.pk, attachment.pk])).status_code == 404


def queue_cells(client, user, **params) -> list[str]:
    client.force_login(user)
    html = client.get(reverse("departments:queue"), params).content.decode()
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in re.findall(r'<th scope="row">.*?</th>\s*<td>.*?</td>\s*<td>(.*?)</td>', html, re.S)]


def test_the_queue_names_the_applicant_only_to_departments_shown_the_name(client, application, officers):
    assert queue_cells(client, officers["registration"]) == [f"{NAME} Golden Dragon"]
    assert queue_cells(client, officers["health"]) == ["Golden Dragon"]
    # A name the department is not shown does not find the application either; the business name does.
    assert queue_cells(client, officers["health"], q="Wang") == []
    assert queue_cells(client, officers["health"], q="Golden") == ["Golden Dragon"]
    assert queue_cells(client, officers["registration"], q="Wang") == [f"{NAME} Golden Dragon"]
