"""The job functions plans run: every kind resolves, local files import without losing anything."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine

from connectors.local_files.reader import FileReadError, read_table
from local_store.history import records_as_of
from local_store.runs import list_runs
from pipelines.local_files import import_local_file
from scheduler.jobs import JOB_KINDS, job_kind

MOMENT = dt.datetime(2026, 9, 14, 21, 0, tzinfo=dt.UTC)


def test_every_job_kind_resolves_to_a_function() -> None:
    for kind in JOB_KINDS:
        assert callable(job_kind(kind).function()), kind
    with pytest.raises(ValueError, match="неизвестный вид"):
        job_kind("teleport")


def _write_cp1251(path: Path, lines: list[str]) -> None:
    path.write_bytes("\r\n".join(lines).encode("cp1251"))


def test_cp1251_csv_imports_and_a_bad_row_loses_nothing(engine: Engine, tmp_path: Path) -> None:
    first = tmp_path / "paper_report.csv"
    _write_cp1251(
        first,
        [
            "Код;Родитель;Ребёнок;Дата выдачи",
            "pr1;p1;s1;2026-09-07",
            "pr2;p2;s2;2026-09-08",
        ],
    )
    counts = import_local_file(
        engine, first, "paper_report", deployment="local:test", observed_at=MOMENT
    )
    assert counts["paper_report"]["added"] == 2

    second = tmp_path / "paper_report_next.csv"
    _write_cp1251(
        second,
        [
            "Код;Родитель;Ребёнок;Дата выдачи",
            "pr1;p1;s1;07.09.2026",  # a date the secretary typed the Russian way: rejected, kept as was
            "pr3;p3;s3;2026-09-10",
        ],
    )
    counts = import_local_file(
        engine,
        second,
        "paper_report",
        deployment="local:test",
        observed_at=MOMENT + dt.timedelta(days=1),
    )
    problems = counts["_problems"]
    assert len(problems) == 1 and "строка 2" in problems[0] and "given_on" in problems[0]
    kept = {r.source.external_id for r in records_as_of(engine, "paper_report")}
    assert kept == {"pr1", "pr3"}, "the unreadable row's record is kept, the missing one removed"
    assert counts["paper_report"] == {"added": 1, "changed": 0, "removed": 1, "unchanged": 1}
    assert all(r.status.value == "succeeded" for r in list_runs(engine))


def test_xlsx_with_russian_headers(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Код", "Человек", "Дата выдачи кода", "Дата регистрации"])
    sheet.append(["ic1", "p1", dt.datetime(2026, 9, 1), None])
    path = tmp_path / "codes.xlsx"
    book.save(path)
    (row,) = read_table(path)
    assert row.line == 2
    assert row.values["Дата выдачи кода"] == "2026-09-01"
    assert row.values["Дата регистрации"] == ""


def test_unreadable_files_say_what_and_where(tmp_path: Path) -> None:
    with pytest.raises(FileReadError, match="не найден"):
        read_table(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a;b\n1;2;3\n")
    with pytest.raises(FileReadError, match="строка 2"):
        read_table(bad)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes([0x81, 0x98, 0xFF, 0xFE]) * 10)
    with pytest.raises(FileReadError, match="кодировке"):
        read_table(binary)
