"""Reach reports over a seeded blast, on SQLite and PostgreSQL, through the CLI."""

from __future__ import annotations

import csv
from collections import Counter

from sqlalchemy import select

from outreach.db.models import Contact, Message, Outlet
from tests.fixtures.cli import json_output
from tests.fixtures.db import settings_env
from tests.fixtures.reach import EXPECTED


def _message_table(session, alert_id: int) -> dict[str, Counter]:
    """Counts straight from the message rows, grouped in Python: the report's ground truth."""
    rows = session.execute(
        select(Message.status, Outlet.name, Contact.email)
        .join(Contact, Contact.id == Message.contact_id)
        .outerjoin(Outlet, Outlet.id == Contact.outlet_id)
        .where(Message.alert_id == alert_id)
    ).all()
    out: dict[str, Counter] = {}
    for status, outlet, email in rows:
        group = outlet or email.split("@")[1]
        out.setdefault(group, Counter())[status] += 1
    return out


def test_report_json_matches_message_table(run_cli, reach_example, session):
    data = json_output(run_cli("report", str(reach_example.alert_id), "--json"))
    rows = {r["label"]: r for r in data["rows"]}
    truth = _message_table(session, reach_example.alert_id)
    assert set(rows) == set(truth)
    for label, counts in truth.items():
        row = rows[label]
        assert row["targeted"] == sum(counts.values())
        for status in ("queued", "sending", "sent", "deferred", "bounced", "failed",
                       "suppressed", "cancelled"):
            assert row[status] == counts.get(status, 0), (label, status)
    for label, expected in EXPECTED.items():
        for key, value in expected.items():
            assert rows[label][key] == value, (label, key)
    assert rows["Daily Example"]["reached"] and rows["Daily Example"]["engaged"]
    assert not rows["Example Watch"]["reached"]
    assert rows["freelance.test"]["reached"] and not rows["freelance.test"]["engaged"]
    assert rows["freelance.test"]["auto_replied"] == 1
    assert rows["freelance.test"]["unsubscribed"] == 1
    assert rows["Daily Example"]["opened"] == 2 and rows["Daily Example"]["clicked"] == 1
    totals = data["totals"]
    assert totals["targeted"] == 10 == sum(totals[s] for s in (
        "queued", "sending", "sent", "deferred", "bounced", "failed", "suppressed", "cancelled"))
    assert data["summary"] == {"groups": 5, "reached": 2, "not_reached": 3, "engaged": 1}


def test_report_other_dimensions_add_up(run_cli, reach_example):
    for by in ("country", "type", "language"):
        data = json_output(run_cli("report", str(reach_example.alert_id), "--by", by, "--json"))
        assert sum(r["targeted"] for r in data["rows"]) == 10
        assert sum(r["sent"] for r in data["rows"]) == 3
    data = json_output(run_cli("report", str(reach_example.alert_id), "--by", "type", "--json"))
    assert {r["label"]: r["targeted"] for r in data["rows"]} == {
        "journalist": 5, "ngo": 2, "other": 2, "politician": 1}


def test_report_table_and_csv_neutralised(run_cli, reach_example, sessions, tmp_path):
    with sessions() as s:
        s.execute(Outlet.__table__.update().where(Outlet.name == "Nowhere Gazette")
                  .values(name="=HYPERLINK(\"http://x.example.com\")"))
        s.commit()
    out = tmp_path / "reach.csv"
    result = run_cli("report", str(reach_example.alert_id), "--csv", str(out))
    assert "Daily Example" in result.stdout and "Total" in result.stdout
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    labels = [r["label"] for r in rows]
    assert "'=HYPERLINK(\"http://x.example.com\")" in labels
    assert labels[-1] == "Total"
    assert rows[-1]["targeted"] == "10"


def test_report_unknown_alert_is_a_user_error(run_cli):
    result = run_cli("report", "999", expect=1)
    assert "no such alert" in result.output


