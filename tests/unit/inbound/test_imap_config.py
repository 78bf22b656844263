"""OUTREACH_IMAP_URL and the OUTREACH_IMAP_* knobs (pure)."""

from __future__ import annotations

import pytest

from outreach.config import load_settings
from outreach.errors import ConfigError
from outreach.inbound.imap import DEFAULT_KEYWORD, imap_config, parse_imap_url


def test_imaps_url_with_defaults() -> None:
    cfg = parse_imap_url("imaps://press%40example.org:p%3Ass@mail.example.org/Press%20Box")
    assert (cfg.scheme, cfg.host, cfg.port) == ("imaps", "mail.example.org", 993)
    assert (cfg.username, cfg.password, cfg.folder) == ("press@example.org", "p:ss", "Press Box")
    assert (cfg.keyword, cfg.move_to, cfg.ca_file) == (DEFAULT_KEYWORD, None, None)


def test_starttls_and_knobs() -> None:
    cfg = imap_config(load_settings({
        "OUTREACH_IMAP_URL": "imap+starttls://u:p@mail.example.org",
        "OUTREACH_IMAP_PROCESSED": "move:Done", "OUTREACH_IMAP_CA_FILE": "/tmp/ca.pem",
        "OUTREACH_IMAP_CHUNK": "5"}))
    assert (cfg.port, cfg.folder, cfg.keyword, cfg.move_to) == (143, "INBOX", None, "Done")
    assert (cfg.ca_file, cfg.chunk) == ("/tmp/ca.pem", 5)
    assert parse_imap_url("imaps://u:p@h.example.org", processed="flag:$Seen2").keyword == "$Seen2"


@pytest.mark.parametrize("url, extra, message", [
    ("imap://u:p@mail.example.org/INBOX", {}, "loopback"),
    ("pop3://u:p@mail.example.org", {}, "imaps://"),
    ("imaps://mail.example.org", {}, "user:password"),
    ("imaps://u:p@h.example.org", {"OUTREACH_IMAP_PROCESSED": "delete"}, "move:Folder"),
    ("imaps://u:p@h.example.org", {"OUTREACH_IMAP_CHUNK": "0"}, "OUTREACH_IMAP_CHUNK"),
])
def test_mistakes_are_one_line_config_errors(url: str, extra: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        imap_config(load_settings({"OUTREACH_IMAP_URL": url, **extra}))


def test_plain_imap_is_fine_on_loopback() -> None:
    assert parse_imap_url("imap://u:p@127.0.0.1:1143/INBOX").port == 1143
    assert parse_imap_url("imap://u:p@localhost/INBOX").host == "localhost"


def test_config_repr_hides_the_password():
    config = parse_imap_url("imaps://press:hunter2@mail.example.org/INBOX")
    assert config.password == "hunter2" and "hunter2" not in repr(config)
