"""The client address used by login throttling and the audit log (one rule, accounts.client_ip)."""

import pytest
from django.test import RequestFactory

from audit.services import client_ip


def request(**meta):
    return RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **meta)


def test_without_proxies_the_socket_address_counts():
    assert client_ip(request(HTTP_X_FORWARDED_FOR="198.51.100.7")) == "10.0.0.2"


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), [
    (1, "203.0.113.5", "203.0.113.5"),
    # The client sent "X-Forwarded-For: 198.51.100.7"; the proxy appended the real address.
    (1, "198.51.100.7, 203.0.113.5", "203.0.113.5"),
    (2, "198.51.100.7, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
    # Fewer entries than proxies, or garbage: the socket address, never the client's word.
    (2, "203.0.113.5", "10.0.0.2"),
    (1, "not-an-address", "10.0.0.2"),
    (1, "", "10.0.0.2"),
])
def test_behind_proxies_the_address_the_outermost_proxy_appended_counts(settings, proxies, forwarded, expected):
    settings.PROXY_COUNT = proxies
    assert client_ip(request(HTTP_X_FORWARDED_FOR=forwarded)) == expected
