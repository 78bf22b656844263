# ruff: noqa: E501 - one fixture line per source line reads best
"""Regenerate the messy contact files in this folder (the bytes are committed as they are).

    .venv/bin/python tests/data/contacts/make_fixtures.py
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent

# UTF-8 with BOM, semicolons, CRLF, blank line, stray spaces, duplicate in another case,
# invalid addresses, a formula cell, an unknown column, a quoted newline, a bad country.
MESSY = (
    "E-Mail ; Name ; Organization ; Country ; Language ; Tags ; Twitter\r\n"        # 1
    "anna.kiss@example.org ; Anna Kiss ; Példa Napló ; Hungary ; hu ; press, urgent ; @annakiss\r\n"  # 2
    "\r\n"                                                                            # 3
    '"ANNA.KISS@Example.org" ; ; ; ; ; central-asia ;\r\n'                            # 4
    "not-an-address ; Bad Row ; ; HU ; hu ; ;\r\n"                                    # 5
    'mallory@example.net ; "=HYPERLINK(""http://evil.example/x"",""click"")" ; Evil Example ; GB ; en ; ; \r\n'  # 6
    '"piotr@example.net" ; "Piotr\r\nNowak" ; "Gazeta ""Przykład""" ; PL ; pl ; press ;\r\n'  # 7-8
    "empty@ ; Nobody ; ; ; ; ;\r\n"                                                   # 9
    "   stray.spaces@example.org   ;   Spacey    Person  ; Példa Napló ; hu ; Magyar ; ;\r\n"  # 10
    "bob@example.com; Bob; ; Narnia; en;;\r\n"                                        # 11
    "Anna.Kiss@example.org ; Anna Kiss-Duplicate ; ; ; ; ; \r\n"                      # 12
)

CYRILLIC = (
    "Email,Имя,Фамилия,Организация,Страна,Язык,Теги,Заметки\n"
    "olga.petrova@example.org,Ольга,Петрова,Пример Медиа,Россия,Русский,пресса,Пишет о судах\n"
    "dmitry.sokolov@example.org,Дмитрий,Соколов,Пример Медиа,RU,ru,пресса; срочно,Главный редактор\n"
    "aizhan.serikova@example.net,Айжан,Серикова,Правозащитный центр «Пример»,Казахстан,ru,нко,Юрист\n"
    "taras.melnyk@example.net,Тарас,Мельник,Приклад Медіа,Украина,uk,пресса,Корреспондент в Киеве\n"
)

WESTERN = (
    "Email address\tFirst name\tLast name\tOrganisation\tCountry\tLanguage\tBeats\n"
    "francois.leger@example.org\tFrançois\tLéger\tLe Journal Exemple\tFrance\tfrançais\tdroits de l'homme\n"
    "jurgen.mueller@example.org\tJürgen\tMüller\tBeispiel Zeitung\tDeutschland\tDeutsch\tJustiz; Migration\n"
    "zoe.garcia@example.net\tZoë\tGarcía\tDiario Ejemplo\tSpain\tes\tderechos humanos\n"
    "soren.aberg@example.net\tSøren\tÅberg\tExempel Nyheter\tSE\tsv\tpress freedom\n"
)


def main() -> None:
    (HERE / "messy-bom-semicolon.csv").write_bytes(b"\xef\xbb\xbf" + MESSY.encode("utf-8"))
    (HERE / "cyrillic-cp1251.csv").write_bytes(CYRILLIC.encode("cp1251"))
    (HERE / "western-cp1252.tsv").write_bytes(WESTERN.encode("cp1252"))
    (HERE / "no-email-column.csv").write_bytes(b"Name,Country\nAnna,HU\n")
    (HERE / "binary.xlsx").write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4)


if __name__ == "__main__":
    main()
