"""Reading a table the institution keeps itself: CSV in UTF-8 or cp1251, or XLSX.

Office programs in Russia still save CSV in cp1251 with ``;`` between fields;
we accept that as readily as UTF-8.  Nothing is guessed silently: a file whose
delimiter, encoding or shape is not plainly one of those is refused with a
Russian sentence naming the file, line and column, because a misread table
would look like a table whose every row was deleted.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_BYTES = 50 * 1024 * 1024
"""An institution's table is kilobytes to a few megabytes; anything larger is not one."""

DELIMITERS = {";": "«;»", ",": "«,»", "\t": "табуляция"}

_CP1251_PUNCTUATION = set("ЁёЎў№«»–—…“”„‘’‚ \u00a0€°±§©®·•™")
"""Characters of cp1251's upper half a Russian table really contains (besides А–я)."""


class FileReadError(ValueError):
    """A file that is not a readable table; the message is Russian and names the file."""


@dataclass(frozen=True)
class Row:
    line: int
    """1-based line (CSV) or row (XLSX) number, for error messages."""
    values: dict[str, str]


@dataclass(frozen=True)
class Table:
    path: Path
    header: tuple[str, ...]
    """Column names as written in the first line, in order."""
    rows: list[Row] = field(default_factory=list)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _control_char(text: str) -> int | None:
    """Index of the first character no text table holds (NUL, other controls), if any."""
    for i, ch in enumerate(text):
        if ch in "\t\r\n":
            continue
        if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            return i
    return None


def _implausible_cp1251(text: str) -> int | None:
    """Index of the first character of cp1251's upper half a Russian table does not contain.

    cp1251 maps almost every byte to something, so decoding succeeds on any
    binary file; what it cannot fake is the text: a real table's upper half is
    Cyrillic letters and a few marks, not ``ЂЃ‚ѓ‰Љ‹ЊЌЋЏ``.
    """
    for i, ch in enumerate(text):
        if ord(ch) < 0x80 or ("А" <= ch <= "я") or ch in _CP1251_PUNCTUATION:
            continue
        return i
    return None


def _koi8_like(text: str) -> bool:
    """Cyrillic text read in the wrong one-byte encoding shows as mostly capitals.

    Only words of three letters or more count: a class letter («5А», «10Б») is a
    capital in any encoding.
    """
    words = re.findall(r"[А-Яа-яЁё]{3,}", text)
    letters = [ch for word in words for ch in word]
    if len(letters) < 20:
        return False
    upper = sum(1 for ch in letters if ch.isupper())
    return upper / len(letters) > 0.6


def _decode(raw: bytes, path: Path) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileReadError(
            f"{path}, строка 1: файл в кодировке UTF-16; сохраните его как CSV в UTF-8 или cp1251"
        )
    try:
        text = raw.decode("utf-8-sig")
        encoding = "UTF-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
        try:
            text = raw.decode("cp1251")
            encoding = "cp1251"
        except UnicodeDecodeError:
            line = raw.count(b"\n", 0, utf8_error.start) + 1
            raise FileReadError(
                f"{path}, строка {line}: файл не в кодировке UTF-8 и не в cp1251"
            ) from None
    bad = _control_char(text)
    if bad is not None:
        raise FileReadError(
            f"{path}, строка {_line_of(text, bad)}: файл не похож на текстовую таблицу "
            f"(служебный символ U+{ord(text[bad]):04X}); нужен CSV в UTF-8 или cp1251, или XLSX"
        )
    if encoding == "cp1251":
        odd = _implausible_cp1251(text)
        if odd is not None:
            line = _line_of(text, odd)
            raise FileReadError(
                f"{path}, строка {line}: файл не в кодировке UTF-8, а в cp1251 он читается "
                f"бессмысленно (символ «{text[odd]}»); сохраните его как CSV в UTF-8"
            )
        if _koi8_like(text):
            raise FileReadError(
                f"{path}, строка 1: русский текст читается как одни заглавные буквы — "
                "файл, вероятно, в кодировке KOI8-R; сохраните его как CSV в UTF-8 или cp1251"
            )
    return text


