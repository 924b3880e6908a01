"""Defect 5 of issue 12: what a user can get wrong on the command line ends in one Russian
sentence and a non-zero exit, through the installed ``sverka`` command; ``-v`` adds the
traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import BACKENDS, PG_ADMIN_URL

SVERKA = str(Path(sys.executable).with_name("sverka"))
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def _sverka(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SVERKA, *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
    )


def _cases(tmp: Path, port: int) -> dict[str, tuple[list[str], str]]:
    corrupt = tmp / "corrupt.sqlite"
    corrupt.write_bytes(bytes(range(256)) * 16)
    long_csv = tmp / "long.csv"
    long_csv.write_text("Код;Фамилия;Имя;Роли\np1;" + "Я" * 140_000 + ";Пётр;student\n")
    scenario = tmp / "scenario.json"
    made = _sverka(
        "scenario",
        "generate",
        "-p",
        "talmenka",
        "--students",
        "20",
        "--weeks",
        "1",
        "-o",
        str(scenario),
        cwd=tmp,
    )
    assert made.returncode == 0, made.stderr
    store = str(tmp / "store.sqlite")
    cases = {
        "corrupt sqlite": (["--db", str(corrupt), "status"], "повреждено"),
        "url scheme": (["--db", "postgersql://u@localhost/db", "status"], "схема «postgersql»"),
        "unwritable db": (["--db", "/proc/sverka-no/store.sqlite", "init"], "/proc/sverka-no"),
        "negative students": (["demo", "--students", "-5", "--weeks", "1"], "обучающихся"),
        "busy port": (
            ["emulate", "netschool", "--port", str(port), "--scenario", str(scenario)],
            "уже занят другой программой",
        ),
        "overlong csv line": (
            ["--db", store, "import", str(long_csv), "--kind", "person"],
            "строка 2",
        ),
        "missing file": (
            ["--db", store, "import", str(tmp / "nope.csv"), "--kind", "person"],
            "не найден",
        ),
    }
    if "postgresql" in BACKENDS:
        base = PG_ADMIN_URL.rsplit("/", 1)[0]
        cases["db name typo"] = (["--db", f"{base}/sverka_tpyo", "status"], "«sverka_tpyo»")
    return cases


def test_bad_input_matrix(tmp_path: Path, busy_port: int) -> None:
    failures = []
    for name, (args, needle) in _cases(tmp_path, busy_port).items():
        done = _sverka(*args, cwd=tmp_path)
        error_lines = [line for line in done.stderr.splitlines() if line.strip()]
        ok = (
            done.returncode != 0
            and "Traceback" not in done.stderr
            and len(error_lines) == 1
            and error_lines[0].startswith("Ошибка:")
            and CYRILLIC.search(error_lines[0]) is not None
            and needle in error_lines[0]
            and "(sqlite3." not in done.stderr
            and "OperationalError" not in done.stderr
        )
        if not ok:
            failures.append((name, done.returncode, done.stderr[-600:]))
    assert failures == []


def test_verbose_shows_the_traceback(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"\x00garbage" * 500)
    done = _sverka("-v", "--db", str(corrupt), "status", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("Ошибка:")
