"""Fee rules: what they come to for answers (exact Decimals), how the loader refuses a bad one
(file, path, reason), and that a rule is frozen with the service version and dumped as written."""

from decimal import Decimal

import pytest

from catalogue.dumper import catalogue_dump
from catalogue.fees import FeeLine, fee_quote, fee_words, payment_mode, refund_due
from catalogue.models import Service

from .conftest import state

FIELDS = {
    "seats": {"key": "seats", "kind": "integer", "label": {"en": "Number of seats", "zh-hans": "座位数"}},
    "area": {"key": "area", "kind": "decimal", "label": {"en": "Floor area", "zh-hans": "面积"}},
    "charity": {"key": "charity", "kind": "boolean", "label": {"en": "Registered charity", "zh-hans": "慈善组织"}},
}
BASE_FEE = {"label": {"en": "Application fee"}, "amount": "200.00"}
PER_SEAT = {"label": {"en": "Seats over 20"}, "per": "seats", "over": 20, "amount": "5.00"}
BY_AREA = {"label": {"en": "Floor area"}, "tiers": "area",
           "bands": [{"upto": 100, "amount": "0.00"}, {"upto": 500, "amount": "300.00"}, {"amount": "800.00"}]}
RULE = {"currency": "CNY", "items": [BASE_FEE, PER_SEAT, BY_AREA],
        "exemptions": [{"when": {"charity": True}, "reason": {"en": "Charities pay nothing."}}],
        "refund": {"withdrawn_before_review": 100, "withdrawn": 50}}


@pytest.mark.parametrize(("answers", "lines", "total"), [
    ({"seats": 20, "area": "100"}, ["200.00", "0.00", "0.00"], "200.00"),
    ({"seats": 21, "area": "100.01"}, ["200.00", "5.00", "300.00"], "505.00"),
    ({"seats": 48, "area": 500}, ["200.00", "140.00", "300.00"], "640.00"),
    ({"seats": 48, "area": "500.5"}, ["200.00", "140.00", "800.00"], "1140.00"),
    ({}, ["200.00", "0.00", "0.00"], "200.00"),
    ({"seats": 48, "area": 600, "charity": False}, ["200.00", "140.00", "800.00"], "1140.00"),
])
def test_a_rule_comes_to_exact_amounts(answers, lines, total):
    quote = fee_quote(RULE, answers, FIELDS)
    assert [str(line.amount) for line in quote.lines] == lines
    assert (quote.total, quote.currency, quote.exemption, quote.payable) == (Decimal(total), "CNY", None, True)


def test_a_per_unit_line_says_its_units_and_rounds_half_up():
    rule = {"currency": "CNY", "items": [{"label": {"en": "Area"}, "per": "area", "amount": "0.15"}]}
    quote = fee_quote(rule, {"area": "10.1"}, FIELDS)
    assert quote.lines == (FeeLine({"en": "Area"}, Decimal("1.52"), Decimal("10.1"), Decimal("0.15")),)
    assert quote.items_json() == [{"label": {"en": "Area"}, "amount": "1.52", "units": "10.1", "unit_amount": "0.15"}]


def test_an_exemption_comes_to_nothing_with_its_reason():
    quote = fee_quote(RULE, {"seats": 48, "charity": True}, FIELDS)
    assert (quote.total, quote.lines, quote.exemption, quote.payable) == (
        Decimal("0.00"), (), {"en": "Charities pay nothing."}, False)
    assert quote.items_json() == [{"exemption": {"en": "Charities pay nothing."}, "amount": "0.00"}]


def test_no_rule_is_no_quote_and_payment_before_review():
    assert fee_quote({}, {"seats": 5}, FIELDS) is None
    assert payment_mode({}) == payment_mode(RULE) == "before_review"
    assert payment_mode({**RULE, "payment": "before_issue"}) == "before_issue"


@pytest.mark.parametrize(("case", "expected"), [
    ("withdrawn_before_review", "505.00"), ("withdrawn", "252.50"), ("rejected", "0.00")])
def test_refunds_by_rule(case, expected):
    assert refund_due(RULE, paid=Decimal("505.00"), currency="CNY", case=case) == Decimal(expected)
    assert refund_due({**RULE, "refund": {"withdrawn": 33}}, paid=Decimal("0.05"), currency="CNY",
                      case="withdrawn_before_review") == Decimal("0.02")  # 0.0165 rounds half up


