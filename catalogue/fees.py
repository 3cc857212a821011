"""A service's fee as a rule, and what it comes to for an application's answers.

The rule is data, written in a catalogue file under ``fee`` (catalogue.loading.fees checks it)
and frozen in a service version's schema under ``fee``:

    {"currency": "CNY",
     "items": [{"label": {lang: text}, "amount": "200.00"},                       fixed
               {"label": ..., "per": field_key, "amount": "5.00", "over": 20},     per unit of a numeric
                                                                                   answer above ``over``
               {"label": ..., "tiers": field_key,                                 one band's amount by a
                "bands": [{"upto": 100, "amount": "0.00"}, ..., {"amount": "800.00"}]}],  numeric answer
     "exemptions": [{"when": condition, "reason": {lang: text}}],                  nothing to pay
     "payment": "before_review" | "before_issue",
     "refund": {"withdrawn_before_review": 100, "withdrawn": 50, "rejected": 0}}   percent of what was paid

Amounts are Decimal strings; every sum is rounded half up to the currency's minor unit. A band
holds answers up to and including its ``upto``; the last band has none. An unanswered number
counts as 0. Pure functions: no database, no request."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from core.i18n import translated
from core.money import money_round, money_text

from .conditions import _number, describe, evaluate

# The largest amount the catalogue may set for an item (a larger number is a typing mistake), and
# the largest total an order can hold (its column: 12 digits, 2 of them decimals).
FEE_CAP = Decimal("1000000.00")
TOTAL_CAP = Decimal("9999999999.99")
# A number answered beyond this counts as this many units: the total is then over TOTAL_CAP and
# refused, and no Decimal arithmetic overflows on the way.
UNITS_CAP = Decimal(10) ** 12


class PaymentMode:
    """When the fee is paid: before any department reviews (the application waits), or before the
    permit is issued (reviews start at once; the approved permit waits for the payment)."""

    BEFORE_REVIEW = "before_review"
    BEFORE_ISSUE = "before_issue"
    ALL = (BEFORE_REVIEW, BEFORE_ISSUE)


# What the refund rule may name: withdrawn before any department started its review, withdrawn
# later, rejected. A key absent refunds nothing.
REFUND_CASES = ("withdrawn_before_review", "withdrawn", "rejected")


@dataclass(frozen=True)
class FeeLine:
    label: dict
    amount: Decimal
    units: Decimal | None = None  # per-unit items: the units charged
    unit_amount: Decimal | None = None


@dataclass(frozen=True)
class FeeQuote:
    currency: str
    lines: tuple[FeeLine, ...]
    total: Decimal
    exemption: dict | None = None  # the reason, in every language, when an exemption applies

    @property
    def payable(self) -> bool:
        return self.total > 0

    def items_json(self) -> list[dict]:
        """The lines as a payment order keeps them (amounts as Decimal strings)."""
        items = []
        for line in self.lines:
            item = {"label": line.label, "amount": str(line.amount)}
            if line.units is not None:
                item.update(units=str(line.units), unit_amount=str(line.unit_amount))
            items.append(item)
        if self.exemption:
            items.append({"exemption": self.exemption, "amount": str(money_round(Decimal(0), self.currency))})
        return items


def _units(answers: Mapping, key: str) -> Decimal:
    value = _number(answers.get(key))
    if value is None or not value.is_finite() or value <= 0:
        return Decimal(0)
    return min(value, UNITS_CAP)


def _band_amount(bands: list[dict], value: Decimal) -> str:
    for band in bands:
        if "upto" not in band or value <= Decimal(str(band["upto"])):
            return band["amount"]
    return bands[-1]["amount"]  # the loader makes the last band open-ended


def _line(item: dict, answers: Mapping, currency: str) -> FeeLine:
    if "per" in item:
        units = max(_units(answers, item["per"]) - Decimal(str(item.get("over", 0))), Decimal(0))
        unit_amount = Decimal(item["amount"])
        return FeeLine(item["label"], money_round(units * unit_amount, currency), units, unit_amount)
    if "tiers" in item:
        return FeeLine(item["label"], money_round(Decimal(_band_amount(item["bands"], _units(answers, item["tiers"]))), currency))
    return FeeLine(item["label"], money_round(Decimal(item["amount"]), currency))


def fee_quote(rule: dict | None, answers: Mapping, fields_by_key: Mapping[str, dict]) -> FeeQuote | None:
    """What the rule comes to for ``answers`` (None: the service has no fee rule)."""
    if not rule:
        return None
    currency = rule["currency"]
    for exemption in rule.get("exemptions", []):
        if evaluate(exemption["when"], answers, fields_by_key):
            return FeeQuote(currency, (), money_round(Decimal(0), currency), exemption["reason"])
    lines = tuple(_line(item, answers, currency) for item in rule.get("items", []))
    return FeeQuote(currency, lines, money_round(sum((line.amount for line in lines), Decimal(0)), currency))


def fee_fields(rule: dict | None) -> list[str]:
    """The numeric questions the rule's items read, in the rule's order."""
    return list(dict.fromkeys(item.get("per") or item["tiers"] for item in (rule or {}).get("items", [])
                              if "per" in item or "tiers" in item))


def _answer_shaped(kind: str, value) -> bool:
    """A value of the shape the form stores for the kind: a list of texts for a multiple choice,
    one plain value (text, number, yes or no) otherwise."""
    if kind == "multichoice":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def fee_answer_problems(schema, answers: Mapping) -> dict[str, list[str]]:
    """What keeps ``answers`` from being quoted by the schema's rule (the public quote): a question
    the form does not ask, a number that is none or below zero, or a total too large to charge."""
    problems: dict[str, list[str]] = {}
    for key, value in answers.items():
        spec = schema.fields_by_key.get(key)
        if spec is None:
            problems[key] = [_("This service's form does not ask this question.")]
        elif not _answer_shaped(spec["kind"], value):
            problems[key] = [_("This is not an answer to this question.")]
        elif spec["kind"] in ("integer", "decimal") and value not in (None, ""):
            number = _number(value)
            if number is None or not number.is_finite() or number < 0:
                problems[key] = [_("Enter a number, 0 or more.")]
    if not problems:
        quote = fee_quote(schema.fee, answers, schema.fields_by_key)
        if quote is not None and quote.total > TOTAL_CAP:
            for key in fee_fields(schema.fee) or ["answers"]:
                problems[key] = [_("The fee these answers come to is more than can be charged: check the numbers.")]
    return problems


def payment_mode(rule: dict | None) -> str:
    return (rule or {}).get("payment", PaymentMode.BEFORE_REVIEW)


def refund_due(rule: dict | None, *, paid: Decimal, currency: str, case: str) -> Decimal:
    """What the rule refunds of ``paid`` in ``case`` (one of REFUND_CASES), rounded half up; a
    withdrawal before review falls back to the rule for a withdrawal when it names none."""
    refund = (rule or {}).get("refund", {})
    percent = refund.get(case)
    if percent is None and case == "withdrawn_before_review":
        percent = refund.get("withdrawn")
    return money_round(paid * Decimal(str(percent or 0)) / 100, currency)


def _field_label(fields_by_key: Mapping[str, dict], key: str) -> str:
    return translated(fields_by_key.get(key, {}).get("label")) or key


def fee_words(rule: dict | None, fields_by_key: Mapping[str, dict]) -> list[str]:
    """The rule in words, one sentence a line, in the active language (the service guide)."""
    if not rule:
        return []
    currency, words = rule["currency"], []
    for item in rule.get("items", []):
        label = translated(item["label"])
        if "per" in item:
            over = item.get("over", 0)
            each = {"label": label, "amount": money_text(item["amount"], currency),
                    "field": _field_label(fields_by_key, item["per"]), "over": over}
            words.append((_("%(label)s: %(amount)s for each unit of “%(field)s” over %(over)s.") if over
                          else _("%(label)s: %(amount)s for each unit of “%(field)s”.")) % each)
        elif "tiers" in item:
            bands, low = [], None
            for band in item["bands"]:
                amount = money_text(band["amount"], currency)
                if "upto" not in band:
                    bands.append(_("over %(low)s: %(amount)s") % {"low": low, "amount": amount})
                elif low is None:
                    bands.append(_("up to %(upto)s: %(amount)s") % {"upto": band["upto"], "amount": amount})
                else:
                    bands.append(_("over %(low)s up to %(upto)s: %(amount)s") % {
                        "low": low, "upto": band["upto"], "amount": amount})
                low = band.get("upto")
            words.append(_("%(label)s, by “%(field)s”: %(bands)s.") % {
                "label": label, "field": _field_label(fields_by_key, item["tiers"]), "bands": "; ".join(bands)})
        else:
            words.append(_("%(label)s: %(amount)s.") % {"label": label, "amount": money_text(item["amount"], currency)})
    for exemption in rule.get("exemptions", []):
        words.append(_("No fee when %(condition)s: %(reason)s") % {
            "condition": describe(exemption["when"], fields_by_key), "reason": translated(exemption["reason"])})
    if payment_mode(rule) == PaymentMode.BEFORE_ISSUE:
        words.append(_("Departments start reviewing at once; the permit is issued once the fee is paid."))
    else:
        words.append(_("Departments start reviewing once the fee is paid."))
    return words
