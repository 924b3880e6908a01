"""Rendering: Jinja2 HTML for screen and paper, WeasyPrint PDF from the same HTML, openpyxl XLSX.

One template serves both the browser and the printer: the stylesheet has
``@page`` rules (A4, page numbers, repeated table headers), so what a deputy
prints is what they saw.  Nothing here computes a figure.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reports.tabular import Cell, Table, TabularReport

if TYPE_CHECKING:
    from openpyxl import Workbook

TEMPLATES = Path(str(files("reports") / "templates"))


def ru_date(value: dt.date | dt.datetime | str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10]).strftime("%d.%m.%Y")
        except ValueError:
            return value
    return value.strftime("%d.%m.%Y")


def ru_datetime(value: dt.datetime | None, timezone: str | None = None) -> str:
    if value is None:
        return "—"
    if timezone and value.tzinfo is not None:
        from zoneinfo import ZoneInfo

        value = value.astimezone(ZoneInfo(timezone))
    return value.strftime("%d.%m.%Y %H:%M")


def cell_text(value: Cell) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, float):
        text = f"{value:.1f}" if value != int(value) else f"{int(value)}"
        return text.replace(".", ",")
    return str(value)


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cell"] = cell_text
    env.filters["ru_date"] = ru_date
    env.filters["ru_datetime"] = ru_datetime
    return env


ENV = _env()


def render_html(template: str, context: Mapping[str, Any]) -> str:
    return ENV.get_template(template).render(**context)


def write_pdf(html: str, path: Path) -> Path:
    """The same HTML, laid out for paper by WeasyPrint."""
    from weasyprint import HTML

    path.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html, base_url=str(TEMPLATES)).write_pdf(str(path))
    return path


def write_html(html: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- XLSX

_BAD_SHEET = re.compile(r"[\[\]*?/\\]")
_DANGLING = frozenset(
    {"и", "в", "во", "на", "по", "за", "с", "со", "к", "от", "до", "из", "о", "об", "для"}
)
"""Words a cut name must not end on: «Итоги успеваемости по» says less than «Итоги успеваемости»."""
SHEET_LIMIT = 31
"""Excel refuses longer sheet names; the full title stays in the sheet's heading row."""


def _fit_sheet_name(title: str, limit: int = SHEET_LIMIT) -> str:
    """The title as a sheet name: no characters Excel forbids, cut after a whole word.

    A colon becomes a dash («Не выгружены — ошибки»); a cut never leaves half a word,
    a dangling bracket or a trailing comma behind.
    """
    text = re.sub(r"\s*:\s*", " — ", title)
    text = " ".join(_BAD_SHEET.sub(" ", text).split())
    if len(text) <= limit:
        return text
    words, kept = text.split(" "), ""
    for word in words:
        candidate = f"{kept} {word}".strip()
        if len(candidate) > limit:
            break
        kept = candidate
    kept = kept or text[:limit]
    if kept.count("(") > kept.count(")"):
        kept = kept[: kept.rindex("(")]
    kept = kept.rstrip(" ,;—-(«")
    words = kept.split(" ")
    while len(words) > 1 and words[-1].lower() in _DANGLING:
        words.pop()
    return " ".join(words).rstrip(" ,;—-(«") or text[:limit]


def sheet_title(title: str, taken: set[str]) -> str:
    base = _fit_sheet_name(title) or "Лист"
    name, n = base, 2
    while name in taken:
        suffix = f" ({n})"
        name = _fit_sheet_name(base, SHEET_LIMIT - len(suffix)) + suffix
        n += 1
    taken.add(name)
    return name


def _width(values: list[Cell], header: str) -> float:
    longest_word = max((len(w) for w in header.split()), default=4)
    data = max((len(cell_text(v)) for v in values), default=0)
    return float(
        min(
            60,
            max(5, data + 2, min(len(header), 24) + 2 if len(header) <= 24 else longest_word + 2),
        )
    )


