"""The verification code of a permit: the unguessable part of its public verification address
(printed on the permit and in its QR code). Permit numbers are sequential, so the number alone
proves nothing about who holds the paper; only the number with its code opens what the permit
states. The code is kept in plain text: it unlocks nothing that the permit's row does not
already hold, and the same address must come out whenever the file is rendered again."""

import base64
import hmac
import re
import secrets

CODE_BYTES = 16  # 128 bits from the operating system's generator
# base32 without padding, in lower case: no 0/1/8/9 to mistake for O/I/B/g when typed from paper.
CODE_PATTERN = re.compile(r"[a-z2-7]{26}", re.ASCII)


def new_verify_code() -> str:
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii").rstrip("=").lower()


def normalize_code(raw) -> str | None:
    """The code in its canonical form (typed in capitals, it is the same code), or None when it
    cannot be one."""
    text = str(raw or "").strip().lower()
    return text if CODE_PATTERN.fullmatch(text) else None


def codes_match(given: str, stored: str) -> bool:
    """Compared in constant time, so the answer's timing says nothing about the stored code."""
    return bool(stored) and hmac.compare_digest(given.encode("ascii"), stored.encode("ascii"))
