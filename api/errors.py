"""The one error shape of the API: {"error": {"code", "message", "fields"}} for every error,
domain or HTTP, so nothing the engine raises becomes a 500. Every 401 and 403 is put on record
here (api.refusals), whichever check refused."""

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from accounts.errors import (
    AccountError,
    AlreadyClaimed,
    DocumentAlreadyVerified,
    EmailHasAccount,
    InvalidProfile,
    NotRegisteredHere,
)
from core.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed

from .refusals import refusal_record

ERROR_CODES = {
    400: "invalid_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "idempotency_mismatch",
    429: "throttled",
}
# Refusals of accounts (a front desk registering a walk-in) that are a state, not a bad value.
ACCOUNT_CONFLICTS = ((DocumentAlreadyVerified, "document_already_verified"), (EmailHasAccount, "account_exists"),
                     (AlreadyClaimed, "already_claimed"))


def error_response(status_code: int, message, *, code: str | None = None, fields: dict | None = None, headers=None):
    body = {"error": {"code": code or ERROR_CODES.get(status_code, "error"), "message": str(message),
                      "fields": {k: [str(m) for m in v] for k, v in (fields or {}).items()}}}
    return Response(body, status=status_code, headers=headers)


def _field_errors(detail) -> dict:
    if isinstance(detail, dict):
        result = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, messages in _field_errors(value).items():
                    result[f"{key}.{sub}"] = messages
            else:
                result[str(key)] = [str(v) for v in (value if isinstance(value, list) else [value])]
        return result
    if isinstance(detail, list):
        return {"non_field_errors": [str(v) for v in detail]}
    return {"non_field_errors": [str(detail)]}


def exception_handler(exc, context):
    """Every error, domain or HTTP, in the documented shape; nothing the engine raises is a 500."""
    if isinstance(exc, ValidationFailed):
        return error_response(400, exc.message, code="validation_failed", fields=exc.errors)
    if isinstance(exc, Conflict):  # a conflict with an answer of its own (already_acknowledged) says so
        return error_response(409, exc.message, code=getattr(exc, "api_code", "conflict"))
    if isinstance(exc, InvalidTransition):
        return error_response(409, exc.message, code="invalid_state")
    if isinstance(exc, NotAllowed):
        refusal_record(context, "not_allowed")
        return error_response(403, exc.message, code="forbidden")
    if isinstance(exc, AccountError):
        return _account_error(exc)
    if isinstance(exc, (Http404, ObjectDoesNotExist)):
        return error_response(404, _("Not found."))
    if isinstance(exc, RequestDataTooBig):
        return error_response(413, _("The request body is too large."))
    if isinstance(exc, SuspiciousOperation):
        return error_response(400, _("The request could not be read."))
    if isinstance(exc, exceptions.ValidationError):
        return error_response(400, _("Some values need your attention."), code="validation_failed",
                              fields=_field_errors(exc.detail))
    if isinstance(exc, exceptions.APIException):
        headers = {}
        code = getattr(exc, "api_code", None)  # an answer more precise than its status's
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            refusal_record(context, getattr(exc, "reason", "no_token"), getattr(exc, "prefix", ""))
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
            return error_response(401, exc.detail, code=code, headers=headers)
        if isinstance(exc, exceptions.PermissionDenied):
            codes = exc.get_codes()
            refusal_record(context, code or (codes if isinstance(codes, str) else "forbidden"),
                           **getattr(exc, "details", {}))
        if isinstance(exc, exceptions.Throttled) and exc.wait:
            headers["Retry-After"] = str(int(exc.wait))
        detail = exc.detail if not isinstance(exc.detail, (list, dict)) else _("The request could not be processed.")
        return error_response(exc.status_code, detail, code=code, headers=headers)
    return None


def _account_error(exc: AccountError):
    if isinstance(exc, InvalidProfile):
        return error_response(400, _("Some values need your attention."), code="validation_failed", fields=exc.errors)
    if isinstance(exc, NotRegisteredHere):
        return error_response(404, exc.message)
    for cls, code in ACCOUNT_CONFLICTS:
        if isinstance(exc, cls):
            return error_response(409, exc.message, code=code)
    return error_response(400, exc.message, code="validation_failed",
                          fields={exc.field: exc.messages} if exc.field else None)


class TokenRefused(exceptions.AuthenticationFailed):
    """A 401 that says why, for the audit log: ``reason`` in a word, and the token's ``prefix``
    when what was sent has a token's shape (never the token)."""

    def __init__(self, detail, *, reason: str, prefix: str = ""):
        super().__init__(detail)
        self.reason, self.prefix = reason, prefix


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class ExpiredToken(TokenRefused):
    """A known token past its ``expires_at``: a 401 of its own, so its holder knows to get a new one."""

    api_code = "token_expired"

    def __init__(self, prefix: str):
        super().__init__(_("The token has expired."), reason="expired_token", prefix=prefix)


class InsufficientScope(exceptions.PermissionDenied):
    """The token lacks the scope the call needs (api.scopes)."""

    api_code = "insufficient_scope"

    def __init__(self, scope: str | None):
        self.details = {"scope": scope or ""}  # on record with the refusal (api.refusals)
        super().__init__(_("This call needs a token with the %(scope)s scope.") % {"scope": scope} if scope
                         else _("No token scope allows this call."))
