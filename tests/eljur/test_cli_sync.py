"""``sverka sync eljur``: settings file, secrets from the environment or a file, Russian output."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from emulators.eljur.app import DEFAULT_DEVKEY
from emulators.eljur.server import RunningEmulator
from emulators.scenario.world import World
from local_store.engine import make_engine
from local_store.history import count_as_of
from pipelines.eljur import DEVKEY_ENV, PASSWORD_ENV, load_config
from tests.eljur.conftest import account

runner = CliRunner()


def _settings(tmp_path: Path, url: str, login: str, extra: str = "") -> Path:
    path = tmp_path / "eljur.toml"
    path.write_text(
        f'[eljur]\ndeployment = "mazanka.eljur.ru"\nurl = "{url}/apiv3"\nlogin = "{login}"\n'
        f'profile = "mazanka"\nclass_pause = 0\nattempts = 2\nbackoff = 0.01\ntimeout = 3\n{extra}',
        encoding="utf-8",
    )
    return path


def _run(tmp_path: Path, settings: Path, env: dict[str, str], *more: str) -> tuple[int, str]:
    result = runner.invoke(
        app,
        ["--db", str(tmp_path / "store.sqlite"), "sync", "eljur", "--config", str(settings),
         "--full", *more],
        env=env,
    )  # fmt: skip
    out = result.output + (result.stderr if result.stderr_bytes else "")
    return result.exit_code, " ".join(out.split())  # Rich wraps long lines


def test_cli_sync_reads_secrets_from_a_file_and_prints_a_russian_summary(
    tmp_path: Path, emulator: RunningEmulator, mazanka: World
) -> None:
    deputy = account(mazanka, "deputy")
    secrets = tmp_path / "secrets.env"
    secrets.write_text(
        f"{PASSWORD_ENV}={deputy['password']}\n{DEVKEY_ENV}={DEFAULT_DEVKEY}\n", encoding="utf-8"
    )
    secrets.chmod(0o600)
    settings = _settings(
        tmp_path, emulator.url, str(deputy["login"]), 'secrets_file = "secrets.env"\n'
    )
    code, out = _run(tmp_path, settings, {PASSWORD_ENV: "", DEVKEY_ENV: ""})
    assert code == 0, out
    assert "уроки" in out and "отметки" in out and "Добавлено" in out
    counts = count_as_of(make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}"), ["lesson", "mark"])
    assert counts["lesson"] > 100 and counts["mark"] > 100


def test_cli_sync_wrong_password_is_one_red_line(
    tmp_path: Path, emulator: RunningEmulator, mazanka: World
) -> None:
    deputy = account(mazanka, "deputy")
    settings = _settings(tmp_path, emulator.url, str(deputy["login"]))
    code, out = _run(tmp_path, settings, {PASSWORD_ENV: "неверный", DEVKEY_ENV: DEFAULT_DEVKEY})
    assert code == 1
    assert "Ошибка:" in out and "не принял логин или пароль" in out and "Traceback" not in out
    assert "неверный" not in out.replace("неверный логин", "")
    code, out = _run(tmp_path, settings, {PASSWORD_ENV: "x", DEVKEY_ENV: ""})
    assert code == 1 and f"переменную окружения {DEVKEY_ENV}" in out


def test_settings_refuse_secrets_and_know_the_deployment_table(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[eljur]\ndeployment = "mazanka.eljur.ru"\nlogin = "a"\n', encoding="utf-8")
    config = load_config(path)
    assert config.base_url == "https://mazanka.eljur.ru/apiv3" and config.vendor == "mazanka"
    path.write_text('[eljur]\ndeployment = "school.nso.ru"\nlogin = "a"\n', encoding="utf-8")
    nso = load_config(path)
    assert nso.vendor == "school" and nso.timezone == "Asia/Novosibirsk"
    path.write_text(
        '[eljur]\ndeployment = "x.eljur.ru"\nlogin = "a"\ndevkey = "k"\n', encoding="utf-8"
    )
    code, out = _run(tmp_path, path, {})
    assert code == 1 and "указан devkey" in out
