"""Forms that send a mail (registration, password reset) are rate-limited per client address and
per address mailed (django-ratelimit, on the default cache), so that neither a mailbox nor the
portal's mail reputation can be flooded. Over a limit the person gets a 429 page and nothing is
sent."""

import re
from datetime import timedelta

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.core import is_ratelimited

from .client_ip import client_ip

RATE_RE = re.compile(r"^\d+/(\d*)([smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_period(rate: str) -> timedelta:
    """The window of a django-ratelimit rate ("10/h", "3/15m")."""
    match = RATE_RE.match(rate)
    if match is None:
        raise ValueError(f"not a rate: {rate!r}")
    return timedelta(seconds=int(match[1] or 1) * UNIT_SECONDS[match[2]])


def _rates(form: str) -> tuple[str, str]:
    prefix = form.upper()
    return getattr(settings, f"{prefix}_RATE_PER_ADDRESS"), getattr(settings, f"{prefix}_RATE_PER_EMAIL")


def form_limited(request, form: str, email: str) -> bool:
    """Count one sending of ``form`` ("register", "password_reset") for ``email``; True when the
    client address or the address mailed is over its limit. Both are counted either way."""
    per_address, per_email = _rates(form)
    target = (email or "").strip().lower()
    by_address = is_ratelimited(request, group=f"accounts.{form}.address", key=lambda _g, r: client_ip(r) or "unknown",
                                rate=per_address, increment=True)
    by_email = is_ratelimited(request, group=f"accounts.{form}.email", key=lambda _g, _r: target,
                              rate=per_email, increment=True)
    return by_address or by_email


def too_many_sent(request, form: str):
    """The 429 page: nothing was sent; try again once the longer window has passed."""
    per_address, per_email = _rates(form)
    wait = max(rate_period(per_address), rate_period(per_email))
    return render(request, "accounts/form_limited.html", {"wait": wait}, status=429)
