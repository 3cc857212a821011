"""Queue search by the end of a reference and by business name, through the walk and the indexes."""

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.db.models.functions import Reverse
from django.urls import reverse

from approvals import workflow
from approvals.models import Application, Review
from workspace import selectors

from .queue_helpers import RawEditor, make_review

pytestmark = pytest.mark.django_db


def review_with(restaurant, reference: str, business: str = "") -> Review:
    review = make_review(restaurant, "registration")
    Application.objects.filter(pk=review.application_id).update(reference=reference)
    # A name without digits: the helper's "Applicant 9" would match a search of 9 by name.
    Review.objects.filter(pk=review.pk).update(business_name=business, applicant_name="Wang Wei")
    review.refresh_from_db()
    return review


@pytest.fixture
def rows(restaurant):
    return {
        "nine": review_with(restaurant, "A-2026-000009", "Golden Dragon"),
        "nine_2025": review_with(restaurant, "A-2025-000009", "金龙酒家"),
        "million_nine": review_with(restaurant, "A-2026-1000009"),
        "ninety": review_with(restaurant, "A-2026-000090"),
        "number_2026": review_with(restaurant, "A-2026-002026"),
        "studio": review_with(restaurant, "A-2026-000777", "Studio 2026"),
        "plain": review_with(restaurant, "A-2026-000123"),
    }


def found(client, q, **params) -> list[str]:
    response = client.get(reverse("departments:queue"), {"q": q, **params})
    assert response.status_code == 200
    return sorted(r.application.reference for r in response.context["reviews"])


@pytest.fixture
def reg_client(client, officers):
    client.force_login(officers["registration"])
    return client


@pytest.mark.parametrize("walk", [3000, 1], ids=["walk", "index"])
def test_the_end_of_a_reference(reg_client, rows, monkeypatch, walk):
    monkeypatch.setattr(selectors, "NAME_WALK", walk)  # 1: past the first row, the indexes answer
    assert found(reg_client, "000009") == ["A-2025-000009", "A-2026-000009"]  # not 1000009, not 000090
    assert found(reg_client, "9") == ["A-2025-000009", "A-2026-000009"]  # the number, without its zeros
    assert found(reg_client, "0000009") == ["A-2025-000009", "A-2026-000009"]
    assert found(reg_client, "2026-000009") == ["A-2026-000009"]
    assert found(reg_client, "2026-9") == ["A-2026-000009"]
    assert found(reg_client, "1000009") == ["A-2026-1000009"]
    assert found(reg_client, "2024-000009") == []
    assert found(reg_client, "000124") == []


def test_a_whole_reference_in_any_case_and_with_its_zeros_left_out(reg_client, rows):
    assert found(reg_client, "A-2026-000009") == ["A-2026-000009"]
    assert found(reg_client, " a-2026-000009 ") == ["A-2026-000009"]
    assert found(reg_client, "A-2026-9") == ["A-2026-000009"]
    assert found(reg_client, "A-2026-999999") == []


@pytest.mark.parametrize("walk", [3000, 1], ids=["walk", "index"])
def test_business_name(reg_client, rows, monkeypatch, walk):
    monkeypatch.setattr(selectors, "NAME_WALK", walk)
    assert found(reg_client, "golden") == ["A-2026-000009"]
    assert found(reg_client, "Golden Dragon") == ["A-2026-000009"]
    assert found(reg_client, "金龙酒家") == ["A-2025-000009"]
    assert found(reg_client, "studio") == ["A-2026-000777"]
    assert found(reg_client, "Dragon Golden") == []


def test_a_short_business_name_word(reg_client, restaurant, monkeypatch):
    short = review_with(restaurant, "A-2026-000500", "Li Ji 李记")
    review_with(restaurant, "A-2026-000501", "Liang Bakery")
    assert found(reg_client, "李记") == [short.application.reference]
    monkeypatch.setattr(selectors, "NAME_WALK", 1)
    # Past the walk a one- or two-character search matches whole words (on PostgreSQL).
    expected = ["A-2026-000500"] if connection.vendor == "postgresql" else ["A-2026-000500", "A-2026-000501"]
    assert found(reg_client, "Li") == expected


