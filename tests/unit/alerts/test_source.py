"""Front matter and body: what an alert file may say, and the FILE:LINE of every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from outreach.alerts.source import parse_source, read_source
from outreach.contacts.segments import Segment
from outreach.errors import UserError

P = Path("a.md")


def test_front_matter_fields_and_body_line() -> None:
    source = parse_source("---\nsubject: Hi\nfrom: 'X <x@example.org>'\nlanguage: hu\n"
                          "track_clicks: true\n---\n# Head\n\nBody\n", P)
    assert source.subject == "Hi"
    assert source.language == "hu"
    assert source.track_clicks and not source.track_opens
    assert source.body_line == 7
    assert source.body.startswith("# Head")
    assert source.where(line_in_body=3) == "a.md:9"


def test_headline_defaults_the_subject() -> None:
    source = parse_source("---\nlanguage: en\n---\n\n# Stop the extradition  \n\nText\n", P)
    assert source.subject == "Stop the extradition"
    assert source.subject_where == "a.md:5"


def test_file_without_front_matter_is_all_body() -> None:
    source = parse_source("# Only a headline\n\ntext\n", P)
    assert source.front == {}
    assert source.language == "en"
    assert source.subject == "Only a headline"


@pytest.mark.parametrize(("text", "message"), [
    ("---\nsubject: Hi\n", "a.md:1: front matter opened with '---' is never closed"),
    ("---\nsubject: Hi\nfrom: [unclosed\n---\nx\n", "a.md:3: front matter is not valid YAML"),
    ("---\nsubject: Hi\ncolour: red\n---\nx\n", "a.md:3: unknown front-matter key 'colour'"),
    ("---\nsubject: Hi\nlanguage: english\n---\nx\n", "a.md:3: language: 'english'"),
    ("---\nsubject: Hi\nfrom: not an address\n---\nx\n", "a.md:3: from:"),
    ("---\nsubject: Hi\ntrack_opens: maybe\n---\nx\n", "a.md:3: track_opens: expected true"),
    ("---\nsubject: [a, b]\n---\nx\n", "a.md:2: subject: expected a single line"),
    ("---\nlanguage: en\n---\nno headline here\n", "no subject"),
    ("---\nsubject: Hi\n---\n\n", "the alert has no body"),
    ("---\nsubject: Hi\nsegment: {where: [colour=red]}\n---\nx\n", "a.md:3: segment:"),
    ("- a\n- b\n", "no subject"),
    ("---\n- a\n- b\n---\nx\n", "a.md:2: front matter must be 'key: value' lines"),
])
def test_malformed_files_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(UserError) as info:
        parse_source(text, P)
    assert message in str(info.value)


def test_reply_to_with_line_break_is_rejected() -> None:
    with pytest.raises(UserError, match=r"a\.md:3: reply_to: must be a single line"):
        parse_source('---\nsubject: Hi\nreply_to: "A <a@example.org>\\r\\nBcc: b@example.org"'
                     "\n---\nx\n", P)


def test_segment_from_front_matter() -> None:
    source = parse_source("---\nsubject: Hi\nsegment: {where: ['country=hu,at'], tags: [Press]}"
                          "\n---\nx\n", P)
    assert source.segment() == Segment(where=(("country", ("HU", "AT")),), tags=("press",))
    plain = parse_source("---\nsubject: Hi\nsegment: language=ru\n---\nx\n", P)
    assert plain.segment() == Segment(where=(("language", ("ru",)),))


def test_read_source_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such file"):
        read_source(tmp_path / "nope.md")
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(UserError, match="cannot read as UTF-8"):
        read_source(bad)


def test_crlf_and_bom_are_accepted() -> None:
    source = parse_source("\ufeff---\r\nsubject: Hi\r\n---\r\nBody\r\n", P)
    assert source.subject == "Hi"
    assert source.body == "Body\n"
