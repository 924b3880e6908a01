"""Issue 16: ``sverka source add smev3`` asks, checks the connection first, writes only on
success; the key's password only ever in the 0600 secrets file; the written settings drive
``sverka sync contingent --config``."""

from __future__ import annotations

import datetime as dt
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli.main import app
from emulators.scenario.world import World
from pipelines.source_setup_smev3 import load_smev3
from tests.smev3.conftest import Running, start
from tests.smev3.test_gost_signature import Keypair, make_keypair
from tests.smev3.worlds import ORG

NOW = dt.datetime(2026, 10, 20, 12, tzinfo=dt.UTC)

runner = CliRunner()


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Keypair, Keypair]:
    folder = tmp_path_factory.mktemp("source-keys")
    return make_keypair(folder, "trusted"), make_keypair(folder, "stranger")


@pytest.fixture
def gost_smev(world: World, pair: tuple[Keypair, Keypair]) -> Iterator[Running]:
    yield from start(world, signature="gost", trusted_certificate=pair[0].certificate_der)


def _add(config: Path, answers: str, *options: str) -> tuple[int, str]:
    done = runner.invoke(
        app,
        ["source", "add", "smev3", "--config", str(config), *options],
        input=answers,
        env={"COLUMNS": "200"},
    )
    return done.exit_code, " ".join(done.output.split())


def test_gost_key_checked_before_anything_is_written(
    gost_smev: Running, pair: tuple[Keypair, Keypair], tmp_path: Path, engine: Engine
) -> None:
    trusted, stranger = pair
    config = tmp_path / "smev3.toml"
    secrets = config.with_suffix(".secrets")

    code, out = _add(config, f"{gost_smev.smev}\n{ORG}\ngost\n{stranger.pem}\n\nAsia/Tomsk\n")
    assert code == 1, out
    assert "Подключиться не удалось" in out and "не принял подпись" in out, out
    assert "Настройки не записаны" in out
    assert not config.exists() and not secrets.exists()

    answers = f"{gost_smev.smev}\n{ORG}\ngost\n{trusted.p12}\n{trusted.password}\nAsia/Tomsk\n"
    code, out = _add(config, answers)
    assert code == 0, out
    assert "принял подпись" in out and trusted.password not in out, out
    written = config.read_text(encoding="utf-8")
    assert trusted.password not in written and str(trusted.p12) in written
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert trusted.password in secrets.read_text(encoding="utf-8")

    options = load_smev3(config)
    assert (options.url, options.org_code, options.signer) == (gost_smev.smev, ORG, "gost")
    url = engine.url.render_as_string(hide_password=False)
    synced = runner.invoke(app, ["--db", url, "sync", "contingent", "--config", str(config)])
    assert synced.exit_code == 0, synced.output
    assert "Реестр контингента: обучающихся" in synced.output

    # a later mistake (wrong password) keeps the working settings as they were
    code, out = _add(
        config, f"{gost_smev.smev}\n{ORG}\ngost\n{trusted.p12}\nневерный\nAsia/Tomsk\n"
    )
    assert code == 1 and config.read_text(encoding="utf-8") == written, out
    assert trusted.password in secrets.read_text(encoding="utf-8")


def test_test_signature_against_the_emulator(smev: Running, tmp_path: Path, engine: Engine) -> None:
    from scheduler.tasks import sync_source

    config = tmp_path / "smev3.toml"
    code, out = _add(config, "", "--url", smev.smev, "--org-code", ORG, "--signer", "mock",
                     "--timezone", "Asia/Tomsk")  # fmt: skip
    assert code == 0 and "принял подпись" in out, out
    assert not config.with_suffix(".secrets").exists(), "no secret to keep"
    # the scheduler's registry sync reads the same file
    pulled = sync_source(engine, {"source": "contingent", "config": str(config)}, NOW)
    assert int(pulled["students"]) > 0

    refused = tmp_path / "nowhere.toml"
    code, out = _add(refused, "", "--url", "http://127.0.0.1:9/smev", "--org-code", ORG,
                     "--signer", "mock", "--timezone", "Asia/Tomsk")  # fmt: skip
    assert code == 1 and "Настройки не записаны" in out and not refused.exists(), out

    code, out = _add(tmp_path / "bad.toml", "", "--url", "smev.example", "--org-code", ORG,
                     "--signer", "mock", "--timezone", "Asia/Tomsk")  # fmt: skip
    assert code == 1 and "http:// или https://" in out, out
