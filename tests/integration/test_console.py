"""The organiser console through Flask's test client, on SQLite and PostgreSQL: import with
a dry run and a column mapping, segments, the editor, preview, launch's guards, contact
changes, the inbox, follow-ups; each state change with its audit row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from outreach.audit import list_events
from outreach.db.models import Alert, Contact, InboundMail, Message, SavedSegment, Suppression
from outreach.web.app import create_app
from tests.fixtures.db import make_test_settings
from tests.integration.test_dashboard import PASSWORD, csrf_of, login

MESSY = Path(__file__).resolve().parents[1] / "data" / "console" / "messy.csv"


@pytest.fixture
def settings(db_url, smtp_sink):
    return make_test_settings(database_url=db_url, dashboard_password=PASSWORD,
                              smtp_url=smtp_sink.url)


@pytest.fixture
def client(settings, app_ctx):
    app = create_app(settings, app_ctx)
    app.config["TESTING"] = True
    client = app.test_client()
    login(client)
    return client


def _post(client, url: str, data: dict, **kwargs):
    token = csrf_of(client.get("/dashboard/alerts").get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


def _import(client) -> str:
    with MESSY.open("rb") as handle:
        response = _post(client, "/dashboard/contacts/import",
                         {"file": (handle, "messy.csv")}, content_type="multipart/form-data")
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.fixture
def session(sessions):
    """Reads in short transactions (SQLite: the app under test needs the write lock)."""
    return Reads(sessions)


class Reads:
    def __init__(self, sessions):
        self.sessions = sessions

    def scalar(self, stmt):
        with self.sessions() as s:
            return s.scalar(stmt)

    def contact(self, email: str) -> dict:
        with self.sessions() as s:
            c = s.scalar(select(Contact).where(Contact.email == email))
            return {"id": c.id, "language": c.language, "country": c.country,
                    "outlet": c.outlet.name if c.outlet else None, "tags": c.tags,
                    "attributes": c.attributes, "name": c.name, "email": c.email}

    def get(self, model, key):
        with self.sessions() as s:
            obj = s.get(model, key)
            s.expunge(obj)
            return obj

    def add(self, *objects):
        with self.sessions() as s:
            s.add_all(objects)
            s.commit()


def _actions(session) -> list[str]:
    """The console's actions, in order (logins, recorded as user.login, left out)."""
    with session.sessions() as s:
        return [e.action for e in reversed(list_events(s)) if not e.action.startswith("user.")]


def test_import_dry_run_mapping_then_confirm(client, session):
    review = _import(client)
    html = client.get(review).get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Contact)) == 0  # a dry run
    assert re.search(r'data-count="created">3<', html)
    assert re.search(r'data-count="merged">1<', html)
    assert re.search(r'data-count="rejected">1<', html)
    assert '<tr data-line="4"><td class="num">4</td><td>email</td>' in html  # the bad address
    assert 'data-column="Medium"' in html and 'data-column="Sprache"' in html
    mapped = client.get(review + "?map:Medium=outlet&map:Sprache=language&map:Land=country")
    html = mapped.get_data(as_text=True)
    assert 'name="map:Medium" value="outlet"' in html  # carried to the confirmation
    response = _post(client, review, {"map:Medium": "outlet", "map:Sprache": "language",
                                      "map:Land": "country"})
    assert response.status_code == 302
    anna = session.contact("anna@example.org")
    assert (anna["language"], anna["country"], anna["outlet"]) == ("en", "HU", "Example Daily")
    assert anna["tags"] == ["press", "urgent"]
    assert anna["attributes"] == {}
    assert session.contact("juergen@example.org")["name"] == "Jürgen Müller"  # cp1252
    assert _actions(session) == ["contacts.import"]
    assert client.get(review).status_code == 404  # the upload is gone once confirmed


