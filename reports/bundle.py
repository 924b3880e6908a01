"""Every report for a period into one folder: what ``sverka report all`` and the weekly job call.

The folder gets the deputy's report, the fourteen regulation reports (HTML,
PDF, XLSX), the forecast of period results where the profile asks for one
(``reports.forecast``), the printable journal of every group (class): one PDF per class
with every subject's pages and a bookmark per subject (``zhurnaly/``),
the contingent export with its validation report (``kontingent/``), and an
``index.html`` that links them all.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from local_store.runs import data_time
from reports.contingent_export import ExportError, export_contingent
from reports.data import (
    JournalData,
    ReportPeriod,
    Source,
    load_journal,
    pick_source,
    resolve_period,
)
from reports.deputy import deputy_report_from_store, write_deputy_report
from reports.forecast import forecast_for_bundle
from reports.journal_print import class_journals, journal_html
from reports.regulation import REGULATION_REPORTS, ReportContext
from reports.render import PdfSink, pdf_queue, render_html, write_html, write_tabular


@dataclass
class BundleResult:
    out_dir: Path
    period_title: str
    files: dict[str, dict[str, Path]] = field(default_factory=dict)
    """Report title → format → path."""
    problems: list[str] = field(default_factory=list)

    def paths(self) -> list[Path]:
        return [p for formats in self.files.values() for p in formats.values()]


def write_all(
    engine: Engine,
    out_dir: Path,
    *,
    period: str | None = None,
    source: str | None = None,
    now: dt.datetime | None = None,
    journals: bool = True,
    export: bool = True,
    jobs: int | None = None,
) -> BundleResult:
    """Write everything; the PDFs (the slow part) are laid out ``jobs`` at a time meanwhile.

    ``jobs`` defaults to the machine's cores, at most two: WeasyPrint lays out
    about ten A4 pages a second, and a school's class journals run to hundreds of pages.
    """
    jobs = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    # dated by the data (the newest observation), never by the wall clock
    now = now or data_time(engine) or dt.datetime.now(dt.UTC)
    src = pick_source(engine, source)
    data = load_journal(engine, src)
    # the period the data covers: the one holding the last lesson seen by ``now``
    report_period = resolve_period(data, period, today=_last_lesson_day(data, now.date()))
    result = BundleResult(out_dir, report_period.title)
    out_dir.mkdir(parents=True, exist_ok=True)
    with pdf_queue(jobs) as pdf:
        _write_reports(
            engine, data, src, report_period, now, out_dir, result, pdf, journals, export
        )
    index = render_html(
        "index.html.j2",
        {
            "result": result,
            "institution": data.institution_name(),
            "now": now,
            "rel": lambda p: p.relative_to(out_dir).as_posix(),
        },
    )
    result.files["Оглавление"] = {"html": write_html(index, out_dir / "index.html")}
    return result


def _write_reports(
    engine: Engine,
    data: JournalData,
    src: Source,
    report_period: ReportPeriod,
    now: dt.datetime,
    out_dir: Path,
    result: BundleResult,
    pdf: PdfSink,
    journals: bool,
    export: bool,
) -> None:
    """Every report into ``out_dir``; each PDF is handed to ``pdf`` as soon as its HTML exists."""
    deputy = deputy_report_from_store(engine, now=now)
    result.files["Отчёт заместителю директора"] = write_deputy_report(
        deputy, out_dir, ("html", "pdf", "xlsx"), pdf=pdf
    )
    ctx = ReportContext(data, report_period, engine)
    for title, builder in REGULATION_REPORTS.values():
        report = builder(ctx)
        report.generated = now
        result.files[title] = write_tabular(report, out_dir, pdf=pdf)
    forecast = forecast_for_bundle(engine, data, _last_lesson_day(data, now.date()))
    if forecast is not None:
        forecast.generated = now
        result.files[forecast.title] = write_tabular(forecast, out_dir, pdf=pdf)
    if journals:
        (out_dir / "zhurnaly").mkdir(exist_ok=True)
        for book in class_journals(data, report_period, printed_on=now.date()):
            path = out_dir / "zhurnaly" / f"{book.file_stem}.pdf"
            pdf(journal_html(book), path)
            result.files[f"Журнал: {book.group}"] = {"pdf": path}
    if export:
        try:
            exported = export_contingent(engine, src, out_dir / "kontingent", fmt="xml", now=now)
        except ExportError as exc:
            result.problems.append(str(exc))
        else:
            result.files["Выгрузка контингента"] = {"xml": exported.paths["export"]}
            result.files["Проверка выгрузки контингента"] = {
                k.removeprefix("validation_"): v
                for k, v in exported.paths.items()
                if k.startswith("validation_")
            }


def _last_lesson_day(data: JournalData, day: dt.date) -> dt.date:
    """The latest lesson day on or before ``day`` (``day`` itself when there is none)."""
    days = [
        lesson["date"]
        for lesson in data.all("lesson")
        if isinstance(lesson.get("date"), dt.date) and lesson["date"] <= day
    ]
    return max(days, default=day)
