"""Queue rows: when each review arrived, how long it has waited, and the applicant's unread messages."""

import re
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals import consultation
from approvals.models import MessageSide, Review, ReviewStatus

from .queue_helpers import RawEditor, count_queries, make_review

pytestmark = pytest.mark.django_db
S = ReviewStatus
FRIDAY = datetime(2026, 11, 20, 10, 0)


def arrived_at(review, day: str) -> Review:
    Review.objects.filter(pk=review.pk).update(pending_since=timezone.make_aware(datetime.fromisoformat(f"{day}T09:00")))
    return review


def row_of(html: str, review) -> str:
    reference = review.application.reference
    return next(row for row in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S) if f">{reference}</a>" in row)


def cells(row: str) -> list[str]:
    return re.findall(r"<td>(.*?)</td>", row, re.S)


def queue(client, **params) -> str:
    response = client.get(reverse("departments:queue"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_arrival_date_and_working_days_waited(client, restaurant, officers, time_machine):
    time_machine.move_to(timezone.make_aware(FRIDAY))
    today = arrived_at(make_review(restaurant, "registration"), "2026-11-20")
    yesterday = arrived_at(make_review(restaurant, "registration"), "2026-11-19")
    last_week = arrived_at(make_review(restaurant, "registration"), "2026-11-13")  # a weekend between
    client.force_login(officers["registration"])
    html = queue(client)
    assert '<th scope="col">Arrived · waiting</th>' in html
    assert cells(row_of(html, today))[3] == (
        '<time datetime="2026-11-20">20 Nov 2026</time><br><span class="small text-body-secondary">'
        "Less than a working day</span>")
    assert cells(row_of(html, yesterday))[3] == (
        '<time datetime="2026-11-19">19 Nov 2026</time><br><span class="small text-body-secondary">1 working day</span>')
    assert cells(row_of(html, last_week))[3] == (
        '<time datetime="2026-11-13">13 Nov 2026</time><br><span class="small text-body-secondary">5 working days</span>')


def test_the_decided_tab_shows_the_arrival_only(client, restaurant, officers, time_machine):
    time_machine.move_to(timezone.make_aware(FRIDAY))
    decided = arrived_at(make_review(restaurant, "registration", status=S.APPROVED, decided_at=timezone.now()), "2026-11-13")
    client.force_login(officers["registration"])
    html = queue(client, tab="decided")
    assert '<th scope="col">Arrived</th>' in html
    assert cells(row_of(html, decided))[3] == '<time datetime="2026-11-13">13 Nov 2026</time>'


def test_waited_in_chinese(client, restaurant, officers, time_machine):
    time_machine.move_to(timezone.make_aware(FRIDAY))
    review = arrived_at(make_review(restaurant, "registration"), "2026-11-13")
    client.force_login(officers["registration"])
    response = client.get(reverse("departments:queue"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert cells(row_of(response.content.decode(), review))[3].endswith(
        '<span class="small text-body-secondary">5 个工作日</span>')


def send(review, body="Any news?"):
    consultation.message_send_by_citizen(application_id=review.application_id, department_id=review.department_id,
                                         actor=review.application.applicant, body=body)


def badge(row: str) -> str:
    match = re.search(r'<span class="badge rounded-pill[^"]*"[^>]*>.*?</span></span>', row, re.S)
    return match.group(0) if match else ""


def test_unread_citizen_messages_are_marked_until_an_officer_reads_them(client, restaurant, officers):
    review = make_review(restaurant, "registration")
    quiet = make_review(restaurant, "registration")
    send(review, "One")
    send(review, "Two")
    consultation.message_send_by_department(review_id=review.pk, actor=officers["registration"], body="Answer")
    client.force_login(officers["registration"])
    html = queue(client)
    assert badge(row_of(html, review)) == (
        '<span class="badge rounded-pill text-bg-primary" title="2 unread messages from the applicant">'
        '<span aria-hidden="true">✉ 2</span><span class="visually-hidden">2 unread messages from the applicant</span></span>')
    assert badge(row_of(html, quiet)) == ""

    # A supervisor of the department opens the review, which leaves them unread, and reads them
    # ("Mark as read"): read for every officer of the department.
    client.force_login(officers["registration_supervisor"])
    assert client.get(reverse("departments:review", args=[review.pk])).status_code == 200
    assert Review.objects.get(pk=review.pk).unread_messages == 2
    newest = review.application.messages.filter(side=MessageSide.CITIZEN).latest("pk").pk
    assert client.post(reverse("departments:messages_read", args=[review.pk]), {"up_to": newest}).status_code == 302
    client.force_login(officers["registration"])
    assert badge(row_of(queue(client), review)) == ""
    review.refresh_from_db()
    assert review.unread_messages == 0

    send(review, "Three")
    assert "1 unread message from the applicant<" in badge(row_of(queue(client), review))


def test_another_departments_messages_and_views_do_not_count(client, restaurant, officers):
    application_review = make_review(restaurant, "registration")
    health = Review.objects.create(
        application=application_review.application, service=restaurant,
        department=officers["health"].memberships.get().department,
        stage=1, sla_days=5, status=S.PENDING, pending_since=timezone.now(), applicant_name="x")
    send(health, "For health only")
    client.force_login(officers["registration"])
    assert badge(row_of(queue(client), application_review)) == ""
    # The registration officer cannot open health's review; health's messages stay unread for health.
    assert client.get(reverse("departments:review", args=[health.pk])).status_code == 404
    health.refresh_from_db()
    assert health.unread_messages == 1


def test_unread_in_chinese(client, restaurant, officers):
    review = make_review(restaurant, "registration")
    send(review)
    client.force_login(officers["registration"])
    response = client.get(reverse("departments:queue"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert '<span class="visually-hidden">申请人有 1 条未读消息</span>' in badge(row_of(response.content.decode(), review))


@pytest.mark.parametrize("tab", ["pending", "decided"])
def test_the_new_columns_keep_the_query_count_constant(client, restaurant, officers, tab, time_machine):
    time_machine.move_to(timezone.make_aware(FRIDAY))
    status = S.APPROVED if tab == "decided" else S.PENDING
    decided_at = timezone.now() if tab == "decided" else None
    client.force_login(officers["registration"])
    url = reverse("departments:queue") + f"?tab={tab}"
    send(arrived_at(make_review(restaurant, "registration", status=status, decided_at=decided_at), "2026-11-19"))
    one = count_queries(client, url)
    for day in ("2026-11-02", "2026-10-15"):
        send(arrived_at(make_review(restaurant, "registration", status=status, decided_at=decided_at), day))
    three = count_queries(client, url)
    assert queue(client, tab=tab).count("unread message") == 2 * 3  # title and hidden text, each row
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)


def test_the_migration_counts_the_unread_messages_already_there(restaurant, officers):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("approvals.migrations.0012_review_unread_messages")
    two, read, none = (make_review(restaurant, "registration") for _ in range(3))
    send(two)
    send(two)
    send(read)
    consultation.thread_mark_read_by_department(review_id=read.pk, actor=officers["registration"])
    Review.objects.update(unread_messages=0)  # as before the column existed

    migration.count_unread(apps, RawEditor())
    assert {r.pk: r.unread_messages for r in Review.objects.all()} == {two.pk: 2, read.pk: 0, none.pk: 0}
