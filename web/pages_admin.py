"""The administrator's pages: the run history and the held mass changes to approve or discard."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from canonical.wording import kind_title
from local_store import hold
from local_store.runs import RunInfo, list_runs
from reports.run_words import CHANGE_RU, RUN_STATUS_RU, SOURCE_RU, changes_text
from web.app import call, engine_of, institution_zone, render, see_other
from web.session import checked_form, require
from web.users import Role

ADMIN = (Role.ADMIN,)


async def runs_page(request: Request) -> Response:
    require(request, ADMIN)
    engine = engine_of(request)
    runs = await call(list_runs, engine, limit=100)
    held = await call(hold.list_held, engine)
    changes = {h.run_id: await call(hold.held_changes, engine, h.run_id) for h in held}
    zone = await call(institution_zone, engine)
    return render(
        request,
        "admin_runs.html.j2",
        runs=runs,
        sources=last_runs(runs),
        held=held,
        changes=changes,
        tz=zone,
        status_ru=RUN_STATUS_RU,
        source_ru=SOURCE_RU,
        changes_text=changes_text,
        change_ru=CHANGE_RU,
        kind_title=kind_title,
        notice=request.query_params.get("done", ""),
    )


async def held_post(request: Request) -> Response:
    require(request, ADMIN)
    await checked_form(request)
    run_id = request.path_params["run_id"]
    action = request.path_params["action"]
    try:
        if action == "approve":
            await call(hold.approve, engine_of(request), run_id)
        elif action == "discard":
            await call(hold.discard, engine_of(request), run_id)
        else:
            raise HTTPException(404, "Такого действия нет.")
    except hold.HoldError as exc:
        raise HTTPException(409, str(exc)) from None
    return see_other(f"/admin?done={action}")


def last_runs(runs: list[RunInfo]) -> list[RunInfo]:
    """Each source's newest run (runs come newest first): the sources table's health."""
    seen: dict[tuple[str, str], RunInfo] = {}
    for run in runs:
        seen.setdefault((run.source, run.deployment), run)
    return sorted(seen.values(), key=lambda r: (r.status.value == "succeeded", r.source))


ROUTES = [
    Route("/admin", runs_page),
    Route("/admin/held/{run_id:int}/{action}", held_post, methods=["POST"]),
]
