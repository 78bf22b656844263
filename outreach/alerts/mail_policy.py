"""The email policy MIME is built with: `email.policy.SMTP`, made faster and with a
List-Unsubscribe header mail clients can read. The composer uses it once per variant for the
message skeleton and for the rare header values its fast encoders leave to the `email` package
(`outreach.alerts.mime_template`); `mime_reference` builds whole messages with it.

The standard library parses and folds every header on every message, and its header registry
builds a new class per header; most headers of a blast (From, Subject, List-Id, the parts'
Content-Type ...) are the same on every message, so parsed headers and folded lines are
memoised by their exact value. Behaviour is unchanged: the cache only skips repeated work
(including the stdlib's own refusal of CR/LF in header values, done on first sight).
"""

from __future__ import annotations

from email import policy
from email.headerregistry import HeaderRegistry
from typing import Any

_LIMIT = 4096  # entries; cleared when full (per-recipient headers never repeat)
_parsed: dict[tuple[str, str], tuple[str, Any]] = {}
_folded: dict[tuple[str, str, str, bool], bytes] = {}


class _HeaderRegistry(HeaderRegistry):
    """The stock registry builds a new header class with type() for every header it parses."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


class FastSmtpPolicy(policy.EmailPolicy):
    """policy.SMTP with memoised headers, and List-Unsubscribe written as built.

    The stock folder turns a URL longer than 78 columns into RFC 2047 encoded-words, which no
    mail client would read as a URL; that header is ASCII and far below the 998-octet limit,
    so it is folded after its comma only.
    """

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if type(value) is not str:
            return super().header_store_parse(name, value)
        key = (name, value)
        hit = _parsed.get(key)
        if hit is None:
            hit = super().header_store_parse(name, value)
            _remember(_parsed, key, hit)
        return hit

    def fold_binary(self, name: str, value: Any) -> bytes:
        text = str(value)
        key = (name, text, self.linesep, self.utf8)
        hit = _folded.get(key)
        if hit is None:
            hit = self._fold_binary(name, value, text)
            _remember(_folded, key, hit)
        return hit

    def _fold_binary(self, name: str, value: Any, text: str) -> bytes:
        if name.lower() == "list-unsubscribe" and text.isascii() and len(text) < 900 \
                and "\r" not in text and "\n" not in text:
            return f"{name}: {text.replace(', <', f',{self.linesep} <')}{self.linesep}".encode()
        return super().fold_binary(name, value)


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _LIMIT:
        cache.clear()
    cache[key] = value


SMTP = FastSmtpPolicy(linesep="\r\n", header_factory=_HeaderRegistry())
SMTPUTF8 = SMTP.clone(utf8=True)