def test_segment_alert_preview_launch_and_follow_up(client, session, settings, smtp_sink,
                                                    monkeypatch):
    _post(client, _import(client), {"map:Sprache": "language", "map:Land": "country"})
    html = client.get("/dashboard/segments?tag=press&country=HU,AT,KZ").get_data(as_text=True)
    assert '<strong id="segment-recipients">3</strong>' in html
    assert client.get("/dashboard/segments/count.json?country=KZ").json["recipients"] == 1
    _post(client, "/dashboard/segments", {"name": "Press", "tag": "press"})
    assert session.scalar(select(SavedSegment.name)) == "Press"

    form = {"languages": "en,ru", "segment": "Press", "action": "save",
            "subject-en": "Urgent: {{ contact.first_name | default('colleague') }}",
            "body-en": "# Release\n\nHello {{ contact.name }}.\n",
            "subject-ru": "Срочно", "body-ru": "# Релиз\n\nЗдравствуйте.\n"}
    bad = _post(client, "/dashboard/alerts/new",
                {**form, "body-ru": "# Релиз\n\n{{ contact.nickname }}\n"})
    assert bad.status_code == 422
    assert "Russian text, line 3: unknown field &#39;contact.nickname&#39;" in \
        bad.get_data(as_text=True)
    response = _post(client, "/dashboard/alerts/new", form)
    alert_id = int(response.headers["Location"].rsplit("/", 2)[-2])
    frame = client.get(f"/dashboard/alerts/{alert_id}/preview?preview_language=ru")
    assert "sandbox" in frame.headers["Content-Security-Policy"]
    assert "Срочно" in frame.get_data(as_text=True)
    live = _post(client, "/dashboard/alerts/preview",
                 {**form, "preview_language": "en", "preview_contact": "anna@example.org"})
    body = live.get_data(as_text=True)
    assert "Urgent: colleague" in body and "Hello Anna Kovács." in body  # no first name

    _post(client, f"/dashboard/alerts/{alert_id}/test", {"to": "me@example.org"})
    assert smtp_sink.messages[-1].rcpt_tos == ("me@example.org",)

    page = client.get(f"/dashboard/alerts/{alert_id}/launch").get_data(as_text=True)
    assert 'id="plan-count">3<' in page and 'data-language="ru"' in page
    assert "No broker is configured" in page
    monkeypatch.setattr("outreach.web.dashboard.launch.enqueue_now", lambda alert_id: None)
    client.application.extensions["outreach"].settings = settings.replace(broker_url="redis://x")
    wrong = _post(client, f"/dashboard/alerts/{alert_id}/launch",
                  {"confirm_count": "4", "urgent": "1"})
    assert wrong.status_code == 422
    assert session.scalar(select(func.count()).select_from(Message)) == 0
    done = _post(client, f"/dashboard/alerts/{alert_id}/launch",
                 {"confirm_count": "3", "urgent": "1"})
    assert done.status_code == 302
    alert = session.get(Alert, alert_id)
    assert (alert.state, alert.urgent) == ("sending", True)
    assert session.scalar(select(func.count()).select_from(Message)) == 3
    edit = _post(client, f"/dashboard/alerts/{alert_id}/edit", form)
    assert edit.status_code == 422 and "only a draft can be edited" in edit.get_data(as_text=True)
    assert _actions(session) == ["contacts.import", "segment.save", "alert.create",
                                 "alert.test_send", "alert.launch"]


def test_everyone_needs_the_second_confirmation(client, session, settings, monkeypatch):
    _post(client, _import(client), {})
    response = _post(client, "/dashboard/alerts/new",
                     {"languages": "en", "action": "save", "body-en": "# Hi\n\nText\n"})
    alert_id = int(response.headers["Location"].rsplit("/", 2)[-2])
    monkeypatch.setattr("outreach.web.dashboard.launch.enqueue_now", lambda alert_id: None)
    client.application.extensions["outreach"].settings = settings.replace(broker_url="redis://x")
    page = client.get(f"/dashboard/alerts/{alert_id}/launch").get_data(as_text=True)
    assert 'id="confirm_everyone"' in page
    refused = _post(client, f"/dashboard/alerts/{alert_id}/launch", {"confirm_count": "3"})
    assert refused.status_code == 422 and "every contact" in refused.get_data(as_text=True)
    ok = _post(client, f"/dashboard/alerts/{alert_id}/launch",
               {"confirm_count": "3", "confirm_everyone": "1"})
    assert ok.status_code == 302


def test_contact_unsubscribe_resubscribe_erase_with_reasons(client, session):
    _post(client, _import(client), {})
    anna = session.contact("anna@example.org")
    url = f"/dashboard/contacts/{anna['id']}"
    _post(client, f"{url}/unsubscribe", {"reason": ""})
    assert session.scalar(select(func.count()).select_from(Suppression)) == 0
    _post(client, f"{url}/unsubscribe", {"reason": "asked by phone"})
    html = client.get(url).get_data(as_text=True)
    assert "asked by phone" in html and "unsubscribed via console" in html
    _post(client, f"{url}/resubscribe", {"reason": "asked to be back"})
    _post(client, f"{url}/erase", {"reason": "GDPR request",
                                   "confirm_email": "wrong@x.example.org"})
    assert session.get(Contact, anna["id"]).email == "anna@example.org"
    _post(client, f"{url}/erase", {"reason": "GDPR request",
                                   "confirm_email": "anna@example.org"})
    assert session.get(Contact, anna["id"]).email is None
    assert _actions(session)[1:] == ["contact.unsubscribe", "contact.resubscribe",
                                     "contact.erase"]


