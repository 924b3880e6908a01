"""``sverka import`` through the installed command: a dry run, a real import, a refused file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SVERKA = str(Path(sys.executable).with_name("sverka"))
HEADER = "Код;Фамилия;Имя;Роли"


def _run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SVERKA, "--db", str(db), *args], capture_output=True, text=True, timeout=120
    )


def test_import_dry_run_then_import_then_refuse(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    people = tmp_path / "people.csv"
    people.write_bytes(
        "\r\n".join([HEADER, "p1;Иванов;Пётр;student", "p2;Петрова;Анна;student"]).encode("cp1251")
    )
    dry = _run(db, "import", str(people), "--kind", "person", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Пробный запуск" in dry.stdout and "добавится 2" in dry.stdout
    assert "Ничего не записано" in dry.stdout

    real = _run(db, "import", str(people), "--kind", "person")
    assert real.returncode == 0, real.stderr
    assert "добавлено 2" in real.stdout

    again = _run(db, "import", str(people), "--kind", "person", "--dry-run")
    assert "добавится 0" in again.stdout and "без изменений 2" in again.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text("Kod|Familiya\np1|x\n", encoding="utf-8")
    refused = _run(db, "import", str(bad), "--kind", "person")
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert "разделитель" in refused.stderr and "строка 1" in refused.stderr

    unknown = _run(db, "import", str(people), "--kind", "spaceship")
    assert unknown.returncode == 2 and "неизвестный вид" in unknown.stderr
