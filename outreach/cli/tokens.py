"""`outreach tokens create|list|revoke`: per-user API tokens (the secret is shown once)."""

from __future__ import annotations

import click
from rich import box
from rich.markup import escape
from rich.table import Table

from outreach.access import tokens
from outreach.audit import cli_actor, record
from outreach.cli import LazyContext, pass_app
from outreach.cli.output import echo_json, table_console
from outreach.db.models import TOKEN_SCOPES
from outreach.db.session import session_scope


@click.group("tokens")
def tokens_group() -> None:
    """API tokens: `Authorization: Bearer otr_…` on /api/v1."""


@tokens_group.command("create")
@click.option("--user", "email", required=True, help="The user the token acts for.")
@click.option("--scope", type=click.Choice(TOKEN_SCOPES),
              help="Narrower than the user's role (default: the user's role).")
@click.option("--name", default="", help="What the token is for (e.g. crm-sync).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def create_cmd(lazy: LazyContext, email: str, scope: str | None, name: str,
               as_json: bool) -> None:
    """Create a token; prints it once (only its hash is stored)."""
    actor = cli_actor()
    with session_scope(lazy.app.checked_sessions()) as session:
        user = tokens.find_user(session, email)
        row, plaintext = tokens.create(session, user, scope=scope, name=name,
                                       created_by=actor.name)
        record(session, actor, "token.create", f"token:{row.id}", user=user.email, scope=scope)
        data = {**tokens.to_json(row), "token": plaintext}
    if as_json:
        echo_json(data)
        return
    click.echo(f"token {data['id']} for {data['user']} acting as {data['role']}:")
    click.echo(plaintext)
    click.echo("shown once: store it now (revoke with `outreach tokens revoke "
               f"{data['id']}`)", err=True)


@tokens_group.command("list")
@click.option("--user", "email", help="Only this user's tokens.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def list_cmd(lazy: LazyContext, email: str | None, as_json: bool) -> None:
    """Tokens with prefix, role, last use and revocation (never the secret)."""
    with lazy.app.checked_sessions()() as session:
        user_id = tokens.find_user(session, email).id if email else None
        rows = [tokens.to_json(t) for t in tokens.list_tokens(session, user_id)]
    if as_json:
        echo_json(rows)
        return
    table = Table(box=box.SIMPLE_HEAD, highlight=False)
    for col in ("id", "prefix", "user", "role", "name", "last used", "revoked"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(str(r["id"]), r["prefix"], escape(r["user"]), r["role"], escape(r["name"]),
                      (r["last_used_at"] or "never")[:16], (r["revoked_at"] or "")[:16])
    table_console().print(table)


@tokens_group.command("revoke")
@click.argument("token")
@pass_app
def revoke_cmd(lazy: LazyContext, token: str) -> None:
    """Revoke by id or by the visible prefix (otr_xxxxxxxx) found in a leak."""
    with session_scope(lazy.app.checked_sessions()) as session:
        row = tokens.revoke(session, token)
        record(session, cli_actor(), "token.revoke", f"token:{row.id}")
        token_id = row.id
    click.echo(f"token {token_id} revoked")


def register(main: click.Group) -> None:
    main.add_command(tokens_group)
