"""``sverka reconcile``, ``sverka report …``, ``sverka export contingent`` and ``sverka runs approve|discard``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table as RichTable

from cli import schedule as schedule_cli
from cli.context import SETTINGS
from cli.errors import UserError, user_errors
from reports.regulation_titles import REGULATION_TITLES

console = Console()


def _known() -> tuple[type[Exception], ...]:
    """The errors a report command shows as one Russian line."""
    from local_store.discrepancies import DiscrepancyError
    from local_store.hold import HoldError
    from reports.contingent_export import ExportError
    from reports.data import ReportError

    return (ReportError, ExportError, HoldError, DiscrepancyError)


report_app = typer.Typer(
    help="Отчёты: заместителю директора, отчёты положения, печатный журнал.", no_args_is_help=True
)
export_app = typer.Typer(help="Выгрузки для внешних систем.", no_args_is_help=True)
runs_app = typer.Typer(
    help="История запусков; утверждение и отклонение задержанных запусков.",
    invoke_without_command=True,
)
discrepancy_app = typer.Typer(help="Расхождения между источниками.", no_args_is_help=True)

OUT = typer.Option(Path("otchety"), "--out", "-o", help="Папка, куда записать отчёты.")
PERIOD = typer.Option(
    None,
    "--period",
    help="Период: название или номер периода журнала («1 семестр»), месяц 2026-10 "
    "или даты 2026-09-01..2026-12-31 (по умолчанию текущий период).",
)
SOURCE = typer.Option(
    None, "--source", help="Журнал, если их несколько: платформа или platform:deployment."
)
FORMATS = typer.Option("html,pdf,xlsx", "--format", help="Форматы через запятую: html, pdf, xlsx.")


def _formats(value: str) -> tuple[str, ...]:
    chosen = tuple(f.strip() for f in value.split(",") if f.strip())
    bad = [f for f in chosen if f not in ("html", "pdf", "xlsx")]
    if bad or not chosen:
        raise UserError(f"неизвестный формат: {', '.join(bad) or 'пусто'} (можно html, pdf, xlsx)")
    return chosen


def _print_paths(paths: dict[str, Path]) -> None:
    for fmt, path in paths.items():
        kind, _, group = fmt.partition(":")
        label = f"Уведомления, группа {group}" if kind == "notices" else fmt.upper()
        console.print(f"  {label}: {path}")


# --------------------------------------------------------------------------- reconcile


def reconcile_command(
    as_json: bool = typer.Option(False, "--json", help="Итог в формате JSON."),
) -> None:
    """Сверить журнал, реестр контингента, «Е-услуги» и ЕПГУ; записать расхождения."""
    from local_store.discrepancies import RULES
    from local_store.reconcile import reconcile

    with user_errors(*_known()):
        result = reconcile(SETTINGS.engine())
    stats = result.stats.as_dict() if result.stats else {}
    if as_json:
        payload = {
            "run_id": result.run_id,
            "by_rule": result.by_rule(),
            "root_causes": [
                {"title": c.title, "consequences": c.details.get("consequences")}
                for c in result.causes
            ],
            "lifecycle": stats,
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    table = RichTable(title="Расхождения по видам")
    table.add_column("Вид расхождения")
    table.add_column("Найдено", justify="right")
    for rule, n in result.by_rule().items():
        table.add_row(RULES[rule].title if rule in RULES else rule, str(n))
    console.print(table)
    for cause in result.causes:
        console.print(
            f"Общая причина: {cause.title} — последствий: {cause.details.get('consequences')}"
        )
    console.print(
        f"Новых: {stats.get('opened', 0)}, снова открыто: {stats.get('reopened', 0)}, "
        f"по-прежнему открыто: {stats.get('still_open', 0)}, устранено: {stats.get('resolved', 0)}."
    )


SHORT_CODE = 7
"""The fewest characters of a discrepancy's id shown as its code (more when two share them)."""


