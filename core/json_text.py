"""JSON that PostgreSQL can store and the portal can echo back as it came."""

import json


def has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def valid_unicode(value) -> bool:
    """Whether parsed JSON is valid Unicode: a lone surrogate ("\\ud800") parses in Python but can
    be neither stored nor echoed back."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
