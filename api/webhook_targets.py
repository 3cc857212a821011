"""Where a webhook may be sent: a plain https address (http too where API_WEBHOOK_ALLOW_HTTP, in
development) of a host on the administrator's list when there is one (API_WEBHOOK_ALLOWED_HOSTS),
every address of which is public.

The host is looked up through ``resolve``, the one place webhooks ask the resolver, when a
department subscribes and again before every send; one address of that answer is then the one the
sender connects to (``webhooks._post``), so a name that points elsewhere between the check and the
connection (DNS rebinding) never reaches anything but the address checked.

Public means not loopback, private, link-local, shared (100.64.0.0/10, carrier-grade NAT),
multicast, reserved, unspecified, unique local or site-local, as the standard library's
``ipaddress`` knows them; an IPv6 address that carries an IPv4 one (IPv4-mapped or -compatible,
6to4, Teredo, NAT64) is judged by the IPv4 address too. A host written as a number in any form but
the four decimal parts (``2130706433``, ``0177.0.0.1``, ``0x7f000001``, ``127.1``), which resolvers
and URL libraries read as an IPv4 address, is refused as such. Loopback addresses are allowed only
where API_WEBHOOK_ALLOW_LOOPBACK (development, the tests' receivers)."""

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT; not "private" to ipaddress
# Not globally reachable (IANA's special-purpose registries), though not "private" to every
# Python's ipaddress: IETF protocol assignments, local-use NAT64, segment routing.
ALSO_PRIVATE = (ipaddress.IPv4Network("192.0.0.0/24"), ipaddress.IPv6Network("64:ff9b:1::/48"),
                ipaddress.IPv6Network("5f00::/16"))
UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
DEFAULT_PORTS = {"http": 80, "https": 443}
# The last label of a host that is a number: the URL standard then reads the whole host as IPv4.
NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)

KIND_UNSPECIFIED = gettext_lazy("an unspecified address")
KIND_LOOPBACK = gettext_lazy("a loopback address")
KIND_LINK_LOCAL = gettext_lazy("a link-local address")
KIND_MULTICAST = gettext_lazy("a multicast address")
KIND_SHARED = gettext_lazy("a shared address (carrier-grade NAT)")
KIND_UNIQUE_LOCAL = gettext_lazy("a unique local address")
KIND_SITE_LOCAL = gettext_lazy("a site-local address")
KIND_RESERVED = gettext_lazy("a reserved address")
KIND_PRIVATE = gettext_lazy("a private address")
KIND_NOT_PUBLIC = gettext_lazy("not a public address")


