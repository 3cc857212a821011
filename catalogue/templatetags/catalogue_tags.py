from django import template

from catalogue.i18n import translated

register = template.Library()


@register.filter
def tr(value):
    """Catalogue text in the active language: {{ service.name|tr }}."""
    return translated(value)
