"""``sverka source add eljur``: the school's address, devkey and password asked (never echoed),
a real login against the emulator, nothing written when it is refused."""

from __future__ import annotations

import stat
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from emulators.eljur.app import DEFAULT_DEVKEY
from emulators.eljur.server import RunningEmulator
from emulators.scenario.world import World
from pipelines.eljur import credentials, load_config
from tests.eljur.conftest import account

runner = CliRunner()


def _add(
    tmp_path: Path, emulator: RunningEmulator, login: str, password: str, devkey: str
) -> tuple[int, str]:
    result = runner.invoke(
        app,
        ["--db", str(tmp_path / "store.sqlite"), "source", "add", "eljur",
         "--url", f"{emulator.url}/apiv3", "--config", str(tmp_path / "eljur.toml")],
        input=f"mazanka.eljur.ru\n{login}\nEurope/Moscow\n{password}\n{devkey}\n",
        env={"SVERKA_ELJUR_PASSWORD": "", "SVERKA_ELJUR_DEVKEY": ""},
    )  # fmt: skip
    return result.exit_code, " ".join(result.output.split())


def test_source_add_eljur_checks_the_login(
    tmp_path: Path, emulator: RunningEmulator, mazanka: World
) -> None:
    deputy = account(mazanka, "deputy")
    login, password = str(deputy["login"]), str(deputy["password"])

    code, out = _add(tmp_path, emulator, login, "неверный", DEFAULT_DEVKEY)
    assert code == 1 and "Войти не удалось" in out and "Настройки не записаны" in out, out
    assert "не принял логин или пароль" in out
    code, out = _add(tmp_path, emulator, login, password, "чужой-ключ")
    assert code == 1 and "не принял ключ разработчика (devkey)" in out, out
    assert not (tmp_path / "eljur.toml").exists() and not (tmp_path / "eljur.secrets").exists()

    code, out = _add(tmp_path, emulator, login, password, DEFAULT_DEVKEY)
    assert code == 0, out
    assert "Вход в ЭлЖур выполнен" in out
    assert password not in out and DEFAULT_DEVKEY not in out
    config = load_config(tmp_path / "eljur.toml")
    assert config.vendor == "mazanka" and config.login == login
    assert stat.S_IMODE((tmp_path / "eljur.secrets").stat().st_mode) == 0o600
    assert credentials(config) == (DEFAULT_DEVKEY, password)
