"""``sverka sync poo``: config, password from the environment, Russian summary and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli.main import app
from connectors.poo.errors import MissingPermission
from emulators.poo import RunningEmulator
from local_store.engine import make_engine
from local_store.history import count_as_of
from local_store.runs import RunStatus, list_runs
from pipelines.poo import PASSWORD_ENV, run_poo_sync
from tests.poo.conftest import sync_config
from tests.poo.world_builder import ADMIN, NO_GRADEBOOK, D

runner = CliRunner()


def _config(tmp_path: Path, url: str, login: str, extra: str = "") -> Path:
    path = tmp_path / "poo.toml"
    path.write_text(
        f'[poo]\nbase_url = "{url}"\ntimezone = "Asia/Tomsk"\ntenant = "spo_1"\n'
        f'login = "{login}"\nprofile = "tpt"\npause = 0\nattempts = 2\nbackoff = 0.01\n'
        f"timeout = 3\n{extra}",
        encoding="utf-8",
    )
    return path


def _run(tmp_path: Path, config: Path, password: str | None) -> tuple[int, str]:
    env = {PASSWORD_ENV: password} if password is not None else {PASSWORD_ENV: ""}
    db = tmp_path / "store.sqlite"
    result = runner.invoke(
        app,
        ["--db", str(db), "sync", "poo", "--config", str(config), "--whole-year",
         "--as-of", D.isoformat()],
        env=env,
    )  # fmt: skip
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    return result.exit_code, output


def test_cli_sync_prints_russian_summary(tmp_path: Path, emulator: RunningEmulator) -> None:
    code, out = _run(tmp_path, _config(tmp_path, emulator.url, ADMIN[0]), ADMIN[1])
    assert code == 0, out
    assert "занятия" in out and "отметки" in out and "Добавлено" in out
    counts = count_as_of(make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}"), ["lesson"])
    assert counts["lesson"] > 30


@pytest.mark.parametrize(
    ("login", "password", "url", "expected"),
    [
        (ADMIN[0], "неверный", None, "неверный логин или пароль"),
        (ADMIN[0], ADMIN[1], "http://127.0.0.1:9", "недоступен"),
        (NO_GRADEBOOK[0], NO_GRADEBOOK[1], None, "ViewGradebook"),
        (ADMIN[0], None, None, PASSWORD_ENV),
    ],
    ids=["wrong-password", "unreachable", "no-permission", "no-password"],
)
def test_cli_errors_are_one_russian_sentence(
    tmp_path: Path,
    emulator: RunningEmulator,
    login: str,
    password: str | None,
    url: str | None,
    expected: str,
) -> None:
    code, out = _run(tmp_path, _config(tmp_path, url or emulator.url, login), password)
    assert code == 1
    assert "Ошибка:" in out and expected in out
    assert "Traceback" not in out
    db = tmp_path / "store.sqlite"
    if db.exists():
        assert count_as_of(make_engine(f"sqlite:///{db}"), ["lesson", "person"]) == {
            "lesson": 0,
            "person": 0,
        }


def test_password_in_config_is_refused(tmp_path: Path, emulator: RunningEmulator) -> None:
    config = _config(tmp_path, emulator.url, ADMIN[0], extra='password = "x"\n')
    code, out = _run(tmp_path, config, ADMIN[1])
    assert code == 1 and "не в настройках" in out


def test_password_from_secrets_file(tmp_path: Path, emulator: RunningEmulator) -> None:
    (tmp_path / "secrets.env").write_text(f"{PASSWORD_ENV}={ADMIN[1]}\n", encoding="utf-8")
    config = _config(tmp_path, emulator.url, ADMIN[0], extra='secrets_file = "secrets.env"\n')
    code, out = _run(tmp_path, config, None)
    assert code == 0, out


async def test_missing_view_gradebook_names_it_and_writes_nothing(
    engine: Engine, emulator: RunningEmulator
) -> None:
    with pytest.raises(MissingPermission) as caught:
        await run_poo_sync(
            engine, sync_config(emulator.url, *NO_GRADEBOOK), as_of=D, whole_year=True
        )
    assert str(caught.value) == (
        "у учётной записи нет прав «просмотр журнала» (ViewGradebook, код 200), "
        "«просмотр отчётов» (ViewReports, код 700)"
    )
    (run,) = list_runs(engine, source="poo")
    assert run.status is RunStatus.FAILED and "ViewGradebook" in (run.error or "")
    assert count_as_of(engine, ["person", "lesson"]) == {"person": 0, "lesson": 0}
    assert emulator.emulator.sessions.live_for(NO_GRADEBOOK[0]) == 0, "logged out after the job"


async def test_forbidden_mid_pull_names_the_route_permission(
    engine: Engine, emulator: RunningEmulator
) -> None:
    """An account whose role claims the right but the server still refuses (403) on the journal."""
    emulator.emulator.add_account("curator", "куратор", "deputy", permissions=[200, 507, 509, 700])
    real = emulator.emulator.accounts["curator"]
    tenant_claims = real.permissions
    cfg = sync_config(emulator.url, "curator", "куратор")
    from connectors.poo.client import PooClient
    from connectors.poo.pull import pull_structure

    async with PooClient(cfg.deployment, cfg.login, cfg.password, pause=0) as client:
        assert set(tenant_claims) <= client.permissions
        real.permissions = (507, 509, 700)  # the server's view narrows after login
        with pytest.raises(MissingPermission) as caught:
            await pull_structure(client)
    assert "ViewGradebook" in str(caught.value) and "gradebook" in str(caught.value)


def test_verbose_log_has_no_personal_data(
    tmp_path: Path, emulator: RunningEmulator, world: object
) -> None:
    from emulators.scenario.world import World

    assert isinstance(world, World)
    db = tmp_path / "store.sqlite"
    config = _config(tmp_path, emulator.url, ADMIN[0])
    result = runner.invoke(
        app,
        ["--db", str(db), "-v", "--log-json", "sync", "poo", "--config", str(config),
         "--whole-year", "--as-of", D.isoformat()],
        env={PASSWORD_ENV: ADMIN[1]},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    log = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert '"event": "poo.request"' in log, "the verbose log is there"
    people = world.tables["person"]
    for row in people.dicts():
        for field in ("snils", "document_number", "last_name"):
            value = row.get(field)
            if value:
                assert str(value) not in log, f"{field} leaked into the log"
    assert ADMIN[1] not in log


def test_scheduler_job_entry_point(
    tmp_path: Path, emulator: RunningEmulator, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.poo import sync_poo_job

    monkeypatch.setenv(PASSWORD_ENV, ADMIN[1])
    counts = sync_poo_job(engine, {"config": str(_config(tmp_path, emulator.url, ADMIN[0]))}, D)
    assert counts["lesson"]["added"] > 30 and counts["person"]["added"] > 10


def test_failed_run_keeps_no_credentials(
    tmp_path: Path, emulator: RunningEmulator, engine: Engine
) -> None:
    from connectors.poo.errors import WrongCredentials

    with pytest.raises(WrongCredentials):
        import asyncio

        asyncio.run(
            run_poo_sync(engine, sync_config(emulator.url, ADMIN[0], "Неверный-1"), as_of=D)
        )
    (run,) = list_runs(engine, source="poo")
    assert run.error and "неверный логин или пароль" in run.error
    assert ADMIN[0] not in run.error and "Неверный-1" not in run.error
