"""Reading a table the institution keeps itself: CSV in UTF-8 or cp1251, or XLSX.

Office programs in Russia still save CSV in cp1251 with ``;`` between fields;
we accept that as readily as UTF-8, and say exactly which line is wrong when a
file cannot be read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook


class FileReadError(ValueError):
    """A file that is not a readable table; the message is Russian and names the file."""


@dataclass(frozen=True)
class Row:
    line: int
    """1-based line (CSV) or row (XLSX) number, for error messages."""
    values: dict[str, str]


def _decode(raw: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileReadError(f"{path}: файл не в кодировке UTF-8 и не в cp1251")


def _read_csv(path: Path) -> list[Row]:
    text = _decode(path.read_bytes(), path)
    header_line = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=header_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise FileReadError(f"{path}: файл пуст") from None
    names = [h.strip() for h in header]
    rows: list[Row] = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(names):
            raise FileReadError(
                f"{path}, строка {number}: {len(cells)} значений при {len(names)} столбцах заголовка"
            )
        rows.append(Row(number, {n: c.strip() for n, c in zip(names, cells, strict=False)}))
    return rows


def _read_xlsx(path: Path) -> list[Row]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise FileReadError(f"{path}: файл XLSX не открывается ({type(exc).__name__})") from None
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    try:
        header = next(lines)
    except StopIteration:
        raise FileReadError(f"{path}: лист пуст") from None
    names = [str(h).strip() if h is not None else "" for h in header]
    rows: list[Row] = []
    for number, cells in enumerate(lines, start=2):
        values = {n: _cell(c) for n, c in zip(names, cells, strict=False) if n}
        if any(values.values()):
            rows.append(Row(number, values))
    book.close()
    return rows


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value).strip()


def read_table(path: str | Path) -> list[Row]:
    """Rows of the first table in ``path`` keyed by header, whatever its format."""
    path = Path(path)
    if not path.exists():
        raise FileReadError(f"файл не найден: {path}")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    return _read_csv(path)
