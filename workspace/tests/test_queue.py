"""The department queue: tabs, filters, search, keyset pages, counts, isolation, row actions."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import QUEUE_NO_DUE_DATE, Review, ReviewStatus
from approvals.sla import local_today, sla_calendar
from catalogue.models import Requirement
from departments.access import department_members
from departments.models import Department, Membership
from tests.factories import UserFactory, officer, restaurant_service
from workspace import selectors
from workspace.queue_rows import row_labels
from workspace.selectors import Cursor, QueueFilters

from .queue_helpers import count_queries as _count_queries
from .queue_helpers import make_review

pytestmark = pytest.mark.django_db
S = ReviewStatus


def refs(reviews):
    return [r.application.reference for r in reviews]


def page(client, **params):
    response = client.get(reverse("departments:queue"), params)
    assert response.status_code == 200
    return response


def ids(response):
    return [r.pk for r in response.context["reviews"]]


@pytest.fixture
def reg(officers):
    return officers["registration"]


@pytest.fixture
def sup(officers):
    return officers["registration_supervisor"]


@pytest.fixture
def tabs(restaurant, reg, sup):
    today = local_today()
    return {
        "pending": [make_review(restaurant, "registration", due=today + timedelta(days=d)) for d in (3, 1)],
        "mine": [make_review(restaurant, "registration", status=S.IN_PROGRESS, assignee=reg, due=today)],
        "theirs": [make_review(restaurant, "registration", status=S.IN_PROGRESS, assignee=sup, due=today)],
        "waiting": [make_review(restaurant, "registration", status=S.CORRECTION_REQUESTED, due=today)],
        "decided": [make_review(restaurant, "registration", status=S.APPROVED, decided_at=today_at(-2)),
                    make_review(restaurant, "registration", status=S.REJECTED, decided_at=today_at(-1))],
        "other": [make_review(restaurant, "health"), make_review(restaurant, "health", status=S.IN_PROGRESS,
                                                                 assignee=None)],
    }


def today_at(days):
    from django.utils import timezone

    return timezone.now() + timedelta(days=days)


def test_each_tab_lists_exactly_its_reviews(client, reg, tabs):
    client.force_login(reg)
    t = tabs
    assert ids(page(client)) == [t["pending"][1].pk, t["pending"][0].pk]  # by due date
    assert ids(page(client, tab="pending")) == [t["pending"][1].pk, t["pending"][0].pk]
    assert ids(page(client, tab="mine")) == [t["mine"][0].pk]
    assert ids(page(client, tab="in_progress")) == sorted([t["mine"][0].pk, t["theirs"][0].pk])
    assert ids(page(client, tab="waiting")) == [t["waiting"][0].pk]
    assert ids(page(client, tab="decided")) == [t["decided"][1].pk, t["decided"][0].pk]  # newest decision first
    counts = page(client).context["counts"]
    assert {k: (c.value, c.capped) for k, c in counts.items()} == {
        "pending": (2, False), "mine": (1, False), "in_progress": (2, False), "waiting": (1, False),
        "decided": (2, False),
    }


def test_an_officer_of_no_department_yet_gets_an_empty_queue(client, tabs):
    client.force_login(UserFactory(email="new.officer@example.gov", role="officer"))
    response = page(client)
    assert response.status_code == 200
    assert ids(response) == []
    assert {k: (c.value, c.capped) for k, c in response.context["counts"].items()} == {
        "pending": (0, False), "mine": (0, False), "in_progress": (0, False), "waiting": (0, False),
        "decided": (0, False),
    }


def test_counts_are_readable_by_screen_readers(client, reg, tabs):
    client.force_login(reg)
    html = page(client).content.decode()
    assert '<span class="visually-hidden">(2 reviews)</span>' in html
    assert '<span class="visually-hidden">(1 review)</span>' in html
    assert "<caption>Reviews of your departments" in html
    assert '<th scope="row">' in html
    assert '<div class="table-responsive position-relative">' in html


def test_filters_service_stage_due_soon_overdue(client, restaurant, reg):
    other_service = restaurant_service(slug="open-a-cafe")
    calendar, today = sla_calendar(), local_today()
    soon = calendar.add_working_days(today, 2)
    due_today = make_review(restaurant, "registration", due=today)
    due_soon = make_review(restaurant, "registration", due=soon)
    later = make_review(restaurant, "registration", due=calendar.add_working_days(today, 3))
    no_due = make_review(restaurant, "registration")
    yellow = make_review(restaurant, "registration", due=today - timedelta(days=3), yellow=True)
    red = make_review(restaurant, "registration", due=today - timedelta(days=9), red=True)
    stage2 = make_review(restaurant, "registration", stage=2, due=later.due_date)
    cafe = make_review(other_service, "registration", due=today)
    client.force_login(reg)

    assert ids(page(client, service=other_service.pk)) == [cafe.pk]
    assert ids(page(client, stage=2)) == [stage2.pk]
    assert set(ids(page(client, due_soon="1"))) == {due_today.pk, due_soon.pk, cafe.pk}
    assert ids(page(client, overdue="1")) == [red.pk, yellow.pk]
    assert ids(page(client, overdue="1", service=restaurant.pk, stage=1)) == [red.pk, yellow.pk]
    assert ids(page(client, due_soon="1", service=restaurant.pk)) == [due_today.pk, due_soon.pk]
    everything = ids(page(client))
    assert everything[-1] == no_due.pk  # no due date sorts last
    assert len(everything) == 8
    assert page(client, overdue="1").context["counts"]["pending"].value == 2


def test_search_by_reference_and_name(client, restaurant, reg):
    li = UserFactory(email="li.na@example.org", full_name="Li Na")
    lina = make_review(restaurant, "registration", applicant=li)
    other = make_review(restaurant, "registration", applicant=UserFactory(email="z@example.org", full_name="Zhou Min"))
    client.force_login(reg)
    assert ids(page(client, q=lina.application.reference.lower())) == [lina.pk]
    assert ids(page(client, q=f"  {other.application.reference}  ")) == [other.pk]
    assert ids(page(client, q="A-2026-999999")) == []
    assert ids(page(client, q="li n")) == [lina.pk]
    assert ids(page(client, q="ZHOU")) == [other.pk]
    # LIKE's wildcards are searched for as themselves.
    assert ids(page(client, q="%")) == [] and ids(page(client, q="_")) == [] and ids(page(client, q="\\")) == []


def name_search_statements(user, filters, limit):
    """The rows of a name search and which of its statements compared names, in order: "walk"
    (the first rows of the tab) or "index" (anywhere in the tab, by the trigram index)."""
    dept = [Department.objects.get(code="registration").pk]
    with CaptureQueriesContext(connection) as queries:
        rows, cursor = selectors.queue_reviews(user=user, department_ids=dept, filters=filters, limit=limit)
    kinds = ["walk" if "FROM (SELECT" in q["sql"] else "index" for q in queries if "LIKE" in q["sql"]]
    return [r.pk for r in rows], cursor, kinds


@pytest.mark.parametrize("tab", ["pending", "decided"])
def test_a_name_search_walks_the_tab_for_a_common_name_and_asks_the_index_for_a_rare_one(
        restaurant, reg, monkeypatch, tab):
    from django.utils import timezone

    monkeypatch.setattr(selectors, "NAME_WALK", 6)
    status = S.APPROVED if tab == "decided" else S.PENDING
    today, now = local_today(), timezone.now()
    zhou = UserFactory(email="zhou@example.org", full_name="Zhou Min 周敏")
    rare = UserFactory(email="rare@example.org", full_name="Olga Petrova")
    # Rows in the tab's order: Zhou in most of the first six, Olga only far down the tab.
    people = [zhou, zhou, None, zhou, zhou, zhou] + [None] * 8 + [rare, zhou, rare]
    reviews = [make_review(restaurant, "registration", status=status, applicant=person,
                           due=today + timedelta(days=i), decided_at=now - timedelta(hours=i) if tab == "decided" else None)
               for i, person in enumerate(people)]
    of = lambda person: [r.pk for r in reviews if r.application.applicant_id == person.pk]  # noqa: E731

    # Four of the first six rows fill a page of three: walked, and the next page goes on from it.
    first, cursor, kinds = name_search_statements(reg, QueueFilters(tab=tab, search="zhou"), limit=3)
    assert (first, kinds) == (of(zhou)[:3], ["walk"])
    rest, cursor_2, kinds = name_search_statements(reg, QueueFilters(tab=tab, search="周敏", after=cursor), limit=3)
    assert rest == of(zhou)[3:] and cursor_2 is None
    # A name the first six rows do not hold: the walk falls short, the index finds both rows.
    found, cursor, kinds = name_search_statements(reg, QueueFilters(tab=tab, search="PETROVA"), limit=3)
    assert (found, cursor, kinds) == (of(rare), None, ["walk", "index"])
    assert name_search_statements(reg, QueueFilters(tab=tab, search="nobody"), limit=3) == ([], None, ["walk", "index"])
    # A full name goes to the index straight away, and pages on from it the same way.
    first, cursor, kinds = name_search_statements(reg, QueueFilters(tab=tab, search="zhou min"), limit=3)
    assert (first, kinds) == (of(zhou)[:3], ["index"])
    assert name_search_statements(reg, QueueFilters(tab=tab, search="Zhou Min", after=cursor), limit=3)[0] == of(zhou)[3:]


@pytest.mark.parametrize("tab", ["pending", "decided"])
def test_a_name_searchs_rows_are_read_by_their_ids_and_shown_in_the_tabs_order(restaurant, reg, tab):
    """The page's rows are read by their ids alone, not along the tab's index testing each row
    against the list (1,500 rows read for a page of a common name at a million applications)."""
    from django.utils import timezone

    status = S.APPROVED if tab == "decided" else S.PENDING
    today, now = local_today(), timezone.now()
    zhou = UserFactory(email="zhou@example.org", full_name="Zhou Min")
    reviews = [make_review(restaurant, "registration", status=status, applicant=zhou if i % 2 else None,
                           due=today + timedelta(days=5 - i), decided_at=now - timedelta(hours=i))
               for i in range(8)]
    dept = [Department.objects.get(code="registration").pk]
    with CaptureQueriesContext(connection) as queries:
        rows, cursor = selectors.queue_reviews(user=reg, department_ids=dept, filters=QueueFilters(tab=tab, search="zhou"),
                                               limit=3)
    # Open tabs by due date (the later rows are due sooner), decided ones newest first.
    zhous = [r.pk for r in reviews if r.application.applicant_id == zhou.pk]
    assert [r.pk for r in rows] == (zhous[:3] if tab == "decided" else zhous[::-1][:3])
    assert cursor is not None
    fetch = queries.captured_queries[-1]["sql"]
    where = fetch.split(" WHERE ")[1]
    assert where.startswith('"approvals_review"."id" IN (') and " AND " not in where and "ORDER BY" not in where


def test_a_short_rare_name_past_the_walk_matches_whole_words_of_the_name(restaurant, reg, monkeypatch):
    monkeypatch.setattr(selectors, "NAME_WALK", 4)
    today = local_today()
    names = ["Li Na", "王芳敏", "Zhao Lei", "Sun Bo"] + ["Qian Yu"] * 4 + ["王芳", "Wang Fang 王芳", "王芳敏", "Liang Wei"]
    reviews = [make_review(restaurant, "registration", due=today + timedelta(days=i),
                           applicant=UserFactory(email=f"p{i}@example.org", full_name=name))
               for i, name in enumerate(names)]
    dept = [Department.objects.get(code="registration").pk]

    def search(text):
        with CaptureQueriesContext(connection) as queries:
            rows, _ = selectors.queue_reviews(user=reg, department_ids=dept, filters=QueueFilters(search=text), limit=3)
        return [names[reviews.index(r)] for r in rows], any("string_to_array" in q["sql"] for q in queries)

    # Within the first four rows any part of a name; past them whole words, through their index.
    assert search("王芳") == (["王芳敏", "王芳", "Wang Fang 王芳"], True)
    assert search("li") == (["Li Na"], True)
    assert search("Li Na") == (["Li Na"], True)
    # Three characters or more: any part of a name anywhere, through the trigram index.
    assert search("王芳敏") == (["王芳敏", "王芳敏"], False)
    assert search("ang") == (["Wang Fang 王芳", "Liang Wei"], False)


def test_a_name_search_does_not_count_the_tabs(client, restaurant, reg):
    make_review(restaurant, "registration", applicant=UserFactory(email="z@example.org", full_name="Zhou Min"))
    client.force_login(reg)
    response = page(client, q="zhou")
    assert len(ids(response)) == 1
    assert response.context["counts"] is None
    html = response.content.decode()
    assert "Tabs are not counted while searching by name." in html and "badge rounded-pill" not in html
    assert "Tabs are not counted" not in page(client).content.decode()


def test_counts_under_a_service_filter_or_a_search_stop_sooner(client, restaurant, reg, monkeypatch):
    monkeypatch.setattr(selectors, "FILTERED_COUNT_CAP", 2)
    reviews = [make_review(restaurant, "registration") for _ in range(3)]
    client.force_login(reg)
    assert page(client).context["counts"]["pending"] == selectors.QueueCount(3, False)
    by_service = page(client, service=restaurant.pk)
    assert by_service.context["counts"]["pending"] == selectors.QueueCount(2, True)
    assert "more than 2 reviews" in by_service.content.decode()
    by_reference = page(client, q=reviews[0].application.reference)
    assert by_reference.context["counts"]["pending"] == selectors.QueueCount(1, False)


def test_every_review_carries_its_applications_service(submit):
    application = submit()
    assert set(application.reviews.values_list("service_id", flat=True)) == {application.service_id}


def test_keyset_pages_return_each_review_once_in_order(client, restaurant, reg):
    today = local_today()
    reviews = [make_review(restaurant, "registration", due=None if i % 10 == 0 else today + timedelta(days=i % 7))
               for i in range(120)]
    expected = [r.pk for r in sorted(reviews, key=lambda r: (r.due_date or QUEUE_NO_DUE_DATE, r.pk))]
    client.force_login(reg)
    seen, params, pages = [], {}, 0
    while True:
        response = page(client, **params)
        pages += 1
        seen += ids(response)
        if not response.context["next_url"]:
            break
        params = {k: v[0] for k, v in parse_qs(urlparse(response.context["next_url"]).query).items()}
        assert "Next page" in response.content.decode()
    assert pages == 3
    assert seen == expected
    assert len(set(seen)) == 120


def test_keyset_pages_of_decided_newest_first(client, restaurant, reg, monkeypatch):
    from django.utils import timezone

    now = timezone.now()
    reviews = [make_review(restaurant, "registration", status=S.APPROVED, decided_at=now - timedelta(minutes=i // 2))
               for i in range(7)]
    expected = [r.pk for r in sorted(reviews, key=lambda r: (r.decided_at, r.pk), reverse=True)]
    seen, cursor = [], None
    dept = [Department.objects.get(code="registration").pk]
    while True:
        rows, cursor = selectors.queue_reviews(user=reg, department_ids=dept, limit=3,
                                               filters=QueueFilters(tab="decided", after=cursor))
        seen += [r.pk for r in rows]
        if cursor is None:
            break
        assert Cursor.decode(cursor.encode(), decided=True) == cursor
    assert seen == expected
    # The same through the page's "Next page" links.
    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    client.force_login(reg)
    seen, params = [], {"tab": "decided"}
    while params:
        response = page(client, **params)
        assert "That page link is no longer valid" not in response.content.decode()
        seen += ids(response)
        next_url = response.context["next_url"]
        params = {k: v[0] for k, v in parse_qs(urlparse(next_url).query).items()} if next_url else None
    assert seen == expected


def test_counts_are_capped(client, restaurant, reg, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 5)
    for _ in range(7):
        make_review(restaurant, "registration")
    make_review(restaurant, "registration", status=S.CORRECTION_REQUESTED)
    client.force_login(reg)
    response = page(client)
    counts = response.context["counts"]
    assert (counts["pending"].value, counts["pending"].capped) == (5, True)
    assert (counts["waiting"].value, counts["waiting"].capped) == (1, False)
    assert len(ids(response)) == 7
    html = response.content.decode()
    assert ">5+</span>" in html
    assert "more than 5 reviews" in html


def test_officers_never_see_another_departments_reviews(client, restaurant, officers):
    mine = make_review(restaurant, "registration")
    theirs = make_review(restaurant, "health")
    client.force_login(officers["registration"])
    response = page(client)
    assert ids(response) == [mine.pk]
    assert theirs.application.reference not in response.content.decode()
    assert ids(page(client, q=theirs.application.reference)) == []
    health = Department.objects.get(code="health")
    assert ids(page(client, department=health.pk)) == [mine.pk]  # not one of theirs: ignored
    assert client.post(reverse("departments:claim", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("departments:release", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == S.PENDING and theirs.assignee_id is None


def test_officer_of_two_departments_sees_both_and_can_filter(client, restaurant, officers):
    both = officers["registration"]
    tax = Department.objects.get(code="tax")

    Membership.objects.create(user=both, department=tax)
    r1 = make_review(restaurant, "registration", due=local_today())
    r2 = make_review(restaurant, "tax", due=local_today() + timedelta(days=1))
    make_review(restaurant, "health")
    client.force_login(both)
    response = page(client)
    assert ids(response) == [r1.pk, r2.pk]
    assert response.context["many_departments"]
    assert 'name="department"' in response.content.decode()
    assert ids(page(client, department=tax.pk)) == [r2.pk]


@pytest.mark.parametrize("params", [
    {"tab": "everything"}, {"stage": "abc"}, {"service": "999999"}, {"service": "x"}, {"after": "garbage"},
    {"after": "99999999999999999.5"}, {"after": "-5.1"}, {"after": "1.2.3"}, {"department": "0"},
    {"q": "x" * 500}, {"tab": ""}, {"stage": "-1"}, {"stage": "1e400"},
])
def test_bad_parameters_never_fail(client, restaurant, reg, params):
    review = make_review(restaurant, "registration")
    client.force_login(reg)
    response = page(client, **params)
    assert ids(response) == [review.pk]  # the bad value is ignored


def test_any_value_of_a_checkbox_filter_turns_it_on(client, restaurant, reg):
    make_review(restaurant, "registration")
    client.force_login(reg)
    assert ids(page(client, due_soon="maybe", overdue="☃")) == []


def test_malformed_cursor_says_so_and_shows_first_page(client, restaurant, reg):
    review = make_review(restaurant, "registration")
    client.force_login(reg)
    response = page(client, after="nonsense")
    assert ids(response) == [review.pk]
    assert "That page link is no longer valid" in response.content.decode()
    assert Cursor.decode("nonsense") is None
    assert Cursor.decode("7\N{SUPERSCRIPT TWO}.1") is None
    assert Cursor.decode("739000.5\n") is None
    assert Cursor.decode(f"{10**17}.5") is None  # no such date
    assert Cursor.decode(f"{10**17}.5", decided=True) == Cursor(10**17, 5)
    html = page(client, stage="abc", service="999999").content.decode()
    assert "Some filters could not be used and were ignored." in html
    assert Cursor.decode(Cursor(739000, 5).encode()) == Cursor(739000, 5)


def test_claim_and_release_from_the_queue_return_to_the_same_filters(client, restaurant, reg):
    """A row posts to the review's own claim and release with the queue page as ``next``; a
    ``next`` that is not one of our pages goes back to the review instead."""
    review = make_review(restaurant, "registration")
    client.force_login(reg)
    back = reverse("departments:queue") + "?tab=pending&stage=1"
    response = client.post(reverse("departments:claim", args=[review.pk]), {"next": back})
    assert response.status_code == 302 and response.url == back
    review.refresh_from_db()
    assert (review.status, review.assignee_id) == (S.IN_PROGRESS, reg.pk)
    response = client.post(reverse("departments:release", args=[review.pk]), {"next": "https://evil.example/"})
    assert response.url == reverse("departments:review", args=[review.pk])
    review.refresh_from_db()
    assert (review.status, review.assignee_id) == (S.PENDING, None)
    for bad in ("//evil.example/queue", "javascript:alert(1)", "https://testserver.evil.example/", "\\\\evil",
                "departments:queue", "not-a-page"):  # a bare word: redirect() would look it up as a view
        response = client.post(reverse("departments:claim", args=[review.pk]), {"next": bad})
        assert response.url == reverse("departments:review", args=[review.pk])
        client.post(reverse("departments:release", args=[review.pk]))


def test_rows_offer_claim_release_and_assign_forms(client, restaurant, reg, sup):
    pending = make_review(restaurant, "registration")
    held = make_review(restaurant, "registration", status=S.IN_PROGRESS, assignee=reg)
    client.force_login(reg)
    html = page(client).content.decode()
    assert reverse("departments:claim", args=[pending.pk]) in html
    assert reverse("departments:assign", args=[pending.pk]) not in html  # officers do not assign
    assert 'form="bulk-assign"' not in html
    html = page(client, tab="mine").content.decode()
    assert reverse("departments:release", args=[held.pk]) in html
    client.force_login(sup)
    html = page(client).content.decode()
    # A supervisor assigns from the queue by ticking rows (one for a single review) ...
    assert f'id="bulk-{pending.pk}"' in html and 'id="bulk-assign"' in html
    assert reverse("departments:assign", args=[pending.pk]) not in html
    assert "Workload" in html
    # ... or on the review page, back to it afterwards.
    review_url = reverse("departments:review", args=[pending.pk])
    html = client.get(review_url).content.decode()
    assert f'action="{reverse("departments:assign", args=[pending.pk])}"' in html
    assert '<label class="form-label" for="assignee">Officer responsible</label>' in html
    assert f'<option value="{reg.pk}">' in html
    response = client.post(reverse("departments:assign", args=[pending.pk]), {"assignee": reg.pk, "next": review_url})
    assert response.status_code == 302 and response.url == review_url
    pending.refresh_from_db()
    assert (pending.status, pending.assignee_id) == (S.IN_PROGRESS, reg.pk)
    html = client.get(review_url).content.decode()
    assert f'<option value="{reg.pk}" selected>' in html and "Reassign" in html


@pytest.mark.parametrize("who", ["registration", "registration_supervisor"])
def test_queue_page_query_count_is_constant(client, restaurant, officers, who):
    user = officers[who]
    client.force_login(user)
    url = reverse("departments:queue")
    make_review(restaurant, "registration", status=S.IN_PROGRESS, assignee=officers["registration"])
    one = _count_queries(client, url + "?tab=in_progress")
    extra = officer(Department.objects.get(code="registration"), email="third@example.gov")
    make_review(restaurant, "registration", status=S.IN_PROGRESS, assignee=extra, yellow=True)
    make_review(restaurant, "registration", status=S.IN_PROGRESS, assignee=officers["registration_supervisor"])
    three = _count_queries(client, url + "?tab=in_progress")
    assert len(page(client, tab="in_progress").context["reviews"]) == 3
    assert len(three) == len(one), "\n".join(q["sql"] for q in three.captured_queries)


def test_workload_counts_and_query_count(restaurant, officers):
    dept = Department.objects.get(code="registration")
    reg, sup = officers["registration"], officers["registration_supervisor"]
    make_review(restaurant, "registration", status=S.IN_PROGRESS, assignee=reg)

    def panel():
        members = department_members([dept.pk])
        with CaptureQueriesContext(connection) as queries:
            panels = selectors.workload(departments=[dept], members=members)
        return panels, queries

    _panels, one = panel()
    extra = officer(dept, email="third@example.gov")
    make_review(restaurant, "registration", status=S.IN_PROGRESS, assignee=extra, yellow=True)
    make_review(restaurant, "registration", status=S.PENDING, assignee=extra)
    make_review(restaurant, "registration", status=S.IN_PROGRESS, assignee=reg, red=True)
    make_review(restaurant, "registration", status=S.APPROVED, assignee=reg)  # decided: not held
    make_review(restaurant, "health", status=S.IN_PROGRESS, assignee=officers["health"])
    panels, three = panel()
    assert len(one) == len(three) == 1
    rows = {row["member"].user_id: (row["held"], row["overdue"]) for row in panels[0]["rows"]}
    assert rows == {reg.pk: (2, 1), sup.pk: (0, 0), extra.pk: (2, 1)}
    assert Review.objects.filter(assignee=reg).count() == 3


def test_a_row_of_a_service_the_department_no_longer_reviews_keeps_its_name(client, restaurant, reg):

    review = make_review(restaurant, "registration")
    Requirement.objects.filter(service=restaurant, department__code="registration").delete()
    client.force_login(reg)
    response = page(client)
    assert ids(response) == [review.pk]
    row = response.context["rows"]
    assert f">{review.application.reference}</a></th><td>Open a restaurant</td>" in row


def test_row_words_are_translated_once_a_page():
    from django.utils import translation


    with translation.override("zh-hans"):
        labels = row_labels()
    assert (labels["red"], labels["yellow"], labels["claim"], labels[S.APPROVED]) == ("红牌", "黄牌", "签收", "已批准")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_search_through_the_index_leaves_the_connections_planner_costs_as_they_were(restaurant, reg):
    """The index search lowers the cost of a random page read for its own statement only: in a
    transaction of its own when none is open (its commit ends the setting), reset inside one."""
    make_review(restaurant, "registration", applicant=UserFactory(email="o@example.org", full_name="Olga Petrova"))
    dept = [Department.objects.get(code="registration").pk]
    filters = QueueFilters(search="Olga Petrova")  # a full name: straight to the trigram index

    def cost():
        with connection.cursor() as cursor:
            cursor.execute("SHOW random_page_cost")
            return cursor.fetchone()[0]

    before = cost()
    with CaptureQueriesContext(connection) as queries:
        assert len(selectors.queue_reviews(user=reg, department_ids=dept, filters=filters)[0]) == 1
    assert (cost(), [q["sql"] for q in queries].count("RESET random_page_cost")) == (before, 0)
    with transaction.atomic():
        assert len(selectors.queue_reviews(user=reg, department_ids=dept, filters=filters)[0]) == 1
        assert cost() == before
