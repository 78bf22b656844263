"""Every OUTREACH_* variable, typed in one place, read once at each entrypoint and passed down.

`load_settings()` is the only code in the project that reads the environment (plus an optional
`.env` file in the working directory; a real variable wins over the file). It refuses, on one
line naming the variable:
- a value of the wrong type or out of range (`OUTREACH_SEND_BATCH_SIZE=lots`), instead of a
  traceback deep in a worker or a silent fall-back to the default;
- an OUTREACH_* name it does not know, with the nearest known name (`OUTREACH_SMTP_UR: unknown
  setting; did you mean OUTREACH_SMTP_URL?`): a misspelled variable is otherwise silently
  ignored, and the one a typo hides is often the one that keeps mail from real people.

`Settings(**fields)` takes keyword values only and never looks at the environment, so that tests
and the demo get exactly what they ask for whatever the shell around them exports. The field
`name` is set by `OUTREACH_NAME` (upper case), except `from_address`, set by `OUTREACH_FROM`.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict

from outreach.config.rate_limits import parse_rate_limits
from outreach.config.urls import parse_smtp_url
from outreach.errors import ConfigError

DEV_SECRET = "dev-insecure-secret-change-me"  # noqa: S105 - only used when OUTREACH_ENV=development
ENVIRONMENTS = ("development", "production")
PREFIX = "OUTREACH_"
# OUTREACH_* names that are not settings of the product: the test suite's own switches and
# docker-compose's published port (read by compose from the same .env file).
NOT_SETTINGS = frozenset({"OUTREACH_REQUIRE_SERVICES", "OUTREACH_WEB_PUBLISH"})

DEFAULT_KEYWORD = "$OutreachDone"  # marks processed inbound mail (OUTREACH_IMAP_PROCESSED=flag)

Positive = Annotated[int, Field(ge=1)]
Seconds = Annotated[float, Field(ge=0)]
Percent = Annotated[float, Field(ge=0, le=100)]


def _secret(default: Any = None) -> Any:
    """A value that may carry a password: kept out of repr() (log lines, tracebacks)."""
    return Field(default=default, repr=False)


API_RATE_LIMIT = "600/minute"  # the default of OUTREACH_API_RATE_LIMIT


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, extra="forbid",
                                      populate_by_name=True, env_ignore_empty=True)

    # where things are
    database_url: str = _secret("sqlite:///outreach.sqlite")
    broker_url: str | None = _secret()
    broker_prefix: str = ""  # Redis key prefix (broker and limiter)
    base_url: str = "http://127.0.0.1:8000"
    env: Literal["development", "production"] = "development"
    secret_key: str = _secret(DEV_SECRET)
    # who sends
    from_address: str = Field("Press Office <press@example.org>",
                              validation_alias=AliasChoices("from_address", "OUTREACH_FROM"))
    mailbox: str | None = None
    org_name: str = "Example Human Rights Foundation"
    postal_address: str = "1 Example Street, 1000 Example City"
    # SMTP and sending (see outreach/sending/config.py for what each knob does)
    smtp_url: str | None = _secret()
    smtp_ca_file: str | None = None  # CA bundle to verify the SMTP server (default: system's)
    smtp_connections: Positive | None = None  # default: see outreach/sending/config.py
    dev_override_recipient: str | None = None
    dkim_selector: str | None = None
    dkim_domain: str | None = None
    dkim_key_file: str | None = None
    dkim_ed25519_key_file: str | None = None  # optional second signature (RFC 8463)
    dkim_ed25519_selector: str | None = None
    send_batch_size: Positive = 200
    worker_concurrency: Positive | None = None  # default: one process per core
    send_lease_seconds: Seconds = 120.0
    retry_schedule: Annotated[tuple[Seconds, ...], NoDecode] = (60.0, 300.0, 900.0, 3600.0)
    retry_jitter: Seconds = 0.2
    retry_give_up_seconds: Seconds = 172800.0
    sweep_seconds: Seconds = 2.0
    requeue_after_seconds: Seconds = 300.0
    slow_down_seconds: Seconds = 5.0
    rate_limit: str = ""  # e.g. "20/s;gmail.com=5/s;*=10/s" (outreach/config/rate_limits)
    # sending liveness and back-pressure (issue 10: outreach/sending/liveness.py, pressure.py)
    heartbeat_seconds: Annotated[float, Field(gt=0)] = 2.0  # each worker says it is alive
    worker_dead_after_seconds: Annotated[float, Field(gt=0)] = 15.0  # then its claims go back
    requeue_idle_seconds: Annotated[float, Field(gt=0)] = 5.0  # broker queues empty: republish
    sweep_stale_seconds: Annotated[float, Field(gt=0)] = 60.0  # `alert status` warns after it
    breaker_max_seconds: Annotated[float, Field(gt=0)] = 5.0  # longest SMTP probe interval
    db_retry_seconds: Annotated[float, Field(gt=0)] = 600.0  # claims and records wait this long
    # PostgreSQL: commit outcomes asynchronously, made safe through a *database* crash by the
    # record journal (outreach/sending/journal.py); off by default because a crash of the
    # whole host loses the journal with the commits (see deploy/README.md)
    async_records: bool = False
    # inbound mailbox
    imap_url: str | None = _secret()
    imap_ca_file: str | None = None
    imap_processed: str = "flag"  # flag | flag:$Keyword | move:Folder
    imap_chunk: Positive = 25
    soft_bounce_limit: Positive = 3
    inbound_poll_seconds: Annotated[float, Field(ge=1)] = 60.0
    # web
    dashboard_password: str | None = _secret()
    dashboard_login_limit: Positive = 5  # attempts per minute, per client and per account
    dashboard_limit_prefix: str = "outreach:login"
    trusted_proxies: Annotated[int, Field(ge=0)] = 0
    # deliverability guard (README "Protecting your domain"); `alert guard` overrides per alert
    guard_hard_bounce_percent: Percent = 5.0  # pause above this share of hard bounces ...
    guard_min_attempts: Positive = 200  # ... once the alert made at least this many attempts
    guard_complaint_percent: Percent = 0.3  # pause above this share of delivered complaining
    guard_policy_rejections: Positive = 3  # policy rejections that pause a recipient domain
    guard_policy_domains: Positive = 3  # paused domains that pause the whole alert
    guard_nameserver: str | None = None  # DNS server for `outreach doctor`, HOST[:PORT]
    guard_spf_sender: str | None = None  # relay SPF must allow: IP, host or include: domain
    require_2fa: bool = False  # admins and senders must set up TOTP (console accounts)
    api_rate_limit: str = API_RATE_LIMIT  # per API token, a `limits` expression
    # outgoing webhooks (outreach/webhooks/config.py)
    webhook_allow_private: bool = False  # private, loopback, link-local targets (tests, labs)
    webhook_retry_base: Annotated[float, Field(gt=0)] = 5.0
    webhook_retry_max: Annotated[float, Field(gt=0)] = 3600.0
    webhook_give_up: Annotated[float, Field(gt=0)] = 86400.0
    webhook_timeout: Annotated[float, Field(gt=0)] = 10.0
    webhook_dispatch_seconds: Annotated[float, Field(ge=1)] = 30.0

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(_one_line(exc)) from None

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: Any,
                                   *_: Any, **__: Any) -> tuple[Any, ...]:
        """Keyword values only: `load_settings` is the one reader of the environment."""
        return (init_settings,)

    @field_validator("retry_schedule", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            values = tuple(x.strip() for x in value.split(",") if x.strip())
            if not values:
                raise ValueError("give at least one delay in seconds, like 60,300")
            return values
        return value

    @field_validator("api_rate_limit")
    @classmethod
    def _rate_limit_expression(cls, value: str) -> str:
        if value == API_RATE_LIMIT:  # the default (a test parses it): every command starts
            return value             # without importing `limits` (10-25 ms) just to check it
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError(f"{value!r} is not like 600/minute") from None
        return value

    @field_validator("imap_processed")
    @classmethod
    def _processed_mode(cls, value: str) -> str:
        processed_mode(value)
        return value.strip() or "flag"

    @model_validator(mode="after")
    def _checked(self) -> Settings:
        validate(self)
        return self

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed, validated again (tests switch SMTP sinks, brokers)."""
        return type(self)(**{**self.model_dump(), **changes})

    def require_smtp_url(self, why: str = "say which SMTP server sends the mail") -> str:
        """OUTREACH_SMTP_URL, or the one-line error every command and worker gives without it."""
        if not self.smtp_url:
            raise ConfigError(f"OUTREACH_SMTP_URL: not set; {why}")
        return self.smtp_url

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


