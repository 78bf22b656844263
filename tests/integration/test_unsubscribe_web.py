"""The unsubscribe endpoints through Flask's test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from outreach.contacts.suppression import suppress
from outreach.db.models import Contact
from outreach.inbound.unsubscribe import UNDO_REASON, resolve, undo, undo_token
from outreach.mail.links import unsubscribe_url
from outreach.web.app import create_app
from tests.fixtures.db import make_test_settings
from tests.integration.unsubscribe_data import contact_state, events, seed, suppression_count

pytestmark = pytest.mark.integration
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def client(settings, app_ctx) -> FlaskClient:
    return create_app(settings, app_ctx).test_client()


def path_for(settings, message_id: int) -> str:
    return "/u/" + unsubscribe_url(settings, message_id).rsplit("/u/", 1)[1]


def is_suppressed(session, contact_id: int) -> bool:
    return contact_state(session, contact_id)[0]


def target_for(session, settings, url: str):
    target = resolve(session, settings.secret_key, url.removeprefix("/u/"))
    session.commit()
    return target


def test_get_shows_a_page_and_leaves_the_contact_subscribed(client, settings, session):
    _, contact_id, message_id = seed(session, "anna@example.org", "ru")
    response = client.get(path_for(settings, message_id))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="ru">' in page and "Отписаться" in page
    assert settings.org_name in page and "a•••@example.org" in page
    assert "anna@example.org" not in page
    assert re.search(r'<form method="post" action="/u/[^"]+">', page)
    assert not is_suppressed(session, contact_id) and events(session, contact_id) == []
    assert "Set-Cookie" not in response.headers


def test_security_headers(client, settings, session):
    _, _, message_id = seed(session)
    headers = client.get(path_for(settings, message_id)).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart", "raw"])
def test_one_click_post_unsubscribes_at_once(client, settings, session, encoding):
    alert_id, contact_id, message_id = seed(session)
    url = path_for(settings, message_id)
    if encoding == "raw":
        kwargs = {"data": "List-Unsubscribe=One-Click", "content_type": "text/plain"}
    else:
        kwargs = {"data": ONE_CLICK, "content_type": (
            "multipart/form-data" if encoding == "multipart"
            else "application/x-www-form-urlencoded")}
    response = client.post(url, **kwargs)
    assert 200 <= response.status_code < 300
    assert "Set-Cookie" not in response.headers
    assert is_suppressed(session, contact_id)
    [event] = events(session, contact_id)
    assert (event.kind, event.channel, event.alert_id, event.message_id) == (
        "unsubscribed", "one-click", alert_id, message_id)
    assert contact_state(session, contact_id) == (True, "unsubscribed")

    again = client.post(url, **kwargs)  # repeating is harmless
    assert 200 <= again.status_code < 300
    assert len(events(session, contact_id)) == 1 and suppression_count(session) == 1


def test_form_post_confirms_and_undo_resubscribes(client, settings, session):
    alert_id, contact_id, message_id = seed(session, "bela@example.org", "hu")
    url = path_for(settings, message_id)
    response = client.post(url, data={"action": "unsubscribe"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="hu">' in page and "Sikeresen leiratkozott" in page
    assert "Set-Cookie" not in response.headers
    assert is_suppressed(session, contact_id)
    [event] = events(session, contact_id)
    assert (event.channel, event.alert_id, event.message_id) == ("link", alert_id, message_id)

    assert client.post(url, data={"action": "unsubscribe"}).status_code == 200  # harmless
    assert len(events(session, contact_id)) == 1

    token = re.search(r'name="undo" value="([^"]+)"', page).group(1)
    undone = client.post(f"{url}/undo", data={"undo": token})
    assert undone.status_code == 200 and "Újra feliratkozott" in undone.get_data(as_text=True)
    assert not is_suppressed(session, contact_id)
    last = events(session, contact_id)[-1]
    assert (last.kind, last.detail) == ("resubscribed", UNDO_REASON)
    assert contact_state(session, contact_id) == (False, "active")
    assert client.post(f"{url}/undo", data={"undo": token}).status_code == 200  # harmless
    assert len(events(session, contact_id)) == 2


def test_undo_needs_a_valid_fresh_token_and_lifts_only_this_links_suppression(
        client, settings, session):
    _, contact_id, message_id = seed(session)
    url = path_for(settings, message_id)
    client.post(url, data={"action": "unsubscribe"})
    target = target_for(session, settings, url)
    for bad in ("", "garbage", undo_token("another-secret-key-0123456789abcd", target)):
        assert client.post(f"{url}/undo", data={"undo": bad}).status_code == 400
    assert is_suppressed(session, contact_id)

    target = resolve(session, settings.secret_key, url.removeprefix("/u/"))
    assert not undo(session, settings.secret_key, target, undo_token(settings.secret_key, target),
                    max_age=-1)  # expired
    assert is_suppressed(session, contact_id)


def test_undo_never_lifts_a_bounce(client, settings, session):
    _, contact_id, message_id = seed(session)
    suppress(session, session.get(Contact, contact_id), "bounced", "bounce")
    session.commit()
    url = path_for(settings, message_id)
    page = client.get(url).get_data(as_text=True)
    assert "already unsubscribed" in page and "<button" not in page
    response = client.post(url, data={"action": "unsubscribe"})
    assert response.status_code == 200 and 'name="undo"' not in response.get_data(as_text=True)
    token = undo_token(settings.secret_key, target_for(session, settings, url))
    assert client.post(f"{url}/undo", data={"undo": token}).status_code == 400
    assert is_suppressed(session, contact_id)
    assert [e.kind for e in events(session, contact_id)] == ["bounced"]


def _mangled(settings, message_id: int) -> list[str]:
    good = path_for(settings, message_id)
    other = make_test_settings(secret_key="another-secret-key-0123456789abcd")
    return [
        good[:-1],  # truncated
        good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),  # altered signature
        good.replace("/u/", "/u/x", 1),  # altered payload
        path_for(other, message_id),  # signed with another key
        path_for(settings, message_id + 1000),  # a message that does not exist
        "/u/not-a-token",
    ]


def test_forged_tokens_get_4xx_and_change_nothing(client, settings, session):
    _, contact_id, message_id = seed(session)
    for url in _mangled(settings, message_id):
        for response in (client.get(url), client.post(url, data=ONE_CLICK),
                         client.post(url, data={"action": "unsubscribe"}),
                         client.post(f"{url}/undo", data={"undo": "x"})):
            assert 400 <= response.status_code < 500, url
            assert "Set-Cookie" not in response.headers
    assert not is_suppressed(session, contact_id)
    assert suppression_count(session) == 0 and events(session, contact_id) == []


def test_erased_contacts_token_gets_4xx(client, settings, session):
    _, contact_id, message_id = seed(session)
    contact = session.get(Contact, contact_id)
    contact.email, contact.status = None, "erased"
    session.commit()
    url = path_for(settings, message_id)
    for response in (client.get(url), client.post(url, data=ONE_CLICK),
                     client.post(url, data={"action": "unsubscribe"})):
        assert response.status_code == 404
    assert suppression_count(session) == 0 and events(session, contact_id) == []


def test_invalid_page_follows_accept_language(client):
    response = client.get("/u/nope", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert response.status_code == 404
    assert "Ссылка недействительна" in response.get_data(as_text=True)


def test_form_post_from_another_site_is_refused(client, settings, session):
    _, contact_id, message_id = seed(session)
    url = path_for(settings, message_id)
    response = client.post(url, data={"action": "unsubscribe"},
                           headers={"Origin": "https://evil.example.net"})
    assert response.status_code == 403 and not is_suppressed(session, contact_id)
    ours = client.post(url, data={"action": "unsubscribe"},
                       headers={"Origin": "http://127.0.0.1:8000"})
    assert ours.status_code == 200 and is_suppressed(session, contact_id)


def test_healthz_and_error_pages(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "<html lang=" in missing.get_data(as_text=True)
    assert missing.headers["X-Content-Type-Options"] == "nosniff"
    wrong = client.put("/u/anything")
    assert wrong.status_code == 405 and "POST" in wrong.headers["Allow"]


def test_a_concurrent_second_unsubscribe_waits_and_changes_nothing(sessions, settings, session):
    """PostgreSQL: B's INSERT waits on A's uncommitted row, then hits the unique index and must
    come back False instead of failing; SQLite: B waits at BEGIN and then sees the row."""
    import threading
    import time

    from outreach.inbound.unsubscribe import unsubscribe

    _, contact_id, message_id = seed(session)
    signed = path_for(settings, message_id).removeprefix("/u/")
    results: list[bool] = []

    def second() -> None:
        with sessions() as b:
            results.append(unsubscribe(b, resolve(b, settings.secret_key, signed), "one-click"))
            b.commit()

    with sessions() as a:
        assert unsubscribe(a, resolve(a, settings.secret_key, signed), "link")
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)  # let B reach the lock
        a.commit()
    thread.join(timeout=30)
    assert results == [False]
    assert [e.channel for e in events(session, contact_id)] == ["link"]
