"""Where a webhook may be sent: public addresses only, checked when subscribing AND again at
every delivery, on the very address the connection then uses.

Checking only the URL at subscription time is not enough: a name can resolve to a public
address when the subscription is made and to 127.0.0.1 or 169.254.169.254 later (DNS
rebinding). So delivery resolves the name itself, refuses if any address is not global, and
connects to the checked address (keeping the name for the Host header and TLS).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL = 2000


class TargetRefused(ValueError):
    """The URL is malformed or points where webhooks may not go."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent on the request line
    address: str  # the checked IP address to connect to


def check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of a well-formed http(s) URL, else TargetRefused."""
    if not url or len(url) > MAX_URL or any(c in url for c in "\r\n\t "):
        raise TargetRefused("url: must be an http:// or https:// URL without spaces")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(f"url: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("url: must be an http:// or https:// URL with a host name")
    if parts.username or parts.password:
        raise TargetRefused("url: must not carry a user name or password")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def refused_address(address: str) -> str | None:
    """Why this IP may not be a webhook target, or None if it is a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for test, why in ((ip.is_loopback, "loopback"), (ip.is_link_local, "link-local"),
                      (ip.is_private, "private"), (ip.is_multicast, "multicast"),
                      (ip.is_unspecified, "unspecified"), (ip.is_reserved, "reserved")):
        if test:
            return why
    return None if ip.is_global else "not global"


def resolve(url: str, *, allow_private: bool) -> Target:
    """Resolve the URL's host and check every address (TargetRefused if any is refused)."""
    scheme, host, port, path = check_url(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"url: cannot resolve {host!r}: {exc}") from None
    addresses = sorted({str(info[4][0]) for info in infos})
    if not addresses:
        raise TargetRefused(f"url: {host!r} has no address")
    if not allow_private:
        for address in addresses:
            why = refused_address(address)
            if why:
                raise TargetRefused(f"url: {host!r} resolves to a {why} address ({address}); "
                                    "set OUTREACH_WEBHOOK_ALLOW_PRIVATE=1 to allow it")
    return Target(scheme, host, port, path, addresses[0])
