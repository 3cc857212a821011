"""``{% filed_at_counter application "citizen" %}``: the front desk that filed an application on
the citizen's behalf and the consent it filed with, for the citizen's application page and the
officer's review page (which load this library by name; the faces do not import each other)."""

from django import template

from api import selectors

register = template.Library()


@register.inclusion_tag("api/includes/filed_at_counter.html")
def filed_at_counter(application, viewer: str = "citizen"):
    filing = selectors.filing_of(application.pk)
    return {"filing": filing, "consent": getattr(filing, "consent", None), "viewer": viewer,
            "application": application}
