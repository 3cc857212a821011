"""The checks of a service's ``fee`` (catalogue.fees describes the rule).

``fee`` is either text per language (a fee nobody pays through the portal, kept as it was) or a
rule: its ``text`` is that description, the rest is what the portal charges. Every amount is at
least 0, at most FEE_CAP and a whole number of the currency's minor unit; tiers rise; the fields
read are numbers the service's form asks (checked with the form, ``check_fee_fields``)."""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from core.money import currency_known, money_round

from ..conditions import NUMERIC_KINDS
from ..fees import FEE_CAP, REFUND_CASES, PaymentMode
from .checks import Report, _mapping, check_list, check_translations, entries, join_path
from .conditions import check_condition, normalised

FEE_KEYS = ("text", "currency", "items", "exemptions", "payment", "refund")
ITEM_KEYS = ("label", "amount", "per", "over", "tiers", "bands")
BAND_KEYS = ("upto", "amount")
EXEMPTION_KEYS = ("when", "reason")


def is_fee_rule(value) -> bool:
    """A ``fee`` mapping that is a rule rather than text per language."""
    return isinstance(value, dict) and any(key in value for key in FEE_KEYS)


def check_fee(value, path: str, report: Report) -> tuple[dict, dict] | None:
    """``fee`` as (its text per language, its rule; empty when it is only text), or None."""
    if not is_fee_rule(value):
        text = check_translations(value, path, report, complete=False)
        return None if text is None else (text, {})
    ok = True
    for key in value:
        if key not in FEE_KEYS:
            report(join_path(path, key), _("unknown key (expected one of %(keys)s)") % {"keys": ", ".join(FEE_KEYS)})
            ok = False
    text = check_translations(value["text"], join_path(path, "text"), report, complete=False) if "text" in value else {}
    currency = value.get("currency")
    if not isinstance(currency, str) or not currency_known(currency):
        report(join_path(path, "currency"), _("must be an ISO 4217 currency code such as CNY, not %(value)r") % {
            "value": currency})
        return None
    rule = {"currency": currency}
    items = check_list(value.get("items"), join_path(path, "items"), report)
    checked = [_item(entry, item_path, report, currency)
               for item_path, entry in entries(items or [], join_path(path, "items"), report, ITEM_KEYS, ("label",))]
    ok &= items is not None and None not in checked
    rule["items"] = checked
    if "exemptions" in value:
        exemptions = check_list(value["exemptions"], join_path(path, "exemptions"), report)
        rule["exemptions"] = []
        for item_path, entry in entries(exemptions or [], join_path(path, "exemptions"), report,
                                        EXEMPTION_KEYS, EXEMPTION_KEYS):
            reason = None
            if entry and "reason" in entry:
                reason = check_translations(entry["reason"], join_path(item_path, "reason"), report)
            when = normalised(entry.get("when")) if entry else None
            if not isinstance(when, dict) or not when:
                report(join_path(item_path, "when"), _("must be a condition on the form's answers"))
                when = None
            ok &= None not in (reason, when)
            rule["exemptions"].append({"when": when, "reason": reason})
        ok &= exemptions is not None
    if "payment" in value:
        if value["payment"] not in PaymentMode.ALL:
            report(join_path(path, "payment"), _("must be one of %(modes)s") % {"modes": ", ".join(PaymentMode.ALL)})
            ok = False
        rule["payment"] = value["payment"]
    if "refund" in value:
        refund = _refund(value["refund"], join_path(path, "refund"), report)
        ok &= refund is not None
        rule["refund"] = refund
    return (text, rule) if ok and text is not None else None


def _amount(value, path: str, report: Report, currency: str) -> str | None:
    """An amount written as a number or a string, as a Decimal string of the currency."""
    try:
        amount = Decimal(str(value)) if not isinstance(value, bool) and isinstance(value, int | float | str) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        report(path, _("must be an amount such as 200.00, not %(value)r") % {"value": value})
        return None
    if amount < 0:
        report(path, _("must not be negative, not %(value)s") % {"value": amount})
        return None
    if amount > FEE_CAP:
        report(path, _("must be at most %(cap)s (a larger fee is a typing mistake), not %(value)s") % {
            "cap": FEE_CAP, "value": amount})
        return None
    if money_round(amount, currency) != amount:
        report(path, _("must be a whole number of the smallest unit of %(currency)s, not %(value)s") % {
            "currency": currency, "value": amount})
        return None
    return str(money_round(amount, currency))


