"""Amending a permit (approvals.permit_life, approvals.follow_ons): the draft of kind amendment and
what it carries, who reviews a change of which answer, the amended permit's number and dates, the
old one superseded at once, a change nobody reviews recorded at submission, refusals, and one
renewal or amendment at a time."""

from datetime import date, timedelta

import pytest

from approvals import workflow
from approvals.answers import asked_pages
from approvals.follow_ons import asked_again
from approvals.models import Application, ApplicationKind, ApplicationStatus, ReviewStatus
from approvals.permit_life import permit_amend_start, permit_cancel, permit_renew_start
from approvals.tests.test_permit_life import approve_all, at, produced
from approvals.tests.test_permit_renewal import END, renewing
from audit.models import Action, AuditEvent
from catalogue.models import Requirement
from catalogue.schema import service_publish
from core.errors import InvalidTransition, ValidationFailed
from permits.models import Permit, PermitState, PermitStatus
from permits.selectors import verification_by_code
from tests.concurrent import run_together
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=False)

DAY = END - timedelta(days=200)
# Who reviews a change of which answer (each among the department's own fields, tests.factories.REVIEWS).
# Nobody reviews a change of cuisine: it is recorded at once.
CHANGES_OF = {"registration": ["business_name"], "health": ["business_name"], "tax": ["business_name"],
              "fire": ["site_address"]}


def amending(service, *, amendable=("business_name", "cuisine", "site_address"), changes_of=None):
    """The service with its amendment settings, published."""
    service.amendable = list(amendable)
    service.save()
    for code, keys in (CHANGES_OF if changes_of is None else changes_of).items():
        Requirement.objects.filter(service=service, department__code=code).update(reviews_changes_of=keys)
    service_publish(service=service)
    service.refresh_from_db()
    return service


@pytest.fixture
def permit(restaurant, submit, officers):
    amending(restaurant)
    return produced(approve_all(submit(), officers), valid_from=END - timedelta(days=1095), valid_until=END)


def amendment_submitted(permit, citizen, answers: dict, *, day: date = DAY) -> Application:
    with at(day):
        amendment = permit_amend_start(permit_id=permit.pk, actor=citizen)
        workflow.application_save_answers(application_id=amendment.pk, actor=citizen, data=answers)
        workflow.application_submit(application_id=amendment.pk, actor=citizen)
    amendment.refresh_from_db()
    return amendment


def routed(application) -> list[tuple[str, str]]:
    return list(application.reviews.order_by("department__code").values_list("department__code", "status"))


def test_an_amendment_is_a_draft_carrying_every_answer_that_asks_only_what_may_change(permit, citizen):
    with at(DAY):
        amendment = permit_amend_start(permit_id=permit.pk, actor=citizen, ip="203.0.113.9")
    assert (amendment.kind, amendment.amends_id, amendment.renews_id, amendment.status) == (
        ApplicationKind.AMENDMENT, permit.pk, None, ApplicationStatus.DRAFT)
    assert amendment.answers == {"business_name": "Golden Dragon", "cuisine": "chinese", "seats": 40,
                                 "site_address": "1 Harbour Road"}
    assert asked_again(amendment) == ["business_name", "cuisine", "site_address"]
    pages = asked_pages(amendment.schema, amendment.answers, {"floor_plan"}, asks=asked_again(amendment))
    assert [[spec["key"] for spec in specs] for _n, _title, specs in pages] == [
        ["business_name", "cuisine"], ["site_address"]]
    started = AuditEvent.objects.get(action=Action.PERMIT_AMENDMENT_STARTED)
    assert (started.object_id, started.details["number"], started.details["amendment"], started.ip) == (
        str(permit.pk), permit.number, amendment.pk, "203.0.113.9")
    created = AuditEvent.objects.get(action=Action.APPLICATION_CREATED, application_id=amendment.pk)
    assert created.details["amends"] == permit.number


