"""The SMTP check of `outreach doctor`: the server answers, with the TLS and AUTH configured."""

from __future__ import annotations

from outreach.context import AppContext
from outreach.errors import ConfigError
from outreach.health import CheckResult


def smtp(ctx: AppContext) -> CheckResult:
    settings = ctx.settings
    try:
        url = settings.require_smtp_url("nothing can be sent")
    except ConfigError as exc:
        return CheckResult.fail(str(exc))
    from outreach.mta.smtp import SmtpSender

    sender = SmtpSender(url, ca_file=settings.smtp_ca_file, timeout=10)
    result = sender.probe()
    if result.outcome != "sent":
        return CheckResult.fail(f"OUTREACH_SMTP_URL: {result.text}")
    return CheckResult.ok(result.text)
