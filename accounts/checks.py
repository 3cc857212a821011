"""`manage.py check` (and every start) catches an identity-service configuration the sign-in would
trip over later: no openid scope, an unknown identity-number scheme, an unknown assurance level."""

from django.conf import settings
from django.core import checks

from . import oidc


@checks.register(checks.Tags.security)
def identity_service_settings(app_configs=None, **kwargs) -> list:
    problems = []
    if not oidc.configured():
        if not settings.CITIZEN_PASSWORD_SIGN_IN:
            problems.append(checks.Warning(
                "CITIZEN_PASSWORD_SIGN_IN is off and no identity service is configured: citizens cannot sign in.",
                hint="Set OIDC_CLIENT_ID and OIDC_ISSUER (or OIDC_DISCOVERY_URL), or turn passwords back on.",
                id="accounts.W001"))
        return problems
    if "openid" not in settings.OIDC_SCOPES:
        problems.append(checks.Error("OIDC_SCOPES must include openid.", id="accounts.E001"))
    for name in ("OIDC_ID_NUMBER_SCHEME", "OIDC_ORGANISATION_ID_NUMBER_SCHEME"):
        if oidc.number_scheme(getattr(settings, name)) is None:
            problems.append(checks.Error(
                f"{name}={getattr(settings, name)!r} is not a python-stdnum scheme.",
                hint="Name it as country.number, e.g. cn.ric or cn.uscc.", id="accounts.E002"))
    levels = sorted(oidc.ASSERTED_LEVELS)
    for acr, level in [*settings.OIDC_ACR_ASSURANCE.items(), ("OIDC_DEFAULT_ASSURANCE", settings.OIDC_DEFAULT_ASSURANCE)]:
        if level not in oidc.ASSERTED_LEVELS:
            problems.append(checks.Error(f"{acr} maps to {level!r}, which is not one of {', '.join(levels)}.",
                                         id="accounts.E003"))
    return problems
