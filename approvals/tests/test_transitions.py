"""The declared transition table, every pair of states, and the services held to it."""

from itertools import product

import pytest

from approvals import workflow
from approvals.models import (
    Application,
    ApplicationStatus,
    AppointmentBooking,
    BookingStatus,
    BundleApplication,
    BundleApplicationStatus,
    Complaint,
    ComplaintStatus,
    Rectification,
    RectificationStatus,
    Review,
    ReviewStatus,
)
from approvals.transitions import (
    TRANSITIONS,
    status_enter,
    status_move,
    status_move_rows,
    transition_allowed,
    transition_check,
)
from core.errors import InvalidTransition
from payments.models import (
    IssueStatus,
    PaymentIssue,
    PaymentOrder,
    PaymentOrderStatus,
    Refund,
    RefundStatus,
)
from permits.models import Permit, PermitStatus, ReissueRequest, ReissueRequestStatus

# The machine as specified, written out independently of the module under test.
EXPECTED = {
    Application: {
        ("draft", "in_review"), ("draft", "awaiting_payment"), ("draft", "withdrawn"),
        ("awaiting_payment", "in_review"), ("awaiting_payment", "withdrawn"), ("awaiting_payment", "rejected"),
        ("in_review", "needs_correction"), ("in_review", "approved"), ("in_review", "rejected"),
        ("in_review", "withdrawn"),
        ("needs_correction", "in_review"), ("needs_correction", "rejected"), ("needs_correction", "withdrawn"),
        ("approved", "issued"),
    },
    Review: {
        ("waiting", "pending"), ("waiting", "cancelled"),
        ("pending", "in_progress"), ("pending", "approved"), ("pending", "rejected"),
        ("pending", "correction_requested"), ("pending", "cancelled"),
        ("in_progress", "in_progress"), ("in_progress", "pending"), ("in_progress", "approved"),
        ("in_progress", "rejected"), ("in_progress", "correction_requested"), ("in_progress", "cancelled"),
        ("correction_requested", "in_progress"), ("correction_requested", "pending"),
        ("correction_requested", "cancelled"),
        ("approved", "pending"),
        ("cancelled", "pending"), ("cancelled", "waiting"),
    },
    Permit: {("valid", "revoked"), ("valid", "superseded"), ("valid", "cancelled")},
    ReissueRequest: {("pending", "approved"), ("pending", "rejected")},
    BundleApplication: {("draft", "submitted"), ("draft", "withdrawn")},
    Complaint: {("unconfirmed", "open"), ("open", "answered"), ("answered", "closed"), ("answered", "escalated"),
                ("escalated", "answered")},
    Rectification: {("open", "closed"), ("closed", "followed_up")},
    PaymentOrder: {("open", "paid"), ("open", "cancelled")},
    Refund: {("proposed", "confirmed"), ("proposed", "cancelled")},
    PaymentIssue: {("open", "resolved")},
    AppointmentBooking: {("booked", "cancelled"), ("booked", "no_show")},
}
STATES = {Application: ApplicationStatus.values, Review: ReviewStatus.values, Permit: PermitStatus.values,
          ReissueRequest: ReissueRequestStatus.values, BundleApplication: BundleApplicationStatus.values,
          Complaint: ComplaintStatus.values, Rectification: RectificationStatus.values,
          PaymentOrder: PaymentOrderStatus.values, Refund: RefundStatus.values, PaymentIssue: IssueStatus.values,
          AppointmentBooking: BookingStatus.values}
PAIRS = [(model, a, b) for model, states in STATES.items() for a, b in product(states, states)]


def test_the_table_declares_every_state_of_each_model():
    assert {model: set(table) for model, table in TRANSITIONS.items()} == {m: set(s) for m, s in STATES.items()}
    assert len(PAIRS) == 8 * 8 + 7 * 7 + 4 * 4 + 3 * 3 + 3 * 3 + 5 * 5 + 3 * 3 + 3 * 3 + 3 * 3 + 2 * 2 + 3 * 3


@pytest.mark.parametrize(("model", "current", "new"), PAIRS, ids=lambda v: getattr(v, "__name__", v))
def test_every_pair_is_allowed_or_refused_as_declared(model, current, new):
    allowed = (current, new) in EXPECTED[model]
    assert transition_allowed(model, current, new) is allowed
    obj = model(status=current)
    if allowed:
        transition_check(model, current, new)
        status_move(obj, new)
        assert obj.status == new
    else:
        with pytest.raises(InvalidTransition):
            transition_check(model, current, new)
        with pytest.raises(InvalidTransition):
            status_move(obj, new)
        assert obj.status == current


def test_rows_are_created_only_in_their_first_states():
    assert status_enter(Review(), ReviewStatus.WAITING).status == ReviewStatus.WAITING
    assert status_enter(Review(), ReviewStatus.PENDING).status == ReviewStatus.PENDING
    assert status_enter(Application(), ApplicationStatus.DRAFT).status == ApplicationStatus.DRAFT
    assert status_enter(Permit(), PermitStatus.VALID).status == PermitStatus.VALID
    assert status_enter(ReissueRequest(), ReissueRequestStatus.PENDING).status == ReissueRequestStatus.PENDING
    with pytest.raises(InvalidTransition):
        status_enter(ReissueRequest(), ReissueRequestStatus.APPROVED)
    for status in set(ReviewStatus.values) - {"waiting", "pending"}:
        with pytest.raises(InvalidTransition):
            status_enter(Review(), status)
    with pytest.raises(InvalidTransition):
        status_enter(Application(), ApplicationStatus.ISSUED)


@pytest.mark.django_db
def test_a_refused_bulk_move_writes_nothing(submit):
    application = submit()
    before = dict(application.reviews.values_list("pk", "status"))
    with pytest.raises(InvalidTransition):
        status_move_rows(application.reviews.all(), ReviewStatus.WAITING, from_states=[ReviewStatus.PENDING])
    assert dict(application.reviews.values_list("pk", "status")) == before
    moved = status_move_rows(application.reviews.all(), ReviewStatus.IN_PROGRESS, from_states=[ReviewStatus.PENDING])
    assert moved == 3
    assert sorted(application.reviews.values_list("status", flat=True)) == [
        "in_progress", "in_progress", "in_progress", "waiting"]


@pytest.mark.django_db
@pytest.mark.parametrize("status", ApplicationStatus.values)
def test_withdrawing_follows_the_table(submit, citizen, status):
    application = submit()
    Application.objects.filter(pk=application.pk).update(status=status)
    if (status, "withdrawn") in EXPECTED[Application]:
        workflow.application_withdraw(application_id=application.pk, actor=citizen)
        assert Application.objects.get(pk=application.pk).status == ApplicationStatus.WITHDRAWN
    else:
        with pytest.raises(InvalidTransition):
            workflow.application_withdraw(application_id=application.pk, actor=citizen)
        assert Application.objects.get(pk=application.pk).status == status


@pytest.mark.django_db
@pytest.mark.parametrize("status", ApplicationStatus.values)
def test_marking_issued_follows_the_table(submit, status):
    application = submit()
    Application.objects.filter(pk=application.pk).update(status=status)
    workflow.application_mark_issued(application_id=application.pk, permit=Permit(number="P-1"))
    expected = "issued" if (status, "issued") in EXPECTED[Application] else status
    assert Application.objects.get(pk=application.pk).status == expected