class TargetRefused(Exception):
    """The address may not be sent to; ``message`` says why, for the department and the log."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Target:
    """A checked webhook address: its host as written and looked up, and the address to connect to."""

    url: str
    scheme: str
    host: str  # lower case, ASCII (IDNA), without a trailing dot
    port: int
    address: str  # the checked address the connection goes to


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order (the tests stand in for this)."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in answers))


def webhook_target(url: str) -> Target:
    """The address to send ``url``'s webhooks to, looked up now; raises TargetRefused."""
    scheme, host, port, literal = _parse(url)
    allowed = _allowed_hosts()
    if allowed and host not in allowed:
        raise TargetRefused(_("%(host)s is not among the hosts webhooks may be sent to.") % {"host": host})
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError):
            addresses = []
        if not addresses:
            raise TargetRefused(_("%(host)s could not be found.") % {"host": host})
    for address in addresses:
        _check_address(address, host=None if literal is not None else host)
    return Target(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


def check_url_form(url: str) -> None:
    """What can be told of ``url`` without looking anything up; raises TargetRefused."""
    _parse(url)


def _parse(url: str) -> tuple[str, str, int, str | None]:
    """(scheme, host, port, the host's address when it is written as one) of a plain web address."""
    whole = _("Give a full address, such as https://hooks.example.gov/portal.")
    schemes = ("http", "https") if settings.API_WEBHOOK_ALLOW_HTTP else ("https",)
    url = str(url).strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused(whole)
    if parts.scheme not in schemes:
        raise TargetRefused(_("Give an http or https address.") if settings.API_WEBHOOK_ALLOW_HTTP
                            else _("Use an https address."))
    if parts.username is not None or parts.password is not None:
        raise TargetRefused(_("Leave the user name and password out of the address."))
    if not parts.hostname:
        raise TargetRefused(whole)
    literal = None
    if "[" in parts.netloc:  # an IPv6 address
        try:
            address = ipaddress.IPv6Address(parts.hostname)
        except ValueError:
            raise TargetRefused(whole)
        if address.scope_id:
            raise TargetRefused(whole)
        host = literal = parts.hostname
    else:
        try:
            host = _normal_host(parts.hostname)
        except UnicodeError:
            raise TargetRefused(whole)
        if NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
            if not _canonical_ipv4(parts.hostname):
                raise TargetRefused(_("Write an IP address as four decimal numbers (such as 203.0.113.10), "
                                      "or use a host name."))
            literal = host
    try:
        URLValidator(schemes=list(schemes))(url)
    except ValidationError:
        raise TargetRefused(whole)
    return parts.scheme, host, port or DEFAULT_PORTS[parts.scheme], literal


def _allowed_hosts() -> set[str]:
    try:
        return {_normal_host(h) for h in settings.API_WEBHOOK_ALLOWED_HOSTS if h.strip()}
    except UnicodeError:
        raise ImproperlyConfigured("API_WEBHOOK_ALLOWED_HOSTS holds something that is not a host name.")


def _normal_host(host: str) -> str:
    """A host as looked up and compared: lower case, ASCII (IDNA), without the final dot or brackets."""
    host = host.strip().strip("[]").rstrip(".")
    return host.lower() if ":" in host else host.encode("idna").decode("ascii").lower()


def _canonical_ipv4(text: str) -> bool:
    try:
        return str(ipaddress.IPv4Address(text)) == text
    except ValueError:
        return False


def _check_address(text: str, *, host: str | None) -> None:
    """Raise TargetRefused unless ``text`` (an address ``host`` resolves to, or the URL's own) is public."""
    address = ipaddress.ip_address(text)
    values = {"host": host, "address": text}
    inner = _carried_ipv4(address)
    if inner is not None and (kind := _kind(inner, loopback_allowed=False)) is not None:
        values.update(inner=inner, kind=kind)
        raise TargetRefused((_("%(host)s resolves to %(address)s, which carries %(inner)s, %(kind)s; webhooks are "
                               "sent only to public addresses.") if host else
                             _("%(address)s carries %(inner)s, %(kind)s; webhooks are sent only to public "
                               "addresses.")) % values)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return  # an IPv4-mapped address is the IPv4 address it carries, which is public
    if (kind := _kind(address, loopback_allowed=settings.API_WEBHOOK_ALLOW_LOOPBACK)) is not None:
        values["kind"] = kind
        raise TargetRefused((_("%(host)s resolves to %(address)s, %(kind)s; webhooks are sent only to public "
                               "addresses.") if host else
                             _("%(address)s is %(kind)s; webhooks are sent only to public addresses.")) % values)


def _carried_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (of Teredo's client and server, the first not public)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        server, client = address.teredo
        return server if _kind(client, loopback_allowed=False) is None and _kind(server, loopback_allowed=False) else client
    if address in NAT64 or (address in IPV4_COMPATIBLE and int(address) > 1):  # not :: and ::1 themselves
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _kind(address: IPAddress, *, loopback_allowed: bool):
    """Why ``address`` is not public, or None when it is (or is a loopback address that is allowed)."""
    if address.is_unspecified:
        return KIND_UNSPECIFIED
    if address.is_loopback:
        return None if loopback_allowed else KIND_LOOPBACK
    if address.is_link_local:
        return KIND_LINK_LOCAL
    if address.is_multicast:
        return KIND_MULTICAST
    if isinstance(address, ipaddress.IPv4Address) and address in SHARED:
        return KIND_SHARED
    if isinstance(address, ipaddress.IPv6Address) and address in UNIQUE_LOCAL:
        return KIND_UNIQUE_LOCAL
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return KIND_SITE_LOCAL
    if address.is_reserved:
        return KIND_RESERVED
    if address.is_private or any(address in network for network in ALSO_PRIVATE if network.version == address.version):
        return KIND_PRIVATE
    if not address.is_global:
        return KIND_NOT_PUBLIC
    return None
