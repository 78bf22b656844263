import pytest

from outreach.errors import ConfigError
from outreach.settings import DEV_SECRET, load_settings


def test_defaults_are_embedded_sqlite_without_broker():
    s = load_settings({})
    assert s.database_url.startswith("sqlite:///")
    assert s.broker_url is None
    assert s.secret_key == DEV_SECRET


def test_production_requires_a_secret():
    with pytest.raises(ConfigError, match="OUTREACH_SECRET_KEY"):
        load_settings({"OUTREACH_ENV": "production", "OUTREACH_BASE_URL": "https://x.example.org"})


def test_production_accepts_an_explicit_secret():
    s = load_settings({"OUTREACH_ENV": "production", "OUTREACH_SECRET_KEY": "x" * 32,
                       "OUTREACH_BASE_URL": "https://x.example.org"})
    assert s.is_production


@pytest.mark.parametrize(("var", "value"), [
    ("OUTREACH_DATABASE_URL", "mysql://x"),
    ("OUTREACH_SMTP_URL", "http://mail.example.org"),
    ("OUTREACH_BROKER_URL", "amqp://guest@localhost"),
    ("OUTREACH_FROM", "not an address"),
    ("OUTREACH_FROM", "A <a@example.org>\r\nBcc: x@example.org"),
    ("OUTREACH_ENV", "staging"),
])
def test_bad_values_name_the_variable(var, value):
    with pytest.raises(ConfigError, match=var):
        load_settings({var: value})


def test_url_errors_do_not_echo_passwords():
    with pytest.raises(ConfigError) as info:
        load_settings({"OUTREACH_SMTP_URL": "http://user:hunter2@mail.example.org"})
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(("var", "value"), [
    ("OUTREACH_DATABASE_URL", "postgresql://u:hunter2@[::1/db"),
    ("OUTREACH_DATABASE_URL", "postgresql://u:hunter2@db.example.org:notaport/db"),
    ("OUTREACH_DATABASE_URL", "sqlite://relative.sqlite"),
    ("OUTREACH_BROKER_URL", "redis://u:hunter2@127.0.0.1:x/1"),
    ("OUTREACH_IMAP_URL", "imaps://u:hunter2@127.0.0.1:x/INBOX"),
    ("OUTREACH_BASE_URL", "http://[::1"),
])
def test_malformed_urls_are_config_errors_without_password(var, value):
    """Before: a ValueError / sqlalchemy ArgumentError traceback from deep inside a driver."""
    with pytest.raises(ConfigError, match=var) as info:
        load_settings({var: value})
    assert "hunter2" not in str(info.value)
