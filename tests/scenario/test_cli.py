"""``sverka scenario generate`` and ``sverka scenario accounts``: files, output, Russian errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from emulators.scenario.world import World

runner = CliRunner()


def test_generate_writes_gzip_and_truth_then_lists_accounts(tmp_path: Path) -> None:
    out = tmp_path / "tpt.json.gz"
    result = runner.invoke(
        app,
        [
            "scenario",
            "generate",
            "--profile",
            "tpt",
            "--students",
            "60",
            "--weeks",
            "2",
            "--seed",
            "3",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Сценарий" in result.output and "эталон" in result.output
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    truth = json.loads((tmp_path / "tpt.truth.json").read_text(encoding="utf-8"))
    assert truth["format"] == "sverka-scenario-truth" and truth["profile"] == "tpt"
    world = World.load(out)
    assert world.profile == "tpt" and world.timezone == "Asia/Tomsk"

    listed = runner.invoke(app, ["scenario", "accounts", str(out), "--format", "json"])
    assert listed.exit_code == 0, listed.output
    accounts = json.loads(listed.output)
    assert accounts == world.accounts
    assert {"role", "login", "password", "school_id"} <= set(accounts[0])
    table = runner.invoke(
        app, ["scenario", "accounts", str(out), "--format", "table", "--role", "deputy"]
    )
    assert table.exit_code == 0 and "заместитель" in table.output


def test_russian_errors(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["scenario", "generate", "--profile", "nope", "-o", str(tmp_path / "x.json")]
    )
    assert result.exit_code == 1
    assert "неизвестный профиль" in result.output
    missing = runner.invoke(app, ["scenario", "accounts", str(tmp_path / "none.json")])
    assert missing.exit_code == 1
    assert "не найден" in missing.output
    weeks = runner.invoke(
        app, ["scenario", "generate", "--weeks", "0", "-o", str(tmp_path / "x.json")]
    )
    assert weeks.exit_code == 1 and "недель" in weeks.output
