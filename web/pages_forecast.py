"""The forecast of period results on the deputy's and the teacher's pages (usolye 2.8, 7.2).

The figures are ``reports.forecast``'s, the same the CLI prints.  The deputy sees every
group, the totals and the students at risk, and downloads the report and the notices;
a teacher sees only the group-subjects they teach (enforced here, on the server).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from policies.profiles import ProfileError
from reports.data import ReportError
from reports.forecast import (
    LEVEL_RU,
    ForecastBundle,
    forecast_report,
    load_forecast,
    notices_html,
    teacher_pairs,
    teacher_tables,
    write_forecast,
)
from reports.render import write_pdf
from reports.tabular import Table
from web.app import call, engine_of, render
from web.session import require
from web.users import Role

FILES = {
    "html": ("text/html; charset=utf-8", "prognoz-uspevaemosti.html"),
    "pdf": ("application/pdf", "prognoz-uspevaemosti.pdf"),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "prognoz-uspevaemosti.xlsx",
    ),
}


async def _bundle(request: Request) -> tuple[ForecastBundle | None, str]:
    """The forecast on the day the data shows, or why there is none (in Russian)."""
    try:
        return await call(load_forecast, engine_of(request)), ""
    except (ReportError, ProfileError) as exc:
        return None, str(exc)


def _summary(bundle: ForecastBundle) -> dict[str, Any]:
    f = bundle.forecast
    levels = [s.level(f.params) for s in f.students.values()]
    return {
        "students": len(f.students),
        "high": levels.count("high"),
        "risk": levels.count("risk"),
        "caution": levels.count("caution"),
    }


async def deputy_forecast(request: Request) -> Response:
    require(request, (Role.DEPUTY,))
    bundle, error = await _bundle(request)
    if bundle is None:
        return render(request, "forecast.html.j2", bundle=None, error=error, tables=[])
    report = forecast_report(bundle)
    groups = bundle.data.groups_sorted()
    wanted = request.query_params.get("group", "")
    tables: list[Table] = report.tables[:4]
    if wanted:
        group = next((g for g in groups if g["id"] == wanted), None)
        if group is None:
            raise HTTPException(404, "Такой группы нет.")
        name = f"Группа {group['name']}"
        tables = [t for t in report.tables if t.title == name]
    return render(
        request,
        "forecast.html.j2",
        bundle=bundle,
        error="",
        report=report,
        summary=_summary(bundle),
        tables=tables,
        groups=[
            g
            for g in groups
            if any(s.group_id == g["id"] for s in bundle.forecast.students.values())
        ],
        wanted=wanted,
        deputy=True,
        level_ru=LEVEL_RU,
    )


async def teacher_forecast(request: Request) -> Response:
    user = require(request, (Role.TEACHER,))
    bundle, error = await _bundle(request)
    if bundle is None:
        return render(request, "forecast.html.j2", bundle=None, error=error, tables=[])
    pairs = (
        await call(teacher_pairs, engine_of(request), bundle, user.person) if user.person else set()
    )
    wanted = request.query_params.get("group", "")
    if wanted:
        if wanted not in {g for g, _ in pairs}:
            raise HTTPException(403, "Это группа другого преподавателя.")
        pairs = {p for p in pairs if p[0] == wanted}
    return render(
        request,
        "forecast.html.j2",
        bundle=bundle,
        error="",
        report=None,
        summary=None,
        tables=teacher_tables(bundle, pairs),
        groups=[],
        wanted=wanted,
        deputy=False,
        level_ru=LEVEL_RU,
    )


async def forecast_download(request: Request) -> Response:
    require(request, (Role.DEPUTY,))
    fmt = request.path_params["fmt"]
    if fmt not in FILES:
        raise HTTPException(404, "Такого формата отчёта нет.")
    media, name = FILES[fmt]
    bundle, error = await _bundle(request)
    if bundle is None:
        raise HTTPException(404, error)

    def build() -> bytes:
        with tempfile.TemporaryDirectory(prefix="sverka-web-") as tmp:
            paths = write_forecast(bundle, Path(tmp), (fmt,), notices=False)
            return paths[fmt].read_bytes()

    body = await call(build)
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


async def notices_download(request: Request) -> Response:
    """The notices of one group to its students and their parents: a PDF, a page each."""
    require(request, (Role.DEPUTY,))
    bundle, error = await _bundle(request)
    if bundle is None:
        raise HTTPException(404, error)
    wanted = request.query_params.get("group", "")
    group = next((g for g in bundle.data.groups_sorted() if g["id"] == wanted), None)
    students = [s for s in bundle.forecast.students.values() if s.group_id == wanted]
    if group is None or not students:
        raise HTTPException(404, "Такой группы нет.")
    students.sort(key=lambda s: bundle.data.name_of(s.student_id))

    def build() -> bytes:
        with tempfile.TemporaryDirectory(prefix="sverka-web-") as tmp:
            return write_pdf(notices_html(bundle, students), Path(tmp) / "n.pdf").read_bytes()

    body = await call(build)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="uvedomleniya.pdf"'},
    )


ROUTES = [
    Route("/deputy/forecast", deputy_forecast),
    Route("/deputy/forecast/notices", notices_download),
    Route("/deputy/forecast/{fmt}", forecast_download),
    Route("/teacher/forecast", teacher_forecast),
]
