"""Optional DKIM signing (dkimpy), on when OUTREACH_DKIM_KEY_FILE/_SELECTOR/_DOMAIN are set.

relaxed/relaxed canonicalisation, so that relays re-folding headers or trailing whitespace do
not break the signature. The key file is read once per process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import dkim

from outreach.config import Settings
from outreach.errors import ConfigError

SIGNED_HEADERS = (b"from", b"to", b"subject", b"date", b"message-id", b"reply-to",
                  b"list-unsubscribe", b"list-unsubscribe-post", b"list-id", b"in-reply-to",
                  b"references", b"mime-version", b"content-type")


@lru_cache(maxsize=4)
def _key(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"OUTREACH_DKIM_KEY_FILE: cannot read {path}: {exc.strerror}") from None


def sign_message(data: bytes, settings: Settings) -> bytes:
    """`data` with a DKIM-Signature header prepended, or unchanged when DKIM is not set up."""
    if not (settings.dkim_key_file and settings.dkim_selector and settings.dkim_domain):
        return data
    signature = dkim.sign(data, settings.dkim_selector.encode("ascii"),
                          settings.dkim_domain.encode("ascii"), _key(settings.dkim_key_file),
                          canonicalize=(b"relaxed", b"relaxed"),
                          include_headers=list(SIGNED_HEADERS), linesep=b"\r\n")
    return signature + data
