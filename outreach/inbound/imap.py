"""The IMAP adapter: the only module that talks to the inbound mailbox (via imapclient).

`OUTREACH_IMAP_URL`: `imaps://user:pass@host:993/INBOX` (implicit TLS), `imap+starttls://...`
(STARTTLS, port 143) or `imap://...` (no TLS: refused unless the host is loopback, for tests).
Certificates are always verified; `OUTREACH_IMAP_CA_FILE` adds a private CA (tests).

Processed messages are marked with a keyword (default `$OutreachDone`, so a human reading the box
still sees replies as unread) or, with `OUTREACH_IMAP_PROCESSED=move:Folder`, moved to a folder.
Polling needs no IDLE: each poll searches for unmarked messages and fetches them in chunks.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import unquote, urlsplit

from imapclient import IMAPClient

from outreach.config import DEFAULT_KEYWORD, Settings, processed_mode
from outreach.config.urls import is_loopback_host
from outreach.errors import ConfigError, UserError

DEFAULT_CHUNK = 25
MAX_MESSAGE_BYTES = 10_000_000  # a larger message is read truncated (and reported unparseable)
_DEFAULT_PORTS = {"imaps": 993, "imap+starttls": 143, "imap": 143}


@dataclass(frozen=True)
class ImapConfig:
    scheme: str
    host: str
    port: int
    username: str
    password: str = field(repr=False)  # never in a log line or traceback
    folder: str = "INBOX"
    ca_file: str | None = None
    keyword: str | None = DEFAULT_KEYWORD
    move_to: str | None = None
    chunk: int = DEFAULT_CHUNK
    timeout: float = 60.0


def imap_config(settings: Settings) -> ImapConfig:
    """The mailbox of OUTREACH_IMAP_URL with the OUTREACH_IMAP_* knobs (checked by Settings)."""
    if not settings.imap_url:
        raise ConfigError("OUTREACH_IMAP_URL: not set (e.g. imaps://user:pass@mail.example.org/INBOX)")
    return parse_imap_url(settings.imap_url, processed=settings.imap_processed,
                          ca_file=settings.imap_ca_file, chunk=settings.imap_chunk)


def parse_imap_url(url: str, *, processed: str = "flag", ca_file: str | None = None,
                   chunk: int = DEFAULT_CHUNK) -> ImapConfig:
    """An ImapConfig from an IMAP URL, how to mark processed mail, and the fetch chunk size."""
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS:
        raise ConfigError("OUTREACH_IMAP_URL: must start with imaps://, imap+starttls:// or imap://")
    if not parts.hostname or not parts.username:
        raise ConfigError("OUTREACH_IMAP_URL: needs user:password@host, e.g. "
                          "imaps://press:secret@mail.example.org/INBOX")
    if parts.scheme == "imap" and not is_loopback_host(parts.hostname):
        raise ConfigError("OUTREACH_IMAP_URL: plain imap:// is only allowed to a loopback host; "
                          "use imaps:// or imap+starttls://")
    try:
        keyword, move_to = processed_mode(processed)
    except ValueError as exc:
        raise ConfigError(f"OUTREACH_IMAP_PROCESSED: {exc}") from None
    return ImapConfig(
        scheme=parts.scheme, host=parts.hostname, port=parts.port or _DEFAULT_PORTS[parts.scheme],
        username=unquote(parts.username), password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        ca_file=ca_file, keyword=keyword, move_to=move_to, chunk=chunk,
    )


class Mailbox:
    """One IMAP session on the configured folder: list unprocessed, fetch in chunks, mark done."""

    def __init__(self, config: ImapConfig) -> None:
        self.config = config
        self._client: IMAPClient | None = None

    def __enter__(self) -> Mailbox:
        self._client = self._connect()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):  # the session is over either way
                client.logout()

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise RuntimeError("Mailbox used outside its `with` block")
        return self._client

    def _connect(self) -> IMAPClient:
        cfg = self.config
        context = ssl.create_default_context(cafile=cfg.ca_file)
        try:
            client = IMAPClient(cfg.host, cfg.port, ssl=cfg.scheme == "imaps",
                                ssl_context=context, timeout=cfg.timeout)
            if cfg.scheme == "imap+starttls":
                client.starttls(context)
            client.login(cfg.username, cfg.password)
            if cfg.move_to and not client.folder_exists(cfg.move_to):
                client.create_folder(cfg.move_to)
            selected = client.select_folder(cfg.folder)
        except IMAPClient.Error as exc:
            raise UserError(f"OUTREACH_IMAP_URL: {cfg.host}:{cfg.port}: {exc}") from None
        except (OSError, ssl.SSLError) as exc:
            raise UserError(
                f"OUTREACH_IMAP_URL: cannot reach {cfg.host}:{cfg.port}: {exc}") from None
        if cfg.keyword and not _keyword_allowed(selected, cfg.keyword):
            client.logout()
            raise UserError(f"OUTREACH_IMAP_URL: {cfg.host} cannot store the keyword "
                            f"{cfg.keyword} on {cfg.folder}: "
                            "set OUTREACH_IMAP_PROCESSED=move:Folder")
        return client

    def unprocessed(self) -> list[int]:
        """UIDs not yet marked processed, oldest first (only numbers: cheap for any box size)."""
        criteria = ["NOT", "KEYWORD", self.config.keyword] if self.config.keyword else ["ALL"]
        return sorted(self.client.search(criteria))

    def fetch(self, uids: Iterable[int]) -> Iterator[tuple[int, bytes]]:
        """(uid, raw bytes) for the UIDs, `chunk` at a time, without setting \\Seen."""
        uids = list(uids)
        item = f"BODY.PEEK[]<0.{MAX_MESSAGE_BYTES}>"
        for start in range(0, len(uids), self.config.chunk):
            chunk = uids[start:start + self.config.chunk]
            response = self.client.fetch(chunk, [item])
            for uid in chunk:
                data = response.get(uid)
                if data is None:  # expunged by someone else meanwhile
                    continue
                raw = next((v for k, v in data.items() if k.startswith(b"BODY[]")), None)
                yield uid, bytes(raw or b"")

    def mark_done(self, uids: list[int]) -> None:
        """Flag or move processed messages: called only after their records are committed."""
        if not uids:
            return
        if self.config.keyword:
            self.client.add_flags(uids, [self.config.keyword], silent=True)
        elif self.config.move_to:
            if self.client.has_capability("MOVE"):
                self.client.move(uids, self.config.move_to)
            else:  # RFC 4315 UIDPLUS: expunge only these UIDs
                self.client.copy(uids, self.config.move_to)
                self.client.delete_messages(uids)
                self.client.uid_expunge(uids)


def _keyword_allowed(selected: Mapping[bytes, object], keyword: str) -> bool:
    """PERMANENTFLAGS lists `\\*` (any new keyword) or the keyword itself."""
    flags = selected.get(b"PERMANENTFLAGS")
    if not flags:
        return True  # not announced: try, the server answers an error if it cannot
    names = {f.decode() if isinstance(f, bytes) else str(f) for f in flags}  # type: ignore[attr-defined]
    return "\\*" in names or keyword in names
