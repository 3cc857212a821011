from django import template

from catalogue import durations
from catalogue.conditions import describe
from catalogue.guides import SPECIFICATIONS
from core.i18n import translated

register = template.Library()


@register.filter
def tr(value):
    """Catalogue text in the active language: {{ service.name|tr }}."""
    return translated(value)


@register.filter
def duration(days):
    """Calendar days as people say them: {{ 1095|duration }} → "3 years" (catalogue.durations)."""
    return durations.calendar_duration(days)


@register.filter
def working_days(days):
    """{{ 5|working_days }} → "5 working days"."""
    return durations.working_duration(days)


@register.filter
def valid_for(days):
    """{{ 1825|valid_for }} → "valid for 5 years"."""
    return durations.valid_for(days)


@register.filter
def specification(value):
    """A guide material's "original", "copy" or "original_and_copy", in words."""
    return SPECIFICATIONS.get(value, value)


@register.filter
def for_key(mapping, key):
    """What a mapping holds for a question: {{ service.issuers|for_key:field.key }}; nothing when absent."""
    return (mapping or {}).get(key)


@register.filter
def in_words(condition, schema):
    """A condition of the schema's form in words, in the active language:
    {{ review.when|in_words:service.schema }}."""
    return describe(condition, schema.fields_by_key)