def variable(field: str) -> str:
    """The environment variable that sets `field`."""
    return "OUTREACH_FROM" if field == "from_address" else PREFIX + field.upper()


VARIABLES = {variable(name): name for name in Settings.model_fields}


def load_settings(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Build and validate settings from `environ` (default: os.environ plus an optional .env)."""
    if environ is None:
        environ = _environ_with_dotenv(dotenv or Path(".env"))
    named = {k: v for k, v in environ.items() if k.startswith(PREFIX) and not _not_a_setting(k)}
    for name in sorted(named):
        if name not in VARIABLES:
            close = difflib.get_close_matches(name, VARIABLES, n=1, cutoff=0.75)
            hint = f"; did you mean {close[0]}?" if close else f"; see {__name__} for the list"
            raise ConfigError(f"{name}: unknown setting{hint}")
    return Settings(**_EnvironSource(named)())


def to_environ(settings: Settings) -> dict[str, str]:
    """The OUTREACH_* variables that rebuild `settings` in another process (tests' workers)."""
    env = {}
    for name, value in settings.model_dump(exclude_defaults=True).items():
        if value is not None:
            env[variable(name)] = (",".join(map(str, value)) if isinstance(value, tuple)
                                   else str(value))
    return env


class _EnvironSource(EnvSettingsSource):
    """pydantic-settings' own parsing of OUTREACH_* variables, over a given mapping (the
    environment, or a test's dict) instead of os.environ."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(Settings, case_sensitive=False)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {k.lower(): v for k, v in self._environ.items() if v.strip()}  # case-insensitive


def processed_mode(value: str) -> tuple[str | None, str | None]:
    """OUTREACH_IMAP_PROCESSED: '' / 'flag' / 'flag:$Kw' -> (keyword, None);
    'move:Folder' -> (None, Folder)."""
    value = value.strip()
    if value.startswith("move:") and value[5:].strip():
        return None, value[5:].strip()
    if value in ("", "flag"):
        return DEFAULT_KEYWORD, None
    if value.startswith("flag:") and value[5:].strip().lstrip("$").isalnum():
        return value[5:].strip(), None
    raise ValueError("use 'flag', 'flag:$Keyword' or 'move:Folder'")


def _not_a_setting(name: str) -> bool:
    return name in NOT_SETTINGS or name.startswith("OUTREACH_TEST_")


def _environ_with_dotenv(path: Path) -> Mapping[str, str]:
    merged = dict(os.environ)
    if path.is_file():
        from dotenv import dotenv_values

        for key, value in dotenv_values(path).items():
            if value is not None:
                merged.setdefault(key, value)
    return merged


def _one_line(exc: ValidationError) -> str:
    """The first problem as `OUTREACH_X: what is wrong`, never echoing a secret's value."""
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    field = VARIABLES.get(field.upper(), field)  # the alias OUTREACH_FROM -> from_address
    info = Settings.model_fields.get(field)
    name = variable(field) if info is not None else "settings"
    if error["type"] == "extra_forbidden":
        return f"{field}: not a setting (see {__name__})"
    message = str(error["msg"]).removeprefix("Value error, ")
    if info is not None and info.repr and isinstance(error.get("input"), str | int | float):
        message += f" (got {error['input']!r})"
    return f"{name}: {message}"


def validate(s: Settings) -> None:
    """Checks across fields and of URL shapes (each message names its variable)."""
    if s.is_production and s.secret_key == DEV_SECRET:
        raise ConfigError("OUTREACH_SECRET_KEY: required when OUTREACH_ENV=production")
    if s.is_production and len(s.secret_key) < 16:
        raise ConfigError("OUTREACH_SECRET_KEY: use at least 16 characters")
    _check_url("OUTREACH_DATABASE_URL", s.database_url, ("sqlite", "postgresql", "postgres"))
    _check_url("OUTREACH_BROKER_URL", s.broker_url, ("redis", "rediss", "memory", "sentinel"))
    _check_url("OUTREACH_SMTP_URL", s.smtp_url, ("smtp", "smtps", "smtp+starttls"))
    if s.smtp_url:
        parse_smtp_url(s.smtp_url)
    if s.rate_limit:
        parse_rate_limits(s.rate_limit)
    _check_url("OUTREACH_IMAP_URL", s.imap_url, ("imap", "imaps", "imap+starttls"))
    _check_url("OUTREACH_BASE_URL", s.base_url, ("http", "https"))
    if s.is_production and not s.base_url.startswith("https://"):
        raise ConfigError("OUTREACH_BASE_URL: must be an https:// URL when OUTREACH_ENV=production")
    _check_address("OUTREACH_FROM", s.from_address)
    if s.mailbox:
        _check_address("OUTREACH_MAILBOX", s.mailbox)
    if s.dkim_key_file and not (s.dkim_selector and s.dkim_domain):
        raise ConfigError("OUTREACH_DKIM_KEY_FILE: also set OUTREACH_DKIM_SELECTOR and _DOMAIN")
    if bool(s.dkim_ed25519_key_file) != bool(s.dkim_ed25519_selector):
        raise ConfigError("OUTREACH_DKIM_ED25519_KEY_FILE: set it and "
                          "OUTREACH_DKIM_ED25519_SELECTOR together")
    for var, value in (("OUTREACH_DKIM_SELECTOR", s.dkim_selector),
                       ("OUTREACH_DKIM_DOMAIN", s.dkim_domain),
                       ("OUTREACH_DKIM_ED25519_SELECTOR", s.dkim_ed25519_selector)):
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
