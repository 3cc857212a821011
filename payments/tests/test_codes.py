"""Payment codes carry two check digits: a mistyped or swapped digit is caught."""

from decimal import Decimal

from core.money import currency_known, minor_unit, money_round
from payments.codes import CODE_LENGTH, new_payment_code, payment_code_clean, payment_code_printed, payment_code_valid


def test_new_codes_are_twenty_digits_that_check():
    codes = {new_payment_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == CODE_LENGTH and code.isdigit() and code[0] != "0"
        assert payment_code_valid(code)


def test_a_mistyped_or_swapped_digit_is_caught():
    code = new_payment_code()
    for i in range(CODE_LENGTH):
        wrong = code[:i] + str((int(code[i]) + 1) % 10) + code[i + 1:]
        assert not payment_code_valid(wrong)
    for i in range(CODE_LENGTH - 1):
        if code[i] != code[i + 1]:
            assert not payment_code_valid(code[:i] + code[i + 1] + code[i] + code[i + 2:])
    assert not payment_code_valid(code[:-1])
    assert not payment_code_valid("abc")


def test_codes_are_printed_in_fours_and_read_back_without_spaces():
    assert payment_code_printed("12345678901234567890") == "1234 5678 9012 3456 7890"
    assert payment_code_clean("1234 5678-9012 3456 7890") == "12345678901234567890"


def test_currencies_and_their_minor_units():
    assert currency_known("CNY") and currency_known("EUR") and not currency_known("XXX") and not currency_known("cny")
    assert (minor_unit("CNY"), minor_unit("JPY")) == (Decimal("0.01"), Decimal("1"))
    assert money_round(Decimal("2.345"), "CNY") == Decimal("2.35")
    assert money_round(Decimal("2.5"), "JPY") == Decimal("3")