def test_a_new_address_goes_only_to_the_departments_that_review_addresses(permit, citizen, officers):
    amendment = amendment_submitted(permit, citizen, {"site_address": "8 Garden Street"})
    assert routed(amendment) == [("fire", ReviewStatus.PENDING)]
    assert (amendment.status, amendment.current_stage) == (ApplicationStatus.IN_REVIEW, 2)
    permit.refresh_from_db()
    assert permit.state(DAY) == PermitState.VALID  # unchanged until the amendment is approved
    with at(DAY + timedelta(days=2)):
        new = approve_all(amendment, officers)
    assert (new.number, new.replaces_id) == (f"{permit.number}-2", permit.pk)
    assert (new.valid_from, new.valid_until) == (DAY + timedelta(days=2), END)  # from today to the old end
    permit.refresh_from_db()
    assert (permit.status, permit.superseded_from) == (PermitStatus.VALID, DAY + timedelta(days=2))
    assert permit.state(DAY + timedelta(days=1)) == PermitState.VALID
    assert permit.state(DAY + timedelta(days=2)) == PermitState.SUPERSEDED
    amendment.refresh_from_db()
    assert amendment.answers["site_address"] == "8 Garden Street" and amendment.answers["business_name"] == "Golden Dragon"
    event = AuditEvent.objects.get(action=Action.PERMIT_AMENDED)
    assert (event.object_id, event.details["amended_by"], event.details["superseded_from"], event.details["changed"]) == (
        str(permit.pk), new.number, (DAY + timedelta(days=2)).isoformat(), ["site_address"])
    with at(DAY + timedelta(days=2)):
        told = verification_by_code(permit.number, permit.verify_code)
    assert (told.state, told.replaced_by, told.replaced_for) == (PermitState.SUPERSEDED, new.number, "amendment")


def test_a_new_name_goes_to_every_department_that_reviews_names_in_its_stages(permit, citizen, officers):
    amendment = amendment_submitted(permit, citizen, {"business_name": "Jade Garden"})
    assert routed(amendment) == [("health", ReviewStatus.PENDING), ("registration", ReviewStatus.PENDING),
                                 ("tax", ReviewStatus.PENDING)]


def test_a_change_nobody_reviews_is_recorded_at_submission(permit, citizen):
    amendment = amendment_submitted(permit, citizen, {"cuisine": "western"})
    assert (amendment.status, amendment.reviews.count()) == (ApplicationStatus.APPROVED, 0)
    new = Permit.objects.get(application=amendment)
    assert (new.number, new.valid_from, new.valid_until) == (f"{permit.number}-2", DAY, END)
    permit.refresh_from_db()
    assert permit.state(DAY) == PermitState.SUPERSEDED


def test_a_review_the_new_answers_make_needed_reviews_though_it_names_no_changed_answer(restaurant, citizen, officers,
                                                                                         submit):
    Requirement.objects.filter(service=restaurant, department__code="fire").update(when={"seats": {"gt": 50}})
    amending(restaurant, amendable=("seats",), changes_of={"health": ["seats"]})
    permit = produced(approve_all(submit(), officers), valid_from=END - timedelta(days=1095), valid_until=END)
    assert not permit.application.reviews.filter(department__code="fire").exists()
    # The fire review asks for the site's address, which the permit's application was not asked.
    amendment = amendment_submitted(permit, citizen, {"seats": "80", "site_address": "8 Garden Street"})
    assert routed(amendment) == [("fire", ReviewStatus.WAITING), ("health", ReviewStatus.PENDING)]


def test_nothing_changed_is_refused(permit, citizen):
    with at(DAY):
        amendment = permit_amend_start(permit_id=permit.pk, actor=citizen)
        with pytest.raises(ValidationFailed) as refused:
            workflow.application_submit(application_id=amendment.pk, actor=citizen)
    assert refused.value.errors == {"business_name": [
        "Nothing is changed: change at least one detail of the permit, or withdraw this amendment."]}
    amendment.refresh_from_db()
    assert amendment.status == ApplicationStatus.DRAFT


def test_an_answer_that_may_not_change_is_refused_at_submission(permit, citizen):
    """The form asks only what may change; a draft changed behind its back (the API) is refused."""
    with at(DAY):
        amendment = permit_amend_start(permit_id=permit.pk, actor=citizen)
        workflow.application_save_answers(application_id=amendment.pk, actor=citizen,
                                          data={"seats": "45", "site_address": "8 Garden Street"})
        with pytest.raises(ValidationFailed) as refused:
            workflow.application_submit(application_id=amendment.pk, actor=citizen)
    assert refused.value.errors == {"seats": [f"This cannot be changed here: it is carried from permit {permit.number}."]}
    assert not amendment.reviews.exists()


def test_an_amendment_pays_no_fee(permit, citizen):
    from tests.fee_fixtures import charge

    charge(permit.application.service, payment="before_review")  # a new application would wait for its fee
    amendment = amendment_submitted(permit, citizen, {"business_name": "Jade Garden"})
    assert amendment.status == ApplicationStatus.IN_REVIEW
    assert not amendment.payment_orders.exists()


