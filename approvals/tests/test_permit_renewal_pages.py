"""The holder's renewal pages (citizen face): the Renew button, the page the reminder mail links
to (a GET changes nothing, its button starts the renewal), the form asking only the renewal
questions, and check-your-answers naming the carried answers."""

from datetime import timedelta

import pytest

from approvals.models import Application, ApplicationKind
from approvals.tests.test_permit_life import approve_all, at, produced
from approvals.tests.test_permit_renewal import END, renewing
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def permit(restaurant, submit, officers):
    renewing(restaurant)
    return produced(approve_all(submit(), officers), valid_from=END - timedelta(days=1095), valid_until=END)


def test_the_renew_page_changes_nothing_and_its_button_asks_only_the_renewal_questions(client, citizen, permit):
    page = f"/applications/{permit.application_id}/permit/renew/"
    with at(END - timedelta(days=30)):
        client.force_login(citizen)  # signed in on the day travelled to: sessions expire
        assert "Renew<span" in client.get(f"/applications/{permit.application_id}/").content.decode()
        shown = client.get(page)
        assert shown.status_code == 200 and "<li>Seats</li>" in shown.content.decode()
        assert not Application.objects.filter(kind=ApplicationKind.RENEWAL).exists()
        started = client.post(page)
        renewal = Application.objects.get(kind=ApplicationKind.RENEWAL)
        assert started.url == f"/applications/{renewal.pk}/continue/"
        # Complete: resuming opens check your answers; only the seats page is a step of the form.
        check = client.get(client.get(started.url).url)
        html = check.content.decode()
        assert f"Carried from permit {permit.number}" in html
        assert html.count("Carried from permit") == 5  # business name, cuisine, site, floor plan (+ the intro)
        assert f'href="/applications/{renewal.pk}/step/1/?return=check#id_seats"' in html
        assert '#id_business_name"' not in html
        assert client.post(page).url == f"/applications/{renewal.pk}/continue/"  # the same draft
    assert Application.objects.filter(kind=ApplicationKind.RENEWAL).count() == 1


def test_beyond_the_grace_no_button_and_the_page_says_so(client, citizen, permit):
    with at(END + timedelta(days=91)):
        client.force_login(citizen)
        assert "Renew<span" not in client.get(f"/applications/{permit.application_id}/").content.decode()
        answer = client.get(f"/applications/{permit.application_id}/permit/renew/")
        assert "This permit cannot be renewed now." in answer.content.decode()
        refused = client.post(f"/applications/{permit.application_id}/permit/renew/", follow=True)
        assert "could be renewed until 28 Sep 2027" in refused.content.decode()
    assert not Application.objects.filter(kind=ApplicationKind.RENEWAL).exists()


def test_someone_elses_renew_page_is_a_404(client, permit):
    client.force_login(UserFactory(email="li.lei@example.org"))
    assert client.get(f"/applications/{permit.application_id}/permit/renew/").status_code == 404
    assert client.post(f"/applications/{permit.application_id}/permit/renew/").status_code == 404
