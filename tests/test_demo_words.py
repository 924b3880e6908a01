"""The demo's output, as a deputy opens it: only Russian and local times.

A small demo for tpt (Томск) and talmenka (Тальменка) runs through the CLI; the summary it
prints, every HTML report, the violations CSV and every XLSX sheet are searched for what a
person must never read: ISO instants, UTC offsets, rule ids and English record kinds.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

ISO_INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d|\d\d:\d\d:\d\d\+00:00|\+00:00")
RULE_ID = re.compile(
    r"\b(?:lesson|attendance|marks|final_marks|plan|contingent|staff|epgu|diary|absence|"
    r"archive|report|registry|movement|period|year)\.[a-z_]+(?:\.[a-z_]+)*\b"
)
ENGLISH_VALUES = re.compile(
    r"\b(?:studying|expelled|enrolment|expulsion|academic_leave|violated|possibly_violated|"
    r"open|resolved|acknowledged|secretary|teacher|class_teacher|head_of_department)\b"
)


def _check(text: str, where: str) -> None:
    for pattern in (ISO_INSTANT, RULE_ID, ENGLISH_VALUES):
        found = pattern.search(text)
        assert found is None, f"{where}: «{found.group(0) if found else ''}» в тексте для людей"


def _visible_text(html: str) -> str:
    """What the page shows: no styles, scripts or tag attributes (CSS classes are markup)."""
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _xlsx_text(path: Path) -> str:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    cells = []
    for sheet in book.worksheets:
        cells.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            cells.extend(str(c) for c in row if isinstance(c, str))
    return "\n".join(cells)


@pytest.mark.parametrize("profile", ["tpt", "talmenka"])
def test_demo_output_is_russian_and_local(tmp_path: Path, profile: str) -> None:
    out = tmp_path / profile
    result = CliRunner().invoke(
        app,
        ["demo", "--profile", profile, "--students", "30", "--weeks", "1", "--out", str(out)],
        env={"COLUMNS": "120"},
    )
    assert result.exit_code == 0, result.output
    summary = result.output.split("Где результаты")[0]
    _check(summary, "итог демонстрации")
    csv_text = (out / "violations.csv").read_text(encoding="utf-8-sig")
    assert csv_text.count("\n") > 1, "нарушений нет: проверять нечего"
    _check(csv_text, "violations.csv")
    assert re.search(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", csv_text), "в CSV нет местного времени"
    reports = sorted((out / "reports").rglob("*.html"))
    books = sorted((out / "reports").rglob("*.xlsx"))
    assert reports and books
    for page in reports:
        _check(_visible_text(page.read_text(encoding="utf-8")), page.name)
    for book in books:
        _check(_xlsx_text(book), book.name)
