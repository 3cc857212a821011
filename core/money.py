"""ISO 4217 currencies and their minor units (from the CLDR data that Babel ships), and amounts
rounded to them. Amounts are Decimals everywhere: never floats."""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision, list_currencies

# Codes ISO 4217 reserves for testing and "no currency": never a fee's currency.
_NOT_MONEY = frozenset({"XXX", "XTS"})
CURRENCIES = frozenset(list_currencies()) - _NOT_MONEY


def currency_known(code: str) -> bool:
    return code in CURRENCIES


def minor_unit(code: str) -> Decimal:
    """The smallest amount of the currency: 0.01 for CNY, 1 for JPY."""
    return Decimal(1).scaleb(-get_currency_precision(code))


def money_round(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half up to the currency's minor unit."""
    return Decimal(amount).quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def money_text(amount, currency: str) -> str:
    """An amount as people read it on a page, a receipt or an order: "205.00 CNY"."""
    return f"{money_round(Decimal(str(amount)), currency)} {currency}"
