"""``sverka schedule …``, ``sverka scheduler run`` and ``sverka runs``: plans and their runs."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.context import SETTINGS
from cli.errors import UserError, user_errors
from reports.run_words import RUN_STATUS_RU
from reports.titles import SOURCE_RU, changes_text, store_timezone
from scheduler.jobs import JOB_KINDS

if TYPE_CHECKING:
    from local_store.runs import RunInfo

schedule_app = typer.Typer(help="Планы: какие задания и когда запускать.", no_args_is_help=True)
scheduler_app = typer.Typer(help="Процесс планировщика.", no_args_is_help=True)
console = Console()

STATUS_RU = RUN_STATUS_RU


def _params(values: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UserError(f"параметр «{item}» нужно записать как имя=значение")
        params[key] = value
    return params


@schedule_app.command("add")
def add_command(
    plan_id: str = typer.Argument(..., help="Имя плана, например netschool-evening."),
    job: str = typer.Option(..., "--job", help=f"Вид задания: {', '.join(sorted(JOB_KINDS))}."),
    cron: str | None = typer.Option(None, "--cron", help="Расписание cron, например «0 21 * * *»."),
    interval: int | None = typer.Option(None, "--interval", help="Интервал в секундах."),
    tz: str = typer.Option("UTC", "--tz", help="Часовой пояс расписания, например Asia/Tomsk."),
    param: list[str] = typer.Option(
        [],
        "--param",
        help="Параметр задания имя=значение (можно несколько); какие — см. выше по видам.",
    ),
    replace: bool = typer.Option(False, "--replace", help="Заменить план с тем же именем."),
) -> None:
    """Добавить план."""
    from canonical.wording import ru_moment
    from scheduler.plans import PlanError, add_plan

    with user_errors(PlanError):
        if (cron is None) == (interval is None):
            raise UserError("укажите ровно одно из --cron и --interval")
        trigger = f"cron:{cron}" if cron is not None else f"interval:{interval}"
        info = add_plan(
            SETTINGS.engine(),
            plan_id,
            job,
            trigger,
            timezone=tz,
            params=_params(param),
            replace=replace,
        )
    when = ru_moment(info.next_run, tz) if info.next_run else "—"
    console.print(
        f"План «{info.id}» добавлен: {JOB_KINDS[job].title}, {info.trigger}; ближайший запуск {when}."
    )


add_command.__doc__ = "Добавить план.\n\nПараметры (--param имя=значение) по видам заданий:\n\n" + (
    "\n\n".join(escape(kind.describe()) for kind in JOB_KINDS.values())
)


@schedule_app.command("list")
def list_command() -> None:
    """Показать планы."""
    from scheduler.plans import PlanError, list_plans

    with user_errors(PlanError):
        plans = list_plans(SETTINGS.engine())
    if not plans:
        console.print(
            'Планов нет. Добавьте: sverka schedule add ИМЯ --job sync --cron "0 21 * * *"'
        )
        return
    table = Table(title="Планы")
    for title in ("План", "Задание", "Расписание", "Параметры", "Ближайший запуск"):
        table.add_column(title)
    for plan in plans:
        kind = JOB_KINDS.get(plan.kind)
        table.add_row(
            plan.id,
            kind.title if kind else plan.kind,
            plan.trigger,
            ", ".join(f"{k}={v}" for k, v in sorted(plan.params.items())) or "—",
            "приостановлен"
            if plan.paused
            else plan.next_run.isoformat(timespec="minutes")
            if plan.next_run
            else "—",
        )
    console.print(table)


@schedule_app.command("plan")
def plan_command(
    profile: str = typer.Option(..., "--profile", help="Профиль организации."),
    start: str = typer.Option(
        "", "--from", help="Первый день плана, ГГГГ-ММ-ДД (по умолчанию: день последних данных)."
    ),
    days: int = typer.Option(7, "--days", min=1, max=366, help="Сколько дней планировать."),
) -> None:
    """Синхронизации, при которых каждый срок положения решается: «соблюдён» или «нарушен»."""
    from local_store.runs import data_time
    from policies.profiles import ProfileError, load_profile
    from scheduler.evidence_plan import last_lessons_in_store, period_ends_in_store, plan_syncs

    with user_errors(ProfileError):
        prof = load_profile(profile)
        engine = SETTINGS.engine()
        zone = ZoneInfo(prof.timezone)
        if start:
            try:
                first = dt.date.fromisoformat(start)
            except ValueError:
                raise UserError(f"дата «{start}» пишется как 2026-10-05") from None
        else:
            moment = data_time(engine)
            first = moment.astimezone(zone).date() if moment else dt.datetime.now(zone).date()
        last = first + dt.timedelta(days=days - 1)
        plan = plan_syncs(
            prof,
            last_lessons_in_store(engine, first, last),
            first,
            last,
            period_ends=period_ends_in_store(engine),
        )
    table = Table(title=f"План синхронизаций по срокам положения: {prof.id}, {len(plan)}")
    for title in ("Когда", "Что читать", "Зачем"):
        table.add_column(title)
    for item in plan:
        what = "весь журнал" if item.whole_journal else "группы: " + ", ".join(item.groups)
        if item.full:
            what += " (перечитать весь период)"
        table.add_row(
            item.moment.astimezone(zone).strftime("%d.%m.%Y %H:%M:%S"),
            what,
            ", ".join(item.reasons),
        )
    console.print(table)


@schedule_app.command("pause")
def pause_command(plan_id: str) -> None:
    """Приостановить план."""
    from scheduler.plans import PlanError, pause_plan

    with user_errors(PlanError):
        pause_plan(SETTINGS.engine(), plan_id)
    console.print(f"План «{plan_id}» приостановлен.")


@schedule_app.command("resume")
def resume_command(plan_id: str) -> None:
    """Возобновить план."""
    from scheduler.plans import PlanError, resume_plan

    with user_errors(PlanError):
        resume_plan(SETTINGS.engine(), plan_id)
    console.print(f"План «{plan_id}» возобновлён.")


@schedule_app.command("remove")
def remove_command(plan_id: str) -> None:
    """Удалить план."""
    from scheduler.plans import PlanError, remove_plan

    with user_errors(PlanError):
        remove_plan(SETTINGS.engine(), plan_id)
    console.print(f"План «{plan_id}» удалён.")


@scheduler_app.command("run")
def scheduler_run_command() -> None:
    """Запустить планировщик (работает до SIGTERM или Ctrl+C; текущее задание завершается)."""
    from scheduler.service import run_forever

    engine = SETTINGS.engine()
    console.print("Планировщик запущен. Остановка: Ctrl+C или SIGTERM.")
    run_forever(engine, notify=console.print, timezone=store_timezone(engine))
    console.print("Планировщик остановлен.")


JOB_KIND_RU = {
    "sync": "синхронизация",
    "check": "проверка по положению",
    "export": "выгрузка",
    "noop": "пробное задание",
}


def one_row_per_run(runs: list[RunInfo]) -> list[tuple[RunInfo, str | None]]:
    """A scheduled sync is recorded twice: the firing (``sync``, with the plan) and the
    pipeline's own run inside it.  People see one row: the pipeline's, named by the plan."""

    rows: list[tuple[RunInfo, str | None]] = []
    inner: dict[int, str] = {}
    for job_run in runs:
        if job_run.source != "sync" or job_run.finished_at is None:
            continue
        for run in runs:
            if (
                run.source == job_run.scope
                and run.id != job_run.id
                and job_run.started_at <= run.started_at <= job_run.finished_at
            ):
                inner[run.id] = job_run.job or ""
                inner[job_run.id] = ""
    for run in runs:
        if inner.get(run.id) == "":
            continue
        rows.append((run, inner.get(run.id) or run.job))
    return rows


def run_outcome(run: RunInfo) -> str:
    """The run's result in words: its own Russian error, or the changes it brought."""
    if run.error:
        first = run.error.splitlines()[0]
        if any("а" <= ch.lower() <= "я" for ch in first[:40]):
            return first
        return "внутренняя ошибка программы; подробности — в журнале событий"
    return changes_text(run.counts or {})


