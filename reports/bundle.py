"""Every report for a period into one folder: what ``sverka report all`` and the weekly job call.

The folder gets the deputy's report, the fourteen regulation reports (HTML,
PDF, XLSX), the forecast of period results where the profile asks for one
(``reports.forecast``), the printable journal of every group and subject (``zhurnaly/``),
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
from reports.data import JournalData, load_journal, pick_source, resolve_period
from reports.deputy import deputy_html, deputy_report_from_store, write_deputy_report
from reports.forecast import forecast_for_bundle
from reports.journal_print import build_journal, journal_html, journal_pairs
from reports.regulation import REGULATION_REPORTS, ReportContext
from reports.render import render_html, tabular_html, write_html, write_pdfs, write_tabular


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
    """Write everything; the PDFs (the slow part) are laid out at the end, ``jobs`` at a time.

    ``jobs`` defaults to the machine's cores, at most two: WeasyPrint lays out
    about two A4 pages a second, and a college has a journal per group and subject.
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
    pdfs: list[tuple[str, Path]] = []

    deputy = deputy_report_from_store(engine, now=now)
    files = write_deputy_report(deputy, out_dir, ("html", "xlsx"))
    files["pdf"] = out_dir / "otchet_zamestitelyu.pdf"
    pdfs.append((deputy_html(deputy), files["pdf"]))
    result.files["Отчёт заместителю директора"] = files
    ctx = ReportContext(data, report_period, engine)
    for title, builder in REGULATION_REPORTS.values():
        report = builder(ctx)
        report.generated = now
        files = write_tabular(report, out_dir, ("html", "xlsx"))
        files["pdf"] = out_dir / f"{report.name}.pdf"
        pdfs.append((tabular_html(report), files["pdf"]))
        result.files[title] = files
    forecast = forecast_for_bundle(engine, data, _last_lesson_day(data, now.date()))
    if forecast is not None:
        forecast.generated = now
        files = write_tabular(forecast, out_dir, ("html", "xlsx"))
        files["pdf"] = out_dir / f"{forecast.name}.pdf"
        pdfs.append((tabular_html(forecast), files["pdf"]))
        result.files[forecast.title] = files
    if journals:
        (out_dir / "zhurnaly").mkdir(exist_ok=True)
        for group_id, subject_id in journal_pairs(data, report_period):
            journal = build_journal(
                data, group_id, subject_id, report_period, printed_on=now.date()
            )
            path = out_dir / "zhurnaly" / f"{journal.file_stem}.pdf"
            pdfs.append((journal_html(journal), path))
            result.files[f"Журнал: {journal.group}, {journal.subject}"] = {"pdf": path}
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
    write_pdfs(pdfs, jobs)
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


def _last_lesson_day(data: JournalData, day: dt.date) -> dt.date:
    """The latest lesson day on or before ``day`` (``day`` itself when there is none)."""
    days = [
        lesson["date"]
        for lesson in data.all("lesson")
        if isinstance(lesson.get("date"), dt.date) and lesson["date"] <= day
    ]
    return max(days, default=day)
