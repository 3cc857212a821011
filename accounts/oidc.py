"""The portal as an OpenID Connect relying party of the national identity service.

Authlib's Django client does the protocol: the authorization code flow with PKCE (S256), ``state``
(kept in the session, used once) and ``nonce``; the provider's discovery document and key set; the
ID token's signature and its ``iss``, ``aud``, ``exp``, ``iat`` and ``nonce`` claims (a token signed
with a key the client does not know yet makes it fetch the key set again, once). This module
configures it from the OIDC_* settings, turns every failure into an ``IdentityServiceError`` with a
message for the person, and reads the claims into an ``accounts.identities.Assertion``, the identity
number checked with python-stdnum. It writes nothing to the database."""

import logging
import threading
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App, OAuthError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from joserfc.errors import JoseError
from stdnum.exceptions import ValidationError as NumberInvalid
from stdnum.util import get_cc_module

from .errors import IdentityServiceError
from .identities import Assertion
from .models import Assurance
from .validators import validate_phone

log = logging.getLogger(__name__)

CLIENT_NAME = "identity_service"
# The ID token of the session's sign-in: signing out hands it back to the provider.
SESSION_ID_TOKEN = "oidc_id_token"  # noqa: S105 (a session key)
LEEWAY_SECONDS = 60  # clock difference tolerated on exp and iat
ASSERTED_LEVELS = frozenset({Assurance.LOW, Assurance.SUBSTANTIAL, Assurance.HIGH})
# Everything that can go wrong between the portal and the provider, or in the provider's answer.
FAILURES = (requests.RequestException, AuthlibBaseError, JoseError, ValueError, RuntimeError)


def configured() -> bool:
    return bool(settings.OIDC_CLIENT_ID and (settings.OIDC_ISSUER or settings.OIDC_DISCOVERY_URL))


def provider_name() -> str:
    """The name the person knows the service by ("Singpass"); the provider's host if none is set."""
    return settings.OIDC_PROVIDER_NAME or urlsplit(settings.OIDC_ISSUER or settings.OIDC_DISCOVERY_URL).hostname or ""


def discovery_url() -> str:
    return settings.OIDC_DISCOVERY_URL or settings.OIDC_ISSUER.rstrip("/") + "/.well-known/openid-configuration"


def redirect_uri() -> str:
    """The callback address registered with the provider: on SITE_URL, the portal's public address."""
    return settings.SITE_URL + reverse("accounts:oidc_callback")


def post_logout_redirect_uri() -> str:
    return settings.SITE_URL + resolve_url(settings.LOGOUT_REDIRECT_URL)


def number_scheme(name: str):
    """python-stdnum's module for a scheme named country.number ("cn.ric", "cn.uscc"), or None."""
    country, _dot, number = name.partition(".")
    module = get_cc_module(country, number) if country and number else None
    return module if hasattr(module, "validate") else None


# One client per configuration, so the discovery document and the key set are fetched once
# (and again only when a token names a key the client does not know).
_clients: dict[tuple, DjangoOAuth2App] = {}
_clients_lock = threading.Lock()


def _client() -> DjangoOAuth2App:
    key = (discovery_url(), settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET, tuple(settings.OIDC_SCOPES),
           settings.OIDC_TIMEOUT_SECONDS)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = DjangoOAuth2App(
                DjangoIntegration(CLIENT_NAME), CLIENT_NAME, client_id=settings.OIDC_CLIENT_ID,
                client_secret=settings.OIDC_CLIENT_SECRET, server_metadata_url=discovery_url(),
                client_kwargs={"scope": " ".join(settings.OIDC_SCOPES), "code_challenge_method": "S256",
                               "default_timeout": settings.OIDC_TIMEOUT_SECONDS},
            )
        return _clients[key]


def _metadata(app: DjangoOAuth2App) -> dict:
    metadata = app.load_server_metadata()
    if settings.OIDC_ISSUER and metadata.get("issuer", "").rstrip("/") != settings.OIDC_ISSUER.rstrip("/"):
        raise ValueError(f"the discovery document names issuer {metadata.get('issuer')!r}, not {settings.OIDC_ISSUER!r}")
    return metadata


# --- Messages -----------------------------------------------------------------------------------


