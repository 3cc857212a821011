"""The count of unread applicant messages stays true while messages arrive as officers read them
(PostgreSQL, threads)."""

import pytest

from approvals import consultation
from approvals.models import Message, MessageSide, Review
from tests.concurrent import run_together, run_while_waited_on

from .queue_helpers import make_review

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 40


def test_messages_sent_while_the_department_reads_are_never_lost_from_the_count(restaurant, officers):
    review = make_review(restaurant, "registration")
    applicant, officer = review.application.applicant, officers["registration"]

    def write():
        for n in range(ROUNDS):
            consultation.message_send_by_citizen(application_id=review.application_id,
                                                 department_id=review.department_id, actor=applicant, body=f"M{n}")

    def read():
        for _ in range(ROUNDS):
            consultation.thread_mark_read_by_department(review_id=review.pk, actor=officer)

    run_together(write, read)
    unread = Message.objects.filter(application_id=review.application_id, side=MessageSide.CITIZEN,
                                    read_by_department_at__isnull=True).count()
    assert Review.objects.get(pk=review.pk).unread_messages == unread
    consultation.thread_mark_read_by_department(review_id=review.pk, actor=officer)
    assert Review.objects.get(pk=review.pk).unread_messages == 0
    assert Message.objects.filter(side=MessageSide.CITIZEN).count() == ROUNDS


def test_a_message_committed_while_the_department_marks_read_stays_unread(restaurant, officers):
    """A message is saved and counted but not committed when the officer opens the review: the
    marking reads the earlier message only, waits for the count's row, and leaves the late one counted."""
    review = make_review(restaurant, "registration")
    applicant, officer = review.application.applicant, officers["registration"]

    def send(body):
        consultation.message_send_by_citizen(application_id=review.application_id, department_id=review.department_id,
                                             actor=applicant, body=body)

    send("Early")
    errors = run_while_waited_on(
        lambda: send("Late"),
        lambda: consultation.thread_mark_read_by_department(review_id=review.pk, actor=officer),
    )
    assert errors == []
    assert Message.objects.get(body="Early").read_by_department_at is not None
    assert Message.objects.get(body="Late").read_by_department_at is None
    assert Review.objects.get(pk=review.pk).unread_messages == 1
