"""``sverka scenario …``: generate synthetic institutions and list their accounts."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.errors import UserError, user_errors
from emulators.scenario.profiles import PROFILES

app = typer.Typer(
    help="Сценарии: синтетическая образовательная организация во времени.", no_args_is_help=True
)
console = Console()


class OutputFormat(StrEnum):
    JSON = "json"
    TABLE = "table"


def _parse_start(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"дата начала {value!r} не в формате ГГГГ-ММ-ДД") from None


@app.command("generate")
def generate_command(
    profile: str = typer.Option(
        "tpt", "--profile", "-p", help=f"Профиль организации: {', '.join(sorted(PROFILES))}."
    ),
    students: int = typer.Option(600, "--students", help="Число обучающихся."),
    weeks: int = typer.Option(8, "--weeks", help="Число учебных недель в сценарии (1–44)."),
    seed: int = typer.Option(
        1, "--seed", help="Зерно генератора: одно зерно — один и тот же файл."
    ),
    start: str | None = typer.Option(
        None,
        "--start",
        help="Первый день сценария (ГГГГ-ММ-ДД); по умолчанию окно заканчивается первым "
        "полугодием 2024/2025 учебного года.",
    ),
    output: Path = typer.Option(
        ...,
        "--output",
        "-o",
        help="Файл сценария (.json или .json.gz); рядом — эталон .truth.json.",
    ),
) -> None:
    """Сгенерировать сценарий с заложенными нарушениями и эталоном (ground truth)."""
    from emulators.scenario.generate import build
    from emulators.scenario.writer import write_scenario

    with user_errors(ValueError, KeyError, OSError, render=_render):
        if profile not in PROFILES:
            raise UserError(
                f"неизвестный профиль {profile!r}; допустимые: {', '.join(sorted(PROFILES))}"
            )
        first_day = _parse_start(start)
        with Progress(
            SpinnerColumn(),
            TextColumn("[progress.description]{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("Генерация сценария", total=None)

            def step(name: str) -> None:
                progress.update(task, description=f"Генерация сценария: {name}")

            generated = build(profile, students, weeks, seed, first_day, progress=step)
            progress.update(task, description="Запись файлов")
            size, truth_file = write_scenario(output, generated.scenario, generated.truth)
    tables = generated.scenario["tables"]
    truth = generated.truth
    console.print(
        f"Сценарий [bold]{profile}[/bold] записан: {output} ({size / 1_048_576:.1f} МБ); "
        f"эталон: {truth_file}"
    )
    console.print(
        f"Обучающихся: {students}, недель: {weeks}, уроков: {len(tables['lesson']['rows'])}, "
        f"отметок: {len(tables['mark']['rows'])}, пропусков: {len(tables['absence']['rows'])}, "
        f"правок: {len(generated.scenario['edits']['rows'])}"
    )
    console.print(
        f"Заложено нарушений: {len(truth['cases'])} по {len({c['rule_id'] for c in truth['cases']})} "
        f"правилам, пограничных ненарушений: {len(truth['near_misses'])}, "
        f"расхождений между системами: {len(truth['discrepancies'])}"
    )


def _render(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return str(exc.args[0]) if exc.args else str(exc)
    if isinstance(exc, OSError):
        return f"не удалось записать файл: {exc.strerror or exc} ({exc.filename or ''})"
    return str(exc)


ROLE_TITLES = {
    "administrator": "администратор",
    "director": "директор",
    "deputy": "заместитель директора",
    "secretary": "секретарь",
    "teacher": "учитель/преподаватель",
    "class_teacher": "классный руководитель/куратор",
    "student": "обучающийся",
    "parent": "родитель",
}


@app.command("accounts")
def accounts_command(
    file: Path = typer.Argument(..., help="Файл сценария (.json или .json.gz)."),
    output_format: OutputFormat = typer.Option(
        OutputFormat.TABLE, "--format", "-f", help="Вывод: json или table."
    ),
    role: str | None = typer.Option(None, "--role", help="Только эта роль (например, parent)."),
) -> None:
    """Показать учётные записи сценария: роль, логин, пароль, идентификатор школы."""
    from emulators.scenario.world import ScenarioError, World

    with user_errors(ScenarioError):
        world = World.load(file)
    accounts = world.accounts_for(role)
    if output_format is OutputFormat.JSON:
        typer.echo(json.dumps(accounts, ensure_ascii=False, indent=2, sort_keys=True))
        return
    table = Table(
        title=f"Учётные записи: {world.profile} ({world.meta.get('platform', {}).get('deployment', '')})"
    )
    for title in ("Роль", "ФИО", "Логин", "Пароль", "ID школы", "Платформа"):
        table.add_column(title)
    for account in accounts:
        table.add_row(
            ROLE_TITLES.get(account.get("role", ""), account.get("role", "")),
            account.get("name", ""),
            account.get("login", ""),
            account.get("password", ""),
            str(account.get("school_id", "")),
            str(account.get("platform", "")),
        )
    console.print(table)
