"""The declared states of applications, reviews, permits and permit corrections, and the only code
that writes them.

Each table maps a state to the states it may move to. Every status write of the portal goes
through this module (a source scan test keeps it so): ``status_move`` for one instance the
caller then saves, ``status_move_rows`` for a conditional UPDATE of many rows,
``status_enter`` for a row being created. A move the table does not allow raises
``InvalidTransition``; the services check their own, more specific conditions first, so
this is the backstop that keeps every path inside the declared machine."""

from collections.abc import Iterable

from django.db import models

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

from .models import (
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

A, R, P, C, B = ApplicationStatus, ReviewStatus, PermitStatus, ReissueRequestStatus, BundleApplicationStatus
K = ComplaintStatus
X = RectificationStatus

APPLICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    A.DRAFT: frozenset({A.IN_REVIEW, A.AWAITING_PAYMENT, A.WITHDRAWN}),  # submit, withdraw
    # The fee paid: reviews start; withdrawn; refused with a bundle's permit it depends on.
    A.AWAITING_PAYMENT: frozenset({A.IN_REVIEW, A.WITHDRAWN, A.REJECTED}),
    A.IN_REVIEW: frozenset({A.NEEDS_CORRECTION, A.APPROVED, A.REJECTED, A.WITHDRAWN}),  # decide, fan-in, withdraw
    A.NEEDS_CORRECTION: frozenset({A.IN_REVIEW, A.REJECTED, A.WITHDRAWN}),  # correct, decide, withdraw
    A.APPROVED: frozenset({A.ISSUED}),  # the permit's file is produced
    A.ISSUED: frozenset(),
    A.REJECTED: frozenset(),
    A.WITHDRAWN: frozenset(),
}

REVIEW_TRANSITIONS: dict[str, frozenset[str]] = {
    R.WAITING: frozenset({R.PENDING, R.CANCELLED}),  # next stage, rejection or withdrawal
    R.PENDING: frozenset({R.IN_PROGRESS, R.APPROVED, R.REJECTED, R.CORRECTION_REQUESTED, R.CANCELLED}),
    # Assigning a held review to another officer keeps it in progress (it changes hands).
    R.IN_PROGRESS: frozenset({R.IN_PROGRESS, R.PENDING, R.APPROVED, R.REJECTED, R.CORRECTION_REQUESTED, R.CANCELLED}),
    R.CORRECTION_REQUESTED: frozenset({R.IN_PROGRESS, R.PENDING, R.CANCELLED}),  # corrected, or ended
    R.APPROVED: frozenset({R.PENDING}),  # a correction changed the department's answers
    R.REJECTED: frozenset(),
    # Needed again: a correction changed answers back so that its condition holds (a fresh clock).
    R.CANCELLED: frozenset({R.PENDING, R.WAITING}),
}

PERMIT_TRANSITIONS: dict[str, frozenset[str]] = {
    P.VALID: frozenset({P.REVOKED, P.SUPERSEDED, P.CANCELLED}),  # revoke, re-issue, the holder's cancellation
    P.REVOKED: frozenset(),
    P.SUPERSEDED: frozenset(),
    P.CANCELLED: frozenset(),  # in force from its date (Permit.state); nothing follows it
}

# A proposed correction of a permit: a second person approves (the corrected permit is issued)
# or rejects it; the proposer may withdraw it (a rejection); revoking the permit rejects it.
REISSUE_REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    C.PENDING: frozenset({C.APPROVED, C.REJECTED}),
    C.APPROVED: frozenset(),
    C.REJECTED: frozenset(),
}

BUNDLE_APPLICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    B.DRAFT: frozenset({B.SUBMITTED, B.WITHDRAWN}),
    B.SUBMITTED: frozenset(),
    B.WITHDRAWN: frozenset(),
}

# A complaint (approvals.complaints): a member of the public confirms their address first; the
# handler answers; the complainant is satisfied (closed) or not: the first "not satisfied" sends it
# to the supervising office, whose answer closes it whatever the verdict on it.
COMPLAINT_TRANSITIONS: dict[str, frozenset[str]] = {
    K.UNCONFIRMED: frozenset({K.OPEN}),  # the address confirmed: routed
    K.OPEN: frozenset({K.ANSWERED}),
    K.ANSWERED: frozenset({K.CLOSED, K.ESCALATED}),  # satisfied, or not (once)
    K.ESCALATED: frozenset({K.ANSWERED}),
    K.CLOSED: frozenset(),
}