@pytest.mark.parametrize("walk", [3000, 1], ids=["walk", "index"])
def test_input_that_looks_like_both_finds_both(reg_client, rows, monkeypatch, walk):
    monkeypatch.setattr(selectors, "NAME_WALK", walk)
    # 2026: the number of A-2026-002026, and part of "Studio 2026"; not every reference of 2026.
    assert found(reg_client, "2026") == ["A-2026-000777", "A-2026-002026"]


@pytest.mark.parametrize("q", ["%", "_", "2026-%", "00000_", "A-2026-00000_", "%9", "\\", "*", "A-2026-*"])
def test_wildcards_are_searched_for_as_themselves(reg_client, rows, q):
    assert found(reg_client, q) == []


def test_over_long_input_is_refused_with_a_message(reg_client, rows):
    response = reg_client.get(reverse("departments:queue"), {"q": "9" * 101}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Some filters could not be used and were ignored." in html
    assert "Ensure this value has at most 100 characters (it has 101)." in html
    # A number too long for a reference is still looked for in names, and finds nothing.
    assert found(reg_client, "9" * 40) == []


def test_searches_stay_in_the_officers_departments(client, restaurant, officers):
    make_review(restaurant, "health")
    health = Review.objects.filter(department__code="health").get()
    Application.objects.filter(pk=health.application_id).update(reference="A-2026-000009")
    Review.objects.filter(pk=health.pk).update(business_name="Golden Dragon")
    client.force_login(officers["registration"])
    assert found(client, "000009") == [] and found(client, "Golden") == []


def test_the_row_shows_the_business_name(reg_client, rows):
    html = reg_client.get(reverse("departments:queue"), {"q": "golden"}).content.decode()
    assert '<td>Wang Wei<br><span class="small text-body-secondary">Golden Dragon</span></td>' in html


def test_a_reference_tail_search_counts_no_tabs_and_a_whole_reference_does(reg_client, rows):
    assert reg_client.get(reverse("departments:queue"), {"q": "000009"}).context["counts"] is None
    counts = reg_client.get(reverse("departments:queue"), {"q": "A-2026-000009"}).context["counts"]
    assert counts["pending"].value == 1


def test_business_name_is_copied_at_submission_and_follows_a_correction(submit, officers, citizen):
    application = submit()
    assert set(application.reviews.values_list("business_name", flat=True)) == {"Golden Dragon"}
    registration = application.reviews.get(department__code="registration")
    workflow.review_decide(review_id=registration.pk, actor=officers["registration"], decision="correction",
                           correction_fields=["business_name"], message="Use the registered name")
    workflow.application_resubmit(application_id=application.pk, actor=citizen,
                                  data={"business_name": "  Golden Dragon Ltd "})
    assert set(application.reviews.values_list("business_name", flat=True)) == {"Golden Dragon Ltd"}


def test_the_migration_copies_the_business_names(restaurant, submit):
    migration = importlib.import_module("approvals.migrations.0013_review_business_name")
    application = submit()
    other = make_review(restaurant, "registration")  # its application has no answers
    Review.objects.update(business_name="")

    migration.copy_names(apps, RawEditor())
    assert set(application.reviews.values_list("business_name", flat=True)) == {"Golden Dragon"}
    other.refresh_from_db()
    assert other.business_name == ""


def _plan(queryset, settings_sql=("SET LOCAL enable_seqscan = off", "SET LOCAL enable_indexscan = off")) -> str:
    from django.db import transaction

    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in settings_sql:
            cursor.execute(statement)
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
def test_the_searches_can_use_their_indexes(rows):
    """The index expressions are the ones the queries write (with sequential scans off, so that
    a small table does not hide a mismatch)."""
    tail = Application.objects.alias(r=Reverse("reference")).filter(r__startswith="900000-").values("pk")
    assert "application_reference_reversed" in _plan(tail)
    reviews = Review.objects.all()
    assert "review_business_name_trgm" in _plan(reviews.filter(business_name__icontains="Golden").values("pk"))
    named, condition = selectors._indexed_name(reviews, "Li", ["LI"], trigrams=False)
    plan = _plan(named.filter(condition).values("pk"))
    assert "review_business_name_words" in plan and "review_applicant_name_words" in plan
