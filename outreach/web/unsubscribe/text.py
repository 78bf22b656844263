"""The unsubscribe pages' words, one small dict per language ({org} and {address} filled in).

Add a language by adding a dict with the same keys; a missing language falls back to English.
"""

from __future__ import annotations

EN = {
    "skip": "Skip to content",
    "title": "Unsubscribe",
    "question": "Stop receiving alerts from {org}?",
    "explain": "Press the button to stop all future alerts from {org} to {address}. "
               "Nothing changes until you press it.",
    "button": "Unsubscribe",
    "already": "{address} is already unsubscribed from the alerts of {org}.",
    "done_title": "You are unsubscribed",
    "done": "{org} will not send alerts to {address} again.",
    "undo_button": "Undo, keep me subscribed",
    "undo_hint": "Pressed by mistake? You can undo this in the next 15 minutes.",
    "undone_title": "You are subscribed again",
    "undone": "{address} will receive the alerts of {org} again.",
    "undo_expired": "This undo button has expired. Write to us if you want to receive "
                    "alerts again.",
    "invalid_title": "This link is not valid",
    "invalid": "The link may be incomplete or altered. Copy the whole link from the email, "
               "or reply to the email and ask us to remove you.",
}

RU = {
    "skip": "Перейти к содержанию",
    "title": "Отписка",
    "question": "Больше не получать оповещения от {org}?",
    "explain": "Нажмите кнопку, чтобы больше не получать оповещения от {org} на адрес "
               "{address}. Пока вы не нажмёте кнопку, ничего не изменится.",
    "button": "Отписаться",
    "already": "Адрес {address} уже отписан от оповещений {org}.",
    "done_title": "Вы отписались",
    "done": "{org} больше не будет присылать оповещения на адрес {address}.",
    "undo_button": "Отменить и остаться в рассылке",
    "undo_hint": "Нажали по ошибке? Отменить можно в течение 15 минут.",
    "undone_title": "Подписка восстановлена",
    "undone": "Адрес {address} снова будет получать оповещения {org}.",
    "undo_expired": "Срок отмены истёк. Напишите нам, если хотите снова получать оповещения.",
    "invalid_title": "Ссылка недействительна",
    "invalid": "Возможно, ссылка скопирована не полностью или изменена. Скопируйте ссылку "
               "из письма целиком или ответьте на письмо и попросите исключить вас из рассылки.",
}

HU = {
    "skip": "Ugrás a tartalomhoz",
    "title": "Leiratkozás",
    "question": "Leiratkozik a(z) {org} riasztásairól?",
    "explain": "A gombra kattintva a(z) {org} többé nem küld riasztást a(z) {address} címre. "
               "Amíg nem kattint, semmi sem változik.",
    "button": "Leiratkozom",
    "already": "A(z) {address} cím már leiratkozott a(z) {org} riasztásairól.",
    "done_title": "Sikeresen leiratkozott",
    "done": "A(z) {org} többé nem küld riasztást a(z) {address} címre.",
    "undo_button": "Visszavonás, maradok feliratkozva",
    "undo_hint": "Véletlenül kattintott? A következő 15 percben visszavonhatja.",
    "undone_title": "Újra feliratkozott",
    "undone": "A(z) {address} cím ismét megkapja a(z) {org} riasztásait.",
    "undo_expired": "A visszavonás határideje lejárt. Írjon nekünk, ha újra szeretne "
                    "riasztásokat kapni.",
    "invalid_title": "Ez a hivatkozás érvénytelen",
    "invalid": "Lehet, hogy a hivatkozás hiányos vagy módosult. Másolja ki a teljes "
               "hivatkozást a levélből, vagy válaszoljon a levélre, és kérje a törlését "
               "a listáról.",
}

STRINGS: dict[str, dict[str, str]] = {"en": EN, "ru": RU, "hu": HU}


def strings_for(language: str | None) -> tuple[str, dict[str, str]]:
    """(language actually used, its strings): English when we have no words for `language`."""
    lang = (language or "").lower()
    return (lang, STRINGS[lang]) if lang in STRINGS else ("en", EN)


def masked(address: str) -> str:
    """`jane@example.org` -> `j•••@example.org`: enough to recognise, not to harvest."""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}•••@{domain}" if local else address
