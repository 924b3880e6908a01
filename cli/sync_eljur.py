"""``sverka sync eljur``: the door over :mod:`pipelines.eljur`."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from cli.context import SETTINGS
from cli.errors import UserError, user_errors
from cli.sync import _parse_as_of, summary_table, sync_app
from pipelines.settings import ELJUR_DEVKEY_ENV as DEVKEY_ENV
from pipelines.settings import ELJUR_PASSWORD_ENV as PASSWORD_ENV


@sync_app.command("eljur")
def sync_eljur_command(
    config_path: Path = typer.Option(
        ..., "--config", help="Файл настроек источника (TOML, раздел [eljur])."
    ),
    full: bool = typer.Option(False, "--full", help="Весь учебный год, а не последние недели."),
    secrets: Path | None = typer.Option(
        None, "--secrets", help=f"Файл секретов (строки {PASSWORD_ENV}=… и {DEVKEY_ENV}=…)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Момент, который отражают данные (для эмулятора), ISO 8601."
    ),
) -> None:
    """Забрать школу из ЭлЖур в хранилище."""
    from sqlalchemy.exc import SQLAlchemyError

    from local_store.runs import RunStatus
    from pipelines.eljur import credentials, load_config, sync_eljur

    console = Console()
    with user_errors(
        SQLAlchemyError, render=lambda e: f"ошибка хранилища: {str(e).splitlines()[0]}"
    ):
        config = load_config(config_path)
        devkey, password = credentials(config, secrets)
        moment = _parse_as_of(as_of)
        engine = SETTINGS.engine()
        steps: Counter[str] = Counter()
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task(f"Вход в ЭлЖур {config.deployment}…", total=None)

            def step(event: str) -> None:
                steps[event] += 1
                bar.update(task, description=f"Загрузка: классов {steps['class']}")

            outcome = sync_eljur(
                engine, config, devkey, password, as_of=moment, full=full, progress=step
            )
        if outcome.status is RunStatus.FAILED:
            kept = " (полностью загруженные классы сохранены)" if outcome.counts.as_dict() else ""
            raise UserError(
                f"{outcome.error}; запуск № {outcome.run_id} записан как неудачный{kept}"
            )
    if outcome.status is RunStatus.HELD:
        console.print(
            f"[yellow]Синхронизация № {outcome.run_id} задержана: {'; '.join(outcome.held)}.[/yellow] "
            f"Проверьте изменения и выполните sverka runs approve {outcome.run_id} "
            f"или sverka runs discard {outcome.run_id}."
        )
        return
    console.print(summary_table(outcome.counts))
    console.print(
        f"Синхронизация № {outcome.run_id} завершена (запросов к серверу: {outcome.requests}, "
        f"повторов: {outcome.retries}, новых входов: {outcome.relogins}); данные на "
        f"{outcome.observed_at.astimezone(dt.UTC):%d.%m.%Y %H:%M} UTC."
    )
