"""Open pixel and click redirect (opt-in per alert): own links only, prefetch told apart."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from outreach.db.models import MessageEvent
from outreach.mail.links import click_url, open_pixel_url
from outreach.mail.tokens import sign_link
from outreach.web.app import create_app
from tests.integration.inbound_rows import LINKS, make_sent_alert

pytestmark = pytest.mark.integration
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def client(settings, app_ctx):
    app = create_app(settings, app_ctx)
    app.config["TESTING"] = True
    return app.test_client()


def _path(url: str) -> str:
    return urlsplit(url).path


def _events(sessions) -> list[tuple[str, str | None]]:
    with sessions() as session:
        return [(e.kind, e.detail) for e in session.scalars(select(MessageEvent)
                                                             .order_by(MessageEvent.id))]


def test_click_redirects_only_to_the_alerts_own_links(client, settings, sessions) -> None:
    with sessions() as session:
        sent = make_sent_alert(session, settings, ["anna@example.net"], track=True)
    mid = sent.messages["anna@example.net"]
    headers = {"User-Agent": BROWSER}
    for index, link in enumerate(LINKS):
        response = client.get(_path(click_url(settings, mid, index)), headers=headers)
        assert response.status_code == 302 and response.headers["Location"] == link
    assert client.get(_path(click_url(settings, mid, 2)), headers=headers).status_code == 404
    # A URL or a parameter in the request never becomes the target.
    url = _path(click_url(settings, mid, 0)) + "?url=https://evil.example.com/&next=//evil.test"
    assert client.get(url, headers=headers).headers["Location"] == LINKS[0]
    assert _events(sessions) == [("clicked", "link 0"), ("clicked", "link 1")]
    client.get(_path(click_url(settings, mid, 0)), headers=headers)  # a second click: counted once
    assert len(_events(sessions)) == 2


@pytest.mark.parametrize("tamper", ["flip", "other-purpose", "bad-payload", "unknown-message"])
def test_tampered_click_token_is_refused(client, settings, sessions, tamper: str) -> None:
    with sessions() as session:
        mid = make_sent_alert(session, settings, ["anna@example.net"], track=True).messages[
            "anna@example.net"]
    signed = click_url(settings, mid, 0).rsplit("/", 1)[1]
    path = {
        "flip": "/c/" + signed[:-2] + ("AA" if not signed.endswith("AA") else "BB"),
        "other-purpose": "/c/" + sign_link(settings.secret_key, "open", [mid, 0]),
        "bad-payload": "/c/" + sign_link(settings.secret_key, "click", ["https://evil.test", 0]),
        "unknown-message": "/c/" + sign_link(settings.secret_key, "click", [mid + 999, 0]),
    }[tamper]
    response = client.get(path, headers={"User-Agent": BROWSER})
    assert 400 <= response.status_code < 500
    assert "Location" not in response.headers
    assert _events(sessions) == []


def test_scanner_prefetch_is_not_a_click(client, settings, sessions) -> None:
    with sessions() as session:
        mid = make_sent_alert(session, settings, ["anna@example.net"], track=True).messages[
            "anna@example.net"]
    path = _path(click_url(settings, mid, 0))
    assert client.head(path, headers={"User-Agent": BROWSER}).status_code == 302
    client.get(path, headers={"User-Agent": "Mozilla/5.0 (compatible; Barracuda Sentinel)"})
    kinds = [k for k, _ in _events(sessions)]
    assert kinds == ["prefetch"]  # one prefetch record per link, however many scanners
    client.get(path, headers={"User-Agent": BROWSER})
    assert [k for k, _ in _events(sessions)] == ["prefetch", "clicked"]


def test_click_within_two_seconds_of_delivery_is_prefetch(client, settings, sessions) -> None:
    with sessions() as session:
        mid = make_sent_alert(session, settings, ["anna@example.net"], track=True,
                              sent_ago=timedelta(seconds=0)).messages["anna@example.net"]
    client.get(_path(click_url(settings, mid, 1)), headers={"User-Agent": BROWSER})
    assert _events(sessions) == [("prefetch", "link 1: within 2 s of delivery")]


def test_open_pixel_counts_the_first_open_only(client, settings, sessions) -> None:
    with sessions() as session:
        mid = make_sent_alert(session, settings, ["anna@example.net"], track=True).messages[
            "anna@example.net"]
    path = _path(open_pixel_url(settings, mid))
    for _ in range(3):
        response = client.get(path, headers={"User-Agent": "Mozilla/5.0 GoogleImageProxy"})
        assert response.status_code == 200 and response.mimetype == "image/gif"
        assert "no-store" in response.headers["Cache-Control"]
    assert _events(sessions) == [("opened", "open")]
    assert client.get("/o/forged.gif").status_code == 404


def test_nothing_is_recorded_when_the_alert_does_not_track(client, settings, sessions) -> None:
    with sessions() as session:
        mid = make_sent_alert(session, settings, ["anna@example.net"], track=False).messages[
            "anna@example.net"]
    assert client.get(_path(open_pixel_url(settings, mid)),
                      headers={"User-Agent": BROWSER}).status_code == 200
    response = client.get(_path(click_url(settings, mid, 0)), headers={"User-Agent": BROWSER})
    assert response.status_code == 302 and response.headers["Location"] == LINKS[0]
    assert _events(sessions) == []


@pytest.mark.parametrize("stored", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "//evil.example.com/",
    "https://ok.example.org/\r\nX: y",
])
def test_click_never_redirects_to_a_non_web_link(client, settings, sessions, stored) -> None:
    """Even if a stored link were not a web URL (compile filters them), no redirect to it."""
    from outreach.db.models import AlertVariant

    with sessions() as session:
        mid = make_sent_alert(session, settings, ["anna@example.net"], track=True).messages[
            "anna@example.net"]
        for variant in session.scalars(select(AlertVariant)):
            variant.links = [stored]
        session.commit()
    response = client.get(_path(click_url(settings, mid, 0)), headers={"User-Agent": BROWSER})
    assert response.status_code == 404 and "Location" not in response.headers
