"""The CLI's own words (help option, usage, panel titles) are Russian, in a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _sverka(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    return subprocess.run(
        [str(Path(sys.executable).with_name("sverka")), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("args", [("--help",), ("demo", "--help"), ("check", "--help")])
def test_help_is_russian(args: tuple[str, ...]) -> None:
    done = _sverka(*args)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Показать эту справку и выйти." in out
    assert "Использование: sverka" in out
    assert "Параметры" in out
    for english in ("Show this message", "Usage:", "Options", "[default:"):
        assert english not in out


def test_wrong_option_gets_a_russian_panel() -> None:
    done = _sverka("violations", "--no-such-flag")
    assert done.returncode == 2
    assert "Ошибка" in done.stderr and "Справка: «sverka violations --help»" in done.stderr
