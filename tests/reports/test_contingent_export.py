"""The contingent export: invalid records stay in, the XML validates against our XSD, delta since a run."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import xmlschema
from lxml import etree
from openpyxl import load_workbook
from sqlalchemy import Engine

from reports.contingent_export import (
    NAMESPACE,
    XSD_PATH,
    ExportError,
    check_xml,
    export_contingent,
    movement_text,
)
from reports.data import pick_source
from tests.reconcile.worlds import contingent_world, ingest_world

NOW = dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.UTC)
PLANTED = {
    "s30": "snils",  # wrong checksum
    "s10": "dictionary",  # unknown document type
    "s11": "dates",  # born in the future
    "s12": "duplicate",  # shares s13's СНИЛС
    "s13": "duplicate",
    "s14": "required",  # no sex
}


def world_with_defects() -> dict[str, Any]:
    data = contingent_world()
    snils_col = data["tables"]["person"]["columns"].index("snils")
    s12 = next(r for r in data["tables"]["person"]["rows"] if r[0] == "s12")
    data["views"] += [
        {
            "platform": "netschool",
            "kind": "person",
            "id": "s10",
            "field": "document_type",
            "value": "99",
        },
        {
            "platform": "netschool",
            "kind": "person",
            "id": "s11",
            "field": "birth_date",
            "value": "2031-01-01",
        },
        {
            "platform": "netschool",
            "kind": "person",
            "id": "s13",
            "field": "snils",
            "value": s12[snils_col],
        },
        {"platform": "netschool", "kind": "person", "id": "s14", "field": "sex", "value": None},
    ]
    return data


def test_bulk_xml_validates_and_nothing_invalid_leaves(engine: Engine, tmp_path: Path) -> None:
    ingest_world(engine, world_with_defects())
    result = export_contingent(engine, pick_source(engine), tmp_path, fmt="xml", now=NOW)

    rejected = {r.student_id: {p.check for p in r.problems} for r in result.rejected}
    assert set(rejected) == set(PLANTED)
    for sid, check in PLANTED.items():
        assert check in rejected[sid], sid
    path = result.paths["export"]
    xmlschema.XMLSchema(str(XSD_PATH)).validate(str(path))
    root = etree.parse(str(path)).getroot()
    ids = {s.get("localId") for s in root.iter(f"{{{NAMESPACE}}}Student")}
    assert len(ids) == 29 - len(PLANTED) == int(root.get("count") or -1)
    assert not ids & set(PLANTED)
    assert root.get("kind") == "bulk"
    # the missing transfer: the journal's own orders travel with the student; s05 has none
    s05 = next(s for s in root.iter(f"{{{NAMESPACE}}}Student") if s.get("localId") == "s05")
    group = s05.find(f"{{{NAMESPACE}}}Education/{{{NAMESPACE}}}GroupName")
    assert group is not None and group.text == "ИС-21"

    wb = load_workbook(result.paths["validation_xlsx"])
    rows = list(wb.worksheets[1].iter_rows(values_only=True))
    listed = {r[1] for r in rows if r and r[1] in PLANTED}
    assert listed == set(PLANTED)
    summary = {
        r[0]: r[1]
        for r in wb.worksheets[0].iter_rows(values_only=True)
        if r and isinstance(r[1], int)
    }
    assert (
        summary["СНИЛС"] == 1 and summary["дубликаты"] == 2 and summary["невозможные даты"] == 2
    )  # born in the future, enrolled before birth


def test_invalid_xml_is_refused(tmp_path: Path) -> None:
    bad = (
        f'<ContingentExport xmlns="{NAMESPACE}" generatedAt="2026-10-20T12:00:00+00:00" kind="bulk" count="0">'
        "<Organization><Name>x</Name><Source>s</Source></Organization>"
        '<Students><Student localId="a"><Person><LastName>Иванов</LastName><FirstName>Иван</FirstName>'
        "<BirthDate>2008-01-01</BirthDate><Gender>3</Gender><SNILS>112-233-445 95</SNILS></Person>"
        "</Student></Students></ContingentExport>"
    ).encode()
    with pytest.raises(ExportError, match="не прошла проверку по схеме"):
        check_xml(bad)


def test_delta_since_run_and_flat_formats(engine: Engine, tmp_path: Path) -> None:
    ingest_world(engine)
    from local_store.runs import list_runs

    first = max(r.id for r in list_runs(engine, source="netschool"))
    changed = contingent_world()
    changed["views"].append(
        {
            "platform": "netschool",
            "kind": "person",
            "id": "s05",
            "field": "last_name",
            "value": "Новикова",
        }
    )
    ingest_world(engine, changed)

    delta = export_contingent(
        engine, pick_source(engine), tmp_path / "d", fmt="xml", since_run=first, now=NOW
    )
    assert [r.student_id for r in delta.exported] == ["s05"]
    root = etree.parse(str(delta.paths["export"])).getroot()
    assert root.get("kind") == "delta" and root.get("sinceRun") == str(first)

    flat = export_contingent(engine, pick_source(engine), tmp_path / "c", fmt="csv", now=NOW)
    with flat.paths["export"].open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0][:3] == ["Идентификатор", "Фамилия", "Имя"]
    assert len(rows) - 1 == len(flat.exported) == 28  # s30's СНИЛС has a wrong checksum

    xl = export_contingent(engine, pick_source(engine), tmp_path / "x", fmt="xlsx", now=NOW)
    ws = load_workbook(xl.paths["export"]).worksheets[0]
    ids = [
        r[0]
        for r in ws.iter_rows(values_only=True)
        if r and isinstance(r[0], str) and r[0].startswith("s")
    ]
    assert len(ids) == 28 and ws.freeze_panes is not None


def test_xlsx_reads_as_an_operator_expects(engine: Engine, tmp_path: Path) -> None:
    """Russian statuses and orders, codes beside their names with the dictionary, real dates,
    whole sheet names, and the registry's open discrepancies in the validation report."""
    from local_store.reconcile import reconcile
    from tests.reconcile.worlds import MOMENT, TODAY

    ingest_world(engine)
    reconcile(engine, at=MOMENT, today=TODAY)
    result = export_contingent(engine, pick_source(engine), tmp_path, fmt="xlsx", now=NOW)

    book = load_workbook(result.paths["export"])
    assert book.sheetnames == ["Выгрузка контингента", "Справочники кодов"]
    ws = book["Выгрузка контингента"]
    rows = list(ws.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r[0] == "Идентификатор")
    header = list(rows[header_at])
    body = [dict(zip(header, r, strict=True)) for r in rows[header_at + 1 :]]
    assert len(body) == 28
    english = {"studying", "expelled", "academic_leave", "graduated", "transferred_out"}
    assert {b["Статус обучения"] for b in body} <= {
        "обучается",
        "академический отпуск",
        "отчислен",
        "выпускник",
        "выбыл",
    }
    assert not any(
        w in str(v) for b in body for v in b.values() for w in english | {"enrolment", "expulsion"}
    )
    for b in body:
        assert isinstance(
            b["Дата рождения"], dt.datetime
        )  # openpyxl reads an Excel date back as datetime
        assert isinstance(b["Дата зачисления"], dt.datetime)
        assert {b["Код пола"], b["Пол"]} in ({"1", "мужской"}, {"2", "женский"})
        if b["Код вида документа"]:
            assert b["Вид документа"]
    date_cell = ws.cell(row=header_at + 2, column=header.index("Дата рождения") + 1)
    assert date_cell.is_date and date_cell.number_format == "DD.MM.YYYY"
    expulsion = {"movement": "expulsion", "number": "176-к", "order_date": dt.date(2024, 8, 27)}
    assert movement_text(expulsion) == "отчисление — приказ № 176-к от 27.08.2024"

    codes = {
        (r[0], r[1]): r[2] for r in book["Справочники кодов"].iter_rows(values_only=True) if r[1]
    }
    used = {b["Код вида документа"] for b in body if b["Код вида документа"]}
    names = {code: name for (dic, code), name in codes.items() if dic.startswith("Вид документа")}
    assert used and used <= set(names)
    assert names["21"] == "паспорт гражданина РФ"

    report = load_workbook(result.paths["validation_xlsx"])
    assert "Не выгружены — ошибки" in report.sheetnames
    assert all(len(n) <= 31 and not n.endswith(("(", " ")) for n in report.sheetnames)
    sheet = report[next(n for n in report.sheetnames if n.startswith("Открытые расхождения"))]
    lines = list(sheet.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(lines) if r[0] == "Обучающийся")
    listed = lines[head + 1 :]
    from local_store.discrepancies import Status, list_discrepancies

    expected = [
        d
        for d in list_discrepancies(engine, (Status.OPEN, Status.ACKNOWLEDGED))
        if not d.rule.startswith(("e_uslugi.", "epgu."))
    ]
    assert expected and len(listed) == len(expected)
    assert all(isinstance(r[5], dt.datetime) for r in listed)
    found = sheet.cell(row=head + 2, column=6)
    assert found.number_format == "DD.MM.YYYY HH:MM"
    first = min(d.first_seen_at for d in expected)
    assert min(r[5] for r in listed) == first.astimezone(ZoneInfo("Asia/Tomsk")).replace(
        tzinfo=None
    )
    assert {r[6] for r in listed} <= {"открыто", "принято в работу"}
    # tpt's п. 4.8 names the head of department for the registry
    assert {r[4] for r in listed} == {"заведующий отделением"}


def test_sheet_names_are_whole_words_and_keep_their_meaning() -> None:
    from reports.render import sheet_title

    taken: set[str] = set()
    assert sheet_title("Итоги успеваемости по группам (классам) за период", taken) == (
        "Итоги успеваемости по группам"
    )
    assert sheet_title("Итоги успеваемости по группам (курсам)", taken) == (
        "Итоги успеваемости (2)"
    )
    assert sheet_title("Не выгружены: ошибки", taken) == "Не выгружены — ошибки"
    assert all(len(n) <= 31 for n in taken)


def test_the_file_is_named_by_the_data_moment_on_the_institutions_clock(
    engine: Engine, tmp_path: Path
) -> None:
    """Issue 16: not the machine's clock, not UTC — the last sync's observation (12:00 UTC on
    20.10.2026) as Томск reads it (19:00)."""
    ingest_world(engine)
    result = export_contingent(engine, pick_source(engine), tmp_path, fmt="csv")
    assert result.paths["export"].name == "kontingent_bulk_20261020_190000.csv"
    again = export_contingent(engine, pick_source(engine), tmp_path / "again", fmt="csv")
    assert again.paths["export"].name == result.paths["export"].name, "same data, same name"
