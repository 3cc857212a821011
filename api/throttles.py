"""Request rates: per token for token holders, per client address on the public endpoints (a
token holder calling them is counted by its token). The client address is the portal's one rule
(accounts.client_ip), never DRF's own reading of X-Forwarded-For, which a client can write."""

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

from accounts.client_ip import client_ip


class TokenRateThrottle(SimpleRateThrottle):
    scope = "token"

    def get_cache_key(self, request, view):
        if request.auth is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class PublicRateThrottle(AnonRateThrottle):
    scope = "public"

    def get_ident(self, request):
        return client_ip(request) or "unknown"

    def get_cache_key(self, request, view):
        if request.auth is not None:
            return self.cache_format % {"scope": self.scope, "ident": f"token-{request.auth.pk}"}
        return super().get_cache_key(request, view)
