"""``sverka import``: load one of the institution's own tables (CSV or XLSX) into the store."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from cli.context import SETTINGS
from cli.errors import user_errors

console = Console()

KIND_RU = {
    "person": "люди",
    "diary_opt_out": "отказы от электронного дневника",
    "paper_report": "выдачи бумажных сведений",
    "invitation_code": "коды приглашения",
    "approval": "согласования",
    "journal_outage": "недоступность журнала",
    "result_announcement": "объявления результатов",
    "data_review": "проверки данных",
}
CHANGE_RU = {"added": "добавится", "changed": "изменится", "removed": "удалится"}
SHOWN_CHANGES = 50
KIND_HELP = "Что в файле: " + ", ".join(f"{k} — {v}" for k, v in KIND_RU.items()) + "."


def _kind(value: str) -> str:
    from mapping.local_files import LOCAL_KINDS

    if value not in LOCAL_KINDS:
        known = ", ".join(f"{k} ({KIND_RU[k]})" for k in LOCAL_KINDS)
        raise typer.BadParameter(f"неизвестный вид «{value}»; возможны: {known}")
    return value


def import_command(
    path: Path = typer.Argument(..., help="Файл организации: CSV (UTF-8 или cp1251) или XLSX."),
    kind: str = typer.Option(
        ...,
        "--kind",
        callback=_kind,
        help=KIND_HELP,
    ),
    deployment: str = typer.Option(
        "local", "--deployment", help="Чьи это файлы (одно значение на организацию)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Показать, что изменится, ничего не записывая."
    ),
) -> None:
    """Загрузить таблицу организации как полный список записей этого вида.

    Запись, которой нет в файле, считается удалённой; строка, которую не удалось
    прочитать, удалением не считается. Слишком большое изменение задерживается
    до решения: sverka runs approve / discard.
    """
    from connectors.local_files.reader import FileReadError
    from mapping.local_files import LocalTableError
    from pipelines.local_files import import_local_file

    with user_errors(FileReadError, LocalTableError):
        engine = SETTINGS.engine()
        counts = import_local_file(engine, path, kind, deployment=deployment, dry_run=dry_run)
    _print(counts, kind, dry_run)


def _print(counts: dict[str, Any], kind: str, dry_run: bool) -> None:
    for problem in counts.get("_problems", []):
        console.print(f"[yellow]Строка пропущена:[/yellow] {problem}; прежние данные сохранены")
    summary = counts.get(kind) or {}
    added, changed, removed = (summary.get(k, 0) for k in ("added", "changed", "removed"))
    unchanged = summary.get("unchanged", 0)
    held = counts.get("_held") or []
    label = KIND_RU[kind]
    if dry_run:
        console.print(
            f"Пробный запуск ({label}): добавится {added}, изменится {changed}, "
            f"удалится {removed}, без изменений {unchanged}. Ничего не записано."
        )
        changes = counts.get("_changes") or []
        if changes:
            table = RichTable(title="Что изменится")
            table.add_column("Изменение")
            table.add_column("Код записи")
            for change in changes[:SHOWN_CHANGES]:
                table.add_row(
                    CHANGE_RU.get(change["change"], change["change"]), change["external_id"]
                )
            console.print(table)
            if len(changes) > SHOWN_CHANGES:
                rest = Counter(c["change"] for c in changes[SHOWN_CHANGES:])
                console.print(
                    "…и ещё "
                    + ", ".join(f"{CHANGE_RU.get(k, k)} {n}" for k, n in sorted(rest.items()))
                )
        if held:
            console.print(
                "[yellow]Такая загрузка будет задержана до решения:[/yellow] " + "; ".join(held)
            )
        return
    if held:
        console.print(
            f"[yellow]Загрузка задержана (запуск {counts.get('_run')}):[/yellow] "
            + "; ".join(held)
            + ". Хранилище не изменено. Посмотреть: sverka runs held; применить: "
            f"sverka runs approve {counts.get('_run')}; отклонить: sverka runs discard "
            f"{counts.get('_run')}."
        )
        raise typer.Exit(2)
    console.print(
        f"Загружено ({label}): добавлено {added}, изменено {changed}, удалено {removed}, "
        f"без изменений {unchanged} (запуск {counts.get('_run')})."
    )
