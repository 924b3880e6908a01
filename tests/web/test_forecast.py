"""The forecast on the deputy's and the teacher's pages, over real HTTP: the figures are the
report's, a teacher sees only the group-subjects they teach, and the files open."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import openpyxl
import pytest
from sqlalchemy import Engine

from reports.forecast import load_forecast
from tests.reports.worlds import ingest_term
from tests.web.client import logged_in
from tests.web.world import PASSWORD, running
from web.users import add_user, load, save

ACCOUNTS = {"zavuch": ("deputy", None), "kotova": ("teacher", "t1"), "li": ("teacher", "t2")}
"""t1 teaches Математика in both groups, t2 Информатика in ИС-21 only (tests/reports/worlds)."""


@pytest.fixture
def college(engine: Engine, tmp_path: Path) -> Iterator[str]:
    ingest_term(engine)
    accounts = load(tmp_path / "users.json")
    for login, (role, person) in ACCOUNTS.items():
        add_user(accounts, login, role, PASSWORD, person=person)
    save(accounts)
    with running(engine, accounts) as url:
        yield url


def test_deputy_sees_the_reports_figures_and_downloads(college: str, engine: Engine) -> None:
    bundle = load_forecast(engine)
    at_risk = sum(1 for s in bundle.forecast.students.values() if s.level(bundle.params) == "risk")
    with logged_in(college, "zavuch") as deputy:
        page = deputy.get("/deputy/forecast")
        assert page.status_code == 200
        html = page.text
        assert "Прогноз успеваемости и посещаемости: 1 семестр на 30.12.2026" in html
        assert '<div class="n">18</div>обучающихся' in html
        assert f'<div class="n">{at_risk}</div>риск' in html
        for title in ("Прогноз по группам", "Прогноз по отделениям", "Обучающиеся в зоне риска"):
            assert f"<h2>{title}</h2>" in html
        assert "<h2>Группа ИС-21</h2>" not in html  # the groups' tables one at a time
        one = deputy.get("/deputy/forecast", params={"group": "g1"}).text
        assert "<h2>Группа ИС-21</h2>" in one and "<h2>Группа ТМ-11</h2>" not in one
        assert one.count("<tr><td>") == 10  # ten students of ИС-21
        assert deputy.get("/deputy/forecast", params={"group": "нет"}).status_code == 404
        xlsx = deputy.get("/deputy/forecast/xlsx")
        assert xlsx.status_code == 200
        book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
        cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row}
        assert {"ИС-21", "ТМ-11", "Всего"} <= cells
        notices = deputy.get("/deputy/forecast/notices", params={"group": "g2"})
        assert notices.status_code == 200 and notices.content.startswith(b"%PDF")
        assert "attachment" in notices.headers["content-disposition"]


def test_teacher_sees_only_own_groups_and_subjects(college: str) -> None:
    with logged_in(college, "li") as li:
        html = li.get("/teacher/forecast").text
        assert "<h2>ИС-21 — Информатика</h2>" in html
        assert "Математика" not in html and "История" not in html and "ТМ-11" not in html
        assert html.count("<tr><td>") == 10
        # another teacher's group, the deputy's page and its files: refused on the server
        assert li.get("/teacher/forecast", params={"group": "g2"}).status_code == 403
        for url in ("/deputy/forecast", "/deputy/forecast/xlsx", "/deputy/forecast/notices"):
            assert li.get(url, params={"group": "g1"}).status_code == 403
    with logged_in(college, "kotova") as kotova:
        html = kotova.get("/teacher/forecast").text
        assert "<h2>ИС-21 — Математика</h2>" in html and "<h2>ТМ-11 — Математика</h2>" in html
        assert "Информатика" not in html and "История" not in html
        only = kotova.get("/teacher/forecast", params={"group": "g2"}).text
        assert "<h2>ТМ-11 — Математика</h2>" in only and "ИС-21" not in only
    with httpx.Client(base_url=college) as anonymous:
        assert anonymous.get("/teacher/forecast").headers["location"] == "/login"