def _unavailable() -> IdentityServiceError:
    if settings.CITIZEN_PASSWORD_SIGN_IN:
        message = _("%(service)s is not answering at the moment, so you are not signed in. Try again in a few "
                    "minutes, or sign in with your email address and password.")
    else:
        message = _("%(service)s is not answering at the moment, so you are not signed in. Try again in a few minutes.")
    return IdentityServiceError(message % {"service": provider_name()})


def _stale() -> IdentityServiceError:
    return IdentityServiceError(_(
        "This answer from %(service)s does not belong to a sign-in started here, or it has already been used. "
        "Start the sign-in again."
    ) % {"service": provider_name()})


def _unverified() -> IdentityServiceError:
    return IdentityServiceError(_(
        "The answer from %(service)s could not be verified, so you are not signed in. Start the sign-in again; "
        "if this happens again, contact the help desk."
    ) % {"service": provider_name()})


def _failure(exc: Exception, step: str) -> IdentityServiceError:
    """The message for a failure at ``step``: the provider out of reach, a code it refused (already
    used or expired), or an answer that does not verify."""
    log.warning("identity service: %s failed: %r", step, exc)
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return _unavailable()
    if isinstance(exc, requests.HTTPError) and exc.response is not None and exc.response.status_code >= 500:
        return _unavailable()
    if isinstance(exc, OAuthError) and step == "token":
        return IdentityServiceError(_(
            "%(service)s did not confirm this sign-in: it was already completed or took too long. Start the "
            "sign-in again."
        ) % {"service": provider_name()})
    return _unverified()


# --- The flow -----------------------------------------------------------------------------------


def authorization_redirect(request):
    """The redirect that sends the browser to the provider, with a fresh state, nonce and PKCE
    verifier kept in the session."""
    app = _client()
    extra = {"acr_values": settings.OIDC_ACR_VALUES} if settings.OIDC_ACR_VALUES else {}
    try:
        _metadata(app)
        return app.authorize_redirect(request, redirect_uri(), ui_locales=translation.get_language(), **extra)
    except FAILURES as exc:
        raise _failure(exc, "discovery") from exc


def callback_assertion(request) -> tuple[Assertion, str]:
    """The person the provider's answer on the callback asserts, and the raw ID token. The state
    is taken out of the session first, so an answer is used once whatever happens next."""
    app = _client()
    params = request.GET
    state = params.get("state", "")
    data = app.framework.get_state_data(request.session, state) if state else None
    if state:
        app.framework.clear_state_data(request.session, state)
    if not data or not data.get("nonce") or not data.get("code_verifier"):
        raise _stale()
    if params.get("error"):
        log.info("identity service: the provider answered %s (%s)", params["error"], params.get("error_description"))
        if params["error"] == "access_denied":
            raise IdentityServiceError(_("You cancelled the sign-in with %(service)s.") % {"service": provider_name()})
        raise IdentityServiceError(_("%(service)s could not sign you in. Try again later.") % {"service": provider_name()})
    try:
        metadata = _metadata(app)
        # RFC 9207: an answer from another provider (a mix-up) names another issuer.
        if "iss" in params and params["iss"] != metadata["issuer"]:
            raise ValueError(f"the answer names issuer {params['iss']!r}")
    except FAILURES as exc:
        raise _failure(exc, "discovery") from exc
    try:
        token = app.fetch_access_token(redirect_uri=data["redirect_uri"], code=params.get("code", ""), state=state,
                                       code_verifier=data["code_verifier"])
    except FAILURES as exc:
        raise _failure(exc, "token") from exc
    claims = id_token_claims(token, nonce=data["nonce"])
    if metadata.get("userinfo_endpoint"):
        claims = {**_userinfo(app, token, claims["sub"]), **claims}
    return assertion_from_claims(claims, issuer=metadata["issuer"]), token["id_token"]


def id_token_claims(token: dict, *, nonce: str) -> dict:
    """The claims of the token response's ID token, once its signature (by a key of the provider's
    key set) and its iss, aud, exp, iat and nonce are checked."""
    app = _client()
    if not token.get("id_token") or not nonce:
        raise _failure(ValueError("no ID token or no nonce"), "id_token")
    try:
        issuer = _metadata(app)["issuer"]
        options = {"iss": {"essential": True, "values": [issuer]}, "sub": {"essential": True},
                   "aud": {"essential": True, "values": [settings.OIDC_CLIENT_ID]},
                   "exp": {"essential": True}, "iat": {"essential": True}}
        return dict(app.parse_id_token(token, nonce=nonce, claims_options=options, leeway=LEEWAY_SECONDS))
    except FAILURES as exc:
        raise _failure(exc, "id_token") from exc


