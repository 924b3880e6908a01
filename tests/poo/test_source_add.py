"""A new user, starting with nothing, sets up the ПОО source, a plan and the scheduler by
answering questions: no editor, the password never echoed, kept in a 0600 secrets file."""

from __future__ import annotations

import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from emulators.poo import RunningEmulator
from local_store.engine import make_engine
from local_store.runs import RunStatus, list_runs
from tests.poo.world_builder import ADMIN

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_new_user_sets_up_poo_then_plan_then_scheduler(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"
    config = tmp_path / "poo.toml"
    answers = f"{emulator.url}\n{ADMIN[0]}\nAsia/Tomsk\n{ADMIN[1]}\n"
    added = runner.invoke(
        app,
        ["--db", db, "source", "add", "poo", "--tenant", "spo_1", "--config", str(config)],
        input=answers,
    )
    assert added.exit_code == 0, added.output
    assert "Вход в" in added.output and "выполнен" in added.output
    assert ADMIN[1] not in added.output, "the password is never echoed"
    assert ADMIN[1] not in config.read_text(encoding="utf-8")
    secrets = config.with_suffix(".secrets")
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert ADMIN[1] in secrets.read_text(encoding="utf-8")

    wrong = runner.invoke(
        app,
        ["--db", db, "source", "add", "poo", "--config", str(tmp_path / "bad.toml")],
        input=f"{emulator.url}\n{ADMIN[0]}\nAsia/Tomsk\nневерный\n",
    )
    assert wrong.exit_code == 1 and "Войти не удалось" in wrong.output
    assert "неверный логин или пароль" in wrong.output

    runner.invoke(app, ["--db", db, "init"])
    plan = runner.invoke(
        app,
        ["--db", db, "schedule", "add", "poo-sync", "--job", "sync", "--interval", "2",
         "--param", "source=poo", "--param", f"config={config}"],
    )  # fmt: skip
    assert plan.exit_code == 0, plan.output

    log = (tmp_path / "scheduler.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "--db", db, "scheduler", "run"],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    engine = make_engine(db)
    try:
        deadline = time.monotonic() + 60
        done: list[object] = []
        while time.monotonic() < deadline and not done:
            done = [
                r
                for r in list_runs(engine, limit=50)
                if r.source == "poo" and r.status is RunStatus.SUCCEEDED
            ]
            time.sleep(0.5)
        assert done, (tmp_path / "scheduler.log").read_text(encoding="utf-8")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    printed = (tmp_path / "scheduler.log").read_text(encoding="utf-8")
    assert "сработал план «poo-sync»" in printed, printed
