"""Defect 6 of issue 12: bad values are reported with their source and kept out; the rest stays."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine

from canonical.people import Person
from canonical.validate import check_value, clean_values
from connectors.local_files.reader import FileReadError
from local_store.history import records_as_of
from pipelines.local_files import import_local_file

MOMENT = dt.datetime(2026, 9, 14, 21, 0, tzinfo=dt.UTC)


def test_values() -> None:
    assert check_value("snils", "112-233-445 95") == ("112-233-445 95", None)
    assert check_value("snils", "11223344595") == ("112-233-445 95", None)
    assert check_value("snils", "112-233-445 96")[1] == "неверная контрольная сумма СНИЛС"
    assert "11 цифр" in (check_value("snils", "12-34")[1] or "")
    assert "U+0000" in (check_value("last_name", "Ива\x00нов")[1] or "")
    assert check_value("last_name", "Я" * 101)[0] is None
    assert check_value("note", "строка\nвторая") == ("строка\nвторая", None)
    values, rejected = clean_values(
        Person, {"last_name": "Иванов", "first_name": "Пётр", "snils": "12-34"}
    )
    assert values == {"last_name": "Иванов", "first_name": "Пётр"}
    assert [(r.field, r.required) for r in rejected] == [("snils", False)]


def test_an_institution_file_keeps_bad_values_out(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "\n".join(
            [
                "Код;Фамилия;Имя;Роли;snils",
                "p1;Иванов;Пётр;parent;112-233-445 96",  # wrong checksum
                "p2;Петров;Иван;parent;12-34",  # not a СНИЛС
                "p3;" + "Сидоров" * 20 + ";Олег;parent;112-233-445 95",  # a surname of 140 letters
                "p4;Орлов;Ян;parent;112-233-445 95",
            ]
        ),
        encoding="utf-8",
    )
    counts = import_local_file(engine, path, "person", deployment="local:t", observed_at=MOMENT)
    problems = counts["_problems"]
    assert any("строка 2" in p and "контрольная сумма" in p for p in problems), problems
    assert any("строка 3" in p and "11 цифр" in p for p in problems), problems
    assert any("строка 4" in p and "длиннее 100" in p and "Фамилия" in p for p in problems)
    stored = {
        r.source.external_id: r for r in records_as_of(engine, "person") if isinstance(r, Person)
    }
    assert set(stored) == {"p1", "p2", "p4"}, "a bad surname keeps the row out"
    assert stored["p1"].snils is None and stored["p1"].last_name == "Иванов"
    assert stored["p2"].snils is None
    assert stored["p4"].snils == "112-233-445 95"


def test_a_nul_in_a_surname_refuses_the_file(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_text("Код;Фамилия;Имя;Роли\np1;Сид\x00оров;Олег;parent\n", encoding="utf-8")
    with pytest.raises(FileReadError, match=r"строка 2.*U\+0000"):
        import_local_file(engine, path, "person", deployment="local:t", observed_at=MOMENT)
    assert records_as_of(engine, "person") == []
