"""Checking the sender's domain in DNS before a blast: SPF, DKIM, DMARC, alignment.

Gmail and Yahoo refuse or junk bulk mail whose From domain is not authenticated (SPF or
DKIM) and aligned with a published DMARC policy. These records live outside the product, are
edited by hand in a registrar's panel, and break silently; a broken one is found by reading
them, not by sending. Each finding is one line naming the record it is about, so the person
at the DNS panel knows what to fix.

The one module that talks DNS (dnspython), with a configurable nameserver
(OUTREACH_GUARD_NAMESERVER, host or host:port) so that tests and split-horizon setups ask the
right server. "No answer from any DNS server" is reported as such (one line), never as a
missing record.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

import dns.exception
import dns.resolver
from dkim.crypto import UnparsableKeyError, parse_pem_private_key, parse_public_key

from outreach.config import Settings

TIMEOUT = 3.0
MAX_SPF_LOOKUPS = 10  # RFC 7208 4.6.4


@dataclass(frozen=True)
class Finding:
    """One line of `outreach doctor`: status "ok" | "warn" | "fail", what, and why."""

    status: str
    check: str
    record: str
    detail: str

    def line(self) -> str:
        return f"{self.status.upper():4} {self.check:6} {self.record}: {self.detail}"


class DnsUnreachable(Exception):
    """No DNS server answered (offline machine, firewalled resolver, wrong nameserver)."""


class _Dns:
    def __init__(self, nameserver: str | None):
        self.resolver = dns.resolver.Resolver(configure=nameserver is None)
        if nameserver:
            host, port = parse_nameserver(nameserver)
            self.resolver.nameservers = [host]
            self.resolver.port = port
        self.resolver.lifetime = TIMEOUT
        self.resolver.timeout = TIMEOUT

    def txt(self, name: str) -> list[str]:
        """TXT strings at `name` (each record's chunks joined); [] if there is none."""
        answer = self._query(name, "TXT")
        return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]

    def exists(self, name: str) -> bool:
        """False when the name does not exist at all (NXDOMAIN)."""
        try:
            self.resolver.resolve(name, "SOA", raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return False
        except (dns.resolver.NoNameservers, dns.exception.Timeout, OSError) as exc:
            raise DnsUnreachable(str(exc) or type(exc).__name__) from None
        return True

    def addresses(self, name: str) -> list[str]:
        return [r.address for kind in ("A", "AAAA") for r in self._query(name, kind)]

    def _query(self, name: str, kind: str) -> list[object]:
        try:
            return list(self.resolver.resolve(name, kind, raise_on_no_answer=False))
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (dns.resolver.NoNameservers, dns.exception.Timeout, OSError) as exc:
            raise DnsUnreachable(str(exc) or type(exc).__name__) from None


def parse_nameserver(text: str) -> tuple[str, int]:
    """`192.0.2.53`, `127.0.0.1:5353`, `[::1]:5353` -> (address, port)."""
    match = re.fullmatch(r"\[([0-9a-fA-F:]+)\](?::(\d+))?|([^:\s]+)(?::(\d+))?", text.strip())
    if not match:
        raise ValueError(f"{text!r} is not HOST or HOST:PORT")
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4) or 53)
    return host, port


def check_sender_domain(settings: Settings) -> list[Finding]:
    """Every finding for the sender's domain; one "warn" line when DNS cannot be reached."""
    domain = settings.sender_domain.lower()
    where = settings.guard_nameserver or "the system resolver"
    try:
        resolver = _Dns(settings.guard_nameserver)
        if not resolver.exists(domain):
            return [Finding("fail", "DNS", domain, f"{where} says the domain does not exist "
                            "(NXDOMAIN): no record could be checked (is it registered? does "
                            "this machine reach public DNS? see OUTREACH_GUARD_NAMESERVER)")]
        return [*check_spf(resolver, domain, settings.guard_spf_sender),
                *check_dkim(resolver, settings), *check_dmarc(resolver, domain, settings)]
    except DnsUnreachable as exc:
        return [Finding("warn", "DNS", where, f"no DNS server answered ({exc}): the SPF, DKIM "
                        f"and DMARC records of {domain} were not checked")]
    except ValueError as exc:
        return [Finding("fail", "DNS", "OUTREACH_GUARD_NAMESERVER", str(exc))]


def check_spf(resolver: _Dns, domain: str, sender: str | None) -> list[Finding]:
    records = [t for t in resolver.txt(domain) if t.lower().startswith("v=spf1")]
    name = f"SPF (TXT {domain})"
    if not records:
        return [Finding("fail", "SPF", name, "no v=spf1 record is published")]
    if len(records) > 1:
        return [Finding("fail", "SPF", name, f"{len(records)} v=spf1 records (must be one)")]
    if not sender:
        return [Finding("ok", "SPF", name, f"{records[0]} (set OUTREACH_GUARD_SPF_SENDER to "
                        "check that it allows your relay)")]
    if spf_allows(resolver, records[0], sender, budget=[MAX_SPF_LOOKUPS]):
        return [Finding("ok", "SPF", name, f"allows {sender}")]
    return [Finding("fail", "SPF", name, f"{records[0]!r} does not allow the sending relay "
                    f"{sender} (OUTREACH_GUARD_SPF_SENDER)")]


