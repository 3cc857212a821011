"""The holder's amendment pages (citizen face): the Change details link, the page saying what may
change and who reviews a change of it (a GET changes nothing, its button starts the amendment), the
form asking only the amendable questions, and check-your-answers naming what changed and who will
review it."""

from datetime import timedelta

import pytest

from approvals.models import Application, ApplicationKind
from approvals.tests.test_permit_amendment import DAY, amending
from approvals.tests.test_permit_life import approve_all, at, produced
from approvals.tests.test_permit_renewal import END
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def permit(restaurant, submit, officers):
    amending(restaurant)
    return produced(approve_all(submit(), officers), valid_from=END - timedelta(days=1095), valid_until=END)


def test_the_amend_page_says_who_reviews_what_and_its_button_asks_only_what_may_change(client, citizen, permit):
    page = f"/applications/{permit.application_id}/permit/amend/"
    with at(DAY):
        client.force_login(citizen)
        assert "Change details<span" in client.get(f"/applications/{permit.application_id}/").content.decode()
        html = client.get(page).content.decode()
        assert ('<tr><th scope="row">Business name</th><td>Registration Bureau, Health Bureau, Tax Bureau</td></tr>'
                '<tr><th scope="row">Cuisine</th><td>No review: recorded at once</td></tr>'
                '<tr><th scope="row">Site address</th><td>Fire Bureau</td></tr>') in html
        assert not Application.objects.filter(kind=ApplicationKind.AMENDMENT).exists()
        started = client.post(page)
        amendment = Application.objects.get(kind=ApplicationKind.AMENDMENT)
        assert started.url == f"/applications/{amendment.pk}/continue/"
        check = client.get(client.get(started.url).url).content.decode()
        assert "You have not changed anything yet." in check
        assert f'href="/applications/{amendment.pk}/step/2/?return=check#id_site_address"' in check
        assert "#id_seats" not in check  # carried, not asked
        changed = client.post(f"/applications/{amendment.pk}/step/2/", {"site_address": "8 Garden Street"})
        assert changed.status_code == 302
        check = client.get(f"/applications/{amendment.pk}/check/").content.decode()
        assert "The departments that review these changes:" in check
        assert check.count('<span class="d-block small fw-semibold changed">') == 1
        assert client.post(page).url == f"/applications/{amendment.pk}/continue/"  # the same draft


def test_a_permit_that_cannot_be_changed_has_no_link_and_the_page_says_why(client, citizen, permit):
    with at(END + timedelta(days=1)):
        client.force_login(citizen)
        assert "Change details<span" not in client.get(f"/applications/{permit.application_id}/").content.decode()
        answer = client.get(f"/applications/{permit.application_id}/permit/amend/").content.decode()
        assert "Only a valid permit can be changed; this one is expired." in answer
        refused = client.post(f"/applications/{permit.application_id}/permit/amend/", follow=True)
        assert "Only a valid permit can be changed; this one is expired." in refused.content.decode()
    assert not Application.objects.filter(kind=ApplicationKind.AMENDMENT).exists()


def test_someone_elses_amend_page_is_a_404(client, permit):
    client.force_login(UserFactory(email="li.lei@example.org"))
    assert client.get(f"/applications/{permit.application_id}/permit/amend/").status_code == 404
    assert client.post(f"/applications/{permit.application_id}/permit/amend/").status_code == 404


def test_the_reviewing_officer_sees_what_changes_against_what_the_permit_says(client, citizen, officers, permit):
    from approvals.tests.test_permit_amendment import amendment_submitted

    amendment = amendment_submitted(permit, citizen, {"site_address": "8 Garden Street"})
    client.force_login(officers["fire"])
    html = client.get(f"/officer/reviews/{amendment.reviews.get().pk}/").content.decode()
    assert f"The holder of permit {permit.number} asks to change its details." in html
    assert html.count('class="d-block small fw-semibold changed"') == 1
    assert "Changed: the permit says 1 Harbour Road" in " ".join(html.split())


def test_the_queue_says_which_row_is_an_amendment(client, citizen, officers, permit):
    from approvals.tests.test_permit_amendment import amendment_submitted

    amendment = amendment_submitted(permit, citizen, {"site_address": "8 Garden Street"})
    client.force_login(officers["fire"])
    html = client.get("/officer/").content.decode()
    assert f">{amendment.reference}</a><br><span class=\"small text-body-secondary application-kind\">Amendment</span>" in html
