"""Violations as records: stable on re-run, resolved with the time, approved without deletion."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Engine
from typer.testing import CliRunner

from canonical.base import Record
from cli.main import app
from local_store.violations import approve, list_violations
from policies.engine import run_check
from policies.profiles import load_profile
from tests.policies.store import rec, sync

UTC = dt.UTC
DAY = dt.date(2026, 10, 5)  # Monday


def _lesson(topic: str) -> Record:
    return rec(
        "lesson", "L1", group_id="G1", subject_id="S", teacher_id="T1", date=DAY, topic=topic
    )


def _mark(value: str, mark_id: str = "M1") -> Record:
    return rec(
        "mark",
        mark_id,
        student_id="S1",
        subject_id="S",
        group_id="G1",
        lesson_id="L1",
        date=DAY,
        value=value,
        work_kind_name="Ответ на уроке",
    )


def test_rerun_fix_and_approve(engine: Engine) -> None:
    kpgt = load_profile("kpgt")  # Asia/Yekaterinburg, UTC+5
    scope = {"journal": [_lesson("Дроби"), _mark("5")]}
    sync(engine, dt.datetime(2026, 10, 5, 12, tzinfo=UTC), scope)
    # The mark is corrected the next day: «задним числом».
    sync(
        engine,
        dt.datetime(2026, 10, 6, 12, tzinfo=UTC),
        {"journal": [_lesson("Дроби"), _mark("3")]},
    )
    first = run_check(engine, kpgt, rules=["marks.no_backdating", "marks.scale"])
    assert first.totals()["opened"] == 1
    [v] = list_violations(engine, rule_id="marks.no_backdating")
    assert v["evidence"]["before"] == "5" and v["evidence"]["after"] == "3"
    assert v["clause"].startswith("п. 3.2: «Запрещается исправлять оценки")

    again = run_check(engine, kpgt, rules=["marks.no_backdating", "marks.scale"], full=True)
    assert again.totals() == {
        "opened": 0,
        "changed": 0,
        "reopened": 0,
        "unchanged": 1,
        "resolved": 0,
    }
    assert list_violations(engine) == [v]

    # A mark outside the scale appears, then is fixed: resolved with the data moment.
    sync(
        engine,
        dt.datetime(2026, 10, 7, 12, tzinfo=UTC),
        {"journal": [_lesson("Дроби"), _mark("3"), _mark("5+", "M2")]},
    )
    run_check(engine, kpgt, rules=["marks.no_backdating", "marks.scale"])
    [scale] = list_violations(engine, rule_id="marks.scale")
    assert scale["status"] == "open" and scale["entity_key"] == "M2"
    # dated by the data that showed it (the sync at 7 Oct 12:00), not by the check's clock
    assert scale["first_detected_at"] == dt.datetime(2026, 10, 7, 12, tzinfo=UTC)
    fixed_at = dt.datetime(2026, 10, 8, 9, tzinfo=UTC)
    sync(engine, fixed_at, {"journal": [_lesson("Дроби"), _mark("3"), _mark("5", "M2")]})
    inc = run_check(engine, kpgt, rules=["marks.no_backdating", "marks.scale"])
    assert inc.since_run_id is not None  # incremental
    [scale] = list_violations(engine, rule_id="marks.scale")
    assert scale["status"] == "resolved" and scale["resolved_at"] == fixed_at

    # Approval: an approved exception, never deleted, and stays so on the next check.
    approve(
        engine,
        str(v["id"]),
        document_number="17-у",
        document_date=dt.date(2026, 10, 9),
        approved_by="Заместитель директора",
    )
    run_check(engine, kpgt, rules=["marks.no_backdating", "marks.scale"], full=True)
    found = list_violations(engine, rule_id="marks.no_backdating")
    assert {x["entity_key"] for x in found} == {"M1", "M2"}  # the fix of M2 was an edit too
    [v2] = [x for x in found if x["entity_key"] == "M1"]
    assert v2["id"] == v["id"] and v2["status"] == "approved" and v2["approval_document"] == "17-у"


def test_cli_check_violations_json_and_approve(engine: Engine) -> None:
    sync(
        engine,
        dt.datetime(2026, 10, 5, 12, tzinfo=UTC),
        {"journal": [_lesson("Дроби"), _mark("5+")]},
    )
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    result = runner.invoke(
        app, ["--db", url, "check", "--profile", "kpgt", "--rule", "marks.scale"]
    )
    assert result.exit_code == 0, result.output
    assert "Новых нарушений: 1" in result.output
    out = runner.invoke(app, ["--db", url, "violations", "--format", "json"])
    data = json.loads(out.stdout)
    assert data["format"] == "sverka-violations" and data["version"] == 1
    [item] = data["violations"]
    assert item["rule_id"] == "marks.scale" and item["entity"]["id"] == "M1"
    ok = runner.invoke(
        app,
        [
            "--db",
            url,
            "approve",
            str(item["id"]),
            "--document",
            "5",
            "--date",
            "2026-10-06",
            "--by",
            "Директор",
        ],
    )
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(
        app,
        [
            "--db",
            url,
            "approve",
            "999",
            "--document",
            "5",
            "--date",
            "2026-10-06",
            "--by",
            "Директор",
        ],
    )
    assert bad.exit_code == 1 and "не найдено" in bad.output
    csv_out = runner.invoke(
        app, ["--db", url, "violations", "--status", "approved", "--format", "csv"]
    )
    assert "согласованное исключение" in csv_out.stdout


def test_incremental_equals_full(engine: Engine) -> None:
    mazanka = load_profile("mazanka")  # topics by 20:00 Simferopol (17:00 UTC)
    lessons = [
        rec(
            "lesson",
            f"L{i}",
            group_id="G1",
            subject_id="S",
            teacher_id="T1",
            date=dt.date(2026, 10, 5 + i),
            topic=None,
        )
        for i in range(3)
    ]
    sync(engine, dt.datetime(2026, 10, 5, 6, tzinfo=UTC), {"journal": lessons})
    first = run_check(engine, mazanka, rules=["lesson.topic.deadline"])
    assert first.full and list_violations(engine) == []
    # L0's topic arrives the next morning: late; L1 still empty after its deadline.
    filled = [lessons[0].model_copy(update={"topic": "Дроби"}), *lessons[1:]]
    sync(engine, dt.datetime(2026, 10, 5, 17, tzinfo=UTC), {"journal": lessons})
    sync(engine, dt.datetime(2026, 10, 6, 18, tzinfo=UTC), {"journal": filled})
    inc = run_check(engine, mazanka, rules=["lesson.topic.deadline"])
    assert not inc.full and inc.since_run_id == first.upto_run_id
    got = {(v["entity_key"], v["verdict"]) for v in list_violations(engine)}
    assert got == {("L0", "violated"), ("L1", "violated")}
    full = run_check(engine, mazanka, rules=["lesson.topic.deadline"], full=True)
    assert full.totals()["opened"] == full.totals()["changed"] == full.totals()["resolved"] == 0
