"""The СМЭВ commands as a user runs them: Russian output, exit codes, the outbox listing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli.main import app
from emulators.scenario.world import World
from tests.smev3.conftest import Running, seed_journal
from tests.smev3.worlds import ORG

pytestmark = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)


def _run(engine: Engine, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["--db", str(engine.url), *args], env={"SVERKA_SMEV3_BACKOFF": "0.05"}
    )
    return result.exit_code, " ".join(result.output.split())


def _smev_args(smev: Running) -> list[str]:
    return ["--url", smev.smev, "--org-code", ORG, "--deployment", "smev.test"]


def test_push_dry_run_then_push_then_outbox(engine: Engine, smev: Running, world: World) -> None:
    seed_journal(engine, world)
    code, out = _run(engine, "push", "contingent", "--dry-run", *_smev_args(smev))
    assert code == 0, out
    assert "будет поставлено в очередь: 5" in out and "31-у" in out
    assert smev.control("GET", "registry")["receipts"] == {}

    code, out = _run(engine, "push", "contingent", "--budget", "20", *_smev_args(smev))
    assert code == 0, out
    assert "Ответов реестра: 5 (принято 3, отклонено 2)" in out
    assert "неверная контрольная сумма СНИЛС" in out

    code, out = _run(engine, "outbox")
    assert code == 0, out
    assert "движение контингента → реестр" in out and "получен ответ" in out


def test_sync_contingent_and_epgu_poll(engine: Engine, smev: Running, world: World) -> None:
    seed_journal(engine, world)
    code, out = _run(engine, "sync", "contingent", *_smev_args(smev))
    assert code == 0, out
    assert "Реестр контингента: обучающихся 3" in out

    smev.control("POST", "parties/epgu/send")
    code, out = _run(
        engine, "epgu", "poll", "--budget", "20", "--profile", "talmenka", *_smev_args(smev)
    )
    assert code == 0, out
    assert "Заявлений принято: 3 (услуга оказана: 1, отказ: 2)" in out
    assert "Заявления ЕПГУ" in out and "услуга оказана" in out and "отказ" in out


def _process(engine: Engine, *args: str) -> tuple[int, str]:
    """The real ``sverka`` process: errors go to its stderr, as a user sees them."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "sverka"), "--db", str(engine.url), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SVERKA_SMEV3_BACKOFF": "0.05"},
    )
    return done.returncode, " ".join((done.stdout + done.stderr).split())


def test_clear_russian_errors(engine: Engine, smev: Running, world: World) -> None:
    code, out = _process(engine, "push", "contingent", "--org-code", ORG)
    assert code == 1 and "Ошибка: не задан адрес СМЭВ" in out

    seed_journal(engine, world)
    smev.control(
        "POST", "faults", json={"fault": "AccessDenied", "operation": "SendRequest", "count": 1}
    )
    code, out = _process(engine, "push", "contingent", *_smev_args(smev))
    assert code == 1
    assert "отправка остановлена" in out and "AccessDenied" in out
    assert "Traceback" not in out

    code, out = _run(engine, "outbox", "--status", "pending")
    # The operator reads the refusal in Russian (reports/outbox_words.py), not СМЭВ's code.
    assert code == 0 and "ожидает отправки" in out and "СМЭВ запретил" in out
    assert "AccessDenied" not in out


def test_transport_option_takes_the_commands_through_the_adapter(
    engine: Engine, smev: Running, world: World
) -> None:
    seed_journal(engine, world)
    school = smev.emulator.broker.config.school
    adapter = [
        "--transport", "adapter", "--url", f"{smev.url}/adapter/ws", "--mnemonic", school,
        "--org-code", ORG, "--deployment", "smev.test",
    ]  # fmt: skip
    code, out = _run(engine, "sync", "contingent", "--transport", "direct", *_smev_args(smev))
    assert code == 0 and "Реестр контингента: обучающихся 3" in out, out
    code, out = _run(engine, "push", "contingent", "--budget", "20", *adapter)
    assert code == 0, out
    assert "Ответов реестра: 5 (принято 3, отклонено 2)" in out
    assert len(smev.control("GET", "registry")["receipts"]) == 5
    code, out = _run(engine, "sync", "contingent", "--transport", "шина", *_smev_args(smev))
    assert code == 1 and "неизвестный путь в СМЭВ «шина»: direct" in out, out