def _delimiter(header_line: str, path: Path) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    present = [d for d, n in counts.items() if n]
    if not present:
        other = next((c for c in "|:/#" if c in header_line), None)
        found = f" (найден «{other}»)" if other else ""
        raise FileReadError(
            f"{path}, строка 1: не найден разделитель столбцов{found}; "
            "столбцы разделяются «;», «,» или табуляцией"
        )
    if len(present) > 1:
        names = ", ".join(DELIMITERS[d] for d in present)
        raise FileReadError(
            f"{path}, строка 1: в заголовке несколько возможных разделителей ({names}); "
            "оставьте один"
        )
    return present[0]


def _check_header(names: list[str], path: Path) -> None:
    seen: dict[str, int] = {}
    for column, name in enumerate(names, start=1):
        if not name:
            raise FileReadError(f"{path}, строка 1, столбец {column}: у столбца нет названия")
        if name in seen:
            raise FileReadError(
                f"{path}, строка 1, столбец {column}: столбец «{name}» уже есть "
                f"(столбец {seen[name]})"
            )
        seen[name] = column


def _read_csv(path: Path) -> Table:
    raw = path.read_bytes()
    if not raw.strip():
        raise FileReadError(f"{path}: файл пуст")
    text = _decode(raw, path)
    header_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = _delimiter(header_line, path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[Row] = []
    try:
        header = next(reader)
        names = [h.strip() for h in header]
        _check_header(names, path)
        for cells in reader:
            number = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(names):
                raise FileReadError(
                    f"{path}, строка {number}: {len(cells)} значений при {len(names)} "
                    f"столбцах заголовка (разделитель — {DELIMITERS[delimiter]})"
                )
            rows.append(Row(number, {n: c.strip() for n, c in zip(names, cells, strict=True)}))
    except csv.Error as exc:
        raise FileReadError(
            f"{path}, строка {reader.line_num}: строка не читается как CSV ({_csv_reason(exc)})"
        ) from None
    return Table(path, tuple(names), rows)


def _csv_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return f"значение длиннее {csv.field_size_limit()} символов"
    if "quote" in text or "delimiter" in text:
        return "кавычки расставлены неверно"
    return "нарушен формат"


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise FileReadError(f"{path}: файл XLSX не открывается ({type(exc).__name__})") from None
    try:
        sheet = book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        try:
            header = next(lines)
        except StopIteration:
            raise FileReadError(f"{path}: лист пуст") from None
        names = [str(h).strip() if h is not None else "" for h in header]
        while names and not names[-1]:
            names.pop()
        _check_header(names, path)
        rows: list[Row] = []
        for number, cells in enumerate(lines, start=2):
            extra = [c for c in cells[len(names) :] if c not in (None, "")]
            if extra:
                raise FileReadError(
                    f"{path}, строка {number}, столбец {len(names) + 1}: значение вне столбцов "
                    "заголовка"
                )
            values = {n: _cell(c) for n, c in zip(names, cells, strict=False)}
            if any(values.values()):
                rows.append(Row(number, {n: values.get(n, "") for n in names}))
    except FileReadError:
        raise
    except Exception as exc:
        raise FileReadError(f"{path}: файл XLSX не читается ({type(exc).__name__})") from None
    finally:
        book.close()
    return Table(path, tuple(names), rows)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value).strip()


def read_table(path: str | Path) -> Table:
    """The first table in ``path`` with its header and rows, whatever its format.

    A table with a header and no rows is refused: imported as a snapshot it
    would say "the institution has none of these", which is never what a
    secretary saving an empty file meant.
    """
    path = Path(path)
    if not path.is_file():
        raise FileReadError(f"файл не найден: {path}")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise FileReadError(
            f"{path}: файл слишком велик ({size // (1024 * 1024)} МБ при пределе "
            f"{MAX_FILE_BYTES // (1024 * 1024)} МБ)"
        )
    is_xlsx = path.suffix.lower() in (".xlsx", ".xlsm")
    table = _read_xlsx(path) if is_xlsx else _read_csv(path)
    if not table.rows:
        raise FileReadError(
            f"{path}: в файле только строка заголовка и нет ни одной записи; "
            "пустая таблица означала бы удаление всех записей, поэтому она не загружается"
        )
    return table
