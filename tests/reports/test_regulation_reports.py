"""Regulation reports: XLSX figures equal a direct computation over the scenario; PDFs carry the text."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Engine

from canonical.base import Platform
from reports.data import load_journal, pick_source, resolve_period
from reports.regulation import REGULATION_REPORTS, ReportContext
from reports.render import write_tabular
from tests.reports.worlds import AS_OF, ASSIGN, HOURS, build, ingest_term


def sheet_rows(path: Path, sheet_index: int = 0) -> tuple[list[str], list[list[Any]]]:
    """Header and data rows of a report sheet (header = the bold row after the heading lines)."""
    wb = load_workbook(path)
    ws = wb.worksheets[sheet_index]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header_at = next(
        i
        for i, r in enumerate(rows)
        if ws.cell(row=i + 1, column=1).font.bold and i > 0 and r[1] is not None
    )
    frozen = ws.freeze_panes
    assert (
        frozen is not None and int("".join(ch for ch in frozen if ch.isdigit())) == header_at + 2
    ), "header row frozen"
    return [str(c) for c in rows[header_at]], rows[header_at + 1 :]


def _context(engine: Engine, period: str | None = "1 семестр") -> ReportContext:
    data = load_journal(engine, pick_source(engine))
    return ReportContext(data, resolve_period(data, period), engine)


def _finals_by_group(world_data: dict[str, Any]) -> dict[str, dict[str, list[str]]]:
    cols = world_data["tables"]["mark"]["columns"]
    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in world_data["tables"]["mark"]["rows"]:
        m = dict(zip(cols, row, strict=True))
        if m["final_kind"] == "period":
            out[m["group_id"]][m["student_id"]].append(m["value"])
    return out


def _as_attestation(world_data: dict[str, Any]) -> dict[str, Any]:
    """The period marks as «Модуль ПОО» carries them: intermediate attestation marks."""
    cols = world_data["tables"]["mark"]["columns"]
    kind = cols.index("final_kind")
    out = {**world_data, "tables": {**world_data["tables"]}}
    out["tables"]["mark"] = {
        "columns": cols,
        "rows": [
            [*r[:kind], "attestation" if r[kind] == "period" else r[kind], *r[kind + 1 :]]
            for r in world_data["tables"]["mark"]["rows"]
        ],
    }
    return out


@pytest.mark.parametrize(
    ("platform", "final_kind"),
    [
        (Platform.NETSCHOOL, "period"),
        (Platform.POO, "period"),
        (Platform.POO, "attestation"),
    ],
)
def test_itogi_uspevaemosti_matches_direct_count(
    engine: Engine, tmp_path: Path, platform: Platform, final_kind: str
) -> None:
    data = build()
    served = data if final_kind == "period" else _as_attestation(data)
    ingest_term(engine, served, platform=platform, deployment="college.test")
    paths = write_tabular(
        REGULATION_REPORTS["itogi_uspevaemosti"][1](_context(engine)), tmp_path, ("xlsx",)
    )
    header, rows = sheet_rows(paths["xlsx"])
    by_group = {r[0]: dict(zip(header, r, strict=True)) for r in rows}

    finals = _finals_by_group(data)
    sizes = {"ИС-21": ("g1", 10), "ТМ-11": ("g2", 8)}
    for name, (gid, size) in sizes.items():
        students = finals[gid]
        excellent = sum(1 for v in students.values() if set(v) == {"5"})
        good = sum(1 for v in students.values() if set(v) <= {"4", "5"} and "4" in v)
        failing = sum(1 for v in students.values() if {"2", "н/а"} & set(v))
        one_three = sum(
            1 for v in students.values() if v.count("3") == 1 and not {"2", "н/а"} & set(v)
        )
        got = by_group[name]
        assert got["Обучающихся"] == size
        assert got["Аттестовано"] == len(students) == size - 1
        assert got["Не аттестовано"] == 1
        assert got["На «5»"] == excellent >= 1
        assert got["На «4» и «5»"] == good >= 1
        assert got["С одной «3»"] == one_three >= 1
        assert got["Неуспевающих"] == failing == 2
        assert got["Успеваемость, %"] == pytest.approx(round(100 * (size - 1 - failing) / size, 1))
        assert got["Качество, %"] == pytest.approx(round(100 * (excellent + good) / size, 1))
    total = rows[-1]
    assert total[0] == "Итого" and total[1] == 18


def test_itogi_poseshchaemosti_matches_direct_count(engine: Engine, tmp_path: Path) -> None:
    data = build()
    ingest_term(engine, data)
    paths = write_tabular(
        REGULATION_REPORTS["itogi_poseshchaemosti"][1](_context(engine)), tmp_path, ("xlsx",)
    )
    header, rows = sheet_rows(paths["xlsx"])
    by_group = {r[0]: dict(zip(header, r, strict=True)) for r in rows}

    lcols = data["tables"]["lesson"]["columns"]
    lessons = {r[0]: dict(zip(lcols, r, strict=True)) for r in data["tables"]["lesson"]["rows"]}
    acols = data["tables"]["absence"]["columns"]
    per: dict[str, Counter[str]] = defaultdict(Counter)
    for row in data["tables"]["absence"]["rows"]:
        a = dict(zip(acols, row, strict=True))
        lesson = lessons[a["lesson_id"]]
        c = per[lesson["group_id"]]
        if a["code"] == "ОП":
            c["late"] += 1
            continue
        c["missed"] += 1
        c["hours"] += int(lesson["hours"] or 1)
        c[{"Б": "ill", "УП": "valid", "НП": "invalid", "ОТ": "unset"}[a["code"]]] += 1
    for name, gid in (("ИС-21", "g1"), ("ТМ-11", "g2")):
        got, c = by_group[name], per[gid]
        assert got["Проведено уроков"] == sum(1 for x in lessons.values() if x["group_id"] == gid)
        assert got["Пропущено уроков"] == c["missed"] > 0
        assert got["Пропущено часов"] == c["hours"]
        assert got["По уважительной причине"] == c["valid"] + c["ill"]
        assert got["В т. ч. по болезни"] == c["ill"]
        assert got["Без уважительной причины"] == c["invalid"]
        assert got["Причина не указана"] == c["unset"]
        assert got["Опозданий"] == c["late"]
    assert rows[-1][3] == sum(c["missed"] for c in per.values())


def test_uchet_chasov_1_matches_direct_sum(engine: Engine, tmp_path: Path) -> None:
    data = build()
    ingest_term(engine, data)
    report = REGULATION_REPORTS["uchet_chasov_1"][1](_context(engine, "2026-10"))
    paths = write_tabular(report, tmp_path, ("xlsx", "pdf"))
    header, rows = sheet_rows(paths["xlsx"])
    assert header[:3] == ["Преподаватель", "Группа", "Дисциплина"] and header[-1] == "Итого часов"
    assert header[3:-1] == [str(d) for d in range(1, 32)]

    lcols = data["tables"]["lesson"]["columns"]
    expected: dict[tuple[str, str, str], float] = defaultdict(float)
    per_day: dict[tuple[str, str, str, int], float] = defaultdict(float)
    names = {
        "t1": "Котова О. И.",
        "t2": "Ли В. С.",
        "t3": "Орлова Н. П.",
        "g1": "ИС-21",
        "g2": "ТМ-11",
        "sub1": "Математика",
        "sub2": "Информатика",
        "sub3": "История",
    }
    for row in data["tables"]["lesson"]["rows"]:
        lesson = dict(zip(lcols, row, strict=True))
        if not lesson["date"].startswith("2026-10"):
            continue
        key = (names[lesson["teacher_id"]], names[lesson["group_id"]], names[lesson["subject_id"]])
        hours = HOURS[lesson["subject_id"]] or 1.0
        expected[key] += hours
        per_day[(*key, int(lesson["date"][-2:]))] += hours
    body = [r for r in rows if r[0] != "Итого"]
    assert len(body) == len(ASSIGN)
    for r in body:
        key = (r[0], r[1], r[2])
        assert r[-1] == pytest.approx(expected[key])
        for day in range(1, 32):
            assert (r[2 + day] or 0) == pytest.approx(per_day[(*key, day)])
    assert rows[-1][-1] == pytest.approx(sum(expected.values()))

    text = "".join(page.extract_text() for page in PdfReader(paths["pdf"]).pages)
    assert (
        "Учёт часов преподавателя № 1" in text and "октябрь 2026" in text and "Котова О. И." in text
    )


def test_every_regulation_report_renders_in_three_formats(engine: Engine, tmp_path: Path) -> None:
    ingest_term(engine)
    ctx = _context(engine)
    for name, (title, builder) in REGULATION_REPORTS.items():
        report = builder(ctx)
        assert report.title == title
        assert report.tables, f"{name}: no table"
        paths = write_tabular(report, tmp_path / name)
        reader = PdfReader(paths["pdf"])
        text = " ".join(page.extract_text() for page in reader.pages)
        assert title.split()[0] in text, name
        assert "Томский политехнический техникум" in text, name
        assert load_workbook(paths["xlsx"]).worksheets, name
        assert title in paths["html"].read_text(encoding="utf-8")


def test_activity_counts_entries_first_seen_in_the_period(engine: Engine, tmp_path: Path) -> None:
    data = build()
    ingest_term(engine, data)
    report = REGULATION_REPORTS["aktivnost_polzovateley"][1](_context(engine))
    table = report.tables[0]
    kotova = next(r for r in table.rows if str(r[0]).startswith("Котова"))
    mcols = data["tables"]["mark"]["columns"]
    marks = sum(
        1
        for r in data["tables"]["mark"]["rows"]
        if dict(zip(mcols, r, strict=True))["teacher_id"] == "t1"
    )
    lessons = sum(1 for r in data["tables"]["lesson"]["rows"] if r[4] == "t1")
    assert kotova[2] == lessons and kotova[4] == marks
    # a period before the sync saw anything: nothing was entered then
    empty = REGULATION_REPORTS["aktivnost_polzovateley"][1](_context(engine, "2026-09"))
    assert all(r[6] == 0 for r in empty.tables[0].rows)
    assert AS_OF.month == 12


def test_default_period_is_the_shortest_one_around_today(engine: Engine) -> None:
    import datetime as dt

    data = build()
    data["tables"]["period"]["rows"].append(
        ["py", "2026-08-25T09:00:00+07:00", "y1", "year", 1, "Год", "2026-09-01", "2027-06-30"]
    )
    ingest_term(engine, data)
    journal = load_journal(engine, pick_source(engine))
    assert resolve_period(journal, None, today=dt.date(2026, 10, 15)).title == "1 семестр"
    assert resolve_period(journal, None, today=dt.date(2027, 8, 1)).title == "2 семестр"
    assert resolve_period(journal, "Год").period_id == "py"
    month = resolve_period(journal, "2026-10")
    assert (month.start, month.end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