def _userinfo(app: DjangoOAuth2App, token: dict, subject: str) -> dict:
    """The userinfo endpoint's claims (many providers put the profile there, not in the ID token),
    which must be about the ID token's subject."""
    try:
        info = dict(app.userinfo(token=token))
        if info.get("sub") != subject:
            raise ValueError("the userinfo answer is about another subject")
    except FAILURES as exc:
        raise _failure(exc, "userinfo") from exc
    return info


def end_session_url(id_token: str) -> str | None:
    """Where to send the browser to end the provider's session too (RP-initiated logout), when the
    provider's discovery document has an end_session_endpoint; None otherwise."""
    if not (configured() and id_token):
        return None
    app = _client()
    try:
        if not _metadata(app).get("end_session_endpoint"):
            return None
        return app.create_logout_url(post_logout_redirect_uri=post_logout_redirect_uri(), id_token_hint=id_token,
                                     client_id=settings.OIDC_CLIENT_ID)["url"]
    except FAILURES as exc:
        log.warning("identity service: no sign-out at the provider: %r", exc)
        return None


# --- Claims -------------------------------------------------------------------------------------


def assertion_from_claims(claims: dict, *, issuer: str) -> Assertion:
    """The person the verified claims describe. The name is required; an e-mail address or a phone
    number that is not valid counts as not given; an identity number that is not valid refuses
    the sign-in."""
    name = _text(claims.get("name")) or " ".join(
        part for part in (_text(claims.get("given_name")), _text(claims.get("family_name"))) if part)
    if not name:
        raise IdentityServiceError(_(
            "%(service)s did not give your name, so you cannot be signed in. Contact %(service)s to check your record."
        ) % {"service": provider_name()})
    email = _email(claims.get("email"))
    return Assertion(
        issuer=issuer, subject=str(claims["sub"]), provider_name=provider_name()[:150], full_name=name[:150],
        assurance=assurance_for(claims.get("acr")), email=email,
        email_verified=bool(email) and claims.get("email_verified") in (True, "true"),
        phone=_phone(claims.get("phone_number")), id_number=identity_number(claims),
    )


def identity_number(claims: dict) -> str:
    """The identity number the claims carry, in its standard form: an organisation's when the
    provider asserts one, else the person's; "" when there is none. Not valid: refused."""
    for claim, scheme in ((settings.OIDC_ORGANISATION_ID_NUMBER_CLAIM, settings.OIDC_ORGANISATION_ID_NUMBER_SCHEME),
                          (settings.OIDC_ID_NUMBER_CLAIM, settings.OIDC_ID_NUMBER_SCHEME)):
        value = _text(claims.get(claim)) if claim else ""
        if not value:
            continue
        try:
            number = number_scheme(scheme).validate("".join(value.split()))
        except NumberInvalid:
            number = ""
        if not number or len(number) > 32:
            log.warning("identity service: the %s claim is not a valid %s number", claim, scheme)
            raise IdentityServiceError(_(
                "%(service)s gave an identity number that is not valid, so you are not signed in and no account "
                "was made. Contact %(service)s to correct your record."
            ) % {"service": provider_name()})
        return number
    return ""


def assurance_for(acr) -> str:
    """The portal's assurance level for the provider's acr value (OIDC_ACR_ASSURANCE)."""
    level = settings.OIDC_ACR_ASSURANCE.get(str(acr), "") if acr else ""
    level = level or settings.OIDC_DEFAULT_ASSURANCE
    return level if level in ASSERTED_LEVELS else Assurance.LOW


def _text(value) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _email(value) -> str:
    """An address registration would accept, lower-case; "" for none or a malformed one."""
    email = _text(value).lower()
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email


def _phone(value) -> str:
    phone = _text(value)
    try:
        validate_phone(phone)
    except ValidationError:
        return ""
    return phone if len(phone) <= 32 else ""
