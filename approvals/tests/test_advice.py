"""Pre-application advice in the engine: a draft sent to its service's departments, each due in
its own working days, answered once; asked again only once every department answered."""

from datetime import date

import pytest

from approvals.advice import advice_answer, advice_request, advice_view
from approvals.models import AdviceRequest, Notification
from approvals.workflow import application_save_answers, application_start
from audit.models import Action, AuditEvent
from core.errors import InvalidTransition, NotAllowed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(restaurant, citizen):
    application = application_start(applicant=citizen, service=restaurant)
    application_save_answers(application_id=application.pk, actor=citizen, data={"business_name": "Golden Dragon"})
    return application


def test_the_draft_goes_to_each_department_with_its_own_due_date(draft, citizen, officers, at_now):
    health = officers["health"].memberships.get().department
    health.advice_days = 2
    health.save()
    rows = advice_request(citizen=citizen, application_id=draft.pk, question="Is a kitchen of 20 m² enough?")
    due = {r.department.code: r.due_date for r in rows}
    # Asked on Monday 2 March 2026: 2 working days is Wednesday, the default 5 is the next Monday.
    assert due == {"fire": date(2026, 3, 9), "health": date(2026, 3, 4), "registration": date(2026, 3, 9),
                   "tax": date(2026, 3, 9)}
    assert {tuple(r.answers.items()) for r in rows} == {(("business_name", "Golden Dragon"),)}
    assert AuditEvent.objects.filter(action=Action.ADVICE_REQUESTED, subject_id=citizen.pk).count() == 4
    assert set(Notification.objects.filter(kind="advice_requested").values_list("recipient_id", flat=True)) == {
        officers["fire"].pk, officers["health"].pk, officers["registration"].pk, officers["tax"].pk}


def test_asking_twice_while_one_is_open_is_refused_and_writes_nothing(draft, citizen, officers, at_now):
    advice_request(citizen=citizen, application_id=draft.pk)
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidTransition) as raised:
        advice_request(citizen=citizen, application_id=draft.pk, question="Again")
    assert str(raised.value.message) == (
        "You already asked for advice on this draft. You can ask again once every department has answered.")
    assert AdviceRequest.objects.count() == 4
    assert AuditEvent.objects.count() == events


def test_another_citizens_draft_cannot_be_sent(draft, at_now):
    with pytest.raises(type(draft).DoesNotExist):
        advice_request(citizen=UserFactory(), application_id=draft.pk)
    assert not AdviceRequest.objects.exists()


def test_a_department_answers_once_and_the_citizen_is_told(draft, citizen, officers, at_now):
    rows = {r.department.code: r for r in advice_request(citizen=citizen, application_id=draft.pk)}
    with pytest.raises(AdviceRequest.DoesNotExist):
        advice_answer(officer=officers["fire"], advice_id=rows["health"].pk, text="Fine")
    advice_view(officer=officers["health"], advice_id=rows["health"].pk)
    advice_answer(officer=officers["health"], advice_id=rows["health"].pk, text="20 m² is enough for 40 seats.")
    with pytest.raises(NotAllowed):
        advice_answer(officer=officers["health"], advice_id=rows["health"].pk, text="Changed my mind")
    answered = AdviceRequest.objects.get(pk=rows["health"].pk)
    assert (answered.answer, answered.answered_by_id) == ("20 m² is enough for 40 seats.", officers["health"].pk)
    assert list(Notification.objects.filter(kind="advice_given").values_list("recipient_id", "params")) == [
        (citizen.pk, {"department": "health"})]
    assert list(AuditEvent.objects.filter(action__in=[Action.ADVICE_VIEWED, Action.ADVICE_GIVEN]).order_by("pk")
                .values_list("action", "actor_id")) == [(Action.ADVICE_VIEWED, officers["health"].pk),
                                                        (Action.ADVICE_GIVEN, officers["health"].pk)]


def test_advice_is_asked_again_once_every_department_answered(draft, citizen, officers, at_now):
    for row in advice_request(citizen=citizen, application_id=draft.pk):
        advice_answer(officer=officers[row.department.code], advice_id=row.pk, text="Looks fine.")
    assert len(advice_request(citizen=citizen, application_id=draft.pk, question="And now?")) == 4
    assert AdviceRequest.objects.count() == 8


def test_an_overdue_request_is_overdue_after_its_due_date(draft, citizen, at_now):
    row = advice_request(citizen=citizen, application_id=draft.pk)[0]
    assert (row.overdue(row.due_date), row.overdue(date(2026, 3, 10))) == (False, True)
