"""`outreach contacts ...` and `outreach outlets ...`: import, list, show, export, suppress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from outreach.audit import cli_actor, record
from outreach.cli import LazyContext, pass_app
from outreach.cli.output import echo_json, safe
from outreach.contacts import export, lifecycle, queries
from outreach.contacts.import_report import ImportReport
from outreach.contacts.importer import import_csv
from outreach.contacts.segments import FIELDS, parse_segment
from outreach.db.session import session_scope

ERRORS_SHOWN = 50

where_option = click.option("--where", "where", multiple=True, metavar="FIELD=V1,V2",
                            help=f"Filter on {', '.join(FIELDS)} (OR within a field, "
                                 "AND across repeats).")
tag_option = click.option("--tag", "tags", multiple=True, metavar="TAG",
                          help="Require this tag (repeatable).")
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@click.group("contacts")
def contacts_group() -> None:
    """The contact list: journalists, NGO staff, politicians."""


@contacts_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Report what would happen, write nothing.")
@click.option("--update", is_flag=True, help="Merge the file's fields into existing contacts.")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Add this tag to every row.")
@click.option("--check-deliverability", is_flag=True, help="Also check each domain in DNS.")
@click.option("--map", "mapping", multiple=True, metavar="COLUMN=FIELD",
              help="What an unrecognised column holds, e.g. --map Sprache=language "
                   "(FIELD may be 'attribute' or 'ignore'; repeatable).")
@click.option("--multiline-cells", is_flag=True,
              help="Accept a quoted cell that runs over lines looking like rows (normally a "
                   "stray quote, refused).")
@json_option
@pass_app
def import_command(lazy: LazyContext, file: Path, dry_run: bool, update: bool,
                   tags: tuple[str, ...], check_deliverability: bool,
                   mapping: tuple[str, ...], multiline_cells: bool, as_json: bool) -> None:
    """Import contacts from a CSV file (any common encoding and delimiter)."""
    from outreach.audit import cli_actor, record

    def audit(session: Any, report: ImportReport) -> None:
        record(session, cli_actor(), "contacts.import", f"file:{file.name}",
               created=report.created, updated=report.updated, rejected=report.rejected)

    report = import_csv(lazy.app.checked_sessions(), file, update=update, dry_run=dry_run,
                        tags=tags, check_deliverability=check_deliverability,
                        mapping=_mapping(mapping), audit=audit,
                        multiline_cells=multiline_cells)
    if as_json:
        echo_json(report.to_json())
    else:
        _print_report(report)


def _mapping(values: tuple[str, ...]) -> dict[str, str]:
    from outreach.errors import UserError

    out: dict[str, str] = {}
    for value in values:
        column, sep, target = value.rpartition("=")
        if not sep or not column.strip():
            raise UserError(f"--map {value!r}: expected COLUMN=FIELD, e.g. Sprache=language")
        out[column.strip()] = target.strip().lower()
    return out


def _print_report(report: ImportReport) -> None:
    console = Console()
    prefix = "[yellow]dry run, nothing written:[/] " if report.dry_run else ""
    console.print(
        f"{prefix}{report.rows} rows ({report.encoding}, {safe(repr(report.delimiter))}): "
        f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.duplicates} duplicates merged, {report.suppressed} suppressed (left alone), "
        f"{report.rejected} rejected; {report.outlets_created} new outlets", highlight=False)
    if report.errors:
        table = Table("line", "field", "reason", title="rejected rows")
        for error in report.errors[:ERRORS_SHOWN]:
            table.add_row(str(error.line), safe(error.field), safe(error.reason))
        console.print(table)
        if len(report.errors) > ERRORS_SHOWN:
            console.print(f"... and {len(report.errors) - ERRORS_SHOWN} more (use --json)")
    if report.unknown_columns:
        console.print("columns kept as attributes (say what they hold with --map "
                      f"COLUMN=FIELD): {safe(', '.join(report.unknown_columns))}",
                      highlight=False)
    for warning in report.warnings[:ERRORS_SHOWN]:
        console.print(f"line {warning.line}: {safe(warning.field)}: {safe(warning.reason)}",
                      highlight=False)
    for row in report.suppressed_rows[:ERRORS_SHOWN]:
        console.print(f"line {row.line}: suppressed ({safe(row.reason)}), not reactivated")


@contacts_group.command("list")
@where_option
@tag_option
@click.option("--segment", "segment_name", metavar="NAME", help="A saved segment.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N contacts.")
@json_option
@pass_app
def list_command(lazy: LazyContext, where: tuple[str, ...], tags: tuple[str, ...],
                 segment_name: str | None, limit: int | None, as_json: bool) -> None:
    """List the contacts of a segment."""
    from outreach.contacts.saved import load_segment
    from outreach.errors import UserError

    if segment_name and (where or tags):
        raise UserError("--segment: give either a saved segment or --where/--tag, not both")
    segment = parse_segment(where, tags)
    with session_scope(lazy.app.checked_sessions()) as session:
        if segment_name:
            segment = load_segment(session, segment_name)
        contacts, total = queries.list_contacts(session, segment, limit)
        rows = [queries.contact_json(c) for c in contacts]
    if as_json:
        echo_json(rows)
        return
    table = Table(title=f"{safe(segment.describe())}: {total} contacts")
    table.add_column("email", no_wrap=True)
    for name in ("name", "outlet", "type", "where", "tags"):
        table.add_column(name)
    for r in rows:
        where = "/".join(v for v in (r["country"], r["language"]) if v)
        kind = r["type"] if r["status"] == "active" else f"{r['type']} ({r['status']})"
        table.add_row(*(safe(v) for v in (r["email"], r["name"], r["outlet"], kind, where,
                                          ", ".join(r["tags"]))))
    Console().print(table)
    if len(rows) < total:
        Console().print(f"showing {len(rows)} of {total}")


@contacts_group.command("show")
@click.argument("email")
@json_option
@pass_app
def show_command(lazy: LazyContext, email: str, as_json: bool) -> None:
    """One contact: details, suppression, history, messages and replies."""
    with session_scope(lazy.app.checked_sessions()) as session:
        data = queries.contact_history(session, lifecycle.find_contact(session, email))
    if as_json:
        echo_json(data)
        return
    console = Console()
    c = data["contact"]
    console.print(f"[bold]{safe(c['name'] or c['email'])}[/] <{safe(c['email'])}>  "
                  f"{safe(c['type'])}  {safe(c['role'] or '')} "
                  f"{('@ ' + safe(c['outlet'])) if c['outlet'] else ''}", highlight=False)
    console.print(f"country {safe(c['country'] or '-')}, language {safe(c['language'] or '-')}, "
                  f"tags {safe(', '.join(c['tags']) or '-')}, "
                  f"beats {safe(', '.join(c['beats']) or '-')}, status {safe(c['status'])}",
                  highlight=False)
    for key, value in c["attributes"].items():
        console.print(f"  {safe(key)}: {safe(value)}", highlight=False)
    sup = data["suppression"]
    console.print("suppressed: " + (safe(f"{sup['reason']} via {sup['channel']} at {sup['at']}")
                                    if sup else "no"), highlight=False)
    _print_history(console, data)


def _print_history(console: Console, data: dict[str, Any]) -> None:
    table = Table("at", "what", "detail", title="history")
    for e in data["events"]:
        table.add_row(e["at"][:19], safe(f"{e['kind']} ({e['channel'] or '-'})"),
                      safe(e["detail"] or ""))
    for m in data["messages"]:
        table.add_row(m["sent_at"][:19] if m["sent_at"] else "",
                      f"message {m['id']}: {safe(m['status'])}",
                      f"alert {m['alert_id']}: {safe(m['alert'])}")
    for i in data["inbound"]:
        table.add_row(i["at"][:19], f"inbound {safe(i['kind'])}", safe((i["subject"] or "")[:80]))
    console.print(table)


@contacts_group.command("export")
@click.argument("file", type=click.Path(path_type=Path))
@where_option
@tag_option
@pass_app
def export_command(lazy: LazyContext, file: Path, where: tuple[str, ...],
                   tags: tuple[str, ...]) -> None:
    """Export a segment to CSV (formula cells neutralised)."""
    segment = parse_segment(where, tags)
    with session_scope(lazy.app.checked_sessions()) as session:
        count = export.export_csv(session, segment, file)
    Console().print(f"exported {count} contacts to {safe(file)}", highlight=False)


@contacts_group.command("unsubscribe")
@click.argument("email")
@click.option("--reason", default=None, help="Why (kept in the contact's history).")
@pass_app
def unsubscribe_command(lazy: LazyContext, email: str, reason: str | None) -> None:
    """Never mail this address again (until resubscribed)."""
    with session_scope(lazy.app.checked_sessions()) as session:
        contact = lifecycle.find_contact(session, email)
        done = lifecycle.unsubscribe(session, contact, reason)
        record(session, cli_actor(), "contact.unsubscribe", f"contact:{contact.id}",
               reason=reason or "", changed=done)
        address = contact.email
    Console().print(f"{safe(address)}: " + ("unsubscribed" if done else "was already suppressed"),
                    highlight=False)


@contacts_group.command("resubscribe")
@click.argument("email")
@click.option("--reason", default="", help="Why it may be mailed again (required, logged).")
@pass_app
def resubscribe_command(lazy: LazyContext, email: str, reason: str) -> None:
    """Lift a suppression explicitly; the reason is logged."""
    with session_scope(lazy.app.checked_sessions()) as session:
        contact = lifecycle.find_contact(session, email)
        done = lifecycle.resubscribe(session, contact, reason)
        record(session, cli_actor(), "contact.resubscribe", f"contact:{contact.id}",
               reason=reason, changed=done)
        address = contact.email
    Console().print(f"{safe(address)}: " + ("resubscribed" if done else "was not suppressed"),
                    highlight=False)


@contacts_group.command("erase")
@click.argument("email")
@pass_app
def erase_command(lazy: LazyContext, email: str) -> None:
    """GDPR erasure: delete personal data, keep the address suppressed (by hash)."""
    with session_scope(lazy.app.checked_sessions()) as session:
        contact = lifecycle.find_contact(session, email)
        address = contact.email
        lifecycle.erase(session, contact)
        record(session, cli_actor(), "contact.erase", f"contact:{contact.id}")
    Console().print(f"{safe(address)}: erased; the address stays suppressed", highlight=False)


@click.group("outlets")
def outlets_group() -> None:
    """Media outlets and NGOs."""


@outlets_group.command("list")
@json_option
@pass_app
def outlets_list_command(lazy: LazyContext, as_json: bool) -> None:
    """List outlets with their number of contacts."""
    with session_scope(lazy.app.checked_sessions()) as session:
        rows = queries.list_outlets(session)
    if as_json:
        echo_json(rows)
        return
    table = Table("name", "kind", "country", "contacts", title=f"{len(rows)} outlets")
    for r in rows:
        table.add_row(safe(r["name"]), safe(r["kind"]), safe(r["country"]), str(r["contacts"]))
    Console().print(table)


def register(main: click.Group) -> None:
    main.add_command(contacts_group)
    main.add_command(outlets_group)
