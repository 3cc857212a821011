"""Bearer tokens, scopes, throttling per token, the error shape, body limits."""

import json

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle
from rest_framework.views import APIView

from core.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed

from .models import TokenKind


def _kind_permission(*kinds):
    class HasKind(BasePermission):
        def has_permission(self, request, view):
            token = request.auth
            if token is None:
                raise exceptions.NotAuthenticated(_("This needs an API token."))
            return token.kind in kinds

    return HasKind


IsDepartmentToken = _kind_permission(TokenKind.DEPARTMENT)
IsApplicantToken = _kind_permission(TokenKind.CITIZEN, TokenKind.FRONT_DESK)


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_cache_key(self, request, view):
        if request.auth is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class PublicRateThrottle(AnonRateThrottle):
    scope = "public"

    def get_cache_key(self, request, view):
        if request.auth is not None:
            return self.cache_format % {"scope": self.scope, "ident": f"token-{request.auth.pk}"}
        return super().get_cache_key(request, view)


# --- The one error shape -----------------------------------------------------------------------

ERROR_CODES = {
    400: "invalid_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "idempotency_mismatch",
    429: "throttled",
}


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
    if isinstance(exc, Conflict):
        return error_response(409, exc.message, code="conflict")
    if isinstance(exc, InvalidTransition):
        return error_response(409, exc.message, code="invalid_state")
    if isinstance(exc, NotAllowed):
        return error_response(403, exc.message, code="forbidden")
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
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
            return error_response(401, exc.detail, headers=headers)
        if isinstance(exc, exceptions.Throttled) and exc.wait:
            headers["Retry-After"] = str(int(exc.wait))
        detail = exc.detail if not isinstance(exc.detail, (list, dict)) else _("The request could not be processed.")
        return error_response(exc.status_code, detail, headers=headers)
    return None


class ApiView(APIView):
    """Base of every API view: a body larger than API_MAX_BODY_BYTES is refused before it is read."""

    def initial(self, request, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise exceptions.ParseError(_("Content-Length is not a number."))
        if length > settings.API_MAX_BODY_BYTES:
            raise RequestTooLarge()
        super().initial(request, *args, **kwargs)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class StrictJSONParser(JSONParser):
    """JSON whose text is valid Unicode without NUL: a lone surrogate ("\\ud800") or a NUL parses
    in Python but can be neither stored nor echoed back, so it is refused as a malformed body."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise exceptions.ParseError(_("The JSON contains text that is not valid Unicode."))
        if _has_nul(data):  # PostgreSQL stores no NUL character in text or JSON
            raise exceptions.ParseError(_("The JSON contains a NUL character."))
        return data


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False
