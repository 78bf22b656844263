"""Adversarial strings shared by the hostile-input tests: display-name and terminal attacks."""

from __future__ import annotations

import random
import string

ATTACKER = "attacker@evil.test"
RECIPIENT = "anna@example.org"

# Each was once a way to add or drop a recipient, or to break a parser.
ADVERSARIAL = [
    "Anna Kovacs =?, attacker@evil.test, " + "x" * 80,
    'Anna "=?utf-8?q?x?=" <attacker@evil.test>, ' + "y" * 80,
    "Ünï, attacker@evil.test, " + "z" * 80,
    "a" * 100 + " =?utf-8?q?a?= ,b@evil.test",
    "=?utf-8?q?attacker=40evil=2Etest?=",
    "=?utf-8?b?YXR0YWNrZXJAZXZpbC50ZXN0?= <attacker@evil.test>",
    '"; attacker@evil.test; "',
    "<attacker@evil.test>",
    "Anna <anna@example.org>, Bob <" + ATTACKER + ">",
    "Anna\\\", attacker@evil.test, \\\"",
    "(comment, attacker@evil.test)",
    "Кириллица, attacker@evil.test " + "ж" * 70,
    "Ω" * 119 + ", attacker@evil.test",
    "🚨" * 130,
    "x" * 500,
    "a\r\nBcc: attacker@evil.test",
    "\x1b]0;owned\x07 \x1b[2J",
    "[/x] [link=https://evil.test]click[/link]",
    "",
    " ",
    "=?",
    "?=",
    "=??=",
    ":;<>@,.[]\\\"()",
    "\u2028\u2029\x85\x9b",
]

_ALPHABET = (string.printable + "=?\"\\<>@,;:()[]" + "éÖűжЯΩ中文🚨\u00a0\u200b\u3000\x9b\x85"
             + "\U0001f600")
_PIECES = ["=?", "?=", "=?utf-8?q?", "=?utf-8?b?", "?q?", "\"", "\\", ",", "<", ">", "@",
           "evil.test", " ", "  ", "\t", "\r\n", "(", ")", ":", ";"]


def random_names(count: int, seed: int = 14) -> list[str]:
    """`count` names: random characters and random joins of parser-significant pieces."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        size = rng.choice((1, 3, 8, 20, 40, 70, 90, 130, 300))
        if i % 2:
            out.append("".join(rng.choice(_ALPHABET) for _ in range(size)))
        else:
            out.append("".join(rng.choice(_PIECES) if rng.random() < 0.5
                               else rng.choice(_ALPHABET) for _ in range(size // 3 + 1)))
    return out