def _item(entry: dict | None, path: str, report: Report, currency: str) -> dict | None:
    if entry is None:
        return None
    label = check_translations(entry["label"], join_path(path, "label"), report) if "label" in entry else None
    kinds = [key for key in ("per", "tiers") if key in entry]
    if len(kinds) > 1:
        report(path, _("an item is charged per unit (per) or by tiers (tiers), not both"))
        return None
    item = {"label": label}
    if kinds:
        key = entry[kinds[0]]
        if not isinstance(key, str) or not key:
            report(join_path(path, kinds[0]), _("must name a numeric field of the form"))
            return None
        item[kinds[0]] = key
    if kinds == ["tiers"]:
        for extra in ("amount", "over"):
            if extra in entry:
                report(join_path(path, extra), _("a tiered item takes its amounts from its bands"))
                return None
        item["bands"] = _bands(entry.get("bands"), join_path(path, "bands"), report, currency)
        ok = item["bands"] is not None
    else:
        if "bands" in entry:
            report(join_path(path, "bands"), _("only a tiered item (tiers) has bands"))
            return None
        if "over" in entry and kinds != ["per"]:
            report(join_path(path, "over"), _("only an item charged per unit (per) has a number of free units"))
            return None
        if "amount" not in entry:
            report(join_path(path, "amount"), _("is required"))
            return None
        item["amount"] = _amount(entry["amount"], join_path(path, "amount"), report, currency)
        ok = item["amount"] is not None
        if "over" in entry:
            over = entry["over"]
            if isinstance(over, bool) or not isinstance(over, int) or over < 0:
                report(join_path(path, "over"), _("must be a whole number of units, 0 or more"))
                ok = False
            item["over"] = over
    return item if ok and label is not None else None


def _bands(value, path: str, report: Report, currency: str) -> list[dict] | None:
    items = check_list(value, path, report)
    if items is None:
        return None
    bands, ok, previous = [], True, None
    for i, (band_path, entry) in enumerate(entries(items, path, report, BAND_KEYS, ("amount",))):
        if entry is None:
            ok = False
            continue
        band = {"amount": _amount(entry.get("amount"), join_path(band_path, "amount"), report, currency)}
        ok &= band["amount"] is not None
        last = i == len(items) - 1
        if "upto" in entry:
            upto = entry["upto"]
            if isinstance(upto, bool) or not isinstance(upto, int | float) or upto < 0:
                report(join_path(band_path, "upto"), _("must be a number, 0 or more"))
                ok = False
            elif previous is not None and upto <= previous:
                report(join_path(band_path, "upto"), _(
                    "tiers must rise: %(upto)s is not above the band before's %(previous)s (they overlap or are out of order)"
                ) % {"upto": upto, "previous": previous})
                ok = False
            else:
                previous = upto
            band["upto"] = upto
            if last:
                report(band_path, _("the last band has no upto: it holds every larger answer"))
                ok = False
        elif not last:
            report(join_path(band_path, "upto"), _("is required on every band but the last"))
            ok = False
        bands.append(band)
    return bands if ok else None


def _refund(value, path: str, report: Report) -> dict | None:
    entry = _mapping(value, path, report)
    if entry is None:
        return None
    refund, ok = {}, True
    for key, percent in entry.items():
        if key not in REFUND_CASES:
            report(join_path(path, key), _("unknown key (expected one of %(keys)s)") % {"keys": ", ".join(REFUND_CASES)})
            ok = False
        elif isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
            report(join_path(path, key), _("must be a whole percentage from 0 to 100, not %(value)r") % {"value": percent})
            ok = False
        else:
            refund[key] = percent
    return refund if ok else None


def check_fee_fields(rule: dict, path: str, report: Report, fields_by_key: Mapping[str, dict], asked: set[str]) -> None:
    """The fields a fee rule reads, against the service's form: per-unit and tiered items read a
    number the form asks; exemptions are conditions on what it asks."""
    for i, item in enumerate(rule.get("items", [])):
        for kind in ("per", "tiers"):
            if kind not in item:
                continue
            key, where = item[kind], f"{path}.items[{i}].{kind}"
            spec = fields_by_key.get(key)
            if key not in asked or spec is None:
                report(where, _("field %(key)r is not asked by this service's form") % {"key": key})
            elif spec["kind"] not in NUMERIC_KINDS:
                report(where, _("field %(key)r is a %(kind)s field, not a number (integer or decimal)") % {
                    "key": key, "kind": spec["kind"]})
    asked_fields = {key: spec for key, spec in fields_by_key.items() if key in asked}
    for i, exemption in enumerate(rule.get("exemptions", [])):
        check_condition(exemption["when"], f"{path}.exemptions[{i}].when", report, asked_fields)