def test_inbox_lists_marks_and_filters(client, session):
    session.add(InboundMail(external_id="a", kind="reply", sender="x@example.org",
                            subject="Re: alert", text="Thanks, we will run it"),
                InboundMail(external_id="b", kind="unmatched", sender="y@example.org",
                            subject="Hello"))
    reply_id = session.scalar(select(InboundMail.id).where(InboundMail.kind == "reply"))
    html = client.get("/dashboard/inbox").get_data(as_text=True)
    assert "Thanks, we will run it" in html and "Hello" not in html
    assert "Hello" in client.get("/dashboard/inbox?show=unmatched&handled=").get_data(
        as_text=True)
    _post(client, f"/dashboard/inbox/{reply_id}/handled", {"mark": "1", "handled": "no"})
    assert "Thanks" not in client.get("/dashboard/inbox").get_data(as_text=True)
    assert "Thanks" in client.get("/dashboard/inbox?handled=yes").get_data(as_text=True)
    assert _actions(session) == ["reply.handled"]


def _state_changing(app):
    """POST routes of the console, less the logged-out ones and a user's own account pages
    (tests/integration/test_console_access.py checks those exemptions)."""
    from outreach.web.dashboard.auth import PUBLIC_ENDPOINTS
    from tests.integration.test_dashboard import _sample_path

    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/dashboard") and "POST" in rule.methods \
                and rule.endpoint not in PUBLIC_ENDPOINTS \
                and not getattr(app.view_functions[rule.endpoint], "self_service", False):
            yield _sample_path(rule)


def test_every_state_changing_route_wants_csrf_and_a_sender(client, monkeypatch):
    from outreach.web.dashboard import roles

    paths = list(_state_changing(client.application))
    assert len(paths) >= 12
    for path in paths:
        assert client.post(path, data={}).status_code == 400, path  # no CSRF token
    monkeypatch.setattr(roles, "current_user",
                        lambda: roles.CurrentUser(7, "viewer@example.org", "viewer"))
    for path in paths:
        assert _post(client, path, {}).status_code == 403, path


def test_a_file_that_is_not_csv_is_refused_by_its_name(client):
    import io

    token = csrf_of(client.get("/dashboard/alerts").get_data(as_text=True))
    response = client.post("/dashboard/contacts/import", data={
        "csrf_token": token, "file": (io.BytesIO(b"\x00\x01binary"), "../photo.png")},
        content_type="multipart/form-data")
    page = client.get(response.headers["Location"])
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "photo.png: not a text file" in text and "/tmp" not in text


def test_draft_edit_then_embargoed_launch_keeps_its_zone(client, session, settings,
                                                         monkeypatch):
    from datetime import UTC, datetime, timedelta

    _post(client, _import(client), {})
    form = {"languages": "en", "action": "save", "body-en": "# First\n\nText\n"}
    response = _post(client, "/dashboard/alerts/new", form)
    alert_id = int(response.headers["Location"].rsplit("/", 2)[-2])
    edited = _post(client, f"/dashboard/alerts/{alert_id}/edit",
                   {**form, "subject-en": "Second thoughts"})
    assert edited.status_code == 302
    assert session.get(Alert, alert_id).title == "Second thoughts"
    monkeypatch.setattr("outreach.web.dashboard.launch.enqueue_now", lambda alert_id: None)
    client.application.extensions["outreach"].settings = settings.replace(broker_url="redis://x")
    day = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d")
    page = client.get(f"/dashboard/alerts/{alert_id}/launch?at={day}T09:00&zone=Asia/Almaty"
                      ).get_data(as_text=True)
    assert f"embargoed until {day} 09:00 Asia/Almaty (04:00 UTC)" in page
    done = _post(client, f"/dashboard/alerts/{alert_id}/launch",
                 {"confirm_count": "3", "confirm_everyone": "1", "at": f"{day}T09:00",
                  "zone": "Asia/Almaty"})
    assert done.status_code == 302
    alert = session.get(Alert, alert_id)
    assert alert.state == "scheduled"
    assert alert.scheduled_at == datetime.fromisoformat(f"{day}T04:00+00:00")
    assert _actions(session)[-3:] == ["alert.create", "alert.edit", "alert.schedule"]
