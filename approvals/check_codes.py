"""The check code of an application (and of a bundle application): printed on the receipt, it lets
anyone holding it and the reference see the application's progress without signing in
(approvals.progress).

Eight characters from an alphabet without look-alikes (no 0/O, 1/I/L, U/V): 29⁸, about
5 × 10¹¹ codes, so with the public check rate-limited per address (PROGRESS_CHECK_RATE) a
guess succeeds about once in 10¹¹ tries. People may type it in lower case, with spaces or a
dash as printed (``ABCD-EFGH``); it is compared in constant time."""

import hmac
import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
LENGTH = 8
_SEPARATORS = re.compile(r"[\s\-]+")


def new_check_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_check_code(text: str) -> str:
    """What was typed, as stored: upper case, without spaces or dashes (may still be invalid)."""
    return _SEPARATORS.sub("", text or "").upper()


def is_check_code(text: str) -> bool:
    return len(text) == LENGTH and all(c in ALPHABET for c in text)


def codes_match(given: str, stored: str) -> bool:
    return hmac.compare_digest(given.encode(), stored.encode())


def printed(code: str) -> str:
    """As printed on a receipt: two groups of four."""
    return f"{code[:4]}-{code[4:]}" if len(code) == LENGTH else code
