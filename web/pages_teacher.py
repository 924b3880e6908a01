"""The teacher's page: only their own open items, each with how to fix it and the deadline."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reports.deputy import DeputyItem, deputy_report_from_store
from web.app import call, engine_of, render
from web.session import require
from web.users import Role, User


def own(items: list[DeputyItem], user: User) -> list[DeputyItem]:
    return [i for i in items if user.person and i.responsible_key == user.person]


async def teacher_page(request: Request) -> Response:
    user = require(request, (Role.TEACHER,))
    report = await call(deputy_report_from_store, engine_of(request))
    items = [i for i in own(report.open_items, user) if i.status != "approved"]
    return render(request, "teacher.html.j2", report=report, items=items)


async def item_page(request: Request) -> Response:
    """One item; a teacher may open only their own, the deputy any."""
    user = require(request, (Role.TEACHER, Role.DEPUTY))
    report = await call(deputy_report_from_store, engine_of(request))
    ref = request.path_params["ref"]
    everything = [*report.open_items, *report.resolved_items]
    found = next((i for i in everything if i.id == ref), None)
    if user.role is Role.TEACHER and (found is None or found not in own(everything, user)):
        raise HTTPException(403, "Это замечание относится к другому преподавателю.")
    if found is None:
        raise HTTPException(404, "Такого нарушения нет.")
    return render(request, "item.html.j2", report=report, item=found)


ROUTES = [Route("/teacher", teacher_page), Route("/items/{ref}", item_page)]
