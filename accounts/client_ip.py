"""The client's address, for login throttling and the audit log.

Behind N trusted proxies (PROXY_COUNT), each proxy appends the address it saw to
X-Forwarded-For, so the client is the N-th entry from the right; whatever a client wrote
further left is ignored. With no proxy configured only the socket address counts."""

from ipaddress import ip_address

from django.conf import settings


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.PROXY_COUNT
    if not count:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < count:
        return remote
    candidate = hops[-count]
    try:
        return str(ip_address(candidate))
    except ValueError:
        return remote
