import math
from datetime import timedelta

from django import template

from accounts.tokens import password_reset_valid_for

register = template.Library()


@register.filter
def minutes(value) -> int:
    """A duration in whole minutes, rounded up (a lockout of 90 seconds reads "2 minutes")."""
    if isinstance(value, timedelta):
        return max(1, math.ceil(value.total_seconds() / 60))
    return 0


@register.filter
def reset_link_valid_for(user) -> str:
    """How long a password reset link for ``user`` works, in words: an hour for staff."""
    return password_reset_valid_for(user)