def runs_command(
    failed: bool = typer.Option(False, "--failed", help="Только запуски с ошибкой."),
    limit: int = typer.Option(30, "--limit", help="Сколько запусков показать."),
) -> None:
    """Показать историю запусков (синхронизации и задания)."""
    from canonical.wording import ru_moment
    from local_store.runs import RunStatus, list_runs

    runs = list_runs(SETTINGS.engine(), limit=limit * (5 if failed else 1))
    if failed:
        runs = [r for r in runs if r.status is RunStatus.FAILED][:limit]
    if not runs:
        console.print("Запусков с ошибкой нет." if failed else "Запусков ещё не было.")
        return
    zone = store_timezone(SETTINGS.engine())
    table = Table(title=f"Запуски (время местное, {zone})")
    table.add_column("№", no_wrap=True)
    table.add_column("Что запускалось", overflow="fold", ratio=3)
    table.add_column("Начало — конец", overflow="fold", ratio=2)
    table.add_column("Состояние", overflow="fold", ratio=2)
    table.add_column("Итог", overflow="fold", ratio=4)
    for run, plan in one_row_per_run(runs):
        what = SOURCE_RU.get(run.source, JOB_KIND_RU.get(run.source, "задание"))
        if run.deployment:
            what += f" ({run.deployment})"
        if plan:
            what += f", план «{plan}»"
        ends = ru_moment(run.finished_at, zone)[-5:] if run.finished_at else "…"
        table.add_row(
            str(run.id),
            what,
            f"{ru_moment(run.started_at, zone)} — {ends}",
            STATUS_RU.get(run.status.value, run.status.value),
            run_outcome(run),
        )
    console.print(table)
