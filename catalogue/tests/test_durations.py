"""Durations read as people say them, in both languages, from the one helper."""

import pytest
from django.template import Context, Template
from django.utils import translation

from catalogue.durations import calendar_duration, expected_working_days, valid_for, working_duration


@pytest.mark.parametrize(("days", "english", "chinese"), [
    (1825, "5 years", "5 年"),
    (1095, "3 years", "3 年"),
    (730, "2 years", "2 年"),
    (365, "1 year", "1 年"),
    (180, "6 months", "6 个月"),
    (30, "1 month", "1 个月"),
    (366, "366 days", "366 天"),
    (45, "45 days", "45 天"),
    (1, "1 day", "1 天"),
    (0, "0 days", "0 天"),
])
def test_calendar_days_in_whole_years_or_months_when_exact(days, english, chinese):
    with translation.override("en"):
        assert calendar_duration(days) == english
    with translation.override("zh-hans"):
        assert calendar_duration(days) == chinese


def test_working_days_stay_working_days():
    with translation.override("en"):
        assert (working_duration(1), working_duration(5), working_duration(260)) == (
            "1 working day", "5 working days", "260 working days")
    with translation.override("zh-hans"):
        assert working_duration(5) == "5 个工作日"


def test_valid_for():
    with translation.override("en"):
        assert valid_for(1825) == "valid for 5 years"
    with translation.override("zh-hans"):
        assert valid_for(1825) == "有效期 5 年"


def test_the_template_filters_use_the_same_helper():
    template = Template("{% load catalogue_tags %}{{ a|duration }} · {{ b|working_days }} · {{ c|valid_for }}")
    with translation.override("en"):
        assert template.render(Context({"a": 180, "b": 3, "c": 1095})) == "6 months · 3 working days · valid for 3 years"


def test_expected_time_is_the_sum_of_each_stages_longest_limit():
    reviews = [{"stage": 1, "sla_days": 3}, {"stage": 1, "sla_days": 5}, {"stage": 1, "sla_days": 2},
               {"stage": 2, "sla_days": 5}]
    assert expected_working_days(reviews) == 10
    assert expected_working_days([]) == 0