def test_the_rule_in_words():
    assert fee_words(RULE, FIELDS) == [
        "Application fee: 200.00 CNY.",
        "Seats over 20: 5.00 CNY for each unit of “Number of seats” over 20.",
        "Floor area, by “Floor area”: up to 100: 0.00 CNY; over 100 up to 500: 300.00 CNY; over 500: 800.00 CNY.",
        "No fee when Registered charity: yes: Charities pay nothing.",
        "Departments start reviewing once the fee is paid.",
    ]


# -- loading ---------------------------------------------------------------------------------------

FEE_SERVICE = """\
services:
  - slug: s
    name: {en: S, zh-hans: 服务}
    life_event: {en: Life, zh-hans: 生活}
    permit: {title: {en: Permit, zh-hans: 许可}, valid_days: 30}
    fee:
      text: {en: 200 yuan and 5 yuan a seat over 20, zh-hans: 200元，超过20座每座5元}
      currency: CNY
      items:
        - {label: {en: Application fee, zh-hans: 申请费}, amount: 200.00}
        - {label: {en: Seats over 20, zh-hans: 超过20座部分}, per: seats, over: 20, amount: "5.00"}
      exemptions:
        - when: {cuisine: western}
          reason: {en: Western cuisine pays nothing here., zh-hans: 西餐免收。}
      payment: before_issue
      refund: {withdrawn_before_review: 100, rejected: 0}
    reviews:
      - {department: health, stage: 1, sla_days: 3, fields: [business_name, seats, cuisine]}
"""


@pytest.mark.django_db
def test_a_rule_is_loaded_frozen_and_dumped_as_written(base, write, load):
    load(write("fee.yaml", FEE_SERVICE))
    service = Service.objects.get(slug="s")
    assert service.fee == {"en": "200 yuan and 5 yuan a seat over 20", "zh-hans": "200元，超过20座每座5元"}
    rule = {
        "currency": "CNY",
        "items": [{"label": {"en": "Application fee", "zh-hans": "申请费"}, "amount": "200.00"},
                  {"label": {"en": "Seats over 20", "zh-hans": "超过20座部分"}, "per": "seats", "over": 20, "amount": "5.00"}],
        "exemptions": [{"when": {"cuisine": "western"},
                        "reason": {"en": "Western cuisine pays nothing here.", "zh-hans": "西餐免收。"}}],
        "payment": "before_issue", "refund": {"withdrawn_before_review": 100, "rejected": 0},
    }
    assert service.fee_rule == rule
    assert service.current_version.schema["fee"] == rule
    version = service.current_version
    dumped = write("dumped.yaml", catalogue_dump())
    load(dumped)
    service.refresh_from_db()
    assert (service.fee_rule, service.current_version) == (rule, version)  # the same rule: nothing published
    load(write("fee.yaml", FEE_SERVICE.replace('amount: "5.00"', 'amount: "6.00"')))
    service.refresh_from_db()
    assert service.current_version.number == version.number + 1
    assert version.schema["fee"]["items"][1]["amount"] == "5.00"  # the old version keeps its rule


def _fee(items: str, rest: str = "") -> str:
    return FEE_SERVICE.split("    fee:\n")[0] + "    fee:\n      currency: CNY\n      items:\n" + items + rest + (
        "    reviews:\n      - {department: health, stage: 1, sla_days: 3, fields: [business_name, seats, cuisine]}\n")


