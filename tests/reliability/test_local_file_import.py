"""Defect 1 of issue 12: an institution's file must never wipe a table.

Each case first reproduces what went wrong (a file read "successfully" into
removals), then checks the import refuses it with a Russian sentence naming
the file, line and column, and that the store is exactly as it was.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine

from connectors.local_files.reader import FileReadError, read_table
from local_store.history import records_as_of
from local_store.runs import list_runs
from mapping.local_files import LocalTableError
from pipelines.local_files import import_local_file

MOMENT = dt.datetime(2026, 9, 14, 21, 0, tzinfo=dt.UTC)
HEADER = "Код;Фамилия;Имя;Роли"


def _people(n: int) -> list[str]:
    return [f"p{i};Иванов{i};Пётр;student" for i in range(n)]


def _seed(engine: Engine, tmp_path: Path, n: int = 30) -> set[str]:
    path = tmp_path / "seed.csv"
    path.write_text("\n".join([HEADER, *_people(n)]), encoding="utf-8")
    import_local_file(engine, path, "person", deployment="local:t", observed_at=MOMENT)
    return _ids(engine)


def _ids(engine: Engine) -> set[str]:
    return {r.source.external_id for r in records_as_of(engine, "person")}


def _import(engine: Engine, path: Path) -> object:
    return import_local_file(
        engine, path, "person", deployment="local:t", observed_at=MOMENT + dt.timedelta(days=1)
    )


def _refused(engine: Engine, tmp_path: Path, path: Path, *needles: str) -> str:
    before = _ids(engine)
    runs = len(list_runs(engine, limit=100))
    with pytest.raises((FileReadError, LocalTableError)) as info:
        _import(engine, path)
    message = str(info.value)
    assert str(path) in message, message
    for needle in needles:
        assert needle in message, message
    assert _ids(engine) == before, "nothing is removed"
    assert len(list_runs(engine, limit=100)) == runs, "nothing is written, not even a run"
    return message


def test_pipe_delimiter_is_refused(engine: Engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    bad = tmp_path / "pipe.csv"
    bad.write_text(
        "\n".join([HEADER.replace(";", "|"), *[r.replace(";", "|") for r in _people(30)]])
    )
    _refused(engine, tmp_path, bad, "строка 1", "разделител")


def test_latin_headers_are_refused(engine: Engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    bad = tmp_path / "latin.csv"
    bad.write_text("\n".join(["Kod;Familiya;Imya;Roli", *_people(30)]), encoding="utf-8")
    _refused(engine, tmp_path, bad, "строка 1", "столбец 1", "Kod")


def test_header_only_is_refused(engine: Engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    bad = tmp_path / "empty.csv"
    bad.write_text(HEADER + "\n", encoding="utf-8")
    _refused(engine, tmp_path, bad, "нет ни одной записи")


@pytest.mark.parametrize(
    "payload",
    [
        bytes(b for b in range(256) if b != 0x98) * 3,  # random-looking binary with NULs
        bytes(range(0x80, 0xC0)).replace(b"\x98", b"") * 20 + b"\n;;\n;;\n",  # no NUL, no letters
        "Код;Фамилия;Имя;Роли\np1;Иванов;Пётр;student\n".encode("utf-16"),
        ("Код;Фамилия;Имя;Роли\n" + "\n".join(_people(30))).encode("koi8-r"),
    ],
    ids=["binary", "high-bytes", "utf16", "koi8r"],
)
def test_binary_or_wrong_encoding_is_refused(
    engine: Engine, tmp_path: Path, payload: bytes
) -> None:
    _seed(engine, tmp_path)
    bad = tmp_path / "binary.csv"
    bad.write_bytes(payload)
    _refused(engine, tmp_path, bad, "строка")


def test_cp1251_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "cp.csv"
    path.write_bytes(
        "Код;Фамилия;Имя;Роли\r\np1;Ёлкин;Пётр «Младший» №1;student\r\n".encode("cp1251")
    )
    (row,) = read_table(path).rows
    assert row.values["Фамилия"] == "Ёлкин"


def test_row_without_id_is_refused(engine: Engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    rows = _people(30)
    rows[4] = ";Иванов4;Пётр;student"
    bad = tmp_path / "noid.csv"
    bad.write_text("\n".join([HEADER, *rows]), encoding="utf-8")
    _refused(engine, tmp_path, bad, "строка 6", "столбец 1", "Код")


def test_duplicate_id_is_refused(engine: Engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    rows = [*_people(30), "p3;Петров;Иван;student"]
    bad = tmp_path / "dup.csv"
    bad.write_text("\n".join([HEADER, *rows]), encoding="utf-8")
    _refused(engine, tmp_path, bad, "строка 32", "строке 5")


def test_ragged_row_is_refused(engine: Engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    rows = _people(30)
    rows[2] = "p2,Иванов2,Пётр,student"
    bad = tmp_path / "ragged.csv"
    bad.write_text("\n".join([HEADER, *rows]), encoding="utf-8")
    _refused(engine, tmp_path, bad, "строка 4")


def test_overlong_line_is_refused(engine: Engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    rows = _people(30)
    rows[0] = "p0;" + "Я" * 140_000 + ";Пётр;student"
    bad = tmp_path / "long.csv"
    bad.write_text("\n".join([HEADER, *rows]), encoding="utf-8")
    _refused(engine, tmp_path, bad, "строка 2")


def test_a_mass_removal_is_held_not_applied(engine: Engine, tmp_path: Path) -> None:
    seeded = _seed(engine, tmp_path)
    few = tmp_path / "few.csv"
    few.write_text("\n".join([HEADER, *_people(5)]), encoding="utf-8")
    counts = _import(engine, few)
    assert isinstance(counts, dict) and counts["_held"], counts
    assert _ids(engine) == seeded, "a held import changes nothing until approved"
    assert list_runs(engine, limit=1)[0].status.value == "held"


def test_an_unreadable_value_is_kept_not_removed(engine: Engine, tmp_path: Path) -> None:
    seeded = _seed(engine, tmp_path)
    rows = _people(30)
    rows[7] = "p7;Иванов7;Пётр;космонавт"
    path = tmp_path / "badrole.csv"
    path.write_text("\n".join([HEADER, *rows]), encoding="utf-8")
    counts = _import(engine, path)
    assert isinstance(counts, dict)
    assert any("строка 9" in p for p in counts["_problems"]), counts
    assert _ids(engine) == seeded


def test_dry_run_shows_and_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    rows = [r for r in _people(30) if not r.startswith("p1;")] + ["p99;Новиков;Олег;student"]
    rows[0] = "p0;Иванов0;Павел;student"
    path = tmp_path / "next.csv"
    path.write_text("\n".join([HEADER, *rows]), encoding="utf-8")
    runs = len(list_runs(engine, limit=100))
    counts = import_local_file(engine, path, "person", deployment="local:t", dry_run=True)
    assert counts["person"] == {"added": 1, "changed": 1, "removed": 1, "unchanged": 28}
    changes = {(c["change"], c["external_id"]) for c in counts["_changes"]}
    assert changes == {("added", "p99"), ("changed", "p0"), ("removed", "p1")}
    assert len(list_runs(engine, limit=100)) == runs
    assert "p99" not in _ids(engine)
