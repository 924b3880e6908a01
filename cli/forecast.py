"""``sverka forecast``: the forecast of period results and attendance, and the notices."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console

from cli.context import SETTINGS
from cli.errors import UserError, user_errors
from cli.reports import FORMATS, SOURCE, _formats, _print_paths

console = Console()


def forecast_command(
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="На какой день прогноз (ГГГГ-ММ-ДД; по умолчанию день последней синхронизации).",
    ),
    out: Path = typer.Option(Path("prognoz"), "--out", "-o", help="Папка для отчёта."),
    source: str | None = SOURCE,
    profile: str | None = typer.Option(
        None, "--profile", help="Профиль организации (по умолчанию из данных журнала)."
    ),
    formats: str = FORMATS,
    notices: bool = typer.Option(
        True, "--notices/--no-notices", help="Уведомления обучающимся и родителям (PDF)."
    ),
    group: str | None = typer.Option(None, "--group", help="Уведомления только этой группе."),
) -> None:
    """Прогноз успеваемости и посещаемости за период и уведомления обучающимся и родителям."""
    from policies.profiles import ProfileError
    from reports.data import ReportError
    from reports.forecast import load_forecast, write_forecast

    with user_errors(ReportError, ProfileError):
        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise UserError(f"--as-of «{as_of}»: дата пишется как 2026-11-15") from None
        bundle = load_forecast(SETTINGS.engine(), day, source, profile)
        paths = write_forecast(bundle, out, _formats(formats), notices=notices, group=group)
    f = bundle.forecast
    at_risk = sum(1 for s in f.students.values() if s.level(f.params) in ("risk", "high"))
    console.print(
        f"Прогноз «{f.period.name}» на {f.as_of:%d.%m.%Y}: обучающихся {len(f.students)}, "
        f"в зоне риска {at_risk}."
    )
    _print_paths(paths)
