"""Catalogue text is stored with all its translations: {"en": "...", "zh-hans": "..."}."""

from django.conf import settings
from django.utils.translation import get_language

REQUIRED_LANGUAGES = ("en", "zh-hans")


def translated(value, language: str | None = None) -> str:
    """The text in the active language, falling back to English, then to any translation."""
    if not value:
        return ""
    if isinstance(value, str):
        return value
    language = (language or get_language() or settings.LANGUAGE_CODE).lower()
    return value.get(language) or value.get(language.split("-")[0]) or value.get("en") or next(iter(value.values()), "")
