"""The holder cancels their permit through the API (POST /api/v1/applications/<id>/permit/
cancellation/): the same engine and rules as the web page; the permit's state in the answer is
Permit.state's. Bad input is a 400 naming the field, a permit not valid a 409, someone else's a 404;
nothing is written by a refusal."""

from datetime import timedelta

import pytest
from django.utils import formats

from approvals.permit_flow import permit_revoke
from approvals.permit_life import permit_cancel
from approvals.sla import local_today
from audit.models import Action, AuditEvent
from permits.models import PermitStatus
from tests.factories import UserFactory

from .conftest import Api, desk_filed_permit

pytestmark = pytest.mark.django_db



def url(permit) -> str:
    return f"/api/v1/applications/{permit.application_id}/permit/cancellation/"


def test_the_holder_cancels_and_the_answer_says_cancelled(citizen_api, citizen_token, permit):
    today = local_today()
    answer = citizen_api.post(url(permit), {"reason": "Closing the shop.", "cancelled_from": today.isoformat()})
    assert answer.status_code == 200
    assert answer.json()["permit"] | {"download_url": None} == {
        "number": permit.number, "status": "cancelled", "state": "cancelled", "cancelled_from": today.isoformat(),
        "valid_from": permit.valid_from.isoformat(), "valid_until": permit.valid_until.isoformat(),
        "download_url": None, "combined": False}
    event = AuditEvent.objects.get(action=Action.PERMIT_CANCELLED)
    assert (event.actor_id, event.details) == (
        citizen_token[0].user_id, {"number": permit.number, "cancelled_from": today.isoformat(),
                                   "reason": "Closing the shop.", "token": citizen_token[0].prefix})


def test_from_a_later_day_the_state_stays_valid(citizen_api, permit):
    later = local_today() + timedelta(days=10)
    answer = citizen_api.post(url(permit), {"reason": "Closing.", "cancelled_from": later.isoformat()})
    assert (answer.status_code, answer.json()["permit"]["status"], answer.json()["permit"]["state"],
            answer.json()["permit"]["cancelled_from"]) == (200, "cancelled", "valid", later.isoformat())


def nothing_written(permit):
    permit.refresh_from_db()
    assert (permit.status, permit.cancelled_from) == (PermitStatus.VALID, None)
    assert not AuditEvent.objects.filter(action=Action.PERMIT_CANCELLED).exists()


@pytest.mark.parametrize(("body", "fields"), [
    ({"reason": "Closing.", "cancelled_from": "yesterday"}, ["cancelled_from"]),
    ({"reason": "", "cancelled_from": "2030-01-01"}, ["reason"]),
    ({"cancelled_from": "2030-01-01"}, ["reason"]),
    ({"reason": "x" * 1001, "cancelled_from": "2030-01-01"}, ["reason"]),
    ({"reason": "Closing."}, ["cancelled_from"]),
], ids=["not a date", "empty reason", "no reason", "long reason", "no date"])
def test_a_body_that_cannot_be_read_is_a_400_naming_the_field(citizen_api, permit, body, fields):
    answer = citizen_api.post(url(permit), body)
    assert (answer.status_code, sorted(answer.json()["error"]["fields"])) == (400, fields)
    nothing_written(permit)


def test_a_date_in_the_past_or_too_far_ahead_is_a_400_with_the_rule(citizen_api, permit):
    today = local_today()
    past = citizen_api.post(url(permit), {"reason": "Closing.", "cancelled_from": (today - timedelta(days=1)).isoformat()})
    assert (past.status_code, past.json()["error"]["fields"]) == (
        400, {"cancelled_from": ["The date cannot be in the past: give today or a later day."]})
    ahead = citizen_api.post(url(permit), {"reason": "Closing.", "cancelled_from": "2099-01-01"})
    latest = formats.date_format(today + timedelta(days=365), "SHORT_DATE_FORMAT")
    assert (ahead.status_code, ahead.json()["error"]["fields"]) == (
        400, {"cancelled_from": [f"Give a date no later than {latest}."]})
    nothing_written(permit)


def test_someone_elses_permit_is_a_404(permit):
    from api.models import TokenKind
    from api.services import api_token_create

    other = UserFactory(email="li.lei@example.org")
    answer = Api(api_token_create(kind=TokenKind.CITIZEN, name="phone", user=other)[1]).post(
        url(permit), {"reason": "Closing.", "cancelled_from": local_today().isoformat()})
    assert answer.status_code == 404
    nothing_written(permit)


def test_a_revoked_or_cancelled_permit_is_a_409(citizen_api, citizen, permit, officers):
    permit_revoke(permit_id=permit.pk, actor=officers["health_supervisor"], reason="Closed by order.")
    answer = citizen_api.post(url(permit), {"reason": "Closing.", "cancelled_from": local_today().isoformat()})
    assert (answer.status_code, answer.json()["error"]["message"]) == (
        409, "Only a valid permit can be cancelled; this one is revoked.")
    assert not AuditEvent.objects.filter(action=Action.PERMIT_CANCELLED).exists()


def test_a_second_cancellation_is_a_409(citizen_api, citizen, permit):
    later = local_today() + timedelta(days=3)
    permit_cancel(permit_id=permit.pk, actor=citizen, reason="Closing.", cancelled_from=later)
    answer = citizen_api.post(url(permit), {"reason": "Again.", "cancelled_from": local_today().isoformat()})
    assert (answer.status_code, answer.json()["error"]["message"]) == (
        409, f"This permit is already cancelled from {formats.date_format(later, 'SHORT_DATE_FORMAT')}.")


def test_a_front_desk_cancels_the_permit_of_an_application_it_filed(desk_token, citizen, restaurant, officers,
                                                                   settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    token, clear = desk_token
    desk = Api(clear)
    permit = desk_filed_permit(desk, citizen, restaurant, officers)

    answer = desk.post(url(permit), {"reason": "The holder closed the shop.", "cancelled_from": local_today().isoformat()})
    assert (answer.status_code, answer.json()["permit"]["state"]) == (200, "cancelled")
    event = AuditEvent.objects.get(action=Action.PERMIT_CANCELLED)
    assert (event.actor_id, event.subject_id, event.details["token"], event.details["front_desk"]) == (
        token.user_id, citizen.pk, token.prefix, "counter 3")
