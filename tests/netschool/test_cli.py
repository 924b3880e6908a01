"""``sverka sync netschool`` and ``sverka emulate netschool`` as a user runs them."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli.main import app
from emulators.netschool.server import RunningEmulator
from local_store.runs import RunStatus, list_runs
from tests.netschool.test_faults import _versions
from tests.netschool.worlds import DEPLOYMENT, DEPUTY_LOGIN, DEPUTY_PASSWORD, D, world_dict

runner = CliRunner()


def _db(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _config(tmp_path: Path, url: str, school_id: int, **extra: object) -> Path:
    lines = [
        "[netschool]",
        f'url = "{url}"',
        f'deployment = "{DEPLOYMENT}"',
        f"school_id = {school_id}",
        f'login = "{DEPUTY_LOGIN}"',
        'profile = "talmenka"',
        "lookback_weeks = 1",
        "backoff_initial = 0.01",
        "backoff_max = 0.05",
    ]
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    path = tmp_path / "netschool.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _sync(
    engine: Engine, config: Path, password: str | None = DEPUTY_PASSWORD, *args: str
) -> object:
    env = {"SVERKA_NETSCHOOL_PASSWORD": password} if password is not None else {}
    return runner.invoke(
        app, ["--db", _db(engine), "sync", "netschool", "--config", str(config), *args], env=env
    )


def test_sync_command_summary_in_russian(
    engine: Engine, emulator: RunningEmulator, tmp_path: Path
) -> None:
    config = _config(tmp_path, emulator.url, emulator.state.school().id)
    result = _sync(engine, config, DEPUTY_PASSWORD, "--full")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    out = result.output  # type: ignore[attr-defined]
    assert "Синхронизация №" in out and "отметки" in out and "Добавлено" in out
    runs = list_runs(engine, source="netschool")
    assert runs[0].status is RunStatus.SUCCEEDED and runs[0].observed_at == D


def test_secrets_file_and_no_password_in_config(
    engine: Engine, emulator: RunningEmulator, tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text(f"SVERKA_NETSCHOOL_PASSWORD={DEPUTY_PASSWORD}\n", encoding="utf-8")
    config = _config(tmp_path, emulator.url, emulator.state.school().id)
    result = runner.invoke(
        app,
        [
            "--db",
            _db(engine),
            "sync",
            "netschool",
            "--config",
            str(config),
            "--secrets",
            str(secrets),
        ],
        env={"SVERKA_NETSCHOOL_PASSWORD": ""},
    )
    assert result.exit_code == 0, result.output
    leaky = _config(tmp_path, emulator.url, emulator.state.school().id, password="x")
    refused = _sync(engine, leaky)
    assert refused.exit_code == 1 and "пароль" in refused.output  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("case", "phrase"),
    [
        ("wrong_password", "неверный логин, пароль"),
        ("unreachable", "недоступен"),
        ("hanging", "не отвечает"),
        ("unknown_version", "не поддерживается"),
        ("no_password", "не задан пароль"),
    ],
)
def test_failures_end_with_one_russian_sentence(
    case: str, phrase: str, engine: Engine, emulator: RunningEmulator, tmp_path: Path
) -> None:
    url, password = emulator.url, DEPUTY_PASSWORD
    extra: dict[str, object] = {}
    if case == "wrong_password":
        password = "неверный"
    elif case == "unreachable":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{s.getsockname()[1]}"
        extra = {"attempts": 2}
    elif case == "hanging":
        emulator.set_faults(hang=True)
        extra = {"timeout": 0.3, "attempts": 2}
    elif case == "unknown_version":
        emulator.set_faults(version="7.0.1")
    result = _sync(
        engine,
        _config(tmp_path, url, emulator.state.school().id, **extra),
        None if case == "no_password" else password,
    )
    out = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 1, out  # type: ignore[attr-defined]
    assert phrase in out and "Traceback" not in out
    assert len([line for line in out.splitlines() if line.strip()]) <= 3, out
    assert _versions(engine) == 0, "nothing half-written"
    if case != "no_password":
        assert list_runs(engine, source="netschool")[0].status is RunStatus.FAILED


def test_emulate_command_serves_on_loopback(tmp_path: Path) -> None:
    scenario = tmp_path / "world.json"
    scenario.write_text(json.dumps(world_dict(), ensure_ascii=False), encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "emulate",
            "netschool",
            "--scenario",
            str(scenario),
            "--port",
            str(port),
            "--as-of",
            D.isoformat(),
            "--fault",
            "version=5.44.7850",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/webapi/logindata", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(
                        proc.stderr.read().decode() if proc.stderr else ""
                    ) from None
                time.sleep(0.2)
        assert answer.json()["version"] == "5.44.7850"
        assert answer.headers["date"] == "Wed, 14 Oct 2026 11:00:00 GMT"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
