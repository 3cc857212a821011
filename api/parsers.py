"""Request bodies: JSON that can be stored and echoed back as it came."""

import json

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    """JSON whose text is valid Unicode without NUL: a lone surrogate ("\\ud800") or a NUL parses
    in Python but can be neither stored nor echoed back, so it is refused as a malformed body."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise exceptions.ParseError(_("The JSON contains text that is not valid Unicode."))
        if _has_nul(data):  # PostgreSQL stores no NUL character in text or JSON
            raise exceptions.ParseError(_("The JSON contains a NUL character."))
        return data


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False
