"""Plans persist in the store, survive a restart, and fire once per firing across processes."""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from local_store.runs import RunStatus, list_runs
from local_store.scheduler_schema import job_lock
from scheduler import runner
from scheduler.plans import (
    PlanError,
    add_plan,
    list_plans,
    pause_plan,
    paused_scheduler,
    remove_plan,
    resume_plan,
)

SVERKA = [sys.executable, "-m", "cli.main"]


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def start_scheduler(engine: Engine, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*SVERKA, "--db", url_of(engine), "scheduler", "run"],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parents[2],
    )


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=20)


def wait_for_runs(engine: Engine, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (
            len([r for r in list_runs(engine, limit=500) if r.status is RunStatus.SUCCEEDED])
            >= count
        ):
            return
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} runs within {timeout} s")


def firings(engine: Engine) -> list[tuple[str, int | None]]:
    with engine.connect() as conn:
        return [
            (row[0], row[1]) for row in conn.execute(select(job_lock.c.lock_key, job_lock.c.run_id))
        ]


def test_plans_are_stored_and_managed(engine: Engine) -> None:
    add_plan(engine, "evening", "noop", "cron:0 21 * * *", timezone="Asia/Tomsk", params={"a": "1"})
    add_plan(engine, "epgu", "noop", "interval:300")
    plans = {p.id: p for p in list_plans(engine)}
    assert set(plans) == {"evening", "epgu"}
    evening = plans["evening"]
    assert evening.params == {"a": "1"}
    assert evening.next_run is not None
    assert evening.next_run.utcoffset() is not None
    assert (evening.next_run.hour, evening.next_run.minute) == (21, 0), "21:00 in Tomsk's own zone"

    pause_plan(engine, "evening")
    assert {p.id: p.paused for p in list_plans(engine)}["evening"] is True
    resume_plan(engine, "evening")
    assert {p.id: p.paused for p in list_plans(engine)}["evening"] is False
    remove_plan(engine, "epgu")
    assert [p.id for p in list_plans(engine)] == ["evening"]

    with pytest.raises(PlanError, match="уже есть"):
        add_plan(engine, "evening", "noop", "interval:5")
    with pytest.raises(PlanError, match="cron"):
        add_plan(engine, "bad", "noop", "cron:61 * * * *")
    with pytest.raises(PlanError, match="часовой пояс"):
        add_plan(engine, "bad", "noop", "interval:5", timezone="Mars/Olympus")
    with pytest.raises(PlanError, match="неизвестный вид"):
        add_plan(engine, "bad", "teleport", "interval:5")
    with pytest.raises(PlanError, match="нет"):
        pause_plan(engine, "missing")


def test_plan_survives_restart_and_no_firing_runs_twice(engine: Engine, tmp_path: Path) -> None:
    add_plan(engine, "tick", "noop", "interval:1", params={"sleep": "0.6"})
    log = tmp_path / "scheduler.log"

    first = start_scheduler(engine, log)
    wait_for_runs(engine, 2)
    assert stop(first) == 0, log.read_text()
    runs_after_first = list_runs(engine, limit=500)
    assert all(r.status is RunStatus.SUCCEEDED for r in runs_after_first), (
        "SIGTERM let the running job finish: no run left half-done"
    )

    second = start_scheduler(engine, log)
    wait_for_runs(engine, len(runs_after_first) + 2)
    assert stop(second) == 0, log.read_text()

    runs = list_runs(engine, limit=500)
    assert len(runs) >= len(runs_after_first) + 2, "the plan continued after the restart"
    locks = firings(engine)
    assert len(locks) == len({key for key, _ in locks}) == len(runs)
    assert sorted(run_id for _, run_id in locks if run_id is not None) == sorted(r.id for r in runs)