def short_codes(ids: list[str]) -> dict[str, str]:
    """The ids cut to the shortest common length (at least :data:`SHORT_CODE`) at which no two
    are alike: what a deputy copies into ``acknowledge`` instead of a 21-character digest."""
    length = SHORT_CODE
    while len({i[:length] for i in ids}) < len(set(ids)):
        length += 1
    return {i: i[:length] for i in ids}


def _without_subject(message: str, subject: str) -> str:
    """The message without the student's name in front (the table shows it in its own
    column): «Иванов Иван: приказ … не внесён» → «Приказ … не внесён»."""
    rest = message.removeprefix(f"{subject}: ") if subject else message
    return rest[:1].upper() + rest[1:] if rest != message else message


@discrepancy_app.command("list")
def list_command(
    all_: bool = typer.Option(False, "--all", help="Вместе с устранёнными."),
) -> None:
    """Расхождения: открытые (или все), по обучающимся, с причиной и обеими сторонами."""
    from rich.markup import escape

    from canonical.wording import ru_moment
    from local_store.discrepancies import RULES, STATUS_RU, Status, list_discrepancies
    from reports.evidence_text import side_text
    from reports.titles import store_timezone

    engine = SETTINGS.engine()
    everything = list_discrepancies(engine)
    codes = short_codes([d.id for d in everything])
    shown = {Status.OPEN, Status.ACKNOWLEDGED}
    rows = everything if all_ else [d for d in everything if d.status in shown]
    zone = store_timezone(engine)
    if not rows:
        console.print("Расхождений нет.")
        return
    table = RichTable(
        title="Расхождения",
        expand=True,
        caption="Код — для команды sverka discrepancies acknowledge КОД.",
    )
    table.add_column("№", justify="right", no_wrap=True)
    # 80 columns: the facts (and the common cause under them) get the room
    table.add_column("Обучающийся", ratio=1, min_width=11, overflow="fold")
    table.add_column("Что не так", ratio=3, overflow="fold")
    table.add_column("Состояние", width=12, overflow="fold")
    table.add_column("Код", no_wrap=True)
    for number, d in enumerate(rows, start=1):
        title = RULES[d.rule].title if d.rule in RULES else "Расхождение"
        details = [_without_subject(d.message, d.subject), side_text(d.side_a), side_text(d.side_b)]
        if d.root_cause_title:
            details.append(f"Общая причина: {d.root_cause_title}")
        table.add_row(
            str(number),
            escape("\n".join(t for t in (d.subject, d.group_name) if t) or "—"),
            f"[bold]{escape(title)}[/bold]\n" + escape("\n".join(t for t in details if t)),
            f"{STATUS_RU[d.status]} с {ru_moment(d.first_seen_at, zone)}",
            codes[d.id],
        )
    console.print(table)


def _discrepancy_id(code: str) -> str:
    """The full id of the discrepancy whose code (or id) is ``code``; unknown codes are passed
    on as they are, for the store to say it has no such discrepancy."""
    from local_store.discrepancies import list_discrepancies

    code = code.strip()
    matches = [d.id for d in list_discrepancies(SETTINGS.engine()) if d.id.startswith(code)]
    if len(matches) > 1:
        raise UserError(
            f"код «{code}» подходит к нескольким расхождениям ({len(matches)}); "
            "укажите код из последнего столбца sverka discrepancies list целиком"
        )
    return matches[0] if matches else code


@discrepancy_app.command("acknowledge")
def acknowledge_command(
    discrepancy_id: str = typer.Argument(
        ..., help="Код расхождения из столбца «Код» команды sverka discrepancies list (D…)."
    ),
    note: str | None = typer.Option(None, "--note", help="Комментарий."),
) -> None:
    """Принять расхождение в работу."""
    from local_store.discrepancies import acknowledge

    with user_errors(*_known()):
        full = _discrepancy_id(discrepancy_id)
        acknowledge(SETTINGS.engine(), full, note)
    console.print(f"Расхождение {discrepancy_id} принято в работу.")


# --------------------------------------------------------------------------- reports


