"""Reading the spreadsheets press teams really keep: encoding, delimiter, physical line numbers.

The encoding is decided once from the start of the file (BOM, then strict UTF-8, then
charset-normalizer for Windows-1252/Latin-1/Windows-1251 and friends) and the file is then
decoded as a stream, so a 100,000-row file never sits in memory. Records are yielded with the
physical line on which they start, counting quoted newlines and blank lines, so a rejected row
can be found in the editor the user has open.

Hostile or broken files fail loudly, never silently: a stray `"` that opens a quoted cell
running over many lines that look like rows stops the import at the line where the quote
opened (`--multiline-cells` accepts it); a cell may be up to FIELD_LIMIT characters (the
fields decide what to keep of it); NUL characters, which PostgreSQL refuses, are removed and
each line that had one is noted.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer

from outreach.errors import UserError

SAMPLE_BYTES = 1 << 20
DELIMITERS = (",", ";", "\t", "|")
PREFERRED_ENCODINGS = ("cp1252", "cp1251", "cp1250", "latin_1", "koi8_r", "iso8859_2")
COHERENCE_TIE = 0.05
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
FIELD_LIMIT = 16 << 20  # characters in one cell: bounded, far above any real cell
NUL_NOTE = "NUL character(s) removed"
csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))


@dataclass(frozen=True)
class CsvFormat:
    encoding: str
    delimiter: str


@dataclass(frozen=True, slots=True)
class Record:
    line: int
    values: list[str]
    notes: tuple[str, ...] = ()  # what was changed on the way in (NUL characters removed)


def detect_encoding(sample: bytes, *, complete: bool) -> str:
    """The codec name for a file starting with `sample`; `complete` if that is the whole file.

    Raises UserError for something that is not text (NUL bytes, no plausible charset).
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith(_UTF16_BOMS):
        return "utf-16"
    if b"\x00" in sample:
        raise UserError("not a text file (it contains NUL bytes): save it as CSV")
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A sample cut in the middle of a multi-byte character is still UTF-8.
        if not complete and exc.reason == "unexpected end of data":
            return "utf-8"
    return _guess(_whole_lines(sample, complete))


def _guess(data: bytes) -> str:
    """charset-normalizer's choice; among equally good guesses, the commonest spreadsheet
    encoding (a short Western file decodes as cleanly in Windows-1250 as in Windows-1252,
    but 'Søren' is far likelier than 'Sřren')."""
    results = charset_normalizer.from_bytes(data)
    best = results.best()
    if best is None:
        raise UserError("cannot tell the text encoding: save it as UTF-8 CSV")
    tied = [r for r in results  # a short file's coherence is noisy: a DOS code page such
            if r.chaos <= best.chaos + 0.01  # as cp775 can edge out Windows-1252 by 0.03
            and r.coherence >= best.coherence - COHERENCE_TIE]
    for preferred in PREFERRED_ENCODINGS:
        for result in tied:
            if preferred in result.could_be_from_charset:
                return preferred
    return codecs.lookup(best.encoding).name


def _whole_lines(sample: bytes, complete: bool) -> bytes:
    if complete:
        return sample
    cut = sample.rfind(b"\n")
    return sample[: cut + 1] if cut > 0 else sample


def sniff_delimiter(text: str) -> str:
    """The delimiter of the header line: the candidate that occurs most often outside quotes.

    csv.Sniffer guesses from character frequencies across lines and is easily fooled by
    commas inside quoted names; the header row is the one line we know the shape of.
    """
    header = next((line for line in text.splitlines() if line.strip()), "")
    unquoted = "".join(part for i, part in enumerate(header.split('"')) if i % 2 == 0)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def open_csv(path: Path, *, multiline_cells: bool = False) -> tuple[CsvFormat, Iterator[Record]]:
    """Detect the format of `path` and return it with an iterator over its non-blank records.

    Raises UserError (with the file name) when the file is missing or not text, and (while
    iterating) at a quote that swallows rows, unless `multiline_cells`.
    """
    try:
        with path.open("rb") as raw:
            sample = raw.read(SAMPLE_BYTES + 1)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    complete = len(sample) <= SAMPLE_BYTES
    try:
        encoding = detect_encoding(sample[:SAMPLE_BYTES], complete=complete)
    except UserError as exc:
        raise UserError(f"{path}: {exc}") from None
    head = sample[:65536].decode(encoding, errors="replace")
    fmt = CsvFormat(encoding=encoding, delimiter=sniff_delimiter(head))
    return fmt, _records(path, fmt, multiline_cells)


def _records(path: Path, fmt: CsvFormat, multiline_cells: bool = False) -> Iterator[Record]:
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding=fmt.encoding, newline="")
        nul_lines: list[int] = []
        reader = csv.reader(_without_nul(text, nul_lines), delimiter=fmt.delimiter,
                            skipinitialspace=True, strict=False)
        start = 1
        try:
            for values in reader:
                if reader.line_num > start and not multiline_cells:
                    _refuse_swallowed_rows(path, start, values, fmt.delimiter)
                notes = ()
                if nul_lines:
                    notes, nul_lines[:] = (NUL_NOTE,), []
                if any(map(str.strip, values)):
                    yield Record(line=start, values=values, notes=notes)
                start = reader.line_num + 1
        except UnicodeDecodeError:
            raise UserError(
                f"{path}: not valid {fmt.encoding} text beyond its first "
                f"{SAMPLE_BYTES // 1024} KiB (mixed encodings?): save it as UTF-8 CSV"
            ) from None
        except csv.Error as exc:
            if "field limit" in str(exc):
                exc = csv.Error(f"a cell longer than {FIELD_LIMIT >> 20} MiB (a stray quote?)")
            raise UserError(f"{path}: line {start}: {exc}") from None


def _without_nul(lines: Iterable[str], nul_lines: list[int]) -> Iterator[str]:
    """The lines with NUL characters removed, noting each such line's number."""
    for number, line in enumerate(lines, start=1):
        if "\x00" in line:
            nul_lines.append(number)
            line = line.replace("\x00", "")
        yield line


def _refuse_swallowed_rows(path: Path, start: int, values: list[str], delimiter: str) -> None:
    """Raise at a quoted cell whose lines look like rows of their own: a stray `"` that
    opened a quote which ran on over the following rows (csv's lenient mode would silently
    take them all as one cell). A record spanning lines is rare, so this costs nothing on
    ordinary rows; real multi-line notes rarely hold whole rows' worth of delimiters."""
    need = max(1, len(values) - 1)
    for index, value in enumerate(values):
        if "\n" not in value:
            continue
        rowlike = sum(1 for line in value.split("\n")[1:] if line.count(delimiter) >= need)
        if rowlike >= 2 or (rowlike and need >= 2):
            opened = start + sum(v.count("\n") for v in values[:index])
            raise UserError(
                f"{path}: line {opened}: a quote opened here runs on over {rowlike} lines "
                "that look like rows (a stray \" in a cell?): nothing imported; fix the quote, "
                "or pass --multiline-cells to import it as one cell")
