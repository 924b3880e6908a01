"""``sverka sync …``: the doors that pull a source into the store.

Each platform's run lives in ``pipelines/<platform>.py``; here are only the
Typer commands over them: options, progress bars and the Russian summary.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from cli.context import SETTINGS
from cli.errors import UserError, user_errors
from pipelines.settings import NETSCHOOL_PASSWORD_ENV

if TYPE_CHECKING:
    from local_store.ingest import IngestResult
    from pipelines.outcome import SyncOutcome
    from pipelines.poo import PooSyncConfig

sync_app = typer.Typer(
    help="Синхронизация: забрать данные платформы в хранилище.", no_args_is_help=True
)

# -- NetSchool ------------------------------------------------------------------------------------

KIND_NAMES_RU = {
    "institution": "организация",
    "school_year": "учебный год",
    "period": "учебные периоды",
    "holiday": "каникулы",
    "person": "люди",
    "group": "классы",
    "subject": "предметы",
    "subgroup": "подгруппы",
    "subgroup_member": "состав подгрупп",
    "teaching_assignment": "нагрузка учителей",
    "work_kind": "виды работ",
    "lesson": "уроки",
    "homework": "домашние задания",
    "mark": "отметки",
    "absence": "пропуски",
}


def summary_table(result: IngestResult) -> Table:
    table = Table(title="Изменения")
    for title in ("Данные", "Добавлено", "Изменено", "Удалено", "Без изменений"):
        table.add_column(title)
    order = list(KIND_NAMES_RU)
    ranked = sorted(
        result.counts.items(), key=lambda i: (order.index(i[0]) if i[0] in order else 99, i[0])
    )
    for kind, counts in ranked:
        table.add_row(
            KIND_NAMES_RU.get(kind, kind),
            str(counts.added),
            str(counts.changed),
            str(counts.removed),
            str(counts.unchanged),
        )
    return table


STAGES_RU = {
    "students": "Списки классов",
    "subgroups": "Подгруппы",
    "parents": "Родители учеников",
    "lessons": "Расписание уроков",
    "journal": "Страницы журнала",
}


def _progress_callback(progress: Progress) -> Callable[[str, int, int], None]:
    tasks: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = progress.add_task(STAGES_RU.get(stage, stage), total=total)
        progress.update(tasks[stage], completed=done, total=total)

    return update


@sync_app.command("netschool")
def sync_netschool_command(
    config_path: Path = typer.Option(..., "--config", help="Файл настроек источника (TOML)."),
    full: bool = typer.Option(False, "--full", help="Весь учебный год, а не последние недели."),
    secrets: Path | None = typer.Option(
        None, "--secrets", help=f"Файл секретов (строка {NETSCHOOL_PASSWORD_ENV}=…)."
    ),
) -> None:
    """Забрать школу из «Сетевого города» (NetSchool) в хранилище."""
    from sqlalchemy.exc import SQLAlchemyError

    from local_store.runs import RunStatus
    from pipelines.netschool import load_config as load_netschool_config
    from pipelines.netschool import sync_netschool
    from pipelines.settings import read_secret

    console = Console()
    with user_errors(
        SQLAlchemyError, render=lambda e: f"ошибка хранилища: {str(e).splitlines()[0]}"
    ):
        config = load_netschool_config(config_path)
        password = read_secret(NETSCHOOL_PASSWORD_ENV, secrets or config.secrets_file)
        if not password:
            raise UserError(
                f"не задан пароль: укажите переменную окружения {NETSCHOOL_PASSWORD_ENV} или файл секретов"
            )
        engine = SETTINGS.engine()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            outcome = sync_netschool(
                engine, config, password, full=full, progress=_progress_callback(progress)
            )
        if outcome.status is RunStatus.FAILED:
            raise UserError(
                f"{outcome.error}; запуск № {outcome.run_id} записан как неудачный, "
                "данные в хранилище не изменены"
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
        f"Синхронизация № {outcome.run_id} завершена (запросов к серверу: {outcome.requests}); "
        f"данные на {outcome.observed_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC."
    )


# -- «Модуль ПОО» ---------------------------------------------------------------------------------

KIND_RU = {
    "institution": "организация",
    "school_year": "учебные годы",
    "period": "семестры",
    "group": "группы",
    "subject": "дисциплины",
    "person": "люди",
    "parent_link": "связи с родителями",
    "movement_order": "приказы",
    "enrolment": "зачисления",
    "work_kind": "виды работ",
    "plan": "КТП",
    "plan_item": "темы КТП",
    "teaching_assignment": "нагрузка",
    "lesson": "занятия",
    "homework": "домашние задания",
    "mark": "отметки",
    "absence": "пропуски",
}

_STEP_RU = {"card": "карточки студентов", "subject": "страницы журнала", "group": "группы"}

console = Console()


def _parse_as_of(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise UserError(f"--as-of: «{value}» не дата-время ISO 8601") from None
    if moment.tzinfo is None:
        raise UserError("--as-of: укажите часовой пояс, например 2026-09-09T21:00+07:00")
    return moment


@sync_app.command("poo")
def sync_poo_command(
    config: Path = typer.Option(
        ..., "--config", "-c", help="Файл настроек (TOML, раздел \\[poo])."
    ),
    whole_year: bool = typer.Option(
        False, "--whole-year", help="Забрать весь учебный год, а не только последние недели."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Момент, который отражают данные (для эмулятора), ISO 8601."
    ),
) -> None:
    """Забрать журнал колледжа из «Модуля ПОО» («Сетевой город. Образование»)."""
    from sqlalchemy.exc import OperationalError

    from connectors.poo.errors import PooError
    from pipelines.poo import load_config as load_poo_config
    from pipelines.poo import run_poo_sync

    with user_errors(PooError, OperationalError):
        cfg = load_poo_config(config)
        moment = _parse_as_of(as_of)
        engine = SETTINGS.engine()
        counter: Counter[str] = Counter()
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task(f"Вход в {cfg.deployment.host}…", total=None)

            def step(event: str) -> None:
                counter[event] += 1
                parts = [f"{_STEP_RU[k]}: {counter[k]}" for k in _STEP_RU if counter[k]]
                bar.update(task, description="Загрузка: " + (", ".join(parts) or event))

            outcome = asyncio.run(
                run_poo_sync(engine, cfg, as_of=moment, whole_year=whole_year, progress=step)
            )
    _print_summary(cfg, outcome)


def _print_summary(cfg: PooSyncConfig, outcome: SyncOutcome) -> None:
    if outcome.held:
        console.print(
            f"[yellow]Запуск №{outcome.run_id} задержан: {'; '.join(outcome.held)}. "
            "Журнал не загружался; посмотрите изменения и утвердите или отклоните их "
            f"(sverka runs approve {outcome.run_id} / sverka runs discard {outcome.run_id}).[/yellow]"
        )
        return
    table = Table(
        title=f"Синхронизация «Модуль ПОО» {cfg.deployment.deployment_id}: запуск №{outcome.run_id}"
    )
    for title in ("Данные", "Добавлено", "Изменено", "Удалено", "Без изменений"):
        table.add_column(title)
    order = {kind: i for i, kind in enumerate(KIND_RU)}
    rows = sorted(outcome.counts.as_dict().items(), key=lambda kv: order.get(kv[0], len(order)))
    for kind, counts in rows:
        table.add_row(
            KIND_RU.get(kind, kind),
            str(counts["added"]),
            str(counts["changed"]),
            str(counts["removed"]),
            str(counts["unchanged"]),
        )
    console.print(table)
    console.print(
        f"Запросов к серверу: {outcome.requests} (повторов: {outcome.retries}, "
        f"повторных входов: {outcome.relogins})."
    )
    if outcome.warnings:
        console.print(f"[yellow]Предупреждений при разборе: {len(outcome.warnings)}[/yellow]")
