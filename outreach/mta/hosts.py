"""Small URL helpers shared by the adapters' URL parsers (SMTP, IMAP)."""

from __future__ import annotations

import ipaddress


def is_loopback_host(host: str) -> bool:
    """True for `localhost` or a loopback IP literal: the only hosts where plain-text
    protocols (a password over smtp://, imap://) are allowed, for tests and local relays."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
