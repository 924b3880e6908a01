"""The contingent export: invalid records stay in, the XML validates against our XSD, delta since a run."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from lxml import etree
from openpyxl import load_workbook
from sqlalchemy import Engine

from reports.contingent_export import NAMESPACE, XSD_PATH, ExportError, check_xml, export_contingent
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
