"""The ``sverka`` command.

Each area adds its commands in its own module (``cli/<area>.py``) and one
``app.add_typer`` or ``register`` line here; the commands call the same
functions the scheduler calls.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from cli import check as check_cli
from cli import import_file as import_file_cli
from cli import region as region_cli
from cli import reports as reports_cli
from cli import scenario as scenario_cli
from cli import schedule as schedule_cli
from cli import smev3 as smev3_cli
from cli import smev3_keys as smev3_keys_cli
from cli import source as source_cli
from cli import web as web_cli
from cli.context import SETTINGS
from cli.demo import demo_command
from cli.emulate import emulate_app
from cli.emulate_eljur import emulate_eljur_command as _emulate_eljur  # noqa: F401
from cli.emulate_poo import emulate_poo_command as _emulate_poo  # noqa: F401
from cli.emulate_smev3 import emulate_smev3 as _emulate_smev3  # noqa: F401
from cli.errors import describe, run_with_boundary, user_errors
from cli.forecast import forecast_command
from cli.russian import install as install_russian
from cli.sync import sync_app
from cli.sync_eljur import sync_eljur_command as _sync_eljur  # noqa: F401
from reports.titles import SOURCE_RU, changes_text, store_timezone

install_russian()

app = typer.Typer(
    name="sverka",
    help="Сверка: электронный журнал, контингент и ЕПГУ по правилам положения об ЭЖ.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    add_completion=False,
)
console = Console()


@app.callback()
def main(
    db: str | None = typer.Option(
        None,
        "--db",
        help="Хранилище: путь к файлу SQLite или URL базы (иначе SVERKA_DATABASE_URL "
        "или файл в каталоге данных пользователя).",
    ),
    log_json: bool = typer.Option(False, "--log-json", help="Журнал событий в формате JSON."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Подробный журнал событий."),
) -> None:
    """Сверка: электронный журнал, контингент и ЕПГУ по правилам положения об ЭЖ."""
    from cli.logging import configure_logging

    SETTINGS.db = db
    SETTINGS.log_json = log_json
    SETTINGS.verbose = verbose
    configure_logging(json_output=log_json, level="DEBUG" if verbose else "WARNING")


def _db_error(exc: BaseException) -> str:
    from local_store.engine import StoreError

    if isinstance(exc, StoreError):
        return f"{SETTINGS.url}: {exc}"
    return describe(exc, SETTINGS.url)


@app.command("init")
def init_command() -> None:
    """Создать хранилище или обновить его схему до последней версии."""
    from sqlalchemy.exc import OperationalError

    from local_store.engine import StoreError, current_revision, make_engine, migrate

    with user_errors(OperationalError, StoreError, render=_db_error):
        engine = make_engine(SETTINGS.url)
        before = current_revision(engine)
        after = migrate(engine)
    if before == after:
        console.print(
            f"Хранилище уже в актуальном состоянии (версия схемы {after}): {SETTINGS.url}"
        )
    elif before is None:
        console.print(f"Хранилище создано (версия схемы {after}): {SETTINGS.url}")
    else:
        console.print(f"Схема хранилища обновлена с {before} до {after}: {SETTINGS.url}")


@app.command("status")
def status_command(
    limit: int = typer.Option(10, "--limit", help="Сколько последних запусков показать."),
) -> None:
    """Показать хранилище, источники и последние запуски."""
    from sqlalchemy.exc import OperationalError

    from canonical.wording import ru_moment
    from local_store.engine import StoreError, current_revision, head_revision, make_engine
    from local_store.runs import list_runs, mark_interrupted

    with user_errors(OperationalError, StoreError, render=_db_error):
        engine = make_engine(SETTINGS.url)
        revision = current_revision(engine)
        if revision is None:
            console.print(
                f"Хранилище {SETTINGS.url} ещё не создано. Выполните [bold]sverka init[/bold]."
            )
            raise typer.Exit(1)
        head = head_revision(engine)
        if revision == head:
            mark_interrupted(engine)
        runs = list_runs(engine, limit=limit)
    console.print(f"Хранилище: {SETTINGS.url}")
    state = "актуальна" if revision == head else f"устарела (нужна {head}: sverka init)"
    console.print(f"Версия схемы: {revision}, {state}")
    if not runs:
        console.print("Запусков синхронизации ещё не было.")
        return
    zone = store_timezone(engine)
    table = Table(title=f"Последние запуски (время местное, {zone})")
    table.add_column("№", no_wrap=True)
    table.add_column("Источник", overflow="fold", ratio=2)
    table.add_column("Начало", overflow="fold", ratio=2)
    table.add_column("Состояние", overflow="fold", ratio=2)
    table.add_column("Изменения", overflow="fold", ratio=4)
    for run in runs:
        table.add_row(
            str(run.id),
            f"{SOURCE_RU.get(run.source, run.source)} ({run.deployment})",
            ru_moment(run.started_at, zone),
            schedule_cli.STATUS_RU.get(run.status.value, run.status.value),
            changes_text(run.counts or {}),
        )
    console.print(table)


app.add_typer(scenario_cli.app, name="scenario")
app.add_typer(schedule_cli.schedule_app, name="schedule")
app.add_typer(schedule_cli.scheduler_app, name="scheduler")
app.add_typer(sync_app, name="sync")
app.add_typer(source_cli.source_app, name="source")
app.add_typer(emulate_app, name="emulate")
app.add_typer(smev3_cli.push_app, name="push")
app.add_typer(smev3_cli.epgu_app, name="epgu")
app.command("outbox")(smev3_cli.outbox_command)
app.add_typer(smev3_keys_cli.smev3_app, name="smev3")

check_cli.register(app)
app.add_typer(reports_cli.runs_app, name="runs")  # lists runs; approve/discard/held hold runs
app.add_typer(reports_cli.report_app, name="report")
app.add_typer(reports_cli.export_app, name="export")
app.add_typer(reports_cli.discrepancy_app, name="discrepancies")
app.command("reconcile")(reports_cli.reconcile_command)
app.command("demo")(demo_command)
app.command("forecast")(forecast_command)
app.command("import")(import_file_cli.import_command)
app.command("web")(web_cli.web_command)
app.add_typer(region_cli.region_app, name="region")
app.command("worker")(region_cli.worker_command)
app.add_typer(web_cli.user_app, name="user")


def run() -> None:
    """The ``sverka`` entry point: the app inside the one error boundary."""
    run_with_boundary(app)


if __name__ == "__main__":
    run()
