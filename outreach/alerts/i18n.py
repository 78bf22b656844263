"""The few words of the email layout itself (footer, unsubscribe), per language.

The alert's own content is written per language by its authors; this only covers the frame.
An unknown language falls back to English.
"""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "why": "You receive this alert because {org} keeps you on its list of press and civil "
               "society contacts.",
        "unsubscribe": "Unsubscribe",
        "unsubscribe_text": "To stop receiving these alerts, open:",
        "sent_by": "Sent by",
    },
    "ru": {
        "why": "Вы получили это сообщение, потому что {org} включил(а) вас в список контактов "
               "для прессы и гражданского общества.",
        "unsubscribe": "Отписаться",
        "unsubscribe_text": "Чтобы больше не получать такие сообщения, откройте:",
        "sent_by": "Отправитель:",
    },
    "hu": {
        "why": "Azért kapja ezt a felhívást, mert a(z) {org} sajtó- és civil kapcsolatai között "
               "szerepel.",
        "unsubscribe": "Leiratkozás",
        "unsubscribe_text": "Ha nem szeretne több ilyen levelet kapni, nyissa meg:",
        "sent_by": "Feladó:",
    },
}


def strings(language: str) -> dict[str, str]:
    return STRINGS.get(language, STRINGS["en"])