def add_table_sheet(workbook: Workbook, table: Table, heading: list[str], taken: set[str]) -> None:
    """One table on its own sheet: heading lines, a frozen bold header, widths that fit."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws = workbook.create_sheet(sheet_title(table.title, taken))
    row = 1
    for i, line in enumerate([*heading, table.title]):
        ws.cell(row=row, column=1, value=line).font = Font(bold=i == 0, size=12 if i == 0 else 10)
        row += 1
    if table.note:
        ws.cell(row=row, column=1, value=table.note).font = Font(italic=True, size=9)
        row += 1
    row += 1
    header_row = row
    for col, name in enumerate(table.columns, start=1):
        c = ws.cell(row=header_row, column=col, value=name)
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="DDE5F0")
        c.border = border
        c.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for values in table.rows:
        row += 1
        for col, value in enumerate(values, start=1):
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                value = value.replace(tzinfo=None)  # Excel has no zones: the caller gave local time
            c = ws.cell(row=row, column=col, value=value)
            c.border = border
            if isinstance(value, dt.datetime):
                c.number_format = "DD.MM.YYYY HH:MM"
            elif isinstance(value, dt.date):
                c.number_format = "DD.MM.YYYY"
            elif isinstance(value, float):
                c.number_format = "0.0"
            elif isinstance(value, str) and len(value) > 58:
                c.alignment = Alignment(wrap_text=True, vertical="top")
    if table.totals is not None:
        row += 1
        for col, value in enumerate(table.totals, start=1):
            c = ws.cell(row=row, column=col, value=value)
            c.font = Font(bold=True)
            c.fill = PatternFill("solid", fgColor="F2F2F2")
            c.border = border
    ws.freeze_panes = ws.cell(row=header_row + 1, column=2 if len(table.columns) > 3 else 1)
    for col, name in enumerate(table.columns, start=1):
        values = [r[col - 1] for r in table.rows]
        if table.totals is not None:
            values.append(table.totals[col - 1])
        ws.column_dimensions[get_column_letter(col)].width = _width(values, name)
    ws.print_title_rows = f"{header_row}:{header_row}"
    if table.landscape:
        ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0


def write_xlsx(report: TabularReport, path: Path) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    taken: set[str] = set()
    heading = [report.title, report.institution, report.subtitle]
    if not report.tables:
        ws = workbook.create_sheet(sheet_title(report.title, taken))
        ws.cell(row=1, column=1, value=report.title)
        ws.cell(row=2, column=1, value="Нет данных за период")
    for table in report.tables:
        add_table_sheet(workbook, table, heading, taken)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(str(path))
    return path


def tabular_html(report: TabularReport) -> str:
    generated = report.generated or dt.datetime.now()
    return render_html("tabular.html.j2", {"report": report, "generated": generated})


PdfSink = Callable[[str, Path], object]
"""Where a report hands its HTML to be laid out as a PDF at ``path``: ``write_pdf`` or a queue."""


@contextmanager
def pdf_queue(jobs: int = 1) -> Iterator[PdfSink]:
    """Lay out PDFs in ``jobs`` processes while the caller goes on building the next report.

    WeasyPrint is the slow part of a report folder (about a tenth of a second
    per A4 page), so with ``jobs`` > 1 each PDF is handed to a worker as soon
    as its HTML exists and the spreadsheets, the next reports and the export
    are built meanwhile; every PDF is on disk when the block ends.  With one
    job they are laid out in place.
    """
    if jobs <= 1:
        yield write_pdf
        return
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    # spawn, not fork: the caller may run server threads (the demo) that a fork would copy mid-flight
    context = multiprocessing.get_context("spawn")
    pending: list[Future[Path]] = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:

        def submit(html: str, path: Path) -> None:
            pending.append(pool.submit(write_pdf, html, path))

        try:
            yield submit
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        for future in pending:
            future.result()


def write_tabular(
    report: TabularReport,
    out_dir: Path,
    formats: tuple[str, ...] = ("html", "pdf", "xlsx"),
    pdf: PdfSink = write_pdf,
) -> dict[str, Path]:
    """The report in every asked format, named after it: ``<name>.html/.pdf/.xlsx``.

    The HTML is rendered once for the page and the PDF; ``pdf`` may queue the
    layout (``pdf_queue``), then the PDF's path is returned before it exists.
    """
    paths: dict[str, Path] = {}
    html = tabular_html(report)
    if "html" in formats:
        paths["html"] = write_html(html, out_dir / f"{report.name}.html")
    if "pdf" in formats:
        paths["pdf"] = out_dir / f"{report.name}.pdf"
        pdf(html, paths["pdf"])
    if "xlsx" in formats:
        paths["xlsx"] = write_xlsx(report, out_dir / f"{report.name}.xlsx")
    return paths
