"""Payment codes (缴款码): 18 random digits and two ISO 7064 MOD 97-10 check digits (as in an IBAN),
so a mistyped digit or two swapped digits are caught before anything is looked up."""

import secrets

from stdnum.iso7064 import mod_97_10

CODE_LENGTH = 20
_RANDOM_DIGITS = CODE_LENGTH - 2


def new_payment_code() -> str:
    # The leading digit is never 0, so the code keeps its length when a bank treats it as a number.
    body = str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10)) for _ in range(_RANDOM_DIGITS - 1))
    return body + mod_97_10.calc_check_digits(body)


def payment_code_valid(code: str) -> bool:
    return len(code) == CODE_LENGTH and code.isdigit() and mod_97_10.is_valid(code)


def payment_code_clean(code: str) -> str:
    """The code as given, without the spaces and dashes people and banks put in it."""
    return "".join(ch for ch in str(code) if ch not in " -")


def payment_code_printed(code: str) -> str:
    """The code in groups of four, as printed on the order."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))
