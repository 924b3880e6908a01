"""The administrator's sync plans: list, add, pause, resume, remove (the ``sverka schedule`` functions)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.app import call, engine_of, institution_zone, render, see_other
from web.session import checked_form, require
from web.users import Role

ADMIN = (Role.ADMIN,)


def _params(text: str) -> dict[str, str]:
    """``имя=значение`` per line, as ``--param`` takes them."""
    params: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise HTTPException(400, f"Параметр «{line}» нужно записать как имя=значение.")
        params[key.strip()] = value.strip()
    return params


async def plans_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    require(request, ADMIN)
    from scheduler.jobs import JOB_KINDS
    from scheduler.plans import list_plans

    engine = engine_of(request)
    return render(
        request,
        "admin_plans.html.j2",
        status_code=status,
        plans=await call(list_plans, engine),
        kinds=JOB_KINDS,
        tz=await call(institution_zone, engine),
        error=error,
        notice=request.query_params.get("done", ""),
    )


async def add_post(request: Request) -> Response:
    require(request, ADMIN)
    form = await checked_form(request)
    from scheduler.plans import PlanError, add_plan

    engine = engine_of(request)
    schedule = str(form.get("schedule") or "").strip()
    every = str(form.get("interval") or "").strip()
    if bool(schedule) == bool(every):
        return await plans_page(request, "Укажите ровно одно: расписание cron или интервал.", 400)
    trigger = f"cron:{schedule}" if schedule else f"interval:{every}"
    try:
        await call(
            add_plan,
            engine,
            str(form.get("plan_id") or "").strip(),
            str(form.get("job") or ""),
            trigger,
            timezone=await call(institution_zone, engine),
            params=_params(str(form.get("params") or "")),
        )
    except PlanError as exc:
        return await plans_page(request, f"План не добавлен: {exc}.", 400)
    return see_other("/admin/plans?done=added")


async def change_post(request: Request) -> Response:
    require(request, ADMIN)
    await checked_form(request)
    from scheduler.plans import PlanError, pause_plan, remove_plan, resume_plan

    actions = {"pause": pause_plan, "resume": resume_plan, "remove": remove_plan}
    action = request.path_params["action"]
    if action not in actions:
        raise HTTPException(404, "Такого действия нет.")
    try:
        await call(actions[action], engine_of(request), request.path_params["plan_id"])
    except PlanError as exc:
        raise HTTPException(409, str(exc)) from None
    return see_other(f"/admin/plans?done={action}")


ROUTES = [
    Route("/admin/plans", plans_page),
    Route("/admin/plans", add_post, methods=["POST"]),
    Route("/admin/plans/{plan_id}/{action}", change_post, methods=["POST"]),
]