@report_app.command("discrepancies")
def discrepancies_command(out: Path = OUT, formats: str = FORMATS) -> None:
    """Отчёт заместителю директора: нарушения положения и расхождения с реестрами."""
    from reports.deputy import deputy_report_from_store, write_deputy_report

    with user_errors(*_known()):
        report = deputy_report_from_store(SETTINGS.engine())
        paths = write_deputy_report(report, out, _formats(formats))
    console.print(
        f"Отчёт заместителю директора: открыто {len(report.open_items)} "
        f"(неделю назад {report.open_week_ago}), устранено за неделю {len(report.resolved_items)}."
    )
    _print_paths(paths)


@report_app.command("all")
def all_command(
    period: str | None = PERIOD,
    out: Path = OUT,
    source: str | None = SOURCE,
    journals: bool = typer.Option(True, "--journals/--no-journals", help="Печатать журналы групп."),
    jobs: int = typer.Option(2, "--jobs", min=1, help="Сколько PDF верстать одновременно."),
) -> None:
    """Все отчёты за период в одну папку (с печатным журналом и выгрузкой контингента)."""
    from reports.bundle import write_all

    with user_errors(*_known()):
        result = write_all(
            SETTINGS.engine(), out, period=period, source=source, journals=journals, jobs=jobs
        )
    console.print(
        f"Период «{result.period_title}»: записано {len(result.paths())} файлов в {out}"
        f" (оглавление: {out / 'index.html'})."
    )
    for problem in result.problems:
        console.print(f"[yellow]Внимание:[/yellow] {problem}")


def _regulation_command(name: str, title: str) -> None:
    def command(
        period: str | None = PERIOD,
        out: Path = OUT,
        source: str | None = SOURCE,
        formats: str = FORMATS,
    ) -> None:
        from reports.data import load_journal, pick_source, resolve_period
        from reports.regulation import REGULATION_REPORTS, ReportContext
        from reports.render import write_tabular

        with user_errors(*_known()):
            engine = SETTINGS.engine()
            data = load_journal(engine, pick_source(engine, source))
            ctx = ReportContext(data, resolve_period(data, period), engine)
            paths = write_tabular(REGULATION_REPORTS[name][1](ctx), out, _formats(formats))
        console.print(f"«{title}» за период {ctx.period.title}:")
        _print_paths(paths)

    command.__doc__ = f"«{title}»."
    report_app.command(name.replace("_", "-"))(command)


for _name, _title in REGULATION_TITLES.items():
    _regulation_command(_name, _title)


@report_app.command("journal")
def journal_command(
    period: str | None = PERIOD,
    out: Path = OUT,
    source: str | None = SOURCE,
    group: str | None = typer.Option(
        None, "--group", help="Группа (класс) по названию; иначе все."
    ),
    subject: str | None = typer.Option(
        None, "--subject", help="Дисциплина по названию; иначе все."
    ),
) -> None:
    """Печатный журнал для архива (PDF): по классу со всеми дисциплинами или по одной."""
    from reports.data import load_journal, pick_source, resolve_period
    from reports.journal_print import (
        build_journal,
        class_journals,
        journal_pairs,
        write_journal,
    )

    with user_errors(*_known()):
        engine = SETTINGS.engine()
        data = load_journal(engine, pick_source(engine, source))
        report_period = resolve_period(data, period)
        pairs = [
            (g, s)
            for g, s in journal_pairs(data, report_period)
            if (group is None or data.group_name(g) == group)
            and (subject is None or data.subject_name(s) == subject)
        ]
        if not pairs:
            raise UserError("нет журналов для указанных группы и дисциплины")
        if subject is not None:
            for g, s in pairs:
                paths = write_journal(build_journal(data, g, s, report_period), out)
                console.print(f"{data.group_name(g)}, {data.subject_name(s)}: {paths['pdf']}")
            return
        # a class's subjects in one book, as on paper: a bookmark per subject
        for book in class_journals(data, report_period, pairs=pairs):
            paths = write_journal(book, out)
            console.print(f"{book.group}: {paths['pdf']}")


