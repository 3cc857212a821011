"""The holder renews their permit through the API (POST /api/v1/applications/<id>/permit/renewal/):
the same engine and rules as the web page. The answer is the renewal's draft application; a second
call answers the same draft; a permit that cannot be renewed is a 409, someone else's a 404; a
front desk's renewal is filed by the desk."""

import pytest

from approvals.models import Application, ApplicationKind
from approvals.permit_flow import permit_revoke
from audit.models import Action, AuditEvent
from tests.factories import UserFactory

from .conftest import Api

pytestmark = pytest.mark.django_db



def url(permit) -> str:
    return f"/api/v1/applications/{permit.application_id}/permit/renewal/"


def test_the_holder_renews_and_gets_the_draft_and_a_second_call_the_same(citizen_api, citizen_token, permit):
    answer = citizen_api.post(url(permit), {})
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    renewal = Application.objects.get(kind=ApplicationKind.RENEWAL)
    assert (body["id"], body["kind"], body["renews"], body["status"], body["service"]) == (
        renewal.pk, "renewal", permit.number, "draft", "open-a-restaurant")
    assert body["answers"] == {"business_name": "Golden Dragon", "cuisine": "chinese", "seats": 40,
                               "site_address": "1 Harbour Road"}
    assert body["asked"] == []  # this service asks nothing again: every answer and file is carried
    again = citizen_api.post(url(permit), {})
    assert (again.status_code, again.json()["id"]) == (201, renewal.pk)
    event = AuditEvent.objects.get(action=Action.PERMIT_RENEWAL_STARTED)
    assert (event.actor_id, event.details["token"]) == (citizen_token[0].user_id, citizen_token[0].prefix)


def test_someone_elses_permit_is_a_404(permit):
    from api.models import TokenKind
    from api.services import api_token_create

    other = UserFactory(email="li.lei@example.org")
    answer = Api(api_token_create(kind=TokenKind.CITIZEN, name="phone", user=other)[1]).post(url(permit), {})
    assert answer.status_code == 404
    assert not Application.objects.filter(kind=ApplicationKind.RENEWAL).exists()


def test_a_revoked_permit_is_a_409(citizen_api, permit, officers):
    permit_revoke(permit_id=permit.pk, actor=officers["health_supervisor"], reason="Closed by order.")
    answer = citizen_api.post(url(permit), {})
    assert (answer.status_code, answer.json()["error"]["message"]) == (
        409, "Only a valid permit can be renewed; this one is revoked.")
    assert not Application.objects.filter(kind=ApplicationKind.RENEWAL).exists()
