"""Per-message tokens: how every bounce, reply, unsubscribe and click finds its message row.

A message token is `<id>-<mac>`: the message id plus a short HMAC of it under the secret key,
so it needs no stored column, cannot be guessed, and survives mail systems that lower-case
local parts (digits, lower-case base32 and '-'). It rides in the Reply-To, return-path and
mailto: unsubscribe local parts (`box+r-TOKEN@`, `box+b-TOKEN@`, `box+u-TOKEN@`) and in the
Message-ID. Web links carry an itsdangerous signature over the token instead.
"""

from __future__ import annotations

import base64
import hmac
import re
from functools import lru_cache

from itsdangerous import BadSignature, URLSafeSerializer

ROLES = {"r": "reply", "b": "bounce", "u": "unsubscribe"}
_TOKEN_RE = re.compile(r"^(\d+)-([a-z2-7]{12})$")
_LOCAL_RE = re.compile(r"\+([rbu])-(\d+-[a-z2-7]{12})@", re.IGNORECASE)


def _mac(secret: str, message_id: int) -> str:
    """The first 12 base32 characters of HMAC-SHA256("message:<id>").

    Per message, twice: one-shot `hmac.digest` (OpenSSL) rather than an HMAC object, and only
    the first 10 bytes are base32-encoded (base32 maps each 5 bytes to 8 characters on its
    own, so the first 12 characters are the same as of the whole digest's encoding)."""
    digest = hmac.digest(secret.encode(), f"message:{message_id}".encode(), "sha256")
    return base64.b32encode(digest[:10]).decode("ascii").lower()[:12]


def message_token(secret: str, message_id: int) -> str:
    return f"{message_id}-{_mac(secret, message_id)}"


def parse_message_token(secret: str, token: str) -> int | None:
    """The message id a token names, or None if it was altered or made with another key."""
    match = _TOKEN_RE.match(token.strip().lower())
    if not match:
        return None
    message_id = int(match.group(1))
    return message_id if hmac.compare_digest(match.group(2), _mac(secret, message_id)) else None


def tagged_address(mailbox: str, role: str, token: str) -> str:
    """`press@org` + role 'r' -> `press+r-TOKEN@org` (plus-addressing on the inbound mailbox)."""
    if role not in ROLES:
        raise ValueError(f"unknown address role {role!r}")
    local, _, domain = mailbox.rpartition("@")
    return f"{local}+{role}-{token}@{domain}"


def find_tagged(secret: str, addresses: str) -> tuple[str, int] | None:
    """The first valid (role, message id) tagged in a string of addresses, e.g. To/Delivered-To."""
    for role, token in _LOCAL_RE.findall(addresses):
        message_id = parse_message_token(secret, token)
        if message_id is not None:
            return ROLES[role.lower()], message_id
    return None


@lru_cache(maxsize=32)
def _serializer(secret: str, purpose: str) -> URLSafeSerializer:
    """Cached: building a serializer derives its key, a cost not worth paying per message."""
    return URLSafeSerializer(secret, salt=f"outreach.{purpose}")


def sign_link(secret: str, purpose: str, payload: object) -> str:
    """A never-expiring signed token for a web link (purpose: 'unsubscribe', 'open', 'click')."""
    return _serializer(secret, purpose).dumps(payload)


def read_link(secret: str, purpose: str, signed: str) -> object | None:
    """The payload of a signed link token, or None if it was forged, altered or truncated."""
    try:
        return _serializer(secret, purpose).loads(signed)
    except BadSignature:
        return None
