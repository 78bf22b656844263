"""The DKIM key check of `outreach doctor`: the configured key loads and signs. (Whether it
matches the public key published in DNS is the DNS findings' DKIM line:
outreach.mta.domain_check.)"""

from __future__ import annotations

from outreach.context import AppContext
from outreach.health import CheckResult

PROBE = (b"From: doctor@example.org\r\nTo: doctor@example.org\r\nSubject: outreach doctor\r\n"
         b"Date: Thu, 26 Nov 2026 09:00:00 +0000\r\nMessage-ID: <doctor@example.org>\r\n\r\n"
         b"probe\r\n")


def dkim_key(ctx: AppContext) -> CheckResult:
    settings = ctx.settings
    if not (settings.dkim_key_file and settings.dkim_selector and settings.dkim_domain):
        return CheckResult.warn("DKIM not configured (OUTREACH_DKIM_*): mail is not signed")
    from outreach.mail.dkim import sign_message

    signed = sign_message(PROBE, settings)  # a bad key file fails here, as ConfigError
    if not signed.startswith(b"DKIM-Signature"):
        return CheckResult.fail("OUTREACH_DKIM_KEY_FILE: the key did not sign a probe message")
    return CheckResult.ok(f"key signs for {settings.dkim_selector}._domainkey."
                          f"{settings.dkim_domain} (DNS match: see the DKIM line)")