def test_two_schedulers_run_each_firing_once(engine: Engine, tmp_path: Path) -> None:
    add_plan(engine, "tick", "noop", "interval:1", params={"sleep": "0.3"})
    log = tmp_path / "two.log"
    processes = [start_scheduler(engine, log), start_scheduler(engine, log)]
    try:
        wait_for_runs(engine, 5)
    finally:
        codes = [stop(p) for p in processes]
    assert codes == [0, 0], log.read_text()
    runs = list_runs(engine, limit=500)
    locks = firings(engine)
    keys = [key for key, _ in locks]
    assert len(keys) == len(set(keys)), "a firing was taken twice"
    assert len(runs) == len(keys), "every run belongs to exactly one firing"
    fire_times = [key.partition("@")[2] for key in keys]
    assert len(fire_times) == len(set(fire_times))


def test_failed_job_is_recorded_and_retried_with_backoff(engine: Engine) -> None:
    add_plan(engine, "broken", "noop", "interval:3600", params={"fail": "1"})
    with paused_scheduler(engine) as scheduler:
        runner.bind_scheduler(scheduler)
        try:
            before = time.time()
            runner.execute("broken", "noop", {"fail": "1"}, url_of(engine))
            retry = scheduler.get_job("broken#retry1")
        finally:
            runner.bind_scheduler(None)
    (run,) = list_runs(engine)
    assert run.status is RunStatus.FAILED
    assert run.error is not None and "ошибкой" in run.error
    assert retry is not None, "a failed run queues its retry"
    assert retry.kwargs["attempt"] == 1
    assert 55 <= retry.next_run_time.timestamp() - before <= 65
    assert runner.backoff_seconds(1) == 60 and runner.backoff_seconds(3) == 240
    assert runner.backoff_seconds(20) == 3600


def test_cron_mistakes_are_told_in_russian(engine: Engine) -> None:
    with pytest.raises(PlanError) as wrong_count:
        add_plan(engine, "bad", "noop", "cron:0 21")
    assert "нужно пять полей" in str(wrong_count.value) and "указано 2" in str(wrong_count.value)
    with pytest.raises(PlanError) as wrong_value:
        add_plan(engine, "bad", "noop", "cron:61 * * * *")
    text = str(wrong_value.value)
    assert "недопустимое значение" in text and "минуты (0–59)" in text
    ours = text.replace("mon–sun", "").replace("cron", "")
    assert not re.search(r"[A-Za-z]{4,}", ours), text


def test_managing_due_plans_never_submits_a_firing(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """`schedule list`/`pause` once plans are due: no loop round after shutdown (the race)."""
    add_plan(engine, "tick", "noop", "interval:1")
    time.sleep(1.5)  # the plan is now due
    for _ in range(5):
        list_plans(engine)
        pause_plan(engine, "tick")
        resume_plan(engine, "tick")
        time.sleep(0.2)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    assert not [r for r in list_runs(engine, limit=50)], "a paused scheduler ran a job"


def test_plan_parameters_are_checked_when_added(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="нужен параметр «config»"):
        add_plan(engine, "poo-sync", "sync", "cron:0 21 * * *", params={"source": "poo"})
    with pytest.raises(PlanError, match="нет параметра «confg»"):
        add_plan(engine, "poo-sync", "sync", "interval:60", params={"source": "poo", "confg": "x"})
    with pytest.raises(PlanError, match="не найден"):
        add_plan(
            engine, "poo-sync", "sync", "interval:60", params={"source": "poo", "config": "no.toml"}
        )
    with pytest.raises(PlanError, match="допустимы: netschool, poo"):
        add_plan(engine, "x", "sync", "interval:60", params={"source": "dnevnik"})
    config = tmp_path / "poo.toml"
    config.write_text("[poo]\n", encoding="utf-8")
    info = add_plan(
        engine,
        "poo-sync",
        "sync",
        "interval:60",
        params={"source": "poo", "config": str(config), "full": "нет"},
    )
    assert info.params == {"source": "poo", "config": str(config), "full": ""}
    assert [p.id for p in list_plans(engine)] == ["poo-sync"]


def test_schedule_add_help_lists_every_kinds_parameters() -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from scheduler.jobs import JOB_KINDS

    result = CliRunner().invoke(app, ["schedule", "add", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for kind in JOB_KINDS.values():
        assert f"{kind.kind} — {kind.title}" in result.output
        for param in kind.params:
            assert param.name in result.output
    assert "config (обязательно при source=netschool или poo)" in result.output
