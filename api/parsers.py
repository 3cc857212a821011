"""Request bodies: JSON that can be stored and echoed back as it came."""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.parsers import JSONParser

from core.json_text import has_nul, valid_unicode


class StrictJSONParser(JSONParser):
    """JSON whose text is valid Unicode without NUL: a lone surrogate ("\\ud800") or a NUL parses
    in Python but can be neither stored nor echoed back, so it is refused as a malformed body."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not valid_unicode(data):
            raise exceptions.ParseError(_("The JSON contains text that is not valid Unicode."))
        if has_nul(data):  # PostgreSQL stores no NUL character in text or JSON
            raise exceptions.ParseError(_("The JSON contains a NUL character."))
        return data

