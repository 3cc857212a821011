"""`manage.py check` (and every start) catches register settings a lookup would trip over later:
an address that is not http(s), a register the interface does not know, a timeout that is not
positive; in production a register reached without TLS."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

from catalogue.registers import REGISTERS


@checks.register()
def register_settings(app_configs=None, **kwargs) -> list:
    problems = []
    for code, url in settings.REGISTER_URLS.items():
        parts = urlsplit(url)
        if code not in REGISTERS:
            problems.append(checks.Error(
                f"REGISTER_URLS names {code!r}, which the register interface does not know.",
                hint=f"Use {', '.join(REGISTERS)}.", id="registers.E001"))
        elif parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append(checks.Error(f"REGISTER_URLS: {code}={url!r} is not an http(s) address.",
                                         id="registers.E002"))
        elif parts.scheme == "http" and settings.REGISTER_REQUIRE_HTTPS:
            problems.append(checks.Warning(
                f"REGISTER_URLS: {code} is reached without TLS ({url}).",
                hint="Registers answer with personal data: use https.", id="registers.W001"))
    for name in ("REGISTER_CONNECT_TIMEOUT_SECONDS", "REGISTER_READ_TIMEOUT_SECONDS"):
        if not getattr(settings, name) > 0:
            problems.append(checks.Error(f"{name} must be greater than 0.", id="registers.E003"))
    return problems
