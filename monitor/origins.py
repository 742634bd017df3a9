"""Where a fetch may go, and which headers may go with it.

Feeds are hostile: a redirect or an article link can point anywhere.  Three
rules, applied to every hop of every fetch:

* link-local addresses (169.254.0.0/16, fe80::/10) and cloud metadata
  endpoints are never fetched: they hand out credentials;
* loopback and private addresses are fetched only when the operator chose
  one as the source's URL, or set `allow_private: true` on the source, so a
  public feed cannot redirect the monitor into the internal network;
* per-source `headers` (API keys, Authorization) go only to the configured
  URL's origin (scheme, host, port), and an https source never follows a
  redirect down to plain http.

Pure: the caller resolves names (an injectable resolver) and passes addresses.
"""

from __future__ import annotations

import ipaddress
from typing import Literal
from urllib.parse import urlsplit

Origin = tuple[str, str, int]
AddressKind = Literal["forbidden", "private", "public"]

# Names that reach a metadata service without resolving to link-local space.
METADATA_HOSTS = frozenset({
    "metadata", "metadata.google.internal", "metadata.goog", "metadata.azure.com",
    "instance-data", "instance-data.ec2.internal", "metadata.tencentyun.com",
})
# Metadata addresses outside 169.254/16: AWS over IPv6, Alibaba, Oracle's IPv6 alias.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "fd00:ec2::254", "100.100.100.200", "fd00:c1::a9fe:a9fe",
))
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> Origin | None:
    """(scheme, host, port) with the default port filled in; None for a non-http URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower().rstrip("."), port or _DEFAULT_PORTS[scheme]


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def classify(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> AddressKind:
    """forbidden (link-local, metadata), private (loopback, RFC 1918, ULA …) or public."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:169.254.169.254 is 169.254.169.254
    if ip.is_link_local or ip in METADATA_ADDRESSES:
        return "forbidden"
    if not ip.is_global or ip.is_multicast:
        return "private"
    return "public"


def forbidden_host(url: str) -> str | None:
    """Why the URL's host itself (without DNS) may never be fetched, or None."""
    host = host_of(url)
    if host in METADATA_HOSTS:
        return f"{host} is a cloud metadata endpoint"
    ip = literal_address(host)
    if ip is not None and classify(ip) == "forbidden":
        return f"{ip} is a link-local or cloud metadata address"
    return None