INVALID = [
    (_fee("        - {label: {en: A, zh-hans: 甲}, amount: -1}\n"),
     ["services[0].fee.items[0].amount: must not be negative, not -1"]),
    (_fee("        - {label: {en: A, zh-hans: 甲}, amount: 2000000}\n"),
     ["services[0].fee.items[0].amount: must be at most 1000000.00 (a larger fee is a typing mistake), not 2000000"]),
    (_fee("        - {label: {en: A, zh-hans: 甲}, amount: 1.005}\n"),
     ["services[0].fee.items[0].amount: must be a whole number of the smallest unit of CNY, not 1.005"]),
    (_fee("        - {label: {en: A, zh-hans: 甲}, amount: lots}\n"),
     ["services[0].fee.items[0].amount: must be an amount such as 200.00, not 'lots'"]),
    (_fee("        - {label: {en: A, zh-hans: 甲}, amount: 1}\n").replace("currency: CNY", "currency: YUAN"),
     ["services[0].fee.currency: must be an ISO 4217 currency code such as CNY, not 'YUAN'"]),
    (_fee("        - {label: {en: A, zh-hans: 甲}, amount: 1, colour: red}\n"),
     ["services[0].fee.items[0].colour: unknown key (expected one of label, amount, per, over, tiers, bands)"]),
    (_fee("        - {label: {en: A, zh-hans: 甲}, per: business_name, amount: 1}\n"),
     ["services[0].fee.items[0].per: field 'business_name' is a text field, not a number (integer or decimal)"]),
    (_fee("        - {label: {en: A, zh-hans: 甲}, per: opening_date, amount: 1}\n"),
     ["services[0].fee.items[0].per: field 'opening_date' is not asked by this service's form"]),
    (_fee("        - {label: {en: A, zh-hans: 甲}, tiers: seats, bands: [{upto: 50, amount: 1}, {upto: 50, amount: 2}, "
          "{amount: 3}]}\n"),
     ["services[0].fee.items[0].bands[1].upto: tiers must rise: 50 is not above the band before's 50 "
      "(they overlap or are out of order)"]),
    (_fee("        - {label: {en: A, zh-hans: 甲}, tiers: seats, bands: [{upto: 50, amount: 1}, {upto: 80, amount: 2}]}\n"),
     ["services[0].fee.items[0].bands[1]: the last band has no upto: it holds every larger answer"]),
    (_fee("        - {label: {en: A, zh-hans: 甲}, amount: 1}\n", "      refund: {rejected: 150}\n"),
     ["services[0].fee.refund.rejected: must be a whole percentage from 0 to 100, not 150"]),
    (_fee("        - {label: {en: A, zh-hans: 甲}, amount: 1}\n", "      payment: later\n"),
     ["services[0].fee.payment: must be one of before_review, before_issue"]),
    (_fee("        - {label: {en: A, zh-hans: 甲}, amount: 1}\n",
          "      exemptions:\n        - {when: {cuisine: thai}, reason: {en: Free, zh-hans: 免}}\n"),
     ["services[0].fee.exemptions[0].when.cuisine: field 'cuisine': 'thai' is not one of its choices (chinese, western)"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "expected"), INVALID, ids=range(len(INVALID)))
def test_a_bad_rule_is_reported_and_changes_nothing(base, write, load_errors, text, expected):
    before = state()
    bad = write("bad.yaml", text)
    assert load_errors(bad) == [f"{bad}: {line}" for line in expected]
    assert state() == before


# -- the admin -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_rule_edited_in_the_admin_is_checked_and_publishes_a_version(base, admin_client):
    from .test_admin import change_url, form_data

    restaurant = Service.objects.get(slug="open-a-restaurant")
    data = form_data(admin_client.get(change_url(restaurant)))
    before = state()
    data["fee_rule"] = ('{"currency": "CNY", "items": [{"label": {"en": "Fee", "zh-hans": "费用"}, "per": "business_name", '
                        '"amount": "-5"}]}')
    response = admin_client.post(change_url(restaurant), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["fee_rule"] == ["items[0].amount: must not be negative, not -5"]
    assert state() == before

    data["fee_rule"] = ('{"currency": "CNY", "items": [{"label": {"en": "Fee", "zh-hans": "费用"}, "per": "business_name", '
                        '"amount": "5.00"}]}')
    response = admin_client.post(change_url(restaurant), data)
    assert response.context["adminform"].form.errors["fee_rule"] == [
        "items[0].per: field 'business_name' is a text field, not a number (integer or decimal)"]

    data["fee_rule"] = ('{"currency": "CNY", "items": [{"label": {"en": "Fee", "zh-hans": "费用"}, "per": "seats", '
                        '"over": 10, "amount": 5}]}')
    assert admin_client.post(change_url(restaurant), data).status_code == 302
    restaurant.refresh_from_db()
    rule = {"currency": "CNY", "items": [{"label": {"en": "Fee", "zh-hans": "费用"}, "per": "seats", "over": 10,
                                          "amount": "5.00"}]}
    assert restaurant.fee_rule == rule and restaurant.current_version.schema["fee"] == rule
