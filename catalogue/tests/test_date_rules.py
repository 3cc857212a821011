"""Date rules relative to today in the catalogue: the grammar, the loader's checks, the frozen schema."""

from datetime import date

import pytest

from catalogue.dumper import catalogue_dump
from catalogue.models import Field
from catalogue.schema import date_bound, parse_date_rule

from .test_admin import change_url, form_data
from .test_loader import DATE_RULE_PROBLEM, field


@pytest.mark.parametrize(("rule", "today", "expected"), [
    ("today", date(2026, 12, 6), date(2026, 12, 6)),
    ("today+365d", date(2026, 12, 6), date(2027, 12, 6)),
    ("today-1d", date(2026, 1, 1), date(2025, 12, 31)),
    ("today+2w", date(2026, 12, 6), date(2026, 12, 20)),
    ("today+1m", date(2026, 1, 31), date(2026, 2, 28)),
    ("today-1m", date(2024, 3, 31), date(2024, 2, 29)),
    ("today-18y", date(2026, 12, 6), date(2008, 12, 6)),
    ("today-18y", date(2024, 2, 29), date(2006, 2, 28)),
    ("today+13m", date(2026, 12, 6), date(2028, 1, 6)),
    ("2026-01-01", date(2030, 5, 5), date(2026, 1, 1)),
])
def test_date_bound(rule, today, expected):
    assert date_bound(rule, today) == expected


@pytest.mark.parametrize("value", [
    "tomorrow", "today+", "today+1", "today + 1d", "today+1h", "Today", "now+1d", "today+101y", "today-36601d",
    "2026-13-01", "2026-1-1", "", None, 5,
])
def test_not_a_date_rule(value):
    assert parse_date_rule(value) is None


def test_loader_keeps_relative_rules(write, load):
    load(write("f.yaml", field("min: today\nmax: today+365d", kind="date")))
    assert Field.objects.get(key="f").rules == {"min": "today", "max": "today+365d"}


def test_loader_writes_fixed_dates_as_iso(write, load):
    load(write("f.yaml", field("min: 2026-01-01\nmax: '2028-12-31'", kind="date")))
    assert Field.objects.get(key="f").rules == {"min": "2026-01-01", "max": "2028-12-31"}


@pytest.mark.parametrize(("extra", "expected"), [
    ("min: today+1 day", ["fields[0].min: " + DATE_RULE_PROBLEM + "'today+1 day'"]),
    ("max: today+200y", ["fields[0].max: " + DATE_RULE_PROBLEM + "'today+200y'"]),
    ("min: today+30d\nmax: today", ["fields[0].min: must not be greater than max"]),
])
def test_loader_reports_bad_rules_with_file_and_path(write, load_errors, extra, expected):
    bad = write("bad.yaml", field(extra, kind="date"))
    assert load_errors(bad) == [f"{bad}: {line}" for line in expected]


def test_a_fixed_and_a_relative_bound_are_not_compared(write, load):
    """They pass each other as time goes by; the form refuses every date until then."""
    load(write("f.yaml", field("min: today\nmax: 2020-01-01", kind="date")))
    assert Field.objects.get(key="f").rules == {"min": "today", "max": "2020-01-01"}


def test_dump_writes_rules_back(write, load, tmp_path):

    load(write("f.yaml", field("min: today-18y\nmax: today", kind="date")))
    assert "min: today-18y" in catalogue_dump() and "max: today" in catalogue_dump()


@pytest.fixture
def opening_date_in_admin(base, admin_client):

    opening = Field.objects.get(key="opening_date")
    return opening, change_url(opening), form_data(admin_client.get(change_url(opening)))


def test_the_admin_stores_a_relative_rule(opening_date_in_admin, admin_client):
    opening, url, data = opening_date_in_admin
    data["rules"] = '{"min": "today", "max": "today+365d"}'
    assert admin_client.post(url, data).status_code == 302
    opening.refresh_from_db()
    assert opening.rules == {"min": "today", "max": "today+365d"}


def test_the_admin_refuses_a_rule_it_cannot_read(opening_date_in_admin, admin_client):
    _opening, url, data = opening_date_in_admin
    data["rules"] = '{"min": "tomorrow"}'
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["rules"] == ["min: " + DATE_RULE_PROBLEM + "'tomorrow'"]