# The rectification of a bad rating: the owner writes what was done (closed), then the applicant
# rates the service once more (followed up). Reassigning changes the owner, not the state.
RECTIFICATION_TRANSITIONS: dict[str, frozenset[str]] = {
    X.OPEN: frozenset({X.CLOSED}),
    X.CLOSED: frozenset({X.FOLLOWED_UP}),
    X.FOLLOWED_UP: frozenset(),
}

# Payments (approvals.payment_flow): an order is paid or cancelled once; a refund the portal
# proposed is confirmed or cancelled by a finance officer; money that could not be applied is
# resolved by a person.
PO, RF, PI = PaymentOrderStatus, RefundStatus, IssueStatus
PAYMENT_ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    PO.OPEN: frozenset({PO.PAID, PO.CANCELLED}),
    PO.PAID: frozenset(),
    PO.CANCELLED: frozenset(),
}
REFUND_TRANSITIONS: dict[str, frozenset[str]] = {
    RF.PROPOSED: frozenset({RF.CONFIRMED, RF.CANCELLED}),
    RF.CONFIRMED: frozenset(),
    RF.CANCELLED: frozenset(),
}
PAYMENT_ISSUE_TRANSITIONS: dict[str, frozenset[str]] = {
    PI.OPEN: frozenset({PI.RESOLVED}),
    PI.RESOLVED: frozenset(),
}

# An appointment booking (approvals.appointments): a move changes its time, not its state; it is
# cancelled by the citizen before the cut-off, or recorded as missed once it has started.
BK = BookingStatus
BOOKING_TRANSITIONS: dict[str, frozenset[str]] = {
    BK.BOOKED: frozenset({BK.CANCELLED, BK.NO_SHOW}),
    BK.CANCELLED: frozenset(),
    BK.NO_SHOW: frozenset(),
}

TRANSITIONS: dict[type[models.Model], dict[str, frozenset[str]]] = {
    Application: APPLICATION_TRANSITIONS, Review: REVIEW_TRANSITIONS, Permit: PERMIT_TRANSITIONS,
    ReissueRequest: REISSUE_REQUEST_TRANSITIONS, BundleApplication: BUNDLE_APPLICATION_TRANSITIONS,
    Complaint: COMPLAINT_TRANSITIONS,
    Rectification: RECTIFICATION_TRANSITIONS,
    PaymentOrder: PAYMENT_ORDER_TRANSITIONS, Refund: REFUND_TRANSITIONS, PaymentIssue: PAYMENT_ISSUE_TRANSITIONS,
    AppointmentBooking: BOOKING_TRANSITIONS,
}

# The states a row may be created in.
INITIAL: dict[type[models.Model], frozenset[str]] = {
    Application: frozenset({A.DRAFT}), Review: frozenset({R.WAITING, R.PENDING}), Permit: frozenset({P.VALID}),
    ReissueRequest: frozenset({C.PENDING}), BundleApplication: frozenset({B.DRAFT}),
    Complaint: frozenset({K.UNCONFIRMED, K.OPEN}),  # a signed-in citizen's is routed at once
    Rectification: frozenset({X.OPEN}),
    PaymentOrder: frozenset({PO.OPEN}), Refund: frozenset({RF.PROPOSED}), PaymentIssue: frozenset({PI.OPEN}),
    AppointmentBooking: frozenset({BK.BOOKED}),
}


def transition_allowed(model: type[models.Model], current: str, new: str) -> bool:
    return new in TRANSITIONS[model].get(current, frozenset())


def transition_check(model: type[models.Model], current: str, new: str) -> None:
    """Raise InvalidTransition unless ``model`` may move from ``current`` to ``new``."""
    if not transition_allowed(model, current, new):
        raise InvalidTransition()


def status_enter(obj: models.Model, status: str) -> models.Model:
    """Give a row being created its first state; returns the row."""
    if status not in INITIAL[type(obj)]:
        raise InvalidTransition()
    obj.status = status
    return obj


def status_move(obj: models.Model, new: str) -> None:
    """Move one instance to ``new`` (the caller saves it with ``status`` among its fields)."""
    transition_check(type(obj), obj.status, new)
    obj.status = new


def status_move_rows(queryset: models.QuerySet, new: str, *, from_states: Iterable[str], **fields) -> int:
    """Move the rows of ``queryset`` that are in one of ``from_states`` to ``new`` in one
    conditional UPDATE (also setting ``fields``); returns how many moved."""
    from_states = list(from_states)
    for current in from_states:
        transition_check(queryset.model, current, new)
    return queryset.filter(status__in=from_states).update(status=new, **fields)
