"""An administrator adds an ЭлЖур source by answering questions: the settings file holds no
secret, the password and the devkey go to a 0600 secrets file, and one login is tried."""

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


def _add(tmp_path: Path, name: str, answers: list[str], *options: str) -> tuple[int, str, Path]:
    config = tmp_path / f"{name}.toml"
    result = runner.invoke(
        app,
        ["--db", f"sqlite:///{tmp_path / 'store.sqlite'}", "source", "add", "eljur",
         "--config", str(config), *options],
        input="\n".join(answers) + "\n",
    )  # fmt: skip
    return result.exit_code, result.output, config


def test_an_administrator_adds_an_eljur_source(
    tmp_path: Path, mazanka: World, emulator: RunningEmulator
) -> None:
    deputy = account(mazanka, "deputy")
    login, password = str(deputy["login"]), str(deputy["password"])
    api = ("--api-url", f"{emulator.url}/apiv3")
    code, output, config = _add(
        tmp_path,
        "ok",
        ["mazanka.eljur.ru", login, "Europe/Simferopol", password, DEFAULT_DEVKEY],
        *api,
    )
    assert code == 0, output
    assert "Вход в ЭлЖур выполнен" in output
    assert password not in output and DEFAULT_DEVKEY not in output
    text = config.read_text(encoding="utf-8")
    assert password not in text and DEFAULT_DEVKEY not in text
    secrets = config.with_suffix(".secrets")
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    cfg = load_config(config)
    assert (cfg.deployment, cfg.vendor, cfg.base_url) == (
        "mazanka.eljur.ru",
        "mazanka",
        f"{emulator.url}/apiv3",
    )
    assert credentials(cfg) == (DEFAULT_DEVKEY, password)

    code, output, _ = _add(
        tmp_path,
        "devkey",
        ["mazanka.eljur.ru", login, "Europe/Simferopol", password, "чужой"],
        *api,
    )
    assert code == 1 and "Войти не удалось" in output and "devkey" in output.lower()
    code, output, _ = _add(
        tmp_path,
        "password",
        ["mazanka.eljur.ru", login, "Europe/Simferopol", "неверный", DEFAULT_DEVKEY],
        *api,
    )
    assert code == 1 and "Войти не удалось" in output and "Настройки не записаны" in output
    assert not (tmp_path / "password.toml").exists(), "a refused login writes nothing"
    assert not (tmp_path / "devkey.secrets").exists()

    code, output, config = _add(
        tmp_path,
        "unknown",
        ["school.example.org", login, "Europe/Simferopol", password, DEFAULT_DEVKEY],
    )
    assert code != 0 and "--api-url" in output
    assert not config.exists() and not config.with_suffix(".secrets").exists()
