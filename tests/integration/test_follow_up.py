"""`outreach alert follow-up`: only the non-responders, each threaded to the message it got."""

from __future__ import annotations

from sqlalchemy import select

from outreach.db.models import Alert, Contact, Message
from outreach.sending.blast import create_blast
from tests.fixtures.cli import json_output
from tests.fixtures.db import settings_env

FOLLOW_UP = """---
subject: "Update: journalist still detained"
from: "Example Rights Foundation <press@example.org>"
language: en
---
# Update: still detained

Dear {{ contact.first_name | default("colleague") }}, a short update on our alert.
"""


def _write(tmp_path):
    path = tmp_path / "follow-up.md"
    path.write_text(FOLLOW_UP, encoding="utf-8")
    return path


def _blast(sessions, alert_id: int) -> dict[str, str | None]:
    with sessions() as s:
        alert = s.get(Alert, alert_id)
        create_blast(s, alert)
        s.commit()
        rows = s.execute(select(Contact.email, Message.in_reply_to)
                         .join(Contact, Contact.id == Message.contact_id)
                         .where(Message.alert_id == alert_id)).all()
    return dict(rows)


def test_follow_up_not_replied_threads_to_original(run_cli, reach_example, sessions, tmp_path):
    data = json_output(run_cli("alert", "follow-up", str(reach_example.alert_id),
                               str(_write(tmp_path)), "--not-replied", "--json"))
    assert data["follow_up_of"] == reach_example.alert_id
    assert data["target"] == {"of": reach_example.alert_id, "not_replied": True,
                              "not_reached": False, "by_outlet": False}
    # reached: anna (replied), ben, fay (reached, no human reply; her auto-reply doesn't count)
    assert data["contacts"] == 2
    sent = _blast(sessions, data["id"])
    assert set(sent) == {"ben@daily.example.org", "fay@freelance.test"}
    with sessions() as s:
        originals = dict(s.execute(
            select(Contact.email, Message.message_id_header)
            .join(Contact, Contact.id == Message.contact_id)
            .where(Message.alert_id == reach_example.alert_id)).all())
    for email, in_reply_to in sent.items():
        assert in_reply_to is not None and in_reply_to == originals[email]


def test_follow_up_not_reached(run_cli, reach_example, sessions, tmp_path):
    data = json_output(run_cli("alert", "follow-up", str(reach_example.alert_id),
                               str(_write(tmp_path)), "--not-reached", "--json"))
    sent = _blast(sessions, data["id"])
    # not reached: bounced carla, deferred dirk, failed eva, suppressed gil, queued hal,
    # sending ida, cancelled jo; none of them is on the suppression list here
    assert set(sent) == {"carla@watch.example.net", "dirk@watch.example.net",
                         "eva@gazette.example.com", "gil@freelance.test",
                         "hal@other.example.com", "ida@other.example.com",
                         "jo@other.example.com"}
    assert sent["carla@watch.example.net"] is not None  # it was sent once, then bounced
    assert sent["dirk@watch.example.net"] is None  # never got a Message-ID
    assert "anna@daily.example.org" not in sent


def test_follow_up_by_outlet(run_cli, reach_example, sessions, tmp_path):
    """--outlets: one reply from a newsroom is enough; one reached contact reaches the outlet."""
    path = str(_write(tmp_path))
    data = json_output(run_cli("alert", "follow-up", str(reach_example.alert_id), path,
                               "--not-replied", "--outlets", "--json"))
    # Daily Example answered (anna), so ben is skipped; freelance.test (fay) did not
    assert set(_blast(sessions, data["id"])) == {"fay@freelance.test"}
    data = json_output(run_cli("alert", "follow-up", str(reach_example.alert_id), path,
                               "--not-reached", "--outlets", "--json"))
    # freelance.test was reached through fay, so gil is skipped
    assert set(_blast(sessions, data["id"])) == {
        "carla@watch.example.net", "dirk@watch.example.net", "eva@gazette.example.com",
        "hal@other.example.com", "ida@other.example.com", "jo@other.example.com"}


def test_follow_up_listed_and_errors(run_cli, reach_example, tmp_path):
    path = _write(tmp_path)
    assert "no such alert" in run_cli("alert", "follow-up", "999", str(path), expect=1).output
    run_cli("alert", "follow-up", str(reach_example.alert_id), str(path))
    rows = json_output(run_cli("alert", "list", "--json"))
    assert rows[0]["follow_up_of"] == reach_example.alert_id


FAST = {"retry_schedule": (0.2, 0.4), "sweep_seconds": 0.2, "send_batch_size": 25}


def test_follow_up_end_to_end_threaded(session, settings, smtp_sink, run_cli, monkeypatch,
                                       tmp_path):
    """A real blast (embedded worker, aiosmtpd sink), a reply, a bounce, then the follow-up:
    only the non-responders receive it, with In-Reply-To/References = what they got."""
    from email import message_from_bytes, policy

    from outreach.db.models import InboundMail
    from outreach.web.app import create_app  # noqa: F401 - the app and CLI share settings
    from tests.integration.sending_data import add_contacts, make_alert

    settings = settings.replace(smtp_url=smtp_sink.url, broker_url=None, **FAST)
    for key, value in settings_env(settings).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("OUTREACH_BROKER_URL", raising=False)
    emails = add_contacts(session, 5)
    original = make_alert(session, settings)
    run_cli("alert", "send", str(original.id), "--yes")
    first = {m.rcpt_tos[0]: message_from_bytes(m.data, policy=policy.SMTP)
             for m in smtp_sink.messages}
    assert set(first) == set(emails)

    rows = {c: m for m, c in session.execute(
        select(Message, Contact.email).join(Contact, Contact.id == Message.contact_id)
        .where(Message.alert_id == original.id))}
    replier, bouncer, auto = rows[emails[0]], rows[emails[1]], rows[emails[2]]
    for message, kind in ((replier, "reply"), (bouncer, "bounce"), (auto, "auto_reply")):
        session.add(InboundMail(external_id=f"e2e-{kind}", kind=kind, message_id=message.id,
                                contact_id=message.contact_id, alert_id=original.id,
                                text="Yes, let's talk." if kind == "reply" else None))
    bouncer.status = "bounced"
    session.commit()

    data = json_output(run_cli("alert", "follow-up", str(original.id),
                               str(_write(tmp_path)), "--json"))
    assert data["contacts"] == 3
    smtp_sink.reset()
    run_cli("alert", "send", str(data["id"]), "--yes")
    second = {m.rcpt_tos[0]: message_from_bytes(m.data, policy=policy.SMTP)
              for m in smtp_sink.messages}
    assert set(second) == {emails[2], emails[3], emails[4]}
    for email, mail in second.items():
        assert mail["In-Reply-To"] == first[email]["Message-ID"], email
        assert first[email]["Message-ID"] in mail["References"]
        assert mail["Message-ID"] != first[email]["Message-ID"]
        assert "Update" in mail["Subject"]