def test_refusals_say_why(permit, citizen, officers, restaurant):
    stranger = UserFactory(email="li.lei@example.org")
    with at(DAY), pytest.raises(Permit.DoesNotExist):
        permit_amend_start(permit_id=permit.pk, actor=stranger)
    with at(END + timedelta(days=1)), pytest.raises(InvalidTransition) as expired:
        permit_amend_start(permit_id=permit.pk, actor=citizen)
    assert expired.value.message == "Only a valid permit can be changed; this one is expired."
    amending(restaurant, amendable=(), changes_of={code: [] for code in CHANGES_OF})
    with at(DAY), pytest.raises(InvalidTransition) as closed:
        permit_amend_start(permit_id=permit.pk, actor=citizen)
    assert closed.value.message == ("The details of this service's permits cannot be changed online. Contact the "
                                    "department that issued it.")
    assert not Application.objects.filter(kind=ApplicationKind.AMENDMENT).exists()


def test_an_amended_permit_is_not_amended_again_but_its_successor_is(permit, citizen, officers):
    amendment_submitted(permit, citizen, {"cuisine": "western"})
    with at(DAY), pytest.raises(InvalidTransition) as refused:
        permit_amend_start(permit_id=permit.pk, actor=citizen)
    assert refused.value.message == ("This permit is already replaced by a renewed or amended one: change the details "
                                     "of that one.")
    with at(DAY), pytest.raises(InvalidTransition) as not_renewed:
        permit_renew_start(permit_id=permit.pk, actor=citizen)
    assert not_renewed.value.message == "This permit is replaced by its amended permit: renew that one."
    second = produced(Permit.objects.get(replaces=permit))
    again = amendment_submitted(second, citizen, {"site_address": "8 Garden Street"}, day=DAY + timedelta(days=1))
    third = approve_all(again, officers)
    assert third.number == f"{permit.number}-3"


def test_one_renewal_or_amendment_at_a_time_and_no_cancellation_meanwhile(restaurant, permit, citizen):
    renewing(restaurant)
    amending(restaurant)
    with at(DAY):
        amendment = permit_amend_start(permit_id=permit.pk, actor=citizen)
        assert permit_amend_start(permit_id=permit.pk, actor=citizen).pk == amendment.pk
        with pytest.raises(InvalidTransition) as renewing_refused:
            permit_renew_start(permit_id=permit.pk, actor=citizen)
        with pytest.raises(InvalidTransition) as cancel_refused:
            permit_cancel(permit_id=permit.pk, actor=citizen, reason="Closing", cancelled_from=DAY)
        workflow.application_withdraw(application_id=amendment.pk, actor=citizen)
        renewal = permit_renew_start(permit_id=permit.pk, actor=citizen)
        with pytest.raises(InvalidTransition) as amending_refused:
            permit_amend_start(permit_id=permit.pk, actor=citizen)
    assert renewing_refused.value.message == ("An amendment of this permit is in progress: renew it once the amended "
                                              "permit is issued, or withdraw the amendment.")
    assert cancel_refused.value.message == ("A renewal or an amendment of this permit is in progress: withdraw it "
                                            "before you cancel the permit.")
    assert amending_refused.value.message == ("A renewal of this permit is in progress: change its details once the "
                                              "renewed permit is issued, or withdraw the renewal.")
    assert renewal.kind == ApplicationKind.RENEWAL
    permit.refresh_from_db()
    assert permit.status == PermitStatus.VALID


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("start_one", "permit_field"), [(permit_renew_start, "renews"), (permit_amend_start, "amends")])
def test_two_starts_at_once_make_one_renewal_or_amendment(restaurant, citizen, officers, settings, tmp_path, start_one,
                                                          permit_field):
    from tests.engine_fixtures import submitted_application

    settings.MEDIA_ROOT = str(tmp_path / "media")
    renewing(restaurant)
    amending(restaurant)
    permit = produced(approve_all(submitted_application(restaurant, citizen), officers),
                      valid_from=END - timedelta(days=1095), valid_until=END)

    def start():
        return start_one(permit_id=permit.pk, actor=citizen).pk

    with at(END - timedelta(days=30)):
        results = run_together(start, start)
    assert results[0] == results[1]
    assert Application.objects.filter(**{permit_field: permit}).count() == 1
