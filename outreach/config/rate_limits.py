"""Parsing `OUTREACH_RATE_LIMIT`, e.g. `"10/s;gmail.com=2/s;*=5/s"`.

- an entry without `=` is the global ceiling for all workers together;
- `domain=rate` limits one recipient domain (and its subdomains);
- `*=rate` is the default limit for every other domain, each domain counted on its own.
Rates are `N/s`, `N/m` (or `/min`), `N/h`, or a bare `N` per second; `none` means unlimited.
An empty value means no limits at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from outreach.errors import ConfigError

VAR = "OUTREACH_RATE_LIMIT"
_RATE = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:/\s*(s|sec|second|m|min|minute|h|hour))?$")
_PER = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$")


@dataclass(frozen=True)
class RateLimits:
    per_second: float | None = None
    domains: Mapping[str, float] = field(default_factory=dict)
    default_domain_per_second: float | None = None

    @property
    def unlimited(self) -> bool:
        return not (self.per_second or self.domains or self.default_domain_per_second)


def parse_rate_limits(text: str | None, var: str = VAR) -> RateLimits:
    """Parse the limits string; mistakes raise `ConfigError` naming the entry and the fix."""
    per_second: float | None = None
    default: float | None = None
    domains: dict[str, float] = {}
    seen_global = seen_default = False
    for raw in (text or "").split(";"):
        entry = raw.strip()
        if not entry:
            continue
        name, sep, value = (p.strip() for p in entry.partition("="))
        if not sep:
            if seen_global:
                raise ConfigError(f"{var}: {entry!r}: a second global rate (write domain=rate "
                                  "for a domain)")
            per_second, seen_global = parse_rate(name, var), True
        elif name == "*":
            if seen_default:
                raise ConfigError(f"{var}: {entry!r}: '*' is given twice")
            default, seen_default = parse_rate(value, var), True
        else:
            domain = normalize_domain(name, var)
            if domain in domains:
                raise ConfigError(f"{var}: {entry!r}: {domain} is given twice")
            rate = parse_rate(value, var)
            if rate is None:
                raise ConfigError(f"{var}: {entry!r}: a domain limit needs a rate like 2/s")
            domains[domain] = rate
    return RateLimits(per_second, domains, default)


def parse_rate(value: str, var: str = VAR) -> float | None:
    """Messages per second from `10/s`, `120/m`, `3600/h` or `5`; None for `none`/`unlimited`."""
    text = value.strip().lower()
    if text in ("none", "unlimited"):
        return None
    match = _RATE.match(text)
    if not match:
        raise ConfigError(f"{var}: {value!r} is not a rate: write e.g. 10/s, 120/m or 3600/h")
    number = float(match.group(1))
    if number <= 0:
        raise ConfigError(f"{var}: {value!r}: a rate must be above 0 (or 'none' for no limit)")
    return number / _PER[match.group(2) or "s"]


def normalize_domain(name: str, var: str = VAR) -> str:
    """Lower-case, IDNA (punycode) form of a domain, as recipient domains are looked up."""
    domain = name.strip().lower().rstrip(".")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ConfigError(f"{var}: {name!r} is not a domain name") from None
    if not _DOMAIN.match(domain):
        raise ConfigError(f"{var}: {name!r} is not a domain name (like example.org)")
    return domain
