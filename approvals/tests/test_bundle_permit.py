"""One combined permit for a bundle (一业一证): no child issues its own; the last approval issues
one for the bundle, a refusal refuses the whole bundle, and the combined permit is produced,
verified, revoked and re-issued as any permit."""

import pytest

from approvals import permit_flow, workflow
from approvals.models import Application, ApplicationStatus, Notification, NotificationKind, ReviewStatus
from audit.models import Action, AuditEvent
from certificates.models import Certificate
from core.errors import InvalidTransition
from departments.models import Department, MembershipRole
from permits.models import Permit, PermitStatus
from permits.selectors import managed_permits, verification_by_code
from tests.bundle_fixtures import STORE_ANSWERS, STORE_FILES, submitted_bundle
from tests.factories import officer

pytestmark = pytest.mark.django_db(transaction=False)


def children(row):
    return {c.service.slug: c for c in Application.objects.filter(bundle_application=row).select_related("service")}


def approve(review, officer, conditions=""):
    workflow.review_decide(review_id=review.pk, actor=officer, decision="approve", conditions=conditions)


def approve_all(row, officers, conditions=None):
    """Every department approves, registration first; ``conditions`` by department code."""
    for slug in ("register-a-business", "food-operating-permit"):
        for review in children(row)[slug].reviews.select_related("department").order_by("department__code"):
            approve(review, officers[review.department.code], (conditions or {}).get(review.department.code, ""))


@pytest.fixture
def store_application(store_bundle, citizen):
    return submitted_bundle(store_bundle, citizen, answers=STORE_ANSWERS, files=STORE_FILES)


def test_no_child_issues_a_permit_of_its_own_and_the_last_approval_issues_one_for_the_bundle(
        store_application, bundle_officers, citizen):
    row = store_application
    kids = children(row)
    approve(kids["food-operating-permit"].reviews.get(), bundle_officers["health"])
    registration = kids["register-a-business"].reviews.get(department__code="registration")
    approve(registration, bundle_officers["registration"])
    assert {s: c.status for s, c in children(row).items()} == {
        "register-a-business": ApplicationStatus.IN_REVIEW, "food-operating-permit": ApplicationStatus.APPROVED}
    assert not Permit.objects.exists()
    approve(kids["register-a-business"].reviews.get(department__code="tax"), bundle_officers["tax"])
    permit = Permit.objects.get()
    lead = kids["register-a-business"]
    assert (permit.application_id, permit.bundle_application_id, permit.number) == (
        lead.pk, row.pk, f"P-{lead.submitted_at.year}-{lead.pk:06d}")
    # Valid as long as the shortest-lived member: the food permit's 1825 days, not the licence's 3650.
    assert permit.valid_days == 1825
    assert {s: c.status for s, c in children(row).items()} == {
        "register-a-business": ApplicationStatus.APPROVED, "food-operating-permit": ApplicationStatus.APPROVED}
    issued = AuditEvent.objects.get(action=Action.PERMIT_ISSUED)
    assert (issued.application_id, issued.details) == (lead.pk, {
        "number": permit.number, "bundle_application": row.pk, "bundle_reference": row.reference,
        "members": [lead.reference, kids["food-operating-permit"].reference]})
    told = Notification.objects.filter(recipient=citizen, kind=NotificationKind.APPROVED).order_by("pk")
    assert [n.params for n in told] == [{}, {}, {"permit_number": permit.number}]


def test_the_combined_permit_lists_every_permit_and_issues_every_child_once_produced(
        store_application, bundle_officers, citizen):
    row = store_application
    approve_all(row, bundle_officers, conditions={"health": "Keep the cold chain logged.", "tax": "File monthly."})
    permit = Permit.objects.get()
    assert permit_flow.permit_render(permit_id=permit.pk) == "rendered"
    assert permit_flow.permit_render(permit_id=permit.pk) == "skipped"
    permit.refresh_from_db()
    kids = children(row)
    assert {c.status for c in kids.values()} == {ApplicationStatus.ISSUED}
    data = permit.data
    assert (data["application"], data["title"]["en"], data["service_version"]) == (
        row.reference, "Combined permit: Open a convenience store", "")
    assert [(m["title"]["en"], m["application"], [a["department"] for a in m["approvals"]], m["valid_days"])
            for m in data["permits"]] == [
        ("Business licence", kids["register-a-business"].reference, ["registration", "tax"], 3650),
        ("Food operating permit", kids["food-operating-permit"].reference, ["health"], 1825)]
    assert [(a["department"], a["conditions"]) for a in data["approvals"]] == [
        ("registration", ""), ("tax", "File monthly."), ("health", "Keep the cold chain logged.")]
    # One e-certificate in the wallet, and the holder told once that it is ready.
    assert list(Certificate.objects.values_list("number", "permit_id")) == [(permit.number, permit.pk)]
    assert Notification.objects.filter(recipient=citizen, kind=NotificationKind.PERMIT_READY).count() == 1
    assert AuditEvent.objects.filter(action=Action.PERMIT_RENDERED).count() == 2
    seen = verification_by_code(permit.number, permit.verify_code)
    assert (seen.state, seen.application, seen.service) == ("valid", row.reference, "Open a convenience store")
    assert seen.members == [
        ("Business licence", kids["register-a-business"].reference,
         ["Market Regulation Administration (Business Registration)", "Taxation Bureau"]),
        ("Food operating permit", kids["food-operating-permit"].reference, ["Public Health Bureau"])]


