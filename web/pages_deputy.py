"""The deputy's pages: the live summary, the filtered list, acknowledge/approve, report downloads."""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reports.completion import completion_grid
from reports.deputy import DeputyItem, DeputyReport, deputy_report_from_store, write_deputy_report
from web.app import call, engine_of, render, see_other
from web.session import checked_form, require
from web.users import Role

DEPUTY = (Role.DEPUTY,)
STATUS_CHOICES = {
    "": "все, кроме устранённых",
    "open": "открытые",
    "acknowledged": "принятые в работу",
    "approved": "разрешённые исключения",
    "resolved": "устранённые за неделю",
}
REPORT_FILES = {
    "html": ("text/html; charset=utf-8", "otchet_zamestitelyu.html"),
    "pdf": ("application/pdf", "otchet_zamestitelyu.pdf"),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "otchet_zamestitelyu.xlsx",
    ),
}


def person_token(name: str) -> str:
    """An opaque filter value for a person, so no name goes into a URL."""
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Filters:
    rule: str = ""
    teacher: str = ""
    group: str = ""
    status: str = ""
    since: dt.date | None = None

    @classmethod
    def of(cls, request: Request) -> Filters:
        q = request.query_params
        try:
            since = dt.date.fromisoformat(q["since"]) if q.get("since") else None
        except ValueError:
            since = None
        status = q.get("status", "")
        return cls(
            rule=q.get("rule", ""),
            teacher=q.get("teacher", ""),
            group=q.get("group", ""),
            status=status if status in STATUS_CHOICES else "",
            since=since,
        )

    def keep(self, item: DeputyItem, timezone: str) -> bool:
        from zoneinfo import ZoneInfo

        if self.rule and item.rule_id != self.rule:
            return False
        if self.teacher and person_token(item.responsible) != self.teacher:
            return False
        if self.group and (item.group or "") != self.group:
            return False
        if self.status and item.status != self.status:
            return False
        return not (self.since and item.since.astimezone(ZoneInfo(timezone)).date() < self.since)


def report_items(report: DeputyReport) -> list[DeputyItem]:
    return [*report.open_items, *report.resolved_items]


async def summary_page(request: Request) -> Response:
    require(request, DEPUTY)
    report = await call(deputy_report_from_store, engine_of(request))
    from zoneinfo import ZoneInfo

    last_day = report.generated_at.astimezone(ZoneInfo(report.timezone)).date()
    grid = completion_grid(report.open_items, last_day, report.timezone)
    return render(
        request, "deputy_summary.html.j2", report=report, grid=grid, person_token=person_token
    )


async def items_page(request: Request) -> Response:
    require(request, DEPUTY)
    report = await call(deputy_report_from_store, engine_of(request))
    filters = Filters.of(request)
    everything = report_items(report)
    pool = everything if filters.status == "resolved" else report.open_items
    shown = [i for i in pool if filters.keep(i, report.timezone)]
    return render(
        request,
        "deputy_items.html.j2",
        report=report,
        items=shown,
        filters=filters,
        rules=sorted({(i.rule_id, i.rule_title) for i in everything}, key=lambda r: r[1]),
        teachers=sorted({i.responsible for i in everything}),
        groups=sorted({i.group for i in everything if i.group}),
        statuses=STATUS_CHOICES,
        person_token=person_token,
        today=dt.date.today(),
        notice=request.query_params.get("done", ""),
    )


def _back(form_back: object) -> str:
    back = str(form_back or "/deputy/items")
    return back if back.startswith("/deputy/items") else "/deputy/items"


async def acknowledge_post(request: Request) -> Response:
    user = require(request, DEPUTY)
    form = await checked_form(request)
    ref = request.path_params["ref"]
    if ref.startswith("D"):
        from local_store.discrepancies import DiscrepancyError
        from local_store.discrepancies import acknowledge as acknowledge_discrepancy

        try:
            await call(acknowledge_discrepancy, engine_of(request), ref, f"принято: {user.login}")
        except DiscrepancyError as exc:
            raise HTTPException(409, str(exc)) from None
    else:
        from local_store.violations import ViolationError, acknowledge

        try:
            await call(acknowledge, engine_of(request), ref, by=user.login)
        except ViolationError as exc:
            raise HTTPException(409, str(exc)) from None
    return see_other(_with_notice(_back(form.get("back")), "ack"))


async def approve_post(request: Request) -> Response:
    require(request, DEPUTY)
    form = await checked_form(request)
    from local_store.violations import ViolationError, approve

    ref = request.path_params["ref"]
    try:
        day = dt.date.fromisoformat(str(form.get("date") or ""))
    except ValueError:
        raise HTTPException(400, "Дата документа не указана или указана неверно.") from None
    try:
        await call(
            approve,
            engine_of(request),
            ref,
            document_number=str(form.get("document") or ""),
            document_date=day,
            approved_by=str(form.get("signer") or ""),
        )
    except ViolationError as exc:
        raise HTTPException(400, f"Исключение не оформлено: {exc}.") from None
    return see_other(_with_notice(_back(form.get("back")), "approved"))


def _with_notice(url: str, notice: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}done={notice}"


async def reports_page(request: Request) -> Response:
    require(request, DEPUTY)
    return render(request, "deputy_reports.html.j2", files=REPORT_FILES)


async def report_download(request: Request) -> Response:
    require(request, DEPUTY)
    fmt = request.path_params["fmt"]
    if fmt not in REPORT_FILES:
        raise HTTPException(404, "Такого формата отчёта нет.")
    media, name = REPORT_FILES[fmt]

    def build() -> bytes:
        report = deputy_report_from_store(engine_of(request))
        with tempfile.TemporaryDirectory(prefix="sverka-web-") as tmp:
            paths = write_deputy_report(report, Path(tmp), (fmt,))
            return paths[fmt].read_bytes()

    body = await call(build)
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


ROUTES = [
    Route("/deputy", summary_page),
    Route("/deputy/items", items_page),
    Route("/deputy/items/{ref}/acknowledge", acknowledge_post, methods=["POST"]),
    Route("/deputy/items/{ref}/approve", approve_post, methods=["POST"]),
    Route("/deputy/reports", reports_page),
    Route("/deputy/reports/{fmt}", report_download),
]
