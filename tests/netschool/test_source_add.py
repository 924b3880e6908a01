"""``sverka source add netschool``: answers in, a real login against the emulator, and on a
refused login a Russian reason with nothing written."""

from __future__ import annotations

import stat
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from emulators.netschool.server import RunningEmulator
from pipelines.netschool import load_config
from tests.netschool.worlds import DEPUTY_LOGIN, DEPUTY_PASSWORD

runner = CliRunner()


def _add(tmp_path: Path, emulator: RunningEmulator, config: Path, password: str) -> tuple[int, str]:
    school = emulator.state.school().id
    result = runner.invoke(
        app,
        ["--db", str(tmp_path / "store.sqlite"), "source", "add", "netschool",
         "--config", str(config), "--profile", "talmenka"],
        input=f"{emulator.url}\n{school}\n{DEPUTY_LOGIN}\nAsia/Barnaul\n{password}\n",
        env={"SVERKA_NETSCHOOL_PASSWORD": ""},
    )  # fmt: skip
    return result.exit_code, " ".join(result.output.split())


def test_source_add_netschool_logs_in_and_writes_only_then(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    config = tmp_path / "ns.toml"
    code, out = _add(tmp_path, emulator, config, "неверный пароль")
    assert code == 1, out
    assert "Войти не удалось" in out and "Настройки не записаны" in out
    assert "неверный логин, пароль или организация" in out
    assert not any(tmp_path.glob("ns.*")), "a refused login leaves nothing behind"
    assert not any(p.name.startswith(".sverka-source-") for p in tmp_path.iterdir())

    code, out = _add(tmp_path, emulator, config, DEPUTY_PASSWORD)
    assert code == 0, out
    assert "Вход в «Сетевой город» (NetSchool) выполнен" in out
    assert DEPUTY_PASSWORD not in out and DEPUTY_PASSWORD not in config.read_text("utf-8")
    secrets = config.with_suffix(".secrets")
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    loaded = load_config(config)
    assert loaded.base_url == emulator.url and loaded.school_id == emulator.state.school().id
    assert loaded.login == DEPUTY_LOGIN and loaded.timezone == "Asia/Barnaul"

    kept = config.read_text("utf-8")
    code, _ = _add(tmp_path, emulator, config, "снова неверный")
    assert code == 1 and config.read_text("utf-8") == kept, "a working setup is kept"
    assert DEPUTY_PASSWORD in secrets.read_text("utf-8")
