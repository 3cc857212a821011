"""generate_history: the bulk history keeps the engine's invariants, is the same for a seed
whatever the batch size, and the officer workspace works on it."""

from collections import Counter, defaultdict
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from approvals.models import (
    APPLICATION_RATEABLE,
    LOW_RATING_MAX,
    REVIEW_UNDECIDED,
    Application,
    ApplicationStatus,
    Attachment,
    Rating,
    Rectification,
    RectificationStatus,
    Review,
    ReviewStatus,
)
from approvals.rectifications import owners_of
from approvals.sla import reminder_day
from audit.chain import audit_verify
from audit.models import Action, AuditEvent
from catalogue.applicability import applied
from catalogue.calendar import load_calendar
from departments.models import Department, Membership
from devtools.history import generate_history
from devtools.management.commands.seed_demo import DEMO_CATALOGUE
from permits.models import Permit
from permits.services import permit_number

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
A, R, X = ApplicationStatus, ReviewStatus, RectificationStatus
NOW = datetime(2026, 11, 24, 4, 0, tzinfo=UTC)  # noon in Shanghai, a Tuesday
# The history of seed 7 with 300 applications over the demo catalogue.
EXPECTED_STATES = {A.DRAFT: 15, A.IN_REVIEW: 15, A.NEEDS_CORRECTION: 15, A.APPROVED: 1, A.ISSUED: 181,
                   A.REJECTED: 48, A.WITHDRAWN: 25}
EXPECTED_TOTALS = {"applications": 300, "reviews": 853, "permits": 182, "ratings": 94, "rectifications": 49,
                   "attachments": 652,
                   "correction_requests": 53}


