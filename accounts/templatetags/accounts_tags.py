import math
from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def minutes(value) -> int:
    """A duration in whole minutes, rounded up (a lockout of 90 seconds reads "2 minutes")."""
    if isinstance(value, timedelta):
        return max(1, math.ceil(value.total_seconds() / 60))
    return 0
