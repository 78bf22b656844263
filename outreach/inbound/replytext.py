"""The new text of a reply (quoted original removed) and whether it asks to unsubscribe.

The quote cutting is `mail-parser-reply`'s (maintained, knows the "On ... wrote:" and Outlook
header lines of many languages); it lacks Russian and Hungarian, so their "wrote" lines and plain
`>` quote blocks are cut here as well. Pure functions.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser

_PARSER = EmailReplyParser(languages=["en", "de", "fr", "es", "pl", "it", "nl", "cs"])  # stateless
# An attribution line ("On <date>, <who> wrote:") in any of our languages; it must name a date or
# an address (digit or '@') so that a sentence like "She wrote:" in the reply itself is kept.
_ATTRIBUTION = re.compile(
    r"^(?=[^\n]*[\d@])[^\n]{0,250}\b(?:wrote|schrieb|a écrit|escribió|napisał\(a\)|napisała|"
    r"napisał|írta|пишет|написал\(а\)|написала|написал|от [^\n]*<[^\n]+>)[^\n]{0,80}:\s*$"
    r"|^-{2,}\s*(?:Исходное сообщение|Original Message|Eredeti üzenet|Wiadomość oryginalna|"
    r"Ursprüngliche Nachricht|Message d'origine|Mensaje original)\s*-{2,}\s*$"
    r"|^(?:От|Feladó|Od|Von|De|From)\s*:\s.+@.+$",
    re.IGNORECASE | re.MULTILINE)
_QUOTED_LINE = re.compile(r"^\s*>")

# Phrases asking to be taken off the list, per language. Only short replies are judged, so a long
# answer that mentions "unsubscribe" in passing is not taken as a request.
UNSUBSCRIBE_PATTERNS = {
    "en": r"unsubscribe|remove me|take me off|opt[ -]?out|stop (?:sending|emailing|mailing)|"
          r"(?:no|don'?t send|do not send)(?: me)? (?:more|any more|further) "
          r"(?:e-?mails?|messages)|"
          r"do not (?:e-?mail|contact) me",
    "ru": r"отпиш|отписат|отписк|удалите меня|исключите меня|уберите меня|"
          r"не (?:присылайте|пишите|отправляйте)|больше не (?:присылать|писать|отправлять)",
    "hu": r"leiratkoz|töröljenek|töröljön|ne küldjenek|ne küldjön|távolítsanak el|"
          r"vegyenek le|vegyen le",
    "pl": r"wypisz|wypisać|wypisanie|usuń mnie|usunąć mnie|usunięcie|nie wysyłaj|"
          r"rezygnuj|rezygnacj",
    "de": r"abmelden|abmeldung|austragen|abbestellen|entfernen sie mich|"
          r"keine (?:weiteren )?(?:e-?mails|nachrichten|zusendungen)|"
          r"nicht mehr (?:anschreiben|zusenden)",
    "fr": r"désabonn|desabonn|désinscri|desinscri|retirez[- ]moi|supprimez[- ]moi|"
          r"ne (?:plus|pas) (?:m'envoyer|recevoir)|ne m'envoyez plus",
    "es": r"darme de baja|dar de baja|denme de baja|bájenme|eliminarme|elimínenme|"
          r"no me (?:envíen|envien|manden)|cancelar (?:la )?suscripci|desuscrib",
}
_UNSUBSCRIBE_RE = re.compile("|".join(f"(?:{p})" for p in UNSUBSCRIBE_PATTERNS.values()),
                             re.IGNORECASE)
_SHORT_WORDS = 40
_SUBJECT_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|odp|fw|fwd|vá|отв|ответ|ha)\s*:\s*)+", re.I)


def new_text(body: str) -> str:
    """The reply's own text, without the quoted original below it (or inline `>` blocks)."""
    if not body.strip():
        return ""
    try:
        text = _PARSER.parse_reply(body) or ""
    except Exception:  # a regex library must never cost us the reply
        text = body
    return _cut_extra_quotes(text).strip()


def _cut_extra_quotes(text: str) -> str:
    """Cut at the first attribution line or `>` quote block that follows some own text."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        own_text = any(k.strip() for k in kept)
        if _ATTRIBUTION.match(line) and own_text:
            break
        if _QUOTED_LINE.match(line):
            if own_text:
                break  # the original starts here
            continue  # a quote above the answer (inline style): skip it, keep reading
        kept.append(line)
    return "\n".join(kept)


def asks_to_unsubscribe(subject: str, text: str) -> bool:
    """A short message whose subject or own text asks to be removed from the list."""
    if len(text.split()) > _SHORT_WORDS:
        return False
    bare_subject = _SUBJECT_PREFIX.sub("", subject or "")
    return bool(_UNSUBSCRIBE_RE.search(bare_subject) or _UNSUBSCRIBE_RE.search(text))
