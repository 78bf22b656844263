"""The IMAP check of `outreach doctor`: log in and select the inbound folder."""

from __future__ import annotations

from outreach.context import AppContext
from outreach.errors import UserError
from outreach.health import CheckResult


def imap(ctx: AppContext) -> CheckResult:
    settings = ctx.settings
    if not settings.imap_url:
        return CheckResult.warn("OUTREACH_IMAP_URL: not set; bounces and replies are not read")
    from outreach.inbound.imap import Mailbox, imap_config

    config = imap_config(settings)
    try:
        with Mailbox(config) as box:
            waiting = len(box.unprocessed())
    except UserError as exc:
        return CheckResult.fail(str(exc))
    return CheckResult.ok(f"{config.host}:{config.port} {config.folder}: logged in, "
                          f"{waiting} unprocessed")
