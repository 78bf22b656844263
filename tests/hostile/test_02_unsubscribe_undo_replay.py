"""Point 2: the unsubscribe page's undo works only within 15 minutes of the unsubscribe it undoes.

Anyone holding an unsubscribe link (a forwarded alert, a shared inbox) could POST its form
again days later: each POST used to mint a fresh undo token and so reverse the opt-out. Flask's
test client against SQLite and PostgreSQL; time passes by moving the suppression's timestamp.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from outreach.db.models import Contact, Suppression, utcnow
from outreach.inbound.unsubscribe import UNDO_MAX_AGE
from outreach.mail.links import unsubscribe_url
from outreach.web.app import create_app
from tests.integration.unsubscribe_data import seed

pytestmark = pytest.mark.integration
UNDO_FIELD = re.compile(r'name="undo" value="([^"]+)"')


@pytest.fixture
def client(settings, app_ctx) -> FlaskClient:
    return create_app(settings, app_ctx).test_client()


def _path(settings, message_id: int) -> str:
    return "/u/" + unsubscribe_url(settings, message_id).rsplit("/u/", 1)[1]


def _age_suppression(session, seconds: int) -> None:
    session.execute(update(Suppression).values(created_at=utcnow() - timedelta(seconds=seconds)))
    session.commit()


def _status(session, contact_id: int) -> str:
    session.expire_all()
    status = session.scalar(select(Contact.status).where(Contact.id == contact_id))
    session.commit()
    return status


def test_replayed_form_post_offers_no_undo(client, settings, session) -> None:
    _, contact_id, message_id = seed(session)
    url = _path(settings, message_id)
    first = client.post(url).get_data(as_text=True)
    assert UNDO_FIELD.search(first)  # right after the unsubscribe: undo offered
    _age_suppression(session, 3 * 24 * 3600)

    replay = client.post(url)  # days later, by whoever holds the link
    assert replay.status_code == 200
    found = UNDO_FIELD.search(replay.get_data(as_text=True))
    assert found is None, "a repeated POST offered a fresh undo"
    assert _status(session, contact_id) == "unsubscribed"


def test_undo_token_is_refused_once_the_unsubscribe_is_older_than_15_minutes(
        client, settings, session) -> None:
    _, contact_id, message_id = seed(session)
    url = _path(settings, message_id)
    token = UNDO_FIELD.search(client.post(url).get_data(as_text=True)).group(1)
    _age_suppression(session, UNDO_MAX_AGE + 60)
    # Even a replay that still got a token must not reverse an opt-out 16 minutes old.
    replayed = UNDO_FIELD.search(client.post(url).get_data(as_text=True))
    for candidate in [token] + ([replayed.group(1)] if replayed else []):
        assert client.post(f"{url}/undo", data={"undo": candidate}).status_code == 400
    assert _status(session, contact_id) == "unsubscribed"


def test_undo_within_15_minutes_still_works(client, settings, session) -> None:
    _, contact_id, message_id = seed(session)
    url = _path(settings, message_id)
    token = UNDO_FIELD.search(client.post(url).get_data(as_text=True)).group(1)
    _age_suppression(session, UNDO_MAX_AGE - 120)
    assert client.post(f"{url}/undo", data={"undo": token}).status_code == 200
    assert _status(session, contact_id) == "active"
