"""The forecast through the store (both backends): its sums are the journal's, by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli.main import app
from policies.forecast import (
    ForecastParams,
    History,
    Period,
    compute_forecast,
    compute_histories,
    current_period,
    forecast_subject,
)
from reports.forecast import forecast_report, load_forecast, notice_context
from tests.reports.worlds import build, ingest_term

AS_OF = dt.date(2026, 10, 15)
PERIOD = Period("p1", "1 семестр", dt.date(2026, 9, 1), dt.date(2026, 12, 31))


def _by_hand(data: dict, student: str, subject: str) -> History:  # type: ignore[type-arg]
    """The student's history from the scenario's rows, counted in Python."""
    t = data["tables"]
    col = {k: {c: i for i, c in enumerate(t[k]["columns"])} for k in ("lesson", "mark", "absence")}
    lessons = {
        r[0]: r
        for r in t["lesson"]["rows"]
        if r[col["lesson"]["group_id"]] == "g1" and r[col["lesson"]["subject_id"]] == subject
    }
    held = [lid for lid, r in lessons.items() if r[col["lesson"]["date"]] <= AS_OF.isoformat()]
    values = [
        float(r[col["mark"]["value"]])
        for r in t["mark"]["rows"]
        if r[col["mark"]["student_id"]] == student
        and r[col["mark"]["subject_id"]] == subject
        and r[col["mark"]["final_kind"]] is None
        and r[col["mark"]["date"]] <= AS_OF.isoformat()
    ]
    missed = {
        r[col["absence"]["lesson_id"]]
        for r in t["absence"]["rows"]
        if r[col["absence"]["student_id"]] == student
        and r[col["absence"]["lesson_id"]] in held
        and r[col["absence"]["code"]] != "ОП"
    }
    return History(
        marks=len(values),
        weight=len(values),
        weighted_sum=sum(values),
        weighted_squares=sum(v * v for v in values),
        held=len(held),
        missed=len(missed),
        planned=len(lessons),
    )


def test_forecast_sums_are_the_journals(engine: Engine) -> None:
    data = build()
    ingest_term(engine, data)
    # the plain model (no priors, trend or absence shrinkage): the store's sums alone
    params = ForecastParams(prior_marks=0, trend_prior=None, absence_prior=0, rate_prior=0)
    with engine.connect() as conn:
        period = current_period(conn, "netschool", "ns.test", AS_OF, params.period_kinds)
        assert period == PERIOD
        forecast = compute_forecast(conn, "netschool", "ns.test", PERIOD, AS_OF, params)
    # ten students in g1, eight in g2; g1 has three subjects, g2 two
    assert len(forecast.students) == 18
    assert {len(s.subjects) for s in forecast.students.values()} == {2, 3}
    for student in ("s01", "s04", "s07"):
        got = forecast.students[student].subjects["sub1"]
        hand = _by_hand(data, student, "sub1")
        assert got.marks_so_far == hand.marks
        assert got.held == hand.held and got.missed == hand.missed
        assert got.current_mean == (hand.mean if hand.marks else None)
        # lessons were published only to 31.10, so the period's lessons are paced, not counted
        assert got.planned > hand.planned
    # the whole forecast of one student equals the model applied to the hand history and
    # the group's mean (the prior), with the store's pacing of the period
    g1 = [f"s{i:02d}" for i in range(1, 11)]
    sums = [_by_hand(data, s, "sub1") for s in g1]
    group_mean = sum(h.weighted_sum for h in sums) / sum(h.weight for h in sums)
    got = forecast.students["s01"].subjects["sub1"]
    hand = _by_hand(data, "s01", "sub1")
    again = forecast_subject(
        History(
            marks=hand.marks,
            weight=hand.weight,
            weighted_sum=hand.weighted_sum,
            weighted_squares=hand.weighted_squares,
            held=hand.held,
            missed=hand.missed,
            planned=got.planned,
            planned_from=got.planned_from,
            group_mean=group_mean,
        ),
        params,
    )
    assert again == got
    # the group's figures the full model shrinks toward are the journal's too
    with engine.connect() as conn:
        rows = compute_histories(conn, "netschool", "ns.test", PERIOD, AS_OF)
    h = next(h for st, _, sub, h in rows if st == "s01" and sub == "sub1")
    held, missed, marks = (sum(getattr(x, k) for x in sums) for k in ("held", "missed", "marks"))
    assert h.group_missed_share == pytest.approx(missed / held)
    assert h.group_mark_rate == pytest.approx(marks / (held - missed))
    assert h.group_mean == pytest.approx(group_mean)


def test_report_and_notice_render(engine: Engine, tmp_path: Path) -> None:
    ingest_term(engine)
    bundle = load_forecast(engine, AS_OF, profile_id="tpt")
    report = forecast_report(bundle)
    titles = [t.title for t in report.tables]
    assert titles[:4] == [
        "Прогноз по группам",
        "Прогноз по отделениям",
        "Прогноз по специальностям",
        "Обучающиеся в зоне риска",
    ]
    by_group = report.tables[0]
    assert [r[0] for r in by_group.rows] == ["ИС-21", "ТМ-11"]
    assert by_group.totals is not None and by_group.totals[1] == 18
    # every student-subject forecast lands in exactly one mark column
    marks = sum(v for v in by_group.totals[2:8] if isinstance(v, int))
    assert marks == 10 * 3 + 8 * 2
    assert "Томский политехнический" in report.institution
    page = notice_context(bundle, bundle.forecast.students["s01"])
    assert page["student"].startswith("Алексеев") and page["group"] == "ИС-21"
    assert [r["subject"] for r in page["rows"]] == ["Информатика", "История", "Математика"]


def test_forecast_command_writes_report_and_notices(engine: Engine, tmp_path: Path) -> None:
    ingest_term(engine)
    out = tmp_path / "prognoz"
    result = CliRunner().invoke(
        app,
        [
            "--db",
            engine.url.render_as_string(hide_password=False),
            "forecast",
            "--as-of",
            AS_OF.isoformat(),
            "--profile",
            "tpt",
            "--out",
            str(out),
            "--format",
            "html,xlsx",
            "--group",
            "ТМ-11",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "обучающихся 18" in result.output
    html = (out / "prognoz-uspevaemosti.html").read_text(encoding="utf-8")
    assert "Прогноз успеваемости и посещаемости" in html and "15.10.2026" in html
    notices = (out / "uvedomleniya-ТМ-11.html").read_text(encoding="utf-8")
    assert notices.count('class="notice"') == 8
    assert (out / "prognoz-uspevaemosti.xlsx").stat().st_size > 0
    # without --as-of: the day the data shows (the sync's observation, Tomsk time), not today
    later = CliRunner().invoke(
        app,
        [
            "--db",
            engine.url.render_as_string(hide_password=False),
            "forecast",
            "--out",
            str(tmp_path / "by-data"),
            "--format",
            "html",
            "--no-notices",
        ],
    )
    assert later.exit_code == 0, later.output
    assert "на 30.12.2026" in later.output
    assert not list((tmp_path / "by-data").glob("uvedomleniya-*"))
    bad = CliRunner().invoke(
        app,
        ["--db", engine.url.render_as_string(hide_password=False), "forecast", "--as-of", "15.10"],
    )
    assert bad.exit_code == 1 and "дата пишется как" in bad.output


def test_a_new_period_nobody_has_taught_in_yet_gives_way_to_the_one_just_ended(
    engine: Engine,
) -> None:
    """On 13.01 the second semester (from 12.01) has no lesson in the journal yet: the forecast
    stays on the first semester, ended 13 days before, whose marks are still to be set."""
    ingest_term(engine)
    kinds = ForecastParams().period_kinds
    with engine.connect() as conn:
        after_break = current_period(conn, "netschool", "ns.test", dt.date(2027, 1, 13), kinds)
        long_after = current_period(conn, "netschool", "ns.test", dt.date(2027, 2, 15), kinds)
    assert after_break == PERIOD
    assert long_after is not None and long_after.name == "2 семестр"
