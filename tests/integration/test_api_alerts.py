"""Alerts, saved segments, replies and follow-ups through the API, on the console's services."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from outreach.db.models import InboundMail, Message
from outreach.db.models.base import utcnow
from tests.integration.sending_data import add_contacts

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def settings(settings, smtp_sink):  # type: ignore[no-untyped-def]
    return settings.replace(smtp_url=smtp_sink.url)


def _alert(api, **body):  # type: ignore[no-untyped-def]
    return api.post("/alerts", json={"markdown": (EXAMPLES / "alert.md").read_text(), **body})


def test_saved_segment_alert_preview_and_test_send(sender_api, session, smtp_sink) -> None:
    add_contacts(session, 6, languages=("en", "hu"))
    saved = sender_api.post("/segments", json={"name": "Hungarian desk", "language": "hu"})
    assert saved.status_code == 200, saved.get_json()
    assert [s["name"] for s in sender_api.get("/segments").get_json()] == ["Hungarian desk"]
    assert sender_api.get("/segments/count?name=Hungarian desk").get_json()["recipients"] == 3
    missing = sender_api.get("/segments/count?name=nope")
    assert missing.status_code == 404 and missing.get_json()["errors"][0]["field"] == "name"

    created = _alert(sender_api, segment_name="Hungarian desk",
                     variants={"hu": (EXAMPLES / "alert.hu.md").read_text()})
    assert created.status_code == 201, created.get_json()
    alert = created.get_json()
    assert alert["audience"]["recipients"] == 3
    assert alert["audience"]["by_language"] == {"hu": 3}
    assert alert["audience"]["segment"].startswith("Hungarian desk")

    hu = sender_api.get(f"/alerts/{alert['id']}/preview?language=hu").get_json()
    en = sender_api.get(f"/alerts/{alert['id']}/preview?language=en").get_json()
    assert hu["language"] == "hu" and en["language"] == "en" and hu["subject"] != en["subject"]
    assert "<html" in hu["html"].lower() and hu["text"]

    sent = sender_api.post(f"/alerts/{alert['id']}/test", json={"to": ["me@example.org"]})
    assert sent.status_code == 200, sent.get_json()
    assert smtp_sink.wait_for(1)[0].rcpt_tos == ("me@example.org",)
    assert b"[TEST]" in smtp_sink.messages[0].data
    bad = sender_api.post(f"/alerts/{alert['id']}/test", json={"to": ["ok@example.org", "x"]})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "to[1]"


def test_template_errors_name_the_field_and_line(sender_api) -> None:
    broken = _alert(sender_api, variants={"ru": "---\nsubject: x\n---\nHello {{ contact.nme }"})
    assert broken.status_code == 422
    error = broken.get_json()["errors"][0]
    assert error["field"] == "variants.ru", error
    mismatch = _alert(sender_api, variants={"ru": "---\nlanguage: hu\nsubject: x\n---\nHi"})
    assert mismatch.get_json()["errors"][0]["field"] == "variants.ru"


def test_everyone_needs_a_second_confirmation(api_app, sessions, session, redis_prefix) -> None:
    from outreach.context import AppContext
    from outreach.web.app import create_app
    from tests.fixtures.api import ApiClient, make_api_user
    from tests.fixtures.services import REDIS_URL

    add_contacts(session, 2)
    ctx = api_app.extensions["outreach"]
    brokered = ctx.settings.replace(broker_url=REDIS_URL, broker_prefix=redis_prefix)
    api = ApiClient(create_app(brokered, AppContext(brokered)).test_client(),
                    make_api_user(sessions, "s2@example.org", "sender"))
    alert = _alert(api).get_json()  # examples/alert.md has no segment: every contact
    refused = api.post(f"/alerts/{alert['id']}/launch", json={"expected_recipients": 2})
    assert refused.status_code == 409
    assert refused.get_json()["errors"][0]["field"] == "confirm_everyone"
    with sessions() as s:
        assert s.scalars(select(Message)).all() == []
    launched = api.post(f"/alerts/{alert['id']}/launch",
                        json={"expected_recipients": 2, "confirm_everyone": True})
    assert launched.status_code == 202 and launched.get_json()["queued"] == 2


def test_replies_inbox_and_mark_handled(sender_api, session, settings) -> None:
    add_contacts(session, 1)
    alert = _alert(sender_api).get_json()
    message = Message(alert_id=alert["id"], contact_id=1, status="sent", sent_at=utcnow())
    session.add(message)
    session.flush()
    for n, kind in enumerate(("reply", "auto_reply", "unmatched")):
        session.add(InboundMail(external_id=f"x{n}", kind=kind, message_id=message.id,
                                contact_id=1, alert_id=alert["id"], sender="p0@example.org",
                                subject="Re: alert", text=f"text {n}"))
    session.commit()
    page = sender_api.get(f"/replies?alert_id={alert['id']}").get_json()
    assert [r["kind"] for r in page["items"]] == ["auto_reply", "reply"]
    reply_id = page["items"][1]["id"]
    done = sender_api.post(f"/replies/{reply_id}/handled", json={})
    assert done.get_json() == {"id": reply_id, "handled": True}
    assert [r["id"] for r in sender_api.get("/replies?handled=true").get_json()["items"]] == \
        [reply_id]
    assert len(sender_api.get("/replies?handled=false").get_json()["items"]) == 1
    assert sender_api.get("/replies?unmatched=true").get_json()["items"][0]["kind"] == \
        "unmatched"
    assert sender_api.post("/replies/99999/handled", json={}).status_code == 404
    with session.begin():
        row = session.scalar(select(InboundMail).where(InboundMail.id == reply_id))
        assert row is not None and row.handled_by == "sender@example.org"


def test_follow_up_with_variants(sender_api, session) -> None:
    add_contacts(session, 4, languages=("en", "ru"))
    alert = _alert(sender_api).get_json()
    never = sender_api.post(f"/alerts/{alert['id']}/follow-ups",
                            json={"markdown": (EXAMPLES / "alert.md").read_text()})
    assert never.status_code == 409  # never sent: nothing to follow up
    for contact_id in (1, 2, 3, 4):
        session.add(Message(alert_id=alert["id"], contact_id=contact_id, status="sent",
                            sent_at=utcnow(), message_id_header=f"<m{contact_id}@example.org>"))
    session.commit()
    follow = sender_api.post(f"/alerts/{alert['id']}/follow-ups", json={
        "markdown": (EXAMPLES / "alert.md").read_text(),
        "variants": {"ru": (EXAMPLES / "alert.ru.md").read_text()}, "not_replied": True})
    assert follow.status_code == 201, follow.get_json()
    data = follow.get_json()
    assert data["follow_up_of"] == alert["id"] and sorted(data["languages"]) == ["en", "ru"]
    assert data["audience"]["recipients"] == 4
