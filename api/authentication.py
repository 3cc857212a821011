"""Bearer tokens (kept apart from the views: DRF imports it while its own views load)."""

from django.utils.translation import gettext as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from .errors import ExpiredToken, TokenRefused
from .services import TokenExpired, api_token_authenticate, api_token_refusal


class TokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer pt_…``. A wrong, malformed or revoked token is a 401, never a
    silent fall-back to anonymous; an expired one is a 401 that says so (``token_expired``). Each says
    why for the audit log (api.errors.TokenRefused)."""

    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != self.keyword or len(header) != 2:
            raise TokenRefused(_("Send the token as: Authorization: Bearer <token>."), reason="malformed_header")
        try:
            clear = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise TokenRefused(_("The token is not valid."), reason="unknown_token")
        try:
            token = api_token_authenticate(clear)
        except TokenExpired as exc:
            raise ExpiredToken(exc.prefix)
        if token is None:
            raise TokenRefused(_("The token is not valid or has been revoked."), **api_token_refusal(clear))
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
