"""The combined form's answers: messages that say what to enter, date rules relative to today,
dates typed in the page's language."""

from datetime import date

import pytest
import time_machine
from django.utils import translation

from approvals.answers import clean_answers, complete_answers, date_hint, field_name, file_messages, form_field
from catalogue.schema import Schema


def spec(key, kind, label, **rules):
    return {"key": key, "kind": kind, "label": {"en": label[0], "zh-hans": label[1]}, "section": {}, **rules}


SEATS = spec("seats", "integer", ("Number of seats", "座位数"), min=1, required=True)
FLOOR = spec("floor_area", "decimal", ("Floor area (m²)", "经营面积（平方米）"), min=1, max=5000)
STAFF = spec("staff", "integer", ("Number of employees", "从业人数"), max=10000)
NAME = spec("business_name", "text", ("Business name", "企业名称"), max_length=10, required=True)
OPENING = spec("opening_date", "date", ("Planned opening date", "计划开业日期"), min="today", max="today+365d")
EVENT = spec("event_date", "date", ("Date of the event", "活动日期"), min="2026-01-01", max="2026-12-31")
EMAIL = spec("contact_email", "email", ("Contact email", "联系邮箱"))
PHONE = spec("contact_phone", "phone", ("Contact phone", "联系电话"))
CUISINE = spec("cuisine", "choice", ("Cuisine", "菜系"), required=True,
               choices=[{"value": "chinese", "label": {"en": "Chinese", "zh-hans": "中餐"}}])
GOODS = spec("goods", "multichoice", ("Goods sold", "经营商品类别"), required=True,
             choices=[{"value": "books", "label": {"en": "Books", "zh-hans": "图书"}}])
GAS = spec("uses_gas", "boolean", ("Gas is used on the site", "场所内使用燃气"), required=True)
PLAN = spec("floor_plan", "file", ("Floor plan", "平面布局图"), required=True,
            accept=["application/pdf", "image/png", "image/jpeg"], max_size_mb=10)
FIELD_SPECS = [SEATS, FLOOR, STAFF, NAME, OPENING, EVENT, EMAIL, PHONE, CUISINE, GOODS, GAS, PLAN]
# One department needs every question (a form asks only what some department needs).
SCHEMA = Schema({"fields": FIELD_SPECS, "reviews": [
    {"department": "any", "stage": 1, "sla_days": 5, "fields": [spec["key"] for spec in FIELD_SPECS]}]})

TODAY = "2026-12-06 10:00 +08:00"

EN = [
    ({"seats": "0"}, "seats", "Enter the number of seats of 1 or more."),
    ({"seats": "many"}, "seats", "Enter the number of seats as a whole number, for example 12."),
    ({"floor_area": "0.5"}, "floor_area", "Enter the floor area (m²) between 1 and 5000."),
    ({"floor_area": "ten"}, "floor_area", "Enter the floor area (m²) as a number, for example 12.5."),
    ({"floor_area": "1.123456"}, "floor_area",
     "Enter the floor area (m²) with at most 4 decimal places and 14 digits before the point."),
    ({"staff": "10001"}, "staff", "Enter the number of employees of 10000 or less."),
    ({"business_name": "x" * 11}, "business_name", "Enter the business name in 10 characters or fewer."),
    ({"opening_date": "05/12/2026"}, "opening_date", "Enter the planned opening date as a date on or after 6 Dec 2026."),
    ({"opening_date": "07/12/2027"}, "opening_date",
     "Enter the planned opening date as a date on or before 6 Dec 2027."),
    ({"opening_date": "31/02/2027"}, "opening_date",
     "Enter the planned opening date as a real date, for example 27/03/2026."),
    ({"event_date": "2025-12-31"}, "event_date", "Enter the date of the event as a date on or after 1 Jan 2026."),
    ({"contact_email": "wang@"}, "contact_email",
     "Enter the contact email as an email address, for example name@example.com."),
    ({"contact_phone": "call me"}, "contact_phone",
     "Enter the contact phone as a phone number in digits, for example 010 1234 5678 or +86 10 1234 5678."),
    ({"cuisine": "thai"}, "cuisine", "Select the cuisine from the list."),
    ({"goods": ["toys"]}, "goods", "Select one or more options for the goods sold."),
    ({"uses_gas": "maybe"}, "uses_gas", "Select yes or no for “Gas is used on the site”."),
]

ZH = [
    ({"seats": "0"}, "seats", "请输入座位数，应不少于 1。"),
    ({"floor_area": "0.5"}, "floor_area", "请输入经营面积（平方米），应在 1 到 5000 之间。"),
    ({"business_name": "x" * 11}, "business_name", "请输入企业名称，不超过 10 个字符。"),
    ({"opening_date": "2026-12-05"}, "opening_date", "请输入计划开业日期，日期应不早于 2026年12月6日。"),
    ({"opening_date": "2027年12月7日"}, "opening_date", "请输入计划开业日期，日期应不晚于 2027年12月6日。"),
    ({"opening_date": "06/12/2026"}, "opening_date", "请输入计划开业日期，应为真实日期，例如 2026-03-27。"),
    ({"cuisine": "thai"}, "cuisine", "请从列表中选择菜系。"),
    ({"uses_gas": "maybe"}, "uses_gas", "请就“场所内使用燃气”选择是或否。"),
]


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(("data", "key", "message"), EN, ids=[m for _d, _k, m in EN])
def test_messages_say_what_to_enter(data, key, message):
    with translation.override("en"):
        assert clean_answers(SCHEMA, data, keys=set(data), partial=True)[1] == {key: [message]}


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(("data", "key", "message"), ZH, ids=[m for _d, _k, m in ZH])
def test_messages_say_what_to_enter_in_chinese(data, key, message):
    with translation.override("zh-hans"):
        assert clean_answers(SCHEMA, data, keys=set(data), partial=True)[1] == {key: [message]}


