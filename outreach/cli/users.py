"""`outreach users ...` (console accounts) and `outreach audit` (who changed what).

Each change is recorded in the audit log in the same transaction, as the OS user running the
command (`cli:<login>`).
"""

from __future__ import annotations

import click
from rich.table import Table

from outreach import audit
from outreach.accounts import users as accounts
from outreach.accounts.users import INVITE_HOURS, invitation_url
from outreach.cli import LazyContext, pass_app
from outreach.cli.output import echo_json, safe, table_console
from outreach.db.models import USER_ROLES
from outreach.db.session import session_scope

role_option = click.option("--role", required=True, type=click.Choice(USER_ROLES),
                           help="viewer: read only; sender: contacts, alerts, launch; "
                                "admin: also users.")


@click.group("users")
def users_group() -> None:
    """Console accounts: invite, list, change role, disable."""


@users_group.command("add")
@click.argument("email")
@role_option
@pass_app
def add_command(lazy: LazyContext, email: str, role: str) -> None:
    """Create a user and print a one-time invitation link (valid 72 hours)."""
    app = lazy.app
    with session_scope(app.checked_sessions()) as session:
        user, token = accounts.invite(session, email, role, audit.cli_actor().name)
        audit.record(session, audit.cli_actor(), "user.invite", f"user:{user.id}",
                     email=user.email, role=role)
        address = user.email
    _print_link(address, invitation_url(app.settings.base_url, token))


def _print_link(email: str, link: str) -> None:
    click.echo(f"{email}: send this link to the user; it works once, for {INVITE_HOURS} hours:")
    click.echo(link)


@users_group.command("reinvite")
@click.argument("email")
@pass_app
def reinvite_command(lazy: LazyContext, email: str) -> None:
    """A new invitation link (e.g. a forgotten password); the old link stops working."""
    app = lazy.app
    with session_scope(app.checked_sessions()) as session:
        user = accounts.get_user(session, email)
        token = accounts.reinvite(session, user)
        audit.record(session, audit.cli_actor(), "user.reinvite", f"user:{user.id}",
                     email=user.email)
        address = user.email
    _print_link(address, invitation_url(app.settings.base_url, token))


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def list_command(lazy: LazyContext, as_json: bool) -> None:
    """Every user with role and state."""
    with session_scope(lazy.app.checked_sessions()) as session:
        rows = [{"email": u.email, "role": u.role, "state": _state(u), "totp": bool(u.totp_secret),
                 "last_login": u.last_login_at.isoformat() if u.last_login_at else None}
                for u in accounts.list_users(session)]
    if as_json:
        echo_json(rows)
        return
    table = Table("email", "role", "state", "2FA", "last login", title=f"{len(rows)} users")
    for r in rows:
        table.add_row(safe(r["email"]), r["role"], r["state"], "on" if r["totp"] else "off",
                      (r["last_login"] or "never")[:16])
    table_console().print(table)


def _state(user: object) -> str:
    if getattr(user, "disabled_at", None):
        return "disabled"
    return "active" if getattr(user, "password_hash", None) else "invited"


@users_group.command("disable")
@click.argument("email")
@pass_app
def disable_command(lazy: LazyContext, email: str) -> None:
    """Stop a user logging in; their sessions end at once."""
    _change(lazy, email, "disable")


@users_group.command("enable")
@click.argument("email")
@pass_app
def enable_command(lazy: LazyContext, email: str) -> None:
    """Let a disabled user log in again."""
    _change(lazy, email, "enable")


@users_group.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(USER_ROLES))
@pass_app
def role_command(lazy: LazyContext, email: str, role: str) -> None:
    """Change a user's role (viewer, sender, admin)."""
    _change(lazy, email, "role", role)


def _change(lazy: LazyContext, email: str, what: str, role: str = "") -> None:
    with session_scope(lazy.app.checked_sessions()) as session:
        user = accounts.get_user(session, email)
        if what == "disable":
            accounts.disable(session, user)
        elif what == "enable":
            accounts.enable(user)
        else:
            accounts.set_role(session, user, role)
        audit.record(session, audit.cli_actor(), f"user.{what}", f"user:{user.id}",
                     email=user.email, **({"role": role} if role else {}))
        address = user.email
    click.echo(f"{address}: " + {"disable": "disabled (logged out everywhere)",
                                 "enable": "enabled", "role": f"role is now {role}"}[what])


@click.command("audit")
@click.option("--action", help="Only actions starting with this, e.g. alert. or user.invite")
@click.option("--actor", help="Only this actor: an email, or cli:LOGIN")
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def audit_command(lazy: LazyContext, action: str | None, actor: str | None, limit: int,
                  as_json: bool) -> None:
    """The audit log, newest first: who changed what, from the console and the CLI."""
    with session_scope(lazy.app.checked_sessions()) as session:
        rows = [{"at": e.at.isoformat(), "actor": e.actor, "actor_kind": e.actor_kind,
                 "action": e.action, "target": e.target, "detail": e.detail}
                for e in audit.list_events(session, action=action, actor=actor, limit=limit)]
    if as_json:
        echo_json(rows)
        return
    table = Table("at (UTC)", "who", "action", "target", "detail", title=f"{len(rows)} events")
    for r in rows:
        detail = "; ".join(f"{k}: {v}" for k, v in r["detail"].items())
        table.add_row(r["at"][:19], *(safe(r[k]) for k in ("actor", "action", "target")),
                      safe(detail))
    table_console().print(table)


def register(main: click.Group) -> None:
    main.add_command(users_group)
    main.add_command(audit_command)
