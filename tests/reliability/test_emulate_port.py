"""Issue 12: every ``sverka emulate`` door checks its port before it announces itself, so a
busy port ends in one Russian sentence and no banner claiming the emulator serves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SVERKA = str(Path(sys.executable).with_name("sverka"))


@pytest.mark.parametrize("platform", ["netschool", "poo", "eljur", "smev3"])
def test_a_busy_port_is_refused_before_the_banner(
    platform: str, busy_port: int, tmp_path: Path
) -> None:
    # The scenario does not exist: the port is checked first, before anything is loaded.
    args = ["emulate", platform, "--port", str(busy_port), "--scenario", str(tmp_path / "нет.json")]
    done = subprocess.run(
        [SVERKA, *args], capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert done.returncode == 1
    assert "Эмулятор" not in done.stdout
    assert done.stderr.strip() == (
        f"Ошибка: порт {busy_port} уже занят другой программой: выберите другой (--port)"
    )


def test_a_port_out_of_range_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [SVERKA, "emulate", "netschool", "--port", "70000", "--scenario", "s.json"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    assert "порт 70000 вне допустимых пределов" in done.stderr


def test_the_shared_busy_port_is_really_taken(busy_port: int) -> None:
    """The fixture both this file and the bad-input matrix use must hold its port."""
    import socket

    probe = socket.socket()
    try:
        with pytest.raises(OSError):
            probe.bind(("127.0.0.1", busy_port))
    finally:
        probe.close()
