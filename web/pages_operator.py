"""The regional operator's pages: the contingent export checked before download, and the СМЭВ outbox."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from local_store import outbox
from pipelines.smev3.channels import CHANNELS_RU, OUTBOX_STATUS_RU
from reports.contingent_export import CHECK_RU, FIELD_RU, ExportError, export_contingent
from reports.data import ReportError, journal_sources
from reports.outbox_words import outbox_reason
from web.app import call, engine_of, institution_zone, render, see_other
from web.session import checked_form, require
from web.users import Role

OPERATOR = (Role.OPERATOR,)
EXPORT_READERS = (Role.OPERATOR, Role.DEPUTY)
"""Who may see the export's personal data (issue 18: the operator and the deputy only)."""
ORDER = [
    outbox.OutboxStatus.FAILED,
    outbox.OutboxStatus.PENDING,
    outbox.OutboxStatus.SENT,
    outbox.OutboxStatus.DELIVERED,
    outbox.OutboxStatus.ANSWERED,
]
"""The outbox sorted by what needs the operator first: failures, then the queue."""
EXPORT_MEDIA = {
    "xml": "application/xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _export(request: Request, fmt: str, since_run: int | None) -> tuple[Any, bytes, str]:
    """Run the CLI's export into a temporary folder; the result, the file's bytes and name."""
    engine = engine_of(request)
    sources = journal_sources(engine)
    if not sources:
        raise HTTPException(404, "В хранилище ещё нет данных журнала: выгружать нечего.")
    with tempfile.TemporaryDirectory(prefix="sverka-web-") as tmp:
        result = export_contingent(engine, sources[0], Path(tmp), fmt=fmt, since_run=since_run)
        path = result.paths["export"]
        return result, path.read_bytes(), path.name


def _since(request: Request) -> int | None:
    raw = request.query_params.get("since_run", "")
    return int(raw) if raw.isdigit() else None


async def export_page(request: Request) -> Response:
    require(request, EXPORT_READERS)
    since_run = _since(request)
    try:
        result, _, _ = await call(_export, request, "xml", since_run)
    except (ExportError, ReportError) as exc:
        return render(
            request,
            "operator_export.html.j2",
            result=None,
            error=str(exc),
            since_run=since_run,
            check_ru=CHECK_RU,
            field_ru=FIELD_RU,
        )
    return render(
        request,
        "operator_export.html.j2",
        result=result,
        error=None,
        since_run=since_run,
        check_ru=CHECK_RU,
        field_ru=FIELD_RU,
    )


async def export_download(request: Request) -> Response:
    require(request, EXPORT_READERS)
    fmt = request.path_params["fmt"]
    if fmt not in EXPORT_MEDIA:
        raise HTTPException(404, "Такого формата выгрузки нет.")
    try:
        _, body, name = await call(_export, request, fmt, _since(request))
    except (ExportError, ReportError) as exc:
        raise HTTPException(409, str(exc)) from None
    return Response(
        body,
        media_type=EXPORT_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def outbox_page(request: Request) -> Response:
    require(request, OPERATOR)
    engine = engine_of(request)
    counts = await call(outbox.summary, engine)
    rows = await call(outbox.items, engine, limit=500)
    return render(
        request,
        "operator_outbox.html.j2",
        counts=sorted(counts.items()),
        rows=sorted(
            (r for r in rows if r.status is not outbox.OutboxStatus.ANSWERED),
            key=lambda r: (ORDER.index(r.status), -r.id),
        )[:200],
        status_ru=OUTBOX_STATUS_RU,
        reason=outbox_reason,
        channels_ru=CHANNELS_RU,
        tz=await call(institution_zone, engine),
        notice=request.query_params.get("done", ""),
    )


async def requeue_post(request: Request) -> Response:
    require(request, OPERATOR)
    await checked_form(request)
    item_id = request.path_params["item_id"]
    done = await call(outbox.requeue_item, engine_of(request), item_id)
    if not done:
        raise HTTPException(409, "Вернуть в очередь можно только сообщение с ошибкой.")
    return see_other("/operator/outbox?done=requeued")


ROUTES = [
    Route("/operator", export_page),
    Route("/operator/export.{fmt}", export_download),
    Route("/operator/outbox", outbox_page),
    Route("/operator/outbox/{item_id:int}/requeue", requeue_post, methods=["POST"]),
]
