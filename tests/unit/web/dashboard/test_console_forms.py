"""Pure pieces of the console: the editor form, error lines, segment fields, embargo times,
the contact timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from outreach.alerts.compile import compile_variant
from outreach.errors import UserError
from outreach.web.dashboard import alert_forms
from outreach.web.dashboard.contact_page import timeline
from outreach.web.dashboard.launch import _embargo
from outreach.web.dashboard.segments import from_values, to_values
from tests.fixtures.db import make_test_settings


def test_form_languages_are_checked_and_the_address_is_the_organisations():
    form = alert_forms.from_request(MultiDict({
        "languages": "en,RU,xx1,en", "subject-en": " Hi ", "body-en": "# Hi\n\nText",
        "sender-en": 'Press "Office"\\', "subject-ru": "Привет", "body-ru": "# Привет\n\nТекст"}))
    assert form.languages == ["en", "ru"]
    settings = make_test_settings()
    en, ru = alert_forms.sources(form, settings)
    assert en.front["from"] == '"Press Office" <press@example.org>'
    assert (en.subject, ru.language) == ("Hi", "ru")
    assert "from" not in ru.front  # no sender name: the default From


def test_a_template_mistake_names_the_language_and_the_line_typed():
    form = alert_forms.from_request(MultiDict({
        "languages": "en", "body-en": "# Hi\n\nline three\n{{ contact.nickname }}\n"}))
    settings = make_test_settings()
    with pytest.raises(UserError) as exc:
        compile_variant(alert_forms.sources(form, settings)[0], settings)
    message = str(exc.value)
    assert message == "en body:4: unknown field 'contact.nickname'"
    assert alert_forms.friendly(message) == "English text, line 4: unknown field " \
                                            "'contact.nickname'"
    assert alert_forms.error_line(message, form) == {
        "language": "en", "line": 4, "text": "{{ contact.nickname }}"}


def test_empty_variant_is_refused():
    form = alert_forms.from_request(MultiDict({"languages": "en,ru", "body-en": "# A\n\nB"}))
    with pytest.raises(UserError, match="ru body:1: the Russian variant has no text"):
        alert_forms.sources(form, make_test_settings())


def test_segment_fields_round_trip():
    segment, typed = from_values(MultiDict({"country": "hu, at", "tag": "Press", "type": ""}))
    assert segment.to_json() == {"where": [["country", ["HU", "AT"]], ["tag", ["press"]]],
                                 "tags": []}
    assert to_values(segment)["country"] == "HU, AT"
    assert typed["tag"] == "Press"  # shown back as typed
    assert from_values(MultiDict({"country": " , "}))[0].where == ()  # nothing typed


def test_embargo_keeps_its_zone_and_refuses_the_past():
    when = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT09:00")
    at = _embargo(when, "Europe/Budapest")
    assert at is not None and str(at.tzinfo) == "Europe/Budapest" and at.hour == 9
    assert _embargo("", "UTC") is None
    with pytest.raises(UserError, match="in the past"):
        _embargo("2020-01-01T09:00", "UTC")
    with pytest.raises(UserError, match="not a known zone"):
        _embargo(when, "Mars/Olympus")


def test_timeline_merges_events_messages_and_mail_in_time_order():
    data = {
        "events": [{"at": "2026-01-01T10:00", "kind": "imported", "channel": "import",
                    "alert_id": None, "detail": "a.csv"}],
        "messages": [{"alert_id": 3, "alert": "Alert", "sent_at": None, "status": "sent",
                      "events": [{"at": "2026-01-02T10:00", "to_status": "sent",
                                  "detail": None}]}],
        "inbound": [{"at": "2026-01-01T12:00", "kind": "auto_reply", "alert_id": 3,
                     "subject": "Away", "text": None}],
    }
    assert [i["what"] for i in timeline(data)] == ["imported", "inbound auto reply",
                                                   "message sent"]
