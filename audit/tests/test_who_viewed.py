""""Who viewed my data": every staff access to a citizen's applications, from the audit log."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from approvals import workflow
from approvals.selectors import Access, who_viewed_page
from audit.models import Action, AuditEvent
from audit.selectors import staff_accesses
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("approvals:who_viewed")


def without_time(accesses):
    return [(a.staff_name, a.staff_role, a.department, a.action, a.purpose, a.application_id, a.reference)
            for a in accesses]


def test_staff_views_downloads_and_decisions_are_listed_newest_first(client, submit, citizen, officers):
    application = submit()
    health = application.reviews.get(department__code="health")
    attachment = application.attachments.get()
    client.force_login(officers["health"])
    assert client.get(reverse("departments:review", args=[health.pk])).status_code == 200
    assert client.get(reverse("departments:attachment", args=[health.pk, attachment.pk])).status_code == 200
    registration = application.reviews.get(department__code="registration")
    workflow.review_decide(review_id=registration.pk, actor=officers["registration_supervisor"], decision="approve")
    workflow.application_route(application_ids=[application.pk])  # a system step: no one viewed anything

    client.force_login(citizen)
    response = client.get(URL)
    assert response.status_code == 200
    ref = application.reference
    assert without_time(response.context["accesses"]) == [
        (officers["registration_supervisor"].full_name, "Supervisor", "Registration Bureau",
         "Approved your application for the department", "Deciding on the application", application.pk, ref),
        (officers["health"].full_name, "Officer", "Health Bureau", "Downloaded a document you attached",
         "Reviewing the application", application.pk, ref),
        (officers["health"].full_name, "Officer", "Health Bureau", "Opened your application to review it",
         "Reviewing the application", application.pk, ref),
    ]
    times = [a.at for a in response.context["accesses"]]
    assert times == sorted(times, reverse=True)
    page = response.content.decode()
    assert officers["health"].full_name in page
    assert f'<a href="{reverse("approvals:detail", args=[application.pk])}">{ref}</a>' in page
    # The citizen's own actions and the system's are in the log, but are not someone viewing their data.
    assert AuditEvent.objects.filter(subject=citizen, actor=citizen).exists()
    assert AuditEvent.objects.filter(subject=citizen, actor__isnull=True, action=Action.REVIEW_ROUTED).exists()


def test_only_the_signed_in_citizens_data(client, submit, citizen, officers):
    other = UserFactory(email="other@example.org", full_name="Li Lei")
    mine, theirs = submit(), submit(applicant=other)
    client.force_login(officers["tax"])
    for application in (mine, theirs):
        client.get(reverse("departments:review", args=[application.reviews.get(department__code="tax").pk]))
    assert [a.reference for a in who_viewed_page(citizen).object_list] == [mine.reference]
    assert [a.reference for a in who_viewed_page(other).object_list] == [theirs.reference]
    assert staff_accesses(citizen.pk).count() == 1


def test_empty_page(client, citizen):
    client.force_login(citizen)
    page = client.get(URL).content.decode()
    assert "No member of staff has viewed your data yet." in page


def events(subject, actor, count, *, application_id=None, department_code="health", start=None):
    start = start or timezone.now() - timedelta(days=1)
    AuditEvent.objects.bulk_create([
        AuditEvent(at=start + timedelta(minutes=i), actor=actor, actor_label=actor.email, action=Action.REVIEW_VIEWED,
                   object_type="review", object_id=str(i), subject=subject, application_id=application_id,
                   department_code=department_code, purpose="review")
        for i in range(count)
    ])


def test_fifty_a_page_newest_first(client, citizen, officers):
    events(citizen, officers["health"], 51)
    client.force_login(citizen)
    first = client.get(URL)
    assert len(first.context["accesses"]) == 50
    assert "Page 1 of 2" in first.content.decode()
    second = client.get(URL, {"page": 2})
    assert len(second.context["accesses"]) == 1
    oldest = AuditEvent.objects.order_by("at").first().at
    assert second.context["accesses"][0].at == oldest
    assert first.context["accesses"][0].at == oldest + timedelta(minutes=50)
    assert client.get(URL, {"page": "abc"}).context["page"].number == 1
    assert client.get(URL, {"page": 99}).context["page"].number == 2


def test_unknown_department_and_no_application_still_show(citizen, officers):
    events(citizen, officers["fire"], 1, department_code="closed-bureau")
    assert without_time(who_viewed_page(citizen).object_list) == [
        (officers["fire"].full_name, "Officer", "closed-bureau", "Opened your application to review it",
         "Reviewing the application", None, ""),
    ]
    assert isinstance(who_viewed_page(citizen).object_list[0], Access)


def test_citizens_only(client, officers):
    assert client.get(URL).status_code == 302  # to sign in
    client.force_login(officers["health"])
    assert client.get(URL).status_code == 404


def test_profile_links_to_the_page(client, citizen):
    client.force_login(citizen)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert f'href="{URL}"' in page


def test_query_count_does_not_grow_with_the_accesses(client, submit, citizen, officers):
    first = submit()
    client.force_login(officers["health"])
    client.get(reverse("departments:review", args=[first.reviews.get(department__code="health").pk]))
    client.force_login(citizen)
    client.get(URL)  # the first request of a session also writes it
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(URL).context["accesses"]) == 1
    second, third = submit(), submit()
    for application, code in ((second, "tax"), (third, "registration")):
        client.force_login(officers[f"{code}_supervisor"])
        client.get(reverse("departments:review", args=[application.reviews.get(department__code=code).pk]))
    client.force_login(citizen)
    client.get(URL)
    with CaptureQueriesContext(connection) as three:
        response = client.get(URL)
    assert {a.department for a in response.context["accesses"]} == {"Health Bureau", "Tax Bureau", "Registration Bureau"}
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)
