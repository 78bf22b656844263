"""The sending stage's checks for `outreach doctor` (registered in outreach.health)."""

from __future__ import annotations

from outreach.config import DEV_SECRET
from outreach.context import AppContext
from outreach.db.models.base import utcnow
from outreach.health import CheckResult
from outreach.sending import liveness


def secret(ctx: AppContext) -> CheckResult:
    settings = ctx.settings
    if settings.secret_key == DEV_SECRET:
        verdict = CheckResult.fail if settings.is_production else CheckResult.warn
        return verdict("OUTREACH_SECRET_KEY is the development placeholder: tokens are forgeable")
    return CheckResult.ok(f"OUTREACH_SECRET_KEY set ({len(settings.secret_key)} characters)")


def broker(ctx: AppContext) -> CheckResult:
    url = ctx.settings.broker_url
    if not url:
        return CheckResult.ok("no OUTREACH_BROKER_URL: embedded mode (the CLI sends itself)")
    import redis

    if not url.startswith(("redis://", "rediss://")):
        return CheckResult.skip(f"{url.split('://')[0]}:// broker: not probed")
    try:
        redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return CheckResult.fail(f"OUTREACH_BROKER_URL: {_where(url)}: {exc}")
    return CheckResult.ok(f"broker {_where(url)} answers")


def workers(ctx: AppContext) -> CheckResult:
    if not ctx.settings.broker_url:
        return CheckResult.skip("embedded mode: the CLI runs its own worker")
    with ctx.sessions() as session:
        alive = liveness.live_workers(session, utcnow(), ctx.settings.worker_dead_after_seconds)
    if not alive:
        return CheckResult.fail("no worker has beaten in the last "
                                f"{ctx.settings.worker_dead_after_seconds:g}s: start "
                                "`outreach worker` (or `celery -A workers worker`)")
    return CheckResult.ok(f"{alive} worker process(es) alive")


def sweeper(ctx: AppContext) -> CheckResult:
    if not ctx.settings.broker_url:
        return CheckResult.skip("embedded mode: the CLI sweeps while it sends")
    with ctx.sessions() as session:
        last = liveness.last_sweep(session)
    if last is None:
        return CheckResult.fail("nothing has ever swept: no worker has run")
    age = (utcnow() - last).total_seconds()
    if age > ctx.settings.sweep_stale_seconds:
        return CheckResult.fail(f"last sweep {age:.0f}s ago: are the workers stuck?")
    return CheckResult.ok(f"last sweep {age:.1f}s ago")


def _where(url: str) -> str:
    return url.split("@")[-1]
