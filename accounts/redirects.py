"""Which ``next`` addresses the sign-in pages follow."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, url: str | None) -> str:
    """``url`` when it is an address on this site (a path, or this host), else "". Anything else
    (a bare word, which Django's redirect() would look up as a view's name) is refused."""
    url = (url or "").strip()
    if url.startswith(("/", "http://", "https://")) and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return ""
