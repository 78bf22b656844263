"""Display names as RFC 5322 phrases that parse back to exactly one name and one address.

A contact's name is data from a spreadsheet: it may hold commas, `<>`, `@`, quotes, text that
looks like an encoded-word (`=?utf-8?q?...?=`), any script and any length. The `email`
package's own folder is not safe for such names: a long name containing `=?` or specials is
folded into a header that parses as several addresses (one of them the attacker's) or drops the
real recipient. So every display name goes through `phrase_tokens`, which never relies on the
folder:

* ASCII atoms (letters, digits, `!#$%&'*+-/=?^_{|}~` and backtick) stay as they are;
* any other all-ASCII name becomes ONE quoted-string, `\\` and `"` escaped;
* a short non-ASCII name becomes one encoded-word (Q or B, whichever is shorter);
* otherwise each maximal run of words that are not plain atoms becomes one chain of base64
  encoded-words written back to back (no space between them, so no parser inserts or drops
  one); runs are separated from atoms by a single space, which every parser keeps.

Spaces between tokens are the only places a header is folded, and folding there is exactly
undone by unfolding. `display_text` bounds a name (DISPLAY_MAX characters, DISPLAY_MAX_BYTES
octets) so that the longest chain or quoted-string still fits one 998-octet line.
"""

from __future__ import annotations

import binascii
import re
from email.charset import Charset
from functools import lru_cache

DISPLAY_MAX = 200  # characters of a display name: plenty for a person ...
DISPLAY_MAX_BYTES = 480  # ... and its UTF-8 octets: the longest chain fits one line
_ATOM_WORDS_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+( [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_ATOM_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
_CHUNK = 42  # octets per encoded-word: 56 base64 characters, 68 with the wrapper (<= 75)
_UTF8 = Charset("utf-8")  # header_encode: the shorter of Q and B
_SPACE_LIKE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")  # Cc Zl Zp Cs


@lru_cache(maxsize=4096)
def display_text(value: str | None) -> str:
    """One line of text for a display name: control characters (C0, C1, line and paragraph
    separators) and runs of whitespace become one space, cut to DISPLAY_MAX characters and
    DISPLAY_MAX_BYTES octets of UTF-8."""
    if not value:
        return ""
    text = " ".join(_SPACE_LIKE.sub(" ", value).split())[:DISPLAY_MAX]
    if len(text.encode("utf-8")) > DISPLAY_MAX_BYTES:
        text = text.encode("utf-8")[:DISPLAY_MAX_BYTES].decode("utf-8", "ignore")
    return text.rstrip()


@lru_cache(maxsize=4096)
def phrase_tokens(display: str) -> tuple[str, ...]:
    """The phrase for `display` (already `display_text`) as tokens to join with single spaces
    or folds; () for an empty name."""
    if not display:
        return ()
    if display.isascii() and "=?" not in display:
        if _ATOM_WORDS_RE.fullmatch(display):
            return tuple(display.split(" "))
        return ('"' + display.replace("\\", "\\\\").replace('"', '\\"') + '"',)
    word = _UTF8.header_encode(display)  # short names: one word, as the `email` package writes
    if len(word) <= 75:
        return (word,)
    tokens: list[str] = []
    run: list[str] = []
    for word in display.split(" "):
        if _ATOM_RE.fullmatch(word) and "=?" not in word:
            if run:
                tokens.append(encoded_chain(" ".join(run)))
                run = []
            tokens.append(word)
        else:
            run.append(word)
    if run:
        tokens.append(encoded_chain(" ".join(run)))
    return tuple(tokens)


def encoded_chain(text: str) -> str:
    """`text` as base64 encoded-words of at most 75 characters, cut on character boundaries
    and written without whitespace between them (so the decoded text is exactly `text`)."""
    data = text.encode("utf-8")
    words, start = [], 0
    while start < len(data):
        end = min(start + _CHUNK, len(data))
        while end < len(data) and 0x80 <= data[end] < 0xC0:  # inside a UTF-8 sequence
            end -= 1
        words.append("=?utf-8?b?"
                     + binascii.b2a_base64(data[start:end], newline=False).decode("ascii") + "?=")
        start = end
    return "".join(words)
