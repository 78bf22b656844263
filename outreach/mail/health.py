"""The DKIM check of `outreach doctor`: the key loads and, when DNS answers, matches the
public key published at SELECTOR._domainkey.DOMAIN (dkimpy's own verification, on a probe
message signed with the configured key)."""

from __future__ import annotations

from outreach.context import AppContext
from outreach.health import CheckResult

PROBE = (b"From: doctor@example.org\r\nTo: doctor@example.org\r\nSubject: outreach doctor\r\n"
         b"Date: Thu, 26 Nov 2026 09:00:00 +0000\r\nMessage-ID: <doctor@example.org>\r\n\r\n"
         b"probe\r\n")


def dkim(ctx: AppContext) -> CheckResult:
    settings = ctx.settings
    if not (settings.dkim_key_file and settings.dkim_selector and settings.dkim_domain):
        return CheckResult.warn("DKIM not configured (OUTREACH_DKIM_*): mail is not signed")
    import dkim as dkimpy

    from outreach.mail.dkim import sign_message

    signed = sign_message(PROBE, settings)  # a bad key file fails here, as ConfigError
    name = f"{settings.dkim_selector}._domainkey.{settings.dkim_domain}"
    try:
        record = dkimpy.dnsplug.get_txt(name.encode("ascii"), timeout=5)
    except Exception as exc:  # no resolver, no network: the key itself was fine
        return CheckResult.skip(f"key loads; DNS not reachable for {name}: {exc}")
    if not record:
        return CheckResult.fail(f"key loads, but nothing is published at {name}")
    if not dkimpy.verify(signed):
        return CheckResult.fail(f"the key does not match the public key published at {name}")
    return CheckResult.ok(f"key matches {name}")
