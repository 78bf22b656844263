import pytest

from outreach.config import DEV_SECRET, Settings, load_settings, to_environ
from outreach.errors import ConfigError


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


@pytest.mark.parametrize(("var", "value"), [
    ("OUTREACH_DKIM_SELECTOR", "s1\r\nBcc: x@example.org"),
    ("OUTREACH_DKIM_SELECTOR", "sél"),
    ("OUTREACH_DKIM_DOMAIN", "example.org; x=y"),
])
def test_dkim_names_must_be_dns_names(var, value):
    """They go into the DKIM-Signature header; before, a traceback at send time."""
    with pytest.raises(ConfigError, match=var):
        load_settings({var: value})


def test_dkim_names_accepted():
    s = load_settings({"OUTREACH_DKIM_SELECTOR": "s2026-11", "OUTREACH_DKIM_DOMAIN": "example.org"})
    assert (s.dkim_selector, s.dkim_domain) == ("s2026-11", "example.org")


def test_repr_hides_secrets_and_urls_with_passwords():
    s = load_settings({
        "OUTREACH_SECRET_KEY": "s3cret-s3cret-s3cret",
        "OUTREACH_SMTP_URL": "smtp://user:smtp-pw@127.0.0.1:2525",
        "OUTREACH_DATABASE_URL": "postgresql://app:db-pw@127.0.0.1/outreach",
        "OUTREACH_DASHBOARD_PASSWORD": "dash-pw",
    })
    text = repr(s)
    for secret in ("s3cret", "smtp-pw", "db-pw", "dash-pw"):
        assert secret not in text


def test_unknown_names_are_refused_with_the_nearest_known_one():
    with pytest.raises(ConfigError, match=r"^OUTREACH_SMTP_UR: unknown setting; "
                                          r"did you mean OUTREACH_SMTP_URL\?$"):
        load_settings({"OUTREACH_SMTP_UR": "smtp://127.0.0.1:25"})
    with pytest.raises(ConfigError, match=r"^OUTREACH_XYZZY: unknown setting"):
        load_settings({"OUTREACH_XYZZY": "1"})


def test_the_test_suites_own_switches_are_not_settings():
    load_settings({"OUTREACH_REQUIRE_SERVICES": "1", "OUTREACH_TEST_REDIS_URL": "redis://x"})


@pytest.mark.parametrize(("var", "value"), [
    ("OUTREACH_SEND_BATCH_SIZE", "lots"),
    ("OUTREACH_SEND_BATCH_SIZE", "0"),
    ("OUTREACH_RETRY_SCHEDULE", "soon"),
    ("OUTREACH_SOFT_BOUNCE_LIMIT", "-2"),
    ("OUTREACH_INBOUND_POLL_SECONDS", "0.1"),
    ("OUTREACH_TRUSTED_PROXIES", "yes"),
    ("OUTREACH_IMAP_PROCESSED", "delete"),
])
def test_typed_values_are_one_line_errors_naming_the_variable(var, value):
    """Before: some of these raised deep in a worker, others fell back silently to a default."""
    with pytest.raises(ConfigError, match=f"^{var}: ") as info:
        load_settings({var: value})
    assert "\n" not in str(info.value) and repr(value) in str(info.value)


def test_secret_values_are_not_echoed_in_type_errors():
    with pytest.raises(ConfigError, match="OUTREACH_DASHBOARD_PASSWORD") as info:
        Settings(dashboard_password=["hunter2"])
    assert "hunter2" not in str(info.value)


def test_typed_values_from_the_environment():
    s = load_settings({"OUTREACH_RETRY_SCHEDULE": "0.5, 1,2", "OUTREACH_SEND_BATCH_SIZE": "50",
                       "OUTREACH_FROM": "Desk <desk@example.org>", "OUTREACH_TRUSTED_PROXIES": "1"})
    assert (s.retry_schedule, s.send_batch_size, s.trusted_proxies) == ((0.5, 1.0, 2.0), 50, 1)
    assert s.sender_email == "desk@example.org"


def test_the_constructor_never_reads_the_environment(monkeypatch):
    monkeypatch.setenv("OUTREACH_SMTP_URL", "smtp://127.0.0.1:2525")
    monkeypatch.setenv("OUTREACH_SMTP_UR", "typo")
    assert Settings().smtp_url is None


def test_to_environ_round_trips():
    s = Settings(smtp_url="smtp://127.0.0.1:2525", retry_schedule=(0.2, 0.4), trusted_proxies=2,
                 from_address="Desk <desk@example.org>")
    assert load_settings(to_environ(s)) == s
    assert s.replace(trusted_proxies=0).trusted_proxies == 0


def test_a_dotenv_file_fills_in_and_the_environment_wins(tmp_path, monkeypatch):
    dotenv = tmp_path / ".env"
    dotenv.write_text("OUTREACH_ORG_NAME=From the file\nOUTREACH_SEND_BATCH_SIZE=7\n")
    monkeypatch.setenv("OUTREACH_SEND_BATCH_SIZE", "9")
    s = load_settings(dotenv=dotenv)
    assert (s.org_name, s.send_batch_size) == ("From the file", 9)
    dotenv.write_text("OUTREACH_ORG_NAEM=typo\n")
    with pytest.raises(ConfigError, match="did you mean OUTREACH_ORG_NAME"):
        load_settings(dotenv=dotenv)


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("0", False),
                                               ("off", False)])
def test_require_2fa_is_a_typed_flag(raw, expected):
    assert load_settings({"OUTREACH_REQUIRE_2FA": raw}).require_2fa is expected


def test_require_2fa_rejects_other_values():
    with pytest.raises(ConfigError, match=r"^OUTREACH_REQUIRE_2FA: .*'maybe'"):
        load_settings({"OUTREACH_REQUIRE_2FA": "maybe"})


def test_the_api_rate_limit_default_is_a_limits_expression_and_others_are_checked():
    from limits import parse

    from outreach.config import API_RATE_LIMIT

    assert str(parse(API_RATE_LIMIT)) == "600 per 1 minute"  # not checked at load: see there
    assert load_settings({"OUTREACH_API_RATE_LIMIT": "3/minute"}).api_rate_limit == "3/minute"
    with pytest.raises(ConfigError, match=r"^OUTREACH_API_RATE_LIMIT: .*'often' is not like"):
        load_settings({"OUTREACH_API_RATE_LIMIT": "often"})
