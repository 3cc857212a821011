"""Which kind of token may call a view: department systems, those applying (a citizen's own
token or a front desk's), or front desks alone (registering walk-in citizens)."""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from .models import TokenKind


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
