"""Issue 12: Typer's own usage errors reach the user in Russian, through the real ``sverka``
command: one sentence naming what was mistyped or left out, where to find help, exit code 2."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SVERKA = str(Path(sys.executable).with_name("sverka"))
LATIN_WORDS = re.compile(r"\b(Missing|No such|Invalid|Got unexpected|requires|Error|Input)\b")

CASES = [
    (["nosuch"], "нет такой команды", "Справка: «sverka --help»"),
    (["status", "--nope"], "нет такого параметра --nope", "Справка: «sverka status --help»"),
    (["demo", "--students", "много"], "неверное значение --students: нужно целое число",
     "Справка: «sverka demo --help»"),
    (["import"], "не указан обязательный аргумент PATH", "Справка: «sverka import --help»"),
    (["status", "лишнее"], "лишние аргументы: лишнее", "Справка: «sverka status --help»"),
    (["emulate", "netschool", "--port"], "после параметра --port нужно значение",
     "Справка: «sverka emulate netschool --help»"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "sentence", "hint"), CASES, ids=lambda v: str(v)[:30])
def test_usage_errors_are_russian(
    args: list[str], sentence: str, hint: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [SVERKA, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200", "SVERKA_DATABASE_URL": f"sqlite:///{tmp_path}/s.db"},
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[0].lower().startswith("ошибка: " + sentence.lower()), done.stderr
    assert lines[-1] == hint
    assert not LATIN_WORDS.search(done.stderr), done.stderr
    assert "Traceback" not in done.stderr


def test_no_arguments_shows_the_help(tmp_path: Path) -> None:
    done = subprocess.run(
        [SVERKA], capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip
    assert done.returncode == 0
    assert "Команды" in done.stdout and not done.stderr