def test_a_refusal_refuses_the_whole_bundle_and_issues_nothing(store_application, bundle_officers, citizen):
    row = store_application
    kids = children(row)
    approve(kids["food-operating-permit"].reviews.get(), bundle_officers["health"])
    registration = kids["register-a-business"].reviews.get(department__code="registration")
    workflow.review_decide(review_id=registration.pk, actor=bundle_officers["registration"], decision="reject",
                           reason="The business name is taken.")
    assert {s: c.status for s, c in children(row).items()} == {
        "register-a-business": ApplicationStatus.REJECTED, "food-operating-permit": ApplicationStatus.APPROVED}
    assert not Permit.objects.exists()
    told = Notification.objects.get(recipient=citizen, kind=NotificationKind.REJECTED)
    assert (told.application_id, told.params) == (
        kids["register-a-business"].pk, {"reason": "The business name is taken.", "department": "registration"})


def test_a_refusal_refuses_the_open_siblings_with_the_reason(store_application, bundle_officers, citizen):
    row = store_application
    kids = children(row)
    health = kids["food-operating-permit"].reviews.get()
    workflow.review_decide(review_id=health.pk, actor=bundle_officers["health"], decision="reject",
                           reason="The kitchen has no hand basin.")
    lead = Application.objects.get(pk=kids["register-a-business"].pk)
    assert lead.status == ApplicationStatus.REJECTED
    assert set(lead.reviews.values_list("status", flat=True)) == {ReviewStatus.CANCELLED}
    told = Notification.objects.get(recipient=citizen, kind=NotificationKind.REJECTED, application=lead)
    assert told.params == {"reason": (
        f"Refused with application {kids['food-operating-permit'].reference} (Food operating permit): the combined "
        "permit is issued only when every permit it stands for is approved.")}
    assert not Permit.objects.exists()


def test_the_combined_permit_is_revoked_and_reissued_as_one_permit(store_application, bundle_officers):
    row = store_application
    approve_all(row, bundle_officers)
    permit = Permit.objects.get()
    permit_flow.permit_render(permit_id=permit.pk)
    # A supervisor of the health bureau (it approved the food part) manages the combined permit.
    health = officer(Department.objects.get(code="health"), role=MembershipRole.SUPERVISOR)
    assert list(managed_permits(health)) == [permit]
    proposer = officer(Department.objects.get(code="tax"), role=MembershipRole.SUPERVISOR)
    request = permit_flow.permit_reissue_propose(permit_id=permit.pk, actor=proposer,
                                                 corrections={"business_name": "Golden Dragon Mart"},
                                                 reason="Renamed.")
    new = permit_flow.permit_reissue_approve(request_id=request.pk, actor=health)
    assert (new.bundle_application_id, new.application_id, new.number, new.valid_until) == (
        row.pk, permit.application_id, f"{permit.number}-2", permit.valid_until)
    assert permit_flow.permit_render(permit_id=new.pk) == "rendered"
    new.refresh_from_db()
    assert new.data["business_name"] == "Golden Dragon Mart" and len(new.data["permits"]) == 2
    permit_flow.permit_revoke(permit_id=new.pk, actor=health, reason="Closed down.")
    assert Permit.objects.get(pk=new.pk).status == PermitStatus.REVOKED
    with pytest.raises(InvalidTransition):
        permit_flow.permit_revoke(permit_id=new.pk, actor=health, reason="Again.")
    assert Permit.objects.filter(bundle_application=row).count() == 2


def test_withdrawing_one_part_withdraws_the_bundles_other_open_parts(store_application, bundle_officers, citizen):
    row = store_application
    kids = children(row)
    approve(kids["food-operating-permit"].reviews.get(), bundle_officers["health"])
    workflow.application_withdraw(application_id=kids["register-a-business"].pk, actor=citizen)
    assert {s: c.status for s, c in children(row).items()} == {
        "register-a-business": ApplicationStatus.WITHDRAWN, "food-operating-permit": ApplicationStatus.APPROVED}
    row2 = submitted_bundle(row.bundle, citizen, answers=STORE_ANSWERS, files=STORE_FILES)
    workflow.application_withdraw(application_id=children(row2)["food-operating-permit"].pk, actor=citizen)
    assert {c.status for c in children(row2).values()} == {ApplicationStatus.WITHDRAWN}
    assert AuditEvent.objects.filter(action=Action.APPLICATION_WITHDRAWN).count() == 3
    assert not Permit.objects.exists()


def test_a_fee_paid_before_issue_holds_the_combined_permit_back_until_it_is_paid(store_bundle, bundle_officers,
                                                                                 citizen):
    from catalogue.models import Service
    from tests.fee_fixtures import charge, pay

    charge(Service.objects.get(slug="food-operating-permit"), payment="before_issue", exemptions=[],
           items=[{"label": {"en": "Permit fee", "zh-hans": "许可费"}, "amount": "100.00"}])
    row = submitted_bundle(store_bundle, citizen, answers=STORE_ANSWERS, files=STORE_FILES)
    approve_all(row, bundle_officers)
    food = children(row)["food-operating-permit"]
    assert {c.status for c in children(row).values()} == {ApplicationStatus.APPROVED}
    assert not Permit.objects.exists()  # every child approved, one fee unpaid
    assert Notification.objects.get(application=food, kind=NotificationKind.APPROVED).params == {"fee_due": True}
    pay(food)
    permit = Permit.objects.get()
    assert (permit.bundle_application_id, permit.application_id) == (row.pk, children(row)["register-a-business"].pk)
    paid = AuditEvent.objects.get(action=Action.APPLICATION_PAID)
    assert (paid.application_id, paid.details["next"]) == (food.pk, "permit")
    pay(food)  # the provider's notification again: counted once, nothing more issued
    assert Permit.objects.count() == 1
