"""The mail servers' URLs: `OUTREACH_SMTP_URL` parsed into an `SmtpUrl` (`smtp://`,
`smtp+starttls://` and `smtps://` with optional `user:password@`, percent-encoded, and query
options such as `?timeout=10&helo=mail.example.org`), and the loopback rule that both
`OUTREACH_SMTP_URL` and `OUTREACH_IMAP_URL` follow.

Part of the configuration layer, not of `outreach.mta`: settings are checked here when they are
loaded, without opening anything, and the configuration imports no stage of the pipeline.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from outreach.errors import ConfigError

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
OPTIONS = ("timeout", "helo")
_VAR = "OUTREACH_SMTP_URL"


def is_loopback_host(host: str) -> bool:
    """True for `localhost` or a loopback IP literal: the only hosts where plain-text
    protocols (a password over smtp://, imap://) are allowed, for tests and local relays."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SmtpUrl:
    scheme: str  # "smtp" | "smtp+starttls" | "smtps"
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float | None = None
    helo: str | None = None

    @property
    def display(self) -> str:
        """The URL without its password, for logs and error messages."""
        user = f"{self.username}@" if self.username else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{user}{host}:{self.port}"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpUrl:
    """Parse and check an SMTP URL; every mistake is a `ConfigError` naming what is wrong.

    A password over plain `smtp://` is refused unless the server is on a loopback address:
    credentials never travel in clear text across a network.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{_VAR}: {_redact(url)!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ConfigError(f"{_VAR}: {_redact(url)!r} must start with smtp://, "
                          "smtp+starttls:// or smtps://")
    if not parts.hostname:
        raise ConfigError(f"{_VAR}: {_redact(url)!r} has no host name")
    if parts.path not in ("", "/"):
        raise ConfigError(f"{_VAR}: {_redact(url)!r}: unexpected path {parts.path!r}")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password and scheme == "smtp" and not is_loopback_host(parts.hostname):
        raise ConfigError(f"{_VAR}: a password over plain smtp:// would travel unencrypted; "
                          "use smtp+starttls:// or smtps://")
    return SmtpUrl(
        scheme=scheme, host=parts.hostname, port=port or DEFAULT_PORTS[scheme],
        username=username, password=password, **_options(parts.query, url),
    )


def _options(query: str, url: str) -> dict[str, object]:
    found: dict[str, object] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in OPTIONS:
            raise ConfigError(f"{_VAR}: unknown option {key!r} in {_redact(url)!r} "
                              f"(known: {', '.join(OPTIONS)})")
        if key == "timeout":
            try:
                found["timeout"] = float(value)
            except ValueError:
                found["timeout"] = -1.0
            if not 0 < found["timeout"] <= 3600:  # type: ignore[operator]
                raise ConfigError(f"{_VAR}: timeout={value!r}: seconds between 0 and 3600")
        elif key == "helo":
            if not value or any(c.isspace() for c in value):
                raise ConfigError(f"{_VAR}: helo={value!r}: a host name without spaces")
            found["helo"] = value
    return found


def _redact(url: str) -> str:
    """The URL with any `user:password@` part removed."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url.rpartition("@")[2]
    netloc_end = len(rest)
    for ch in "/?#":
        i = rest.find(ch)
        if i != -1:
            netloc_end = min(netloc_end, i)
    netloc, tail = rest[:netloc_end], rest[netloc_end:]
    return f"{scheme}://{netloc.rpartition('@')[2]}{tail}"
