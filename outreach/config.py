"""One settings object, built from the environment at each entrypoint and passed down.

Nothing else in the project reads the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from outreach.errors import ConfigError

DEV_SECRET = "dev-insecure-secret-change-me"  # noqa: S105 - only used when OUTREACH_ENV=development
ENVIRONMENTS = ("development", "production")


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default="sqlite:///outreach.sqlite", repr=False)
    broker_url: str | None = field(default=None, repr=False)
    smtp_url: str | None = field(default=None, repr=False)
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = field(default=DEV_SECRET, repr=False)
    from_address: str = "Press Office <press@example.org>"
    imap_url: str | None = field(default=None, repr=False)
    env: str = "development"
    org_name: str = "Example Human Rights Foundation"
    postal_address: str = "1 Example Street, 1000 Example City"
    mailbox: str | None = None
    dashboard_password: str | None = field(default=None, repr=False)
    dev_override_recipient: str | None = None
    dkim_selector: str | None = None
    dkim_domain: str | None = None
    dkim_key_file: str | None = None
    smtp_ca_file: str | None = None  # CA bundle to verify the SMTP server (default: system's)
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def sender_email(self) -> str:
        return parseaddr(self.from_address)[1]

    @property
    def sender_domain(self) -> str:
        return self.sender_email.rpartition("@")[2]

    @property
    def mailbox_address(self) -> str:
        """The inbound mailbox that replies, bounces and mailto-unsubscribes reach."""
        return self.mailbox or self.sender_email

    @property
    def is_production(self) -> bool:
        return self.env == "production"


_VARS = {
    "OUTREACH_DATABASE_URL": "database_url",
    "OUTREACH_BROKER_URL": "broker_url",
    "OUTREACH_SMTP_URL": "smtp_url",
    "OUTREACH_BASE_URL": "base_url",
    "OUTREACH_SECRET_KEY": "secret_key",
    "OUTREACH_FROM": "from_address",
    "OUTREACH_IMAP_URL": "imap_url",
    "OUTREACH_ENV": "env",
    "OUTREACH_ORG_NAME": "org_name",
    "OUTREACH_POSTAL_ADDRESS": "postal_address",
    "OUTREACH_MAILBOX": "mailbox",
    "OUTREACH_DASHBOARD_PASSWORD": "dashboard_password",
    "OUTREACH_DEV_OVERRIDE_RECIPIENT": "dev_override_recipient",
    "OUTREACH_DKIM_SELECTOR": "dkim_selector",
    "OUTREACH_DKIM_DOMAIN": "dkim_domain",
    "OUTREACH_DKIM_KEY_FILE": "dkim_key_file",
    "OUTREACH_SMTP_CA_FILE": "smtp_ca_file",
}


def load_settings(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Build and validate settings from `environ` (default: os.environ plus an optional .env)."""
    if environ is None:
        environ = _environ_with_dotenv(dotenv or Path(".env"))
    values: dict[str, object] = {
        attr: environ[var].strip() for var, attr in _VARS.items() if environ.get(var, "").strip()
    }
    extra = {
        k: v.strip() for k, v in environ.items()
        if k.startswith("OUTREACH_") and k not in _VARS and v.strip()
    }
    settings = Settings(**values, extra=extra)  # type: ignore[arg-type]
    validate(settings, explicit_secret="secret_key" in values)
    return settings


def _environ_with_dotenv(path: Path) -> Mapping[str, str]:
    merged = dict(os.environ)
    if path.is_file():
        from dotenv import dotenv_values

        for key, value in dotenv_values(path).items():
            if value is not None:
                merged.setdefault(key, value)
    return merged


def validate(s: Settings, explicit_secret: bool = True) -> None:
    if s.env not in ENVIRONMENTS:
        raise ConfigError(f"OUTREACH_ENV: {s.env!r} is not one of {', '.join(ENVIRONMENTS)}")
    if s.is_production and (not explicit_secret or s.secret_key == DEV_SECRET):
        raise ConfigError("OUTREACH_SECRET_KEY: required when OUTREACH_ENV=production")
    if s.is_production and len(s.secret_key) < 16:
        raise ConfigError("OUTREACH_SECRET_KEY: use at least 16 characters")
    _check_url("OUTREACH_DATABASE_URL", s.database_url, ("sqlite", "postgresql", "postgres"))
    _check_url("OUTREACH_BROKER_URL", s.broker_url, ("redis", "rediss", "memory", "sentinel"))
    _check_url("OUTREACH_SMTP_URL", s.smtp_url, ("smtp", "smtps", "smtp+starttls"))
    if s.smtp_url:
        from outreach.mta.url import parse_smtp_url

        parse_smtp_url(s.smtp_url)
    if s.extra.get("OUTREACH_RATE_LIMIT"):  # e.g. "10/s;gmail.com=2/s;*=5/s"
        from outreach.sending.ratelimit_config import parse_rate_limits

        parse_rate_limits(s.extra["OUTREACH_RATE_LIMIT"])
    _check_url("OUTREACH_IMAP_URL", s.imap_url, ("imap", "imaps", "imap+starttls"))
    _check_url("OUTREACH_BASE_URL", s.base_url, ("http", "https"))
    if s.is_production and not s.base_url.startswith("https://"):
        raise ConfigError("OUTREACH_BASE_URL: must be an https:// URL when OUTREACH_ENV=production")
    _check_address("OUTREACH_FROM", s.from_address)
    if s.mailbox:
        _check_address("OUTREACH_MAILBOX", s.mailbox)
    if s.dkim_key_file and not (s.dkim_selector and s.dkim_domain):
        raise ConfigError("OUTREACH_DKIM_KEY_FILE: also set OUTREACH_DKIM_SELECTOR and _DOMAIN")
    for var, value in (("OUTREACH_DKIM_SELECTOR", s.dkim_selector),
                       ("OUTREACH_DKIM_DOMAIN", s.dkim_domain)):
        if value and not re.fullmatch(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*", value):
            raise ConfigError(f"{var}: {value!r} is not a DNS name (it goes into a header)")


def _check_url(var: str, value: str | None, schemes: tuple[str, ...]) -> None:
    if value is None:
        return
    try:  # a bad port or bracket would otherwise raise deep inside a driver, as a traceback
        parts = urlsplit(value)
        parts.port  # noqa: B018 - parsed for its ValueError only
    except ValueError as exc:
        raise ConfigError(f"{var}: {value.split('@')[-1]!r}: {exc}") from None
    scheme = parts.scheme.split("+psycopg")[0].split("+pysqlite")[0]
    if scheme not in schemes:
        raise ConfigError(f"{var}: {value.split('@')[-1]!r} must start with one of "
                          + ", ".join(f"{x}://" for x in schemes))
    if scheme == "sqlite" and parts.netloc:
        raise ConfigError(f"{var}: {value.split('@')[-1]!r}: use sqlite:///relative/path.sqlite or "
                          "sqlite:////absolute/path.sqlite (three or four slashes)")


def _check_address(var: str, value: str) -> None:
    if any(c in value for c in "\r\n"):
        raise ConfigError(f"{var}: must not contain line breaks")
    _, addr = parseaddr(value)
    if "@" not in addr or addr.startswith("@") or addr.endswith("@"):
        raise ConfigError(f"{var}: {value!r} is not an email address like 'Name <x@example.org>'")