def test_alert_list(run_cli, reach_example):
    data = json_output(run_cli("alert", "list", "--json"))
    assert data[0]["id"] == reach_example.alert_id
    assert data[0]["sent"] == 3 and data[0]["total"] == 10 and data[0]["replies"] == 1
    assert "Journalist detained" in run_cli("alert", "list").stdout


CONTACTS_CSV = """E-mail,First name,Last name,Organisation,Type,Country,Language
ana@daily.example.org,Ana,Lee,Daily Example,journalist,GB,en
bo@daily.example.org,Bo,Ng,Daily Example,journalist,GB,en
cy@watch.example.net,Cy,Ro,Example Watch,ngo,DE,de
di@watch.example.net,Di,Xu,Example Watch,ngo,DE,de
ed@gazette.example.com,Ed,Fa,Nowhere Gazette,journalist,HU,hu
fi@freelance.example.com,Fi,Go,,journalist,,en
"""


def test_report_after_a_real_blast(session, settings, smtp_sink, run_cli, monkeypatch,
                                   tmp_path):
    """Acceptance: contacts imported, a real blast (embedded worker, aiosmtpd), one bounce and
    one reply injected as the inbound poller records them; the per-outlet report equals the
    message table exactly."""
    from outreach.contacts.importer import import_csv
    from outreach.db.models import InboundMail
    from tests.integration.sending_data import EXAMPLES, make_alert

    settings = settings.replace(smtp_url=smtp_sink.url, broker_url=None,
                                retry_schedule=(0.2, 0.4), sweep_seconds=0.2)
    for key, value in settings_env(settings).items():
        monkeypatch.setenv(key, value)
    source = EXAMPLES / "contacts.csv"
    if not source.exists():
        source = tmp_path / "contacts.csv"
        source.write_text(CONTACTS_CSV, encoding="utf-8")
    from tests.fixtures.db import make_sessionmaker

    imported = import_csv(make_sessionmaker(session.get_bind()), source)
    assert imported.created >= 6
    alert = make_alert(session, settings)
    run_cli("alert", "send", str(alert.id), "--yes")
    messages = list(session.scalars(select(Message).where(Message.alert_id == alert.id)
                                    .order_by(Message.id)))
    assert messages and all(m.status == "sent" for m in messages)
    bounced, replied = messages[0], messages[-1]
    bounced.status = "bounced"  # a DSN after acceptance, as outreach.inbound.record does it
    for message, kind in ((bounced, "bounce"), (replied, "reply")):
        session.add(InboundMail(external_id=f"acc-{kind}", kind=kind, message_id=message.id,
                                contact_id=message.contact_id, alert_id=alert.id,
                                text="Please call me." if kind == "reply" else None))
    session.commit()

    data = json_output(run_cli("report", str(alert.id), "--json"))
    truth = _message_table(session, alert.id)
    rows = {r["label"]: r for r in data["rows"]}
    assert set(rows) == set(truth)
    for label, counts in truth.items():
        assert rows[label]["targeted"] == sum(counts.values())
        assert rows[label]["sent"] == counts.get("sent", 0)
        assert rows[label]["bounced"] == counts.get("bounced", 0)
        assert rows[label]["reached"] == (counts.get("sent", 0) > 0)
    assert data["totals"]["bounced"] == 1 and data["totals"]["replied"] == 1
    assert data["totals"]["sent"] == len(messages) - 1


def test_report_of_an_alert_never_sent(run_cli, sessions, tmp_path):
    from outreach.db.models import Alert

    with sessions() as s:
        s.add(Alert(title="Draft", state="draft", segment={}))
        s.commit()
    data = json_output(run_cli("report", "1", "--json"))
    assert data["rows"] == [] and data["totals"]["targeted"] == 0
    assert data["summary"]["groups"] == 0
    assert "Total" in run_cli("report", "1").stdout
    follow = tmp_path / "f.md"
    follow.write_text("---\nlanguage: en\n---\n# Update\n\nText.\n", encoding="utf-8")
    result = run_cli("alert", "follow-up", "1", str(follow), expect=1)
    assert "never sent" in result.output
    assert "--by" in run_cli("report", "1", "--by", "planet", expect=1).output
