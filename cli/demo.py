"""``sverka demo``: the product's main job on emulated platforms, start to finish."""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from reports.titles import rule_title

if TYPE_CHECKING:
    from demo.run import DemoResult

console = Console()

PROFILES = ("tpt", "usolye", "kpgt", "talmenka", "mazanka")


def demo_command(
    profile: str = typer.Option(
        "tpt", "--profile", help=f"Профиль организации: {', '.join(PROFILES)}."
    ),
    students: int = typer.Option(90, "--students", help="Сколько обучающихся в сценарии."),
    weeks: int = typer.Option(3, "--weeks", help="Сколько учебных недель проиграть."),
    seed: int = typer.Option(
        1, "--seed", help="Зерно генератора (тот же номер — тот же сценарий)."
    ),
    out: Path = typer.Option(Path("sverka-demo"), "--out", help="Папка с результатами."),
    as_json: bool = typer.Option(False, "--json", help="Итог в формате JSON (docs/demo-json.md)."),
    serve: bool = typer.Option(
        False, "--serve", help="После демонстрации открыть веб-страницы с учётной записью на роль."
    ),
    port: int = typer.Option(8080, "--port", help="Порт веб-страниц (с --serve)."),
) -> None:
    """Демонстрация: сценарий, эмуляторы платформ, синхронизации по дням, проверка, сверка, отчёты."""
    from cli.logging import configure_logging
    from demo.run import DemoOptions, run_demo

    if profile not in PROFILES:
        console.print(
            f"[red]Ошибка:[/red] неизвестный профиль «{profile}»; есть: {', '.join(PROFILES)}"
        )
        raise typer.Exit(1)
    out.mkdir(parents=True, exist_ok=True)
    (out / "logs").mkdir(exist_ok=True)
    log_stream = (out / "logs" / "demo.log").open("w", encoding="utf-8")
    configure_logging(json_output=True, level="INFO", stream=log_stream)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    options = DemoOptions(profile=profile, students=students, weeks=weeks, seed=seed, out=out)
    try:
        if as_json:
            result = run_demo(options)
        else:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=console,
            ) as bar:
                task = bar.add_task("Подготовка", total=1)

                def note(what: str, done: int, total: int) -> None:
                    bar.update(task, description=what, completed=done, total=max(total, 1))

                result = run_demo(options, note)
    finally:
        log_stream.close()
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        _print_summary(result)
    if serve:
        from cli.web import serve_demo

        serve_demo(result.store, out, "127.0.0.1", port)


def _percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def _print_summary(result: DemoResult) -> None:
    from canonical.wording import count

    platform = {
        "poo": "«Сетевой город. Образование — Модуль ПОО»",
        "netschool": "«Сетевой город» (NetSchool)",
        "eljur": "ЭлЖур",
    }
    console.print(
        f"\n[bold]Итог демонстрации[/bold]: профиль «{result.profile}», журнал — эмулятор "
        f"{platform.get(result.platform, result.platform)}, "
        f"{count(result.syncs, 'синхронизация', 'синхронизации', 'синхронизаций')}, "
        f"{count(round(result.seconds), 'секунда', 'секунды', 'секунд')}."
    )
    table = Table(
        title="Нарушения положения об ЭЖ: найдено против заложенных в сценарий", expand=False
    )
    columns = ("Правило", "Заложено", "Найдено", "Совпало", "Точность", "Полнота", "Возможно")
    for title in columns:
        if title == "Правило":
            table.add_column(title, justify="left", overflow="fold", ratio=1)
        else:
            table.add_column(title, justify="right", no_wrap=True)
    for row in result.rules:
        table.add_row(
            rule_title(str(row["rule_id"])),
            str(row["planted"]),
            str(row["found"]),
            str(row["matched"]),
            _percent(row["precision"]),
            _percent(row["recall"]),
            str(row.get("possibly", 0)),
        )
    for unchecked in result.unchecked:
        table.add_row(rule_title(unchecked["rule_id"]), "—", "—", "—", "—", "—", "—")
    console.print(table)
    for unchecked in result.unchecked:
        console.print(f"«{rule_title(unchecked['rule_id'])}» {unchecked['reason']}")
    total = sum(len(v) for v in result.possibly.values())
    console.print(
        f"«Возможно нарушено» (ни одна синхронизация не пришлась на срок): {total}"
        + (
            "; "
            + ", ".join(
                f"{rule_title(rule)}: {len(items)}" for rule, items in result.possibly.items()
            )
            if total
            else ""
        )
        + "."
    )
    console.print(
        f"Реестр контингента: событий к отправке {result.outbox.get('planned', 0)}, доставлено "
        f"{result.outbox.get('delivered', 0)}, ошибок доставки {result.outbox.get('failed', 0)}; ответы реестра: "
        f"принято {result.registry.get('accepted', 0)}, отклонено {result.registry.get('rejected', 0)}, "
        f"повторов {result.registry.get('duplicates', 0)}."
    )
    console.print(
        f"ЕПГУ: заявлений {result.epgu.get('received', 0)}, ответов с данными {result.epgu.get('answered', 0)}, "
        f"отказов {result.epgu.get('refused', 0)}; «Е-услуги»: уведомлений о зачислении "
        f"{result.epgu.get('e_uslugi_notices', 0)}."
    )
    reasons = Counter(r["reason"] for r in result.refusals)
    for reason, times in sorted(reasons.items()):
        console.print(f"  отказ ({times}): {reason}")
    healed = sum(int(row.get("healed", 0)) for row in result.rules)
    if healed:
        console.print(
            f"Расхождений с реестром, устранённых нашей передачей приказов: {healed} "
            "(найдены сверкой до передачи; в таблице учтены как найденные)."
        )
    if result.discrepancies:
        causes = ", ".join(
            f"{rule_title(k)} — {v}" for k, v in sorted(result.discrepancies.items())
        )
        console.print(f"Расхождения источников по причинам: {causes}.")
    for problem in result.problems:
        console.print(f"[yellow]Внимание:[/yellow] {problem}")
    console.print("\n[bold]Где результаты[/bold]:")
    titles = {
        "folder": "папка",
        "store": "хранилище",
        "violations_csv": "нарушения (CSV)",
        "violations_json": "нарушения (JSON)",
        "reports": "отчёты",
        "summary": "итог (JSON)",
        "log": "журнал событий",
        "scenario": "сценарий",
        "truth": "эталон нарушений",
    }
    for key, title in titles.items():
        if key in result.paths:
            console.print(f"  {title}: {result.paths[key]}")