@pytest.fixture
def catalogue(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_catalogue", str(DEMO_CATALOGUE), stdout=StringIO())


def generated(batch: int):
    totals = generate_history(applications=300, seed=7, batch=batch, now=NOW)
    return totals, Counter(Application.objects.values_list("status", flat=True))


@pytest.mark.parametrize("batch", [300, 17])
def test_a_seed_gives_the_same_history_whatever_the_batch(catalogue, batch):
    totals, states = generated(batch)
    assert dict(states) == EXPECTED_STATES
    assert totals == EXPECTED_TOTALS
    assert Review.objects.count() == totals["reviews"]
    assert Permit.objects.count() == totals["permits"] == states[A.APPROVED] + states[A.ISSUED]
    assert Rating.objects.count() == totals["ratings"]
    assert Rectification.objects.count() == totals["rectifications"]
    assert Attachment.objects.count() == totals["attachments"]
    assert not Attachment.objects.filter(disarmed_file="").exists()  # every one has the copy people are given
    assert AuditEvent.objects.filter(seq__isnull=False).count() == totals["correction_requests"]


def test_the_history_keeps_the_engine_invariants(catalogue):
    generated(100)
    calendar = load_calendar()
    members = set(Membership.objects.values_list("department_id", "user_id"))
    permits = Counter(Permit.objects.values_list("application_id", flat=True))
    references = list(Application.objects.exclude(reference=None).values_list("reference", flat=True))
    assert len(references) == len(set(references))
    requests = defaultdict(list)
    for event in AuditEvent.objects.order_by("seq"):
        assert event.action == Action.REVIEW_CORRECTION and event.object_type == "review"
        requests[int(event.object_id)].append(event)
    assert audit_verify().ok and audit_verify().unsealed == 0

    for application in Application.objects.select_related("service_version"):
        reviews = list(application.reviews.all())
        schema = application.schema
        status = application.status
        assert application.created_at <= (application.submitted_at or application.created_at) <= NOW
        assert permits[application.pk] == (1 if status in (A.APPROVED, A.ISSUED) else 0)
        if application.submitted_at is None:
            assert status in (A.DRAFT, A.WITHDRAWN)
            assert application.reference is None and reviews == [] and application.current_stage is None
            continue
        local = timezone.localdate(application.submitted_at)
        assert application.reference == f"A-{local.year}-{application.pk:06d}"
        # One review per department whose review applies to the answers, which are those asked.
        applies = applied(schema, {**application.answers, **{a.field_key: True for a in application.attachments.all()}})
        assert set(application.answers) <= set(applies.asked)
        assert sorted((r.department.code, r.stage, r.sla_days) for r in reviews) == sorted(
            (r["department"], r["stage"], r["sla_days"]) for r in applies.reviews)
        current = application.current_stage
        by_status = Counter(r.status for r in reviews)
        earlier = [r for r in reviews if r.stage < current]
        now_stage = [r for r in reviews if r.stage == current]
        later = [r for r in reviews if r.stage > current]
        assert all(r.status == R.APPROVED for r in earlier)
        if status in (A.IN_REVIEW, A.NEEDS_CORRECTION):
            assert all(r.status == R.WAITING for r in later)
            assert application.decided_at is None
            if status == A.IN_REVIEW:
                assert by_status[R.CORRECTION_REQUESTED] == 0
                assert any(r.status in (R.PENDING, R.IN_PROGRESS) for r in now_stage)
            else:
                assert any(r.status == R.CORRECTION_REQUESTED for r in now_stage)
        elif status in (A.APPROVED, A.ISSUED):
            assert by_status == {R.APPROVED: len(reviews)}
            assert application.decided_at == max(r.decided_at for r in reviews)
            permit = application.permits.get()
            assert permit.number == permit_number(application)
            assert (permit.rendered_at is not None) == (status == A.ISSUED)
        elif status == A.REJECTED:
            assert by_status[R.REJECTED] == 1 and not any(r.status in REVIEW_UNDECIDED for r in reviews)
            assert application.decided_at == next(r.decided_at for r in reviews if r.status == R.REJECTED)
        else:
            assert status == A.WITHDRAWN and application.withdrawn_at is not None
            assert not any(r.status in REVIEW_UNDECIDED for r in reviews)

        for review in reviews:
            if review.routed_at:
                assert application.submitted_at <= review.pending_since <= review.routed_at <= NOW
                # A correction round the applicant answered moved the dates by the working days waited.
                limit = review.sla_days + review.paused_days
                assert review.due_date == calendar.add_working_days(review.started_on, limit)
                assert review.red_on == calendar.add_working_days(review.started_on, review.sla_days + limit)
                if review.yellow_at:
                    assert timezone.localdate(review.yellow_at) > review.due_date
                if review.red_at:
                    assert review.yellow_at and timezone.localdate(review.red_at) > review.red_on
            else:
                assert review.status in (R.WAITING, R.CANCELLED) and review.due_date is None
            if review.status in (R.APPROVED, R.REJECTED, R.CORRECTION_REQUESTED):
                assert review.routed_at < review.decided_at <= NOW
                assert (review.department_id, review.decided_by_id) in members
            if review.status == R.IN_PROGRESS:
                assert (review.department_id, review.assignee_id) in members
            asked = requests.pop(review.pk, [])
            assert all(e.application_id == application.pk and e.subject_id == application.applicant_id
                       and e.department_code == review.department.code and (review.department_id, e.actor_id) in members
                       and set(e.details["fields"]) <= set(schema.department_fields(review.department.code))
                       and review.routed_at < e.at <= review.decided_at for e in asked)
            if review.status == R.CORRECTION_REQUESTED:
                assert review.correction_fields and review.correction_message and review.paused_on
                assert set(review.correction_fields) <= set(schema.department_fields(review.department.code))
                assert review.paused_days == 0 and [e.details["fields"] for e in asked] == [review.correction_fields]
            elif review.paused_days:
                # Asked, then answered at the latest on the decision day.
                assert review.status in (R.APPROVED, R.REJECTED) and len(asked) == 1
                assert review.paused_days <= calendar.working_days_between(timezone.localdate(asked[0].at),
                                                                           timezone.localdate(review.decided_at))
            else:
                assert asked == []
    assert requests == {}
    # Both kinds of correction request are in the history.
    assert Review.objects.filter(paused_days__gt=0).exists()
    assert Review.objects.filter(status=R.CORRECTION_REQUESTED).exists()

    for rating in Rating.objects.select_related("application"):
        assert rating.application.status in APPLICATION_RATEABLE
        assert rating.rated_by_id == rating.application.applicant_id
        assert rating.application.decided_at < rating.created_at <= NOW
    # A bad rating opened one case per department that decided, due in the service's working days;
    # as the engine writes them (approvals.rectifications).
    owners = owners_of(Department.objects.values_list("pk", flat=True))
    cases = Counter()
    for case in Rectification.objects.select_related("rating", "application__service_version"):
        rating = case.rating
        assert rating.score <= LOW_RATING_MAX and case.application_id == rating.application_id
        assert case.department_id in set(Review.objects.filter(application_id=case.application_id,
                                                                decided_by__isnull=False).values_list("department_id", flat=True))
        rated = timezone.localdate(rating.created_at)
        days = case.application.schema.rectify_days
        assert (case.opened_at, case.owner_id) == (rating.created_at, owners[case.department_id])
        assert case.due_date == calendar.add_working_days(rated, days)
        assert case.remind_on == calendar.add_working_days(rated, reminder_day(days))
        if case.status == X.OPEN:
            assert case.closed_at is None and case.account == "" and case.follow_up_score is None
        else:
            assert case.opened_at < case.closed_at <= NOW and case.account and case.closed_by_id == case.owner_id
            assert (case.follow_up_score is not None) == (case.status == X.FOLLOWED_UP)
            if case.follow_up_at:
                assert case.closed_at < case.follow_up_at <= NOW
        if case.escalated_at:
            assert timezone.localdate(case.escalated_at) > case.due_date
        cases[case.status] += 1
    bad = Rating.objects.filter(score__lte=LOW_RATING_MAX, application__reviews__decided_by__isnull=False)
    assert sum(cases.values()) == bad.values("application_id", "application__reviews__department_id").distinct().count()
    assert cases[X.CLOSED] and cases[X.FOLLOWED_UP]  # open ones only from the last days' ratings
    # Some open reviews are overdue, as in real life.
    assert Review.objects.filter(status__in=[R.PENDING, R.IN_PROGRESS], yellow_at__isnull=False).exists()


def test_the_officer_workspace_works_on_the_history(catalogue, client):
    generated(300)
    # A review of a department shown the applicant's name (need to know): the copy the queue shows.
    review = (Review.objects.filter(status=R.IN_PROGRESS, application__status=A.IN_REVIEW).exclude(applicant_name="")
              .select_related("assignee", "application__applicant").order_by("pk").first())
    assert review.applicant_name == review.application.applicant.full_name
    client.force_login(review.assignee)
    for tab in ("pending", "mine", "in_progress", "waiting", "decided"):
        assert client.get(reverse("departments:queue"), {"tab": tab}).status_code == 200
    mine = client.get(reverse("departments:queue"), {"tab": "mine"})
    assert review.application.reference in mine.content.decode()
    name = review.application.applicant.full_name.split()[0]
    assert client.get(reverse("departments:queue"), {"tab": "mine", "q": name}).status_code == 200
    page = client.get(reverse("departments:review", args=[review.pk]))
    assert page.status_code == 200
    assert review.application.applicant.full_name in page.content.decode()

    response = client.post(reverse("departments:decide", args=[review.pk]),
                           {"decision": "approve", "version": review.version, "confirm": "1"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == R.APPROVED and review.decided_by_id == review.assignee_id