def spf_allows(resolver: _Dns, record: str, sender: str, budget: list[int]) -> bool:
    """Does `record` allow `sender` (an IP, a host whose addresses are checked, or the domain
    of an `include:`)? Follows include: and redirect= within the RFC's lookup budget; only
    terms that pass (no qualifier or "+") count: "~", "?" and "-" do not allow."""
    sender = sender.strip().lower().removeprefix("include:")
    ips = _ips(resolver, sender)
    for term in record.split()[1:]:
        if term[:1] in "-~?":
            continue
        term = term.lstrip("+").lower()
        mech, _, value = term.partition("=" if term.startswith("redirect=") else ":")
        if mech in ("ip4", "ip6") and any(_in(ip, value) for ip in ips):
            return True
        if mech == "a" and value and (value == sender or set(ips) & set(resolver.addresses(value))):
            return True
        if mech in ("include", "redirect") and value:
            if value == sender:
                return True
            budget[0] -= 1
            if budget[0] < 0:
                return False
            nested = [t for t in resolver.txt(value) if t.lower().startswith("v=spf1")]
            if nested and spf_allows(resolver, nested[0], sender, budget):
                return True
    return False


def _ips(resolver: _Dns, sender: str) -> list[str]:
    try:
        return [str(ipaddress.ip_address(sender))]
    except ValueError:
        return resolver.addresses(sender) if "." in sender else []


def _in(ip: str, network: str) -> bool:
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def check_dkim(resolver: _Dns, settings: Settings) -> list[Finding]:
    selector, domain = settings.dkim_selector, settings.dkim_domain
    if not (selector and domain):
        return [Finding("warn", "DKIM", "OUTREACH_DKIM_SELECTOR/_DOMAIN",
                        "not set: mail is not DKIM-signed, so DMARC can only pass through SPF")]
    name = f"{selector}._domainkey.{domain}"
    records = [t for t in resolver.txt(name) if "p=" in t]
    if not records:
        return [Finding("fail", "DKIM", f"DKIM (TXT {name})", "no DKIM key is published")]
    tags = dkim_tags(records[0])
    if not tags.get("p"):
        return [Finding("fail", "DKIM", f"DKIM (TXT {name})", "the key is empty (p=): revoked")]
    if not settings.dkim_key_file:
        return [Finding("ok", "DKIM", f"DKIM (TXT {name})", "a key is published")]
    verdict = key_matches(tags["p"], Path(settings.dkim_key_file))
    if verdict is None:
        return [Finding("ok", "DKIM", f"DKIM (TXT {name})", "a key is published")]
    if not verdict:
        return [Finding("fail", "DKIM", f"DKIM (TXT {name})", "the published key does not "
                        "match OUTREACH_DKIM_KEY_FILE: receivers will reject the signature")]
    return [Finding("ok", "DKIM", f"DKIM (TXT {name})", "matches OUTREACH_DKIM_KEY_FILE")]


def dkim_tags(record: str) -> dict[str, str]:
    tags = {}
    for part in record.split(";"):
        key, _, value = part.partition("=")
        tags[key.strip().lower()] = "".join(value.split())
    return tags


def key_matches(published: str, key_file: Path) -> bool | None:
    """Does the published RSA key belong to the private key? None if it cannot be told."""
    try:
        private = parse_pem_private_key(key_file.read_bytes())
        public = parse_public_key(base64.b64decode(published))
    except (OSError, UnparsableKeyError, ValueError, TypeError):
        return False if key_file.is_file() else None
    return (private["modulus"] == public["modulus"]
            and private["publicExponent"] == public["publicExponent"])


def check_dmarc(resolver: _Dns, domain: str, settings: Settings) -> list[Finding]:
    name = f"_dmarc.{domain}"
    records = [t for t in resolver.txt(name) if t.replace(" ", "").lower().startswith("v=dmarc1")]
    if not records:
        return [Finding("fail", "DMARC", f"DMARC (TXT {name})", "no v=DMARC1 record is "
                        "published (Gmail and Yahoo require one of bulk senders)")]
    tags = dkim_tags(records[0])
    policy = tags.get("p", "").lower()
    found = [Finding("ok" if policy in ("none", "quarantine", "reject") else "fail", "DMARC",
                     f"DMARC (TXT {name})", f"published, p={policy or '(missing)'}")]
    return [*found, alignment(domain, settings.dkim_domain, tags.get("adkim", "r").lower())]


def alignment(from_domain: str, dkim_domain: str | None, mode: str) -> Finding:
    """DMARC alignment of the From domain with the DKIM d= domain (relaxed: same
    organisational domain, approximated as one being a subdomain of the other)."""
    record = f"From {from_domain} / DKIM d={dkim_domain or '-'}"
    if not dkim_domain:
        return Finding("warn", "ALIGN", record, "no DKIM domain: alignment only through SPF")
    a, b = from_domain.lower(), dkim_domain.lower()
    aligned = a == b or (mode != "s" and (a.endswith("." + b) or b.endswith("." + a)))
    if aligned:
        return Finding("ok", "ALIGN", record, "aligned" + (" (strict)" if mode == "s" else ""))
    return Finding("fail", "ALIGN", record, "not aligned: DMARC fails for DKIM-signed mail; set "
                   "OUTREACH_DKIM_DOMAIN to the From domain (or a parent of it)")
