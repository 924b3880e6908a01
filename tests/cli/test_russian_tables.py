"""What `sverka violations`, `status` and `runs` print: Russian titles, local time, 80 columns."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import Engine
from typer.testing import CliRunner

from cli.main import app
from policies.engine import run_check
from policies.profiles import load_profile
from policies.rule import all_rules
from tests.policies.store import rec, sync
from tests.policies.test_all_rules_run import _journal

runner = CliRunner()
RULE_ID = re.compile(r"\b[a-z_]+\.[a-z_]+(?:\.[a-z_]+)*\b")
ISO = re.compile(r"\d{4}-\d\d-\d\d|T\d\d:\d\d|UTC|\+00:00")


def db(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _store(engine: Engine) -> None:
    journal = [
        *_journal(),
        rec(
            "institution",
            "I",
            profile_id="tpt",
            name="ОГБПОУ «ТПТ»",
            institution_kind="college",
            timezone="Asia/Tomsk",
        ),
    ]
    sync(engine, dt.datetime(2026, 10, 6, 12, tzinfo=dt.UTC), {"all": journal})
    sync(engine, dt.datetime(2026, 10, 27, 12, tzinfo=dt.UTC), {"all": journal})
    run_check(engine, load_profile("tpt"), rules=[r.id for r in all_rules()], full=True)


def _readable(output: str, command: str) -> None:
    output = output.replace("test.local", "")  # the deployment host, as the platform names it
    for line in output.splitlines():
        assert len(line) <= 80, f"{command}: строка шире 80 знаков: {line}"
    assert not RULE_ID.search(output), f"{command}: идентификатор правила: {output}"
    assert not ISO.search(output), f"{command}: время не местное: {output}"
    english = [
        w
        for w in re.findall(r"[A-Za-z]{4,}", output)
        if w not in {"test", "local", "Present", "Simple"}
    ]
    assert not english, f"{command}: английские слова {english}: {output}"


def test_tables_are_russian_local_and_fit_80_columns(engine: Engine) -> None:
    _store(engine)
    env = {"COLUMNS": "80"}
    violations = runner.invoke(app, ["--db", db(engine), "violations"], env=env)
    assert violations.exit_code == 0, violations.output
    assert "Текущие отметки" in violations.output or "Тема урока" in violations.output
    _readable(violations.output, "violations")

    status = runner.invoke(app, ["--db", db(engine), "status"], env=env)
    assert status.exit_code == 0, status.output
    assert "Asia/Tomsk" in status.output and "Сетевой город" in status.output
    assert re.search(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", status.output)
    _readable(status.output.replace("Asia/Tomsk", "").split("Последние запуски")[1], "status")

    runs = runner.invoke(app, ["--db", db(engine), "runs"], env=env)
    assert runs.exit_code == 0, runs.output
    assert re.search(r"\d\d\.\d\d\.\d{4} \d\d:\d\d —", runs.output), runs.output
    _readable(runs.output.replace("Asia/Tomsk", "").replace("netschool", ""), "runs")


def test_help_keeps_square_brackets() -> None:
    result = runner.invoke(app, ["sync", "poo", "--help"], env={"COLUMNS": "120"})
    assert "раздел [poo]" in result.output, result.output


def test_violations_name_the_lesson_in_the_table_and_the_csv(engine: Engine) -> None:
    """Issue 16: a lesson-bound violation says which lesson — date, number, subject, group."""
    import csv
    import io

    _store(engine)
    line = re.compile(
        r"\d\d\.\d\d\.\d{4}, (\d+-й )?урок( \(\d\d:\d\d(–\d\d:\d\d)?\))?, Математика, группа 5А"
        r"; преподаватель Петрова А\."
    )
    exported = runner.invoke(app, ["--db", db(engine), "violations", "--format", "csv"])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(io.StringIO(exported.output)))
    lessons = [r["урок"] for r in rows if r["урок"]]
    assert lessons and all(line.match(text) for text in lessons), lessons
    assert any(text.startswith("05.10.2026, урок, Математика") for text in lessons), lessons

    table = runner.invoke(app, ["--db", db(engine), "violations"], env={"COLUMNS": "80"})
    assert table.exit_code == 0, table.output
    flat = " ".join(re.sub(r"[│┃|]", " ", table.output).split())
    assert "группа 5А" in flat and "05.10.2026" in flat, table.output