# --------------------------------------------------------------------------- export


@export_app.command("contingent")
def export_contingent_command(
    fmt: str = typer.Option("xml", "--format", help="xml, csv или xlsx."),
    since: int | None = typer.Option(
        None, "--since", help="Только изменения после запуска с этим номером."
    ),
    out: Path = typer.Option(Path("vygruzka"), "--out", "-o", help="Папка для выгрузки."),
    source: str | None = SOURCE,
) -> None:
    """Выгрузка контингента для регионального оператора (с проверкой записей и схемы XSD)."""
    from reports.contingent_export import CHECK_RU, export_contingent
    from reports.data import pick_source

    with user_errors(*_known()):
        engine = SETTINGS.engine()
        result = export_contingent(
            engine, pick_source(engine, source), out, fmt=fmt, since_run=since
        )
    console.print(
        f"Выгружено {len(result.exported)} из {len(result.records)}; не выгружено из-за ошибок: "
        f"{len(result.rejected)}."
    )
    counts: dict[str, int] = {}
    for p in result.problems:
        counts[p.check] = counts.get(p.check, 0) + 1
    for check, n in counts.items():
        console.print(f"  {CHECK_RU[check]}: {n}")
    for label, path in result.paths.items():
        console.print(f"  {'выгрузка' if label == 'export' else 'проверка'}: {path}")


# --------------------------------------------------------------------------- runs


@runs_app.callback()
def runs_callback(
    ctx: typer.Context,
    failed: bool = typer.Option(False, "--failed", help="Только запуски с ошибкой."),
    limit: int = typer.Option(30, "--limit", help="Сколько запусков показать."),
) -> None:
    """Показать историю запусков (синхронизации и задания)."""
    if ctx.invoked_subcommand is None:
        schedule_cli.runs_command(failed=failed, limit=limit)


@runs_app.command("held")
def held_command(
    run_id: int | None = typer.Argument(None, help="Номер запуска: показать его изменения."),
) -> None:
    """Задержанные запуски (массовые изменения) и что они изменили бы."""
    from local_store.hold import held_changes, list_held
    from reports.run_words import CHANGE_RU as names

    engine = SETTINGS.engine()
    if run_id is None:
        held = list_held(engine)
        if not held:
            console.print("Задержанных запусков нет.")
        for h in held:
            console.print(
                f"Запуск {h.run_id} ({h.source} {h.deployment}) задержан {h.held_at:%Y-%m-%d %H:%M} UTC:"
            )
            for reason in h.reasons:
                console.print(f"  — {reason}")
        return
    changes = held_changes(engine, run_id)
    if not changes:
        raise typer.Exit(0)
    table = RichTable(title=f"Изменения задержанного запуска {run_id}")
    for title in ("Вид записи", "Изменение", "Запись", "Подробности"):
        table.add_column(title)
    for c in changes:
        table.add_row(
            c["kind"], names.get(c["change"], c["change"]), c["external_id"], c["detail"] or ""
        )
    console.print(table)


@runs_app.command("approve")
def approve_command(run_id: int = typer.Argument(..., help="Номер задержанного запуска.")) -> None:
    """Утвердить задержанный запуск: применить его изменения к хранилищу."""
    from local_store.hold import approve

    with user_errors(*_known()):
        result = approve(SETTINGS.engine(), run_id)
    summary = ", ".join(
        f"{kind}: +{c['added']} ~{c['changed']} -{c['removed']}"
        for kind, c in result.as_dict().items()
    )
    console.print(f"Запуск {run_id} утверждён и применён: {summary or 'изменений нет'}.")


@runs_app.command("discard")
def discard_command(run_id: int = typer.Argument(..., help="Номер задержанного запуска.")) -> None:
    """Отклонить задержанный запуск: хранилище остаётся как было."""
    from local_store.hold import discard

    with user_errors(*_known()):
        discard(SETTINGS.engine(), run_id)
    console.print(f"Запуск {run_id} отклонён; хранилище не изменилось.")
