"""The commands: reconcile, runs approve/discard, report all, export contingent."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import Destination
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli.main import app
from local_store.history import records_as_of
from local_store.hold import guarded_ingest
from local_store.runs import start_run
from tests.reconcile.test_hold import snapshot
from tests.reconcile.worlds import ingest_world
from tests.reports.worlds import ingest_term

runner = CliRunner()


def db(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_reconcile_command_reports_causes(engine: Engine) -> None:
    ingest_world(engine)
    result = runner.invoke(app, ["--db", db(engine), "reconcile", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["by_rule"]["movement.order_missing_journal"] == 25
    assert payload["root_causes"][0]["consequences"] == 50

    listed = runner.invoke(
        app, ["--db", db(engine), "discrepancies", "list"], env={"COLUMNS": "400"}
    )
    assert listed.exit_code == 0 and "Приказ № 45-к" in listed.output
    some = next(
        line.split("│")[-2].strip()
        for line in listed.output.splitlines()
        if line.startswith("│") and line.split("│")[-2].strip().startswith("D")
    )
    ack = runner.invoke(
        app, ["--db", db(engine), "discrepancies", "acknowledge", some, "--note", "проверяем"]
    )
    assert ack.exit_code == 0 and "принято в работу" in ack.output


def test_runs_held_approve_and_discard(engine: Engine) -> None:
    t = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    guarded_ingest(
        engine,
        start_run(engine, "netschool", deployment="ns.test", observed_at=t),
        snapshot({"g1": 30, "g2": 30}),
    )
    r2 = start_run(engine, "netschool", deployment="ns.test", observed_at=t + dt.timedelta(hours=1))
    assert guarded_ingest(engine, r2, snapshot({"g1": 30})).held

    listed = runner.invoke(app, ["--db", db(engine), "runs", "held"])
    assert (
        listed.exit_code == 0 and f"Запуск {r2}" in listed.output and "Группа g2" in listed.output
    )
    changes = runner.invoke(app, ["--db", db(engine), "runs", "held", str(r2)])
    assert changes.output.count("удалена") >= 30
    history = runner.invoke(app, ["--db", db(engine), "runs"])
    assert history.exit_code == 0 and "задержан" in history.output

    discarded = runner.invoke(app, ["--db", db(engine), "runs", "discard", str(r2)])
    assert discarded.exit_code == 0 and "отклонён" in discarded.output
    assert len(records_as_of(engine, "enrolment")) == 60
    again = runner.invoke(app, ["--db", db(engine), "runs", "approve", str(r2)])
    assert again.exit_code == 1 and "уже отклонён" in again.output

    r3 = start_run(engine, "netschool", deployment="ns.test", observed_at=t + dt.timedelta(hours=2))
    assert guarded_ingest(engine, r3, snapshot({"g1": 30})).held
    approved = runner.invoke(app, ["--db", db(engine), "runs", "approve", str(r3)])
    assert approved.exit_code == 0, approved.output
    assert len(records_as_of(engine, "enrolment")) == 30


def test_report_all_writes_every_report(engine: Engine, tmp_path: Path) -> None:
    ingest_term(engine)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["--db", db(engine), "report", "all", "--period", "1 семестр", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    for stem in (
        "otchet_zamestitelyu",
        "itogi_uspevaemosti",
        "uchet_chasov_1",
        "aktivnost_polzovateley",
        "prognoz-uspevaemosti",
    ):
        assert {f"{stem}.html", f"{stem}.pdf", f"{stem}.xlsx"} <= names
    # a book per class, a bookmark per subject; the journals and «Итоги» of the period are
    # not empty (issue 14): the class's marks and the groups' rows are printed
    books = {p.name: PdfReader(p) for p in (out / "zhurnaly").glob("*.pdf")}
    assert set(books) == {"zhurnal_is_21.pdf", "zhurnal_tm_11.pdf"}
    outline = {
        name: [
            mark.title
            for level in book.outline
            if isinstance(level, list)
            for mark in level
            if isinstance(mark, Destination)
        ]
        for name, book in books.items()
    }
    assert outline == {
        "zhurnal_is_21.pdf": ["Информатика", "История", "Математика"],
        "zhurnal_tm_11.pdf": ["История", "Математика"],
    }
    for name, book in books.items():
        text = "".join(page.extract_text() for page in book.pages)
        lessons = [int(n) for n in re.findall(r"Итого\s+(\d+)\s+уроков", text)]
        assert len(lessons) == len(outline[name]) and min(lessons) > 0, lessons
        assert "н/а" in text, "the planted «н/а» period mark is printed"
    itogi = "".join(p.extract_text() for p in PdfReader(out / "itogi_uspevaemosti.pdf").pages)
    assert "ИС-21" in itogi and "ТМ-11" in itogi
    assert len(list((out / "kontingent").glob("*.xml"))) == 1
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Итоги успеваемости" in index and "zhurnaly/" in index
    assert "Прогноз успеваемости и посещаемости" in index

    bad = runner.invoke(
        app,
        [
            "--db",
            db(engine),
            "report",
            "itogi-uspevaemosti",
            "--period",
            "3 семестр",
            "-o",
            str(out),
        ],
    )
    assert bad.exit_code == 1 and "период «3 семестр» не найден" in bad.output


def test_export_contingent_command(engine: Engine, tmp_path: Path) -> None:
    ingest_world(engine)
    result = runner.invoke(
        app, ["--db", db(engine), "export", "contingent", "--format", "csv", "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "Выгружено 28 из 29" in result.output and "СНИЛС: 1" in result.output
    bad = runner.invoke(
        app, ["--db", db(engine), "export", "contingent", "--format", "pdf", "-o", str(tmp_path)]
    )
    assert bad.exit_code == 1 and "не поддерживается" in bad.output
