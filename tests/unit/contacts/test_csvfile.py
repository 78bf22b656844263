"""Decoding and dialect sniffing of contact files, and physical line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from outreach.contacts.csvfile import detect_encoding, open_csv, sniff_delimiter
from outreach.errors import UserError

DATA = Path(__file__).parents[2] / "data" / "contacts"


def records(tmp_path: Path, data: bytes) -> tuple[str, str, list[tuple[int, list[str]]]]:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    fmt, recs = open_csv(path)
    return fmt.encoding, fmt.delimiter, [(r.line, r.values) for r in recs]


@pytest.mark.parametrize(("data", "expected"), [
    ("email,name\nanna@example.org,Anna Kovács\n".encode(), "utf-8"),
    (b"\xef\xbb\xbfemail,name\n", "utf-8-sig"),
    ("email,name\n".encode("utf-16"), "utf-16"),
])
def test_detect_encoding_unicode(data: bytes, expected: str) -> None:
    assert detect_encoding(data, complete=True) == expected


def test_utf8_sample_cut_inside_a_character_is_still_utf8() -> None:
    assert detect_encoding("név,Zsófia".encode()[:-1][:9], complete=False) == "utf-8"


def test_windows_1251_cyrillic_detected() -> None:
    text = ("Email,Имя,Фамилия,Организация\nolga@example.org,Ольга,Петрова,Пример Медиа\n"
            "dmitry@example.org,Дмитрий,Соколов,Независимая газета\n")
    assert detect_encoding(text.encode("cp1251"), complete=True) == "cp1251"


def test_windows_1252_preferred_over_1250_when_equally_plausible() -> None:
    data = (DATA / "western-cp1252.tsv").read_bytes()
    assert detect_encoding(data, complete=True) == "cp1252"
    assert "Søren\tÅberg" in data.decode("cp1252")


def test_binary_is_not_text() -> None:
    with pytest.raises(UserError, match="not a text file"):
        detect_encoding(b"PK\x03\x04\x00\x00binary", complete=True)


@pytest.mark.parametrize(("header", "delimiter"), [
    ("email,name,org", ","), ("email;name;org", ";"), ("email\tname\torg", "\t"),
    ('"Name, full";email;org', ";"), ("email", ","), ("\n\nemail|name", "|"),
])
def test_sniff_delimiter(header: str, delimiter: str) -> None:
    assert sniff_delimiter(header + "\nx,y;z\n") == delimiter


def test_lines_count_quoted_newlines_and_blank_lines(tmp_path: Path) -> None:
    data = b'email;name\r\n\r\na@example.org;"Two\r\nlines"\r\n  \r\nb@example.org; Bob \r\n'
    encoding, delimiter, rows = records(tmp_path, data)
    assert (encoding, delimiter) == ("utf-8", ";")
    assert rows == [(1, ["email", "name"]), (3, ["a@example.org", "Two\r\nlines"]),
                    (6, ["b@example.org", "Bob "])]


def test_bom_is_not_part_of_the_first_header(tmp_path: Path) -> None:
    _, _, rows = records(tmp_path, b"\xef\xbb\xbfEmail,Name\nx@example.org,X\n")
    assert rows[0][1] == ["Email", "Name"]


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such file"):
        open_csv(tmp_path / "nope.csv")
    with pytest.raises(UserError, match="directory"):
        open_csv(tmp_path)


def test_mixed_encoding_after_the_sample_is_a_user_error(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("outreach.contacts.csvfile.SAMPLE_BYTES", 32)
    path = tmp_path / "f.csv"
    tail = "b@example.org,Zoë\n".encode("cp1252")
    path.write_bytes(b"email,name\n" + b"a@example.org,Anna\n" * 3 + tail)
    _, recs = open_csv(path)
    with pytest.raises(UserError, match="not valid utf-8 text"):
        list(recs)
