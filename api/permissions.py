"""Which token may call a view: by kind (department systems, those applying — a citizen's own
token or a front desk's — or front desks alone, registering walk-in citizens), then by scope
(api.scopes: the one table of the scope each endpoint needs)."""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from .errors import InsufficientScope
from .models import TokenKind
from .scopes import required_scope


def _kind_permission(*kinds):
    class HasKind(BasePermission):
        code = "wrong_token_kind"  # the 403's reason on record (api.errors)

        def has_permission(self, request, view):
            token = request.auth
            if token is None:
                raise exceptions.NotAuthenticated(_("This needs an API token."))
            return token.kind in kinds

    return HasKind


IsDepartmentToken = _kind_permission(TokenKind.DEPARTMENT)
IsApplicantToken = _kind_permission(TokenKind.CITIZEN, TokenKind.FRONT_DESK)
IsFrontDeskToken = _kind_permission(TokenKind.FRONT_DESK)


class HasScope(BasePermission):
    """The token holds the scope the endpoint needs for this method; refused: 403
    ``insufficient_scope`` naming it (put on record by api.errors, with the scope). A method the view
    does not answer passes on to its 405; OPTIONS only describes the endpoint."""

    def has_permission(self, request, view):
        token = request.auth
        if token is None:
            raise exceptions.NotAuthenticated(_("This needs an API token."))
        method = request.method
        if method == "OPTIONS" or not hasattr(view, "get" if method == "HEAD" else method.lower()):
            return True
        scope = required_scope(view, method)
        if scope is not None and scope in token.scopes:
            return True
        raise InsufficientScope(scope)  # on record by the exception handler, as every 403 (api.errors)
