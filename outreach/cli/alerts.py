"""`outreach alert ...`: the command group. Commands are added by the modules that own them
(create/preview/test here, sending in `outreach.cli.sending`, reports in `outreach.cli.reports`).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from outreach.cli import LazyContext, pass_app
from outreach.cli.output import plain
from outreach.errors import UserError


@click.group("alert")
def alert_group() -> None:
    """Write, preview, send and follow alerts."""


def parse_variants(values: tuple[str, ...]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for value in values:
        language, sep, path = value.partition("=")
        language = language.strip().lower()
        if not sep or len(language) != 2 or not language.isalpha() or not path:
            raise UserError(f"--variant {value!r}: expected LANG=FILE.md, e.g. ru=alert.ru.md")
        if language in out:
            raise UserError(f"--variant {value!r}: language {language!r} given twice")
        out[language] = Path(path)
    return out


@alert_group.command("create")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--variant", "variants", multiple=True, metavar="LANG=FILE.md",
              help="Another language version of the same alert (repeatable).")
@click.option("--where", multiple=True, metavar="FIELD=V1,V2",
              help="Segment: contacts whose FIELD is one of the values (repeatable, AND).")
@click.option("--tag", "tags", multiple=True, help="Segment: contacts with this tag (AND).")
@click.option("--segment", "segment_name", metavar="NAME",
              help="Segment: a saved segment (see the console's segment builder).")
@click.option("--track-opens", is_flag=True, help="Add an open-tracking pixel.")
@click.option("--track-clicks", is_flag=True, help="Send links through the click redirect.")
@click.option("--follow-up-of", type=int, default=None, metavar="ALERT_ID",
              help="Mark this alert as a follow-up of another (threads replies).")
@click.option("--json", "as_json", is_flag=True, help="Print the new alert as JSON.")
@pass_app
def create_command(lazy: LazyContext, file: Path, variants: tuple[str, ...],
                   where: tuple[str, ...], tags: tuple[str, ...], segment_name: str | None,
                   track_opens: bool, track_clicks: bool, follow_up_of: int | None,
                   as_json: bool) -> None:
    """Check and store FILE.md (plus --variant files) as a new draft alert; print its id.

    The content is copied: later edits to the files never change this alert.
    """
    from outreach.alerts.create import create_alert
    from outreach.audit import cli_actor, record
    from outreach.contacts.saved import load_segment, named_json
    from outreach.contacts.segments import parse_segment

    if segment_name and (where or tags):
        raise UserError("--segment: give either a saved segment or --where/--tag, not both")
    segment = parse_segment(where, tags) if (where or tags) else None
    app = lazy.app
    actor = cli_actor()
    with app.checked_sessions()() as session:
        alert = create_alert(session, app.settings, file, variants=parse_variants(variants),
                             segment=segment, track_opens=track_opens,
                             track_clicks=track_clicks, follow_up_of=follow_up_of,
                             created_by=actor.name)
        if segment_name:
            alert.segment = named_json(segment_name, load_segment(session, segment_name))
        record(session, actor, "alert.create", f"alert:{alert.id}",
               languages=[v.language for v in alert.variants])
        session.commit()
        summary = {"id": alert.id, "title": alert.title,
                   "languages": [v.language for v in alert.variants],
                   "default_language": alert.default_language, "segment": alert.segment,
                   "track_opens": alert.track_opens, "track_clicks": alert.track_clicks,
                   "links": len(alert.variants[0].links), "state": alert.state}
    click.echo(json.dumps(summary, ensure_ascii=False) if as_json else str(summary["id"]))


@alert_group.command("preview")
@click.argument("alert_id", type=int)
@click.option("--contact", "contact_email", metavar="EMAIL",
              help="Render for this contact (default: a sample contact).")
@click.option("--language", metavar="LANG", help="Sample contact's language (without --contact).")
@click.option("--out", type=click.Path(path_type=Path), metavar="FILE.html",
              help="Where to write the HTML part (default: alert-ID-preview.html).")
@click.option("--spam-check/--no-spam-check", default=True,
              help="Score the message with SpamAssassin when it is installed (default: on).")
@pass_app
def preview_command(lazy: LazyContext, alert_id: int, contact_email: str | None,
                    language: str | None, out: Path | None, spam_check: bool) -> None:
    """Render ALERT_ID exactly as a send would: write the HTML, print headers and text."""
    from outreach.alerts.repository import get_alert
    from outreach.contacts.lifecycle import find_contact
    from outreach.mail import preview

    app = lazy.app
    with app.checked_sessions()() as session:
        alert = get_alert(session, alert_id, label="alert")
        contact = (find_contact(session, contact_email, option="--contact") if contact_email
                   else preview.sample_contact(language))
        mail = preview.compose_copy(alert, contact, app.settings)
    msg, text, html = preview.parts(mail)
    target = out or Path(f"alert-{alert_id}-preview.html")
    try:
        target.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"--out {target}: cannot write ({exc.strerror})") from None
    for name, value in msg.items():
        if not name.lower().startswith("content-") and name.lower() != "mime-version":
            click.echo(f"{name}: {plain(value)}")
    click.echo(f"\n{plain(text, lines=True)}")
    click.echo(f"HTML written to {target}", err=True)
    if spam_check:
        from outreach.alerts.spamcheck import spam_score

        report = spam_score(mail.data)
        if report is not None:
            click.echo(report.line())


@alert_group.command("test")
@click.argument("alert_id", type=int)
@click.option("--to", "to", required=True, metavar="ADDRESS", help="Where the test copy goes.")
@click.option("--contact", "contact_email", metavar="EMAIL",
              help="Personalise as this contact (default: a sample contact).")
@click.option("--language", metavar="LANG", help="Sample contact's language (without --contact).")
@pass_app
def test_command(lazy: LazyContext, alert_id: int, to: str, contact_email: str | None,
                 language: str | None) -> None:
    """Send one copy of ALERT_ID marked [TEST] to ADDRESS through OUTREACH_SMTP_URL."""
    from outreach.alerts.repository import get_alert
    from outreach.audit import cli_actor, record
    from outreach.contacts.addresses import InvalidAddress, normalize
    from outreach.contacts.lifecycle import find_contact
    from outreach.mail import preview
    from outreach.sending import copies

    app = lazy.app
    app.settings.require_smtp_url("say which SMTP server sends test copies")
    try:
        address = normalize(to)
    except InvalidAddress as exc:
        raise UserError(f"--to {to!r}: {exc}") from None
    with app.checked_sessions()() as session:
        alert = get_alert(session, alert_id, label="alert")
        contact = (find_contact(session, contact_email, option="--contact") if contact_email
                   else preview.sample_contact(language))
        answer = copies.send_test(alert, contact, address, app.settings)
        record(session, cli_actor(), "alert.test_send", f"alert:{alert_id}", to=[address])
        session.commit()
    click.echo(f"test copy sent to {address}: {plain(answer)}")


def register(main: click.Group) -> None:
    main.add_command(alert_group)