def test_required_messages_name_each_question():
    with translation.override("en"):
        _cleaned, errors = complete_answers(SCHEMA, {}, attachment_keys=set())
    assert errors == {
        "seats": ["Enter the number of seats."],
        "business_name": ["Enter the business name."],
        "cuisine": ["Select the cuisine from the list."],
        "goods": ["Select one or more options for the goods sold."],
        "uses_gas": ["Select yes or no for “Gas is used on the site”."],
        "floor_plan": ["Upload the floor plan."],
    }
    with translation.override("zh-hans"):
        _cleaned, errors = complete_answers(SCHEMA, {}, attachment_keys=set())
    assert errors["seats"] == ["请输入座位数。"]
    assert errors["floor_plan"] == ["请上传平面布局图。"]


def test_file_messages():
    with translation.override("en"):
        assert file_messages(PLAN) == {
            "required": "Upload the floor plan.",
            "type": "Upload the floor plan as a PDF, PNG or JPEG file.",
            "size": "Upload the floor plan as a file of 10 MB or less.",
            "empty": "The file you chose is empty. Upload the floor plan again.",
        }
    with translation.override("zh-hans"):
        assert file_messages(PLAN)["type"] == "请以 PDF、PNG或JPEG 文件上传平面布局图。"


@pytest.mark.parametrize(("label", "name"), [
    ("Business name", "the business name"), ("Your phone number", "your phone number"),
    ("The site is", "the site is"), ("ID card number", "the ID card number"), ("VAT number", "the VAT number"),
])
def test_field_name(label, name):
    with translation.override("en"):
        assert field_name(spec("k", "text", (label, "字"))) == name


def test_a_percent_sign_in_a_label_is_kept():
    rate = spec("rate", "integer", ("Rate (%)", "比例（%）"), min=1)
    with translation.override("en"):
        assert clean_answers(Schema({"fields": [rate]}), {"rate": "0"}, partial=True)[1] == {
            "rate": ["Enter the rate (%) of 1 or more."]}


# --- Dates relative to today ------------------------------------------------------------------------


def test_relative_rules_move_with_the_day():
    """The same field (cached per process) refuses yesterday every day: the rule is worked out
    when the answer is checked."""
    with translation.override("en"):
        with time_machine.travel("2026-12-06 10:00 +08:00", tick=False):
            assert clean_answers(SCHEMA, {"opening_date": "2026-12-06"}, keys={"opening_date"}, partial=True) == (
                {"opening_date": "2026-12-06"}, {})
        with time_machine.travel("2026-12-07 10:00 +08:00", tick=False):
            assert clean_answers(SCHEMA, {"opening_date": "2026-12-06"}, keys={"opening_date"}, partial=True)[1] == {
                "opening_date": ["Enter the planned opening date as a date on or after 7 Dec 2026."]}


def test_today_is_the_portals_day(settings):
    """At 23:30 UTC on 6 December it is already 7 December in the portal's time zone (Asia/Shanghai)."""
    assert settings.TIME_ZONE == "Asia/Shanghai"
    with translation.override("en"), time_machine.travel("2026-12-06 23:30 +00:00", tick=False):
        assert clean_answers(SCHEMA, {"opening_date": "2026-12-06"}, keys={"opening_date"}, partial=True)[1] == {
            "opening_date": ["Enter the planned opening date as a date on or after 7 Dec 2026."]}


# --- Dates typed in the page's language ----------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(("language", "typed"), [
    ("en", "24/12/2026"), ("en", "24-12-2026"), ("en", "24 December 2026"), ("en", "2026-12-24"),
    ("zh-hans", "2026-12-24"), ("zh-hans", "2026/12/24"), ("zh-hans", "2026年12月24日"),
])
def test_dates_typed_in_the_shown_format_are_accepted(language, typed):
    with translation.override(language):
        assert clean_answers(SCHEMA, {"opening_date": typed}, keys={"opening_date"}, partial=True) == (
            {"opening_date": "2026-12-24"}, {})


def test_date_hint_and_display_follow_the_language():
    with translation.override("en"):
        assert date_hint() == "Type the date as DD/MM/YYYY, for example 27/03/2026."
        field = form_field(OPENING)
        assert field.help_text == "Type the date as DD/MM/YYYY, for example 27/03/2026."
        assert field.widget.format_value(date(2026, 12, 24)) == "24/12/2026"
    with translation.override("zh-hans"):
        assert date_hint() == "请按 YYYY-MM-DD 格式填写日期，例如 2026-03-27。"
        assert form_field(OPENING).widget.format_value(date(2026, 12, 24)) == "2026-12-24"
