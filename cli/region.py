"""``sverka region …`` and ``sverka worker``: a region's institutions, plans, budgets and workers.

A region is one PostgreSQL database (``--region`` or ``SVERKA_REGION_URL``); the
single-institution commands and ``sverka demo`` never need it.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cli.errors import UserError, user_errors
from reports.run_words import RUN_STATUS_RU

region_app = typer.Typer(
    help="Регион: много организаций в одной базе PostgreSQL, синхронизации на обработчиках.",
    no_args_is_help=True,
)
console = Console()

REGION_ENV = "SVERKA_REGION_URL"
REGION_OPTION = typer.Option(
    None, "--region", envvar=REGION_ENV, help="База региона PostgreSQL (postgresql://…)."
)


def _url(region: str | None) -> str:
    if not region:
        raise UserError(
            f"не указана база региона: задайте --region или переменную окружения {REGION_ENV} "
            "(адрес PostgreSQL вида postgresql://узел/база)"
        )
    return region


def _region_errors() -> tuple[type[BaseException], ...]:
    from local_store.region import RegionError
    from scheduler.region.cron import CronError

    return (RegionError, CronError)


@region_app.command("init")
def init_command(region: str | None = REGION_OPTION) -> None:
    """Создать или обновить схему региона и таблицы очереди заданий."""
    from local_store.region import open_region
    from scheduler.region.app import apply_schema

    with user_errors(*_region_errors()):
        url = _url(region)
        open_region(url).dispose()
        created = apply_schema(url)
    console.print(
        "Схема региона готова" + ("; таблицы очереди созданы." if created else "; очередь уже была.")
    )


@region_app.command("add")
def add_command(
    institution: str = typer.Argument(..., help="Код организации (латиница, цифры, «-», «_»)."),
    config: Path = typer.Option(..., "--config", help="Файл настроек источника (TOML)."),
    cron: str = typer.Option(
        "0 21 * * *", "--cron", help="План синхронизации (cron в часовом поясе организации)."
    ),
    name: str = typer.Option("", "--name", help="Название организации для оператора."),
    region: str | None = REGION_OPTION,
) -> None:
    """Зарегистрировать организацию (Сетевой город) и создать её хранилище в базе региона."""
    from local_store.region import add_institution, open_institution_store, open_region
    from pipelines.netschool import load_config
    from scheduler.region.budget import host_key
    from scheduler.region.cron import utc_cron

    with user_errors(*_region_errors()):
        url = _url(region)
        settings = load_config(config)
        utc_cron(cron, settings.timezone)
        engine = open_region(url)
        try:
            inst = add_institution(
                engine,
                institution_id=institution,
                name=name or settings.school_name or institution,
                source="netschool",
                config=str(config.resolve()),
                timezone=settings.timezone,
                profile=settings.profile_id,
                host=host_key(settings.base_url),
                # A NetSchool login belongs to one organisation: the same name at another
                # school is another account, with its own session.
                account=f"{settings.login}@{settings.school_id or settings.school_name}",
                cron=cron,
            )
        finally:
            engine.dispose()
        open_institution_store(url, inst.store_schema).dispose()
    console.print(
        f"Организация «{escape(inst.id)}» зарегистрирована: узел {escape(inst.host)}, "
        f"план «{escape(inst.cron)}» ({escape(inst.timezone)}), хранилище — схема {inst.store_schema}."
    )


@region_app.command("budget")
def budget_command(
    host: str = typer.Argument(..., help="Узел платформы (как в sverka region plan)."),
    sessions: int = typer.Argument(..., help="Сколько сеансов узел допускает одновременно."),
    rps: float | None = typer.Option(
        None,
        "--rps",
        help="Сколько запросов в секунду узел допускает от всех обработчиков вместе "
        "(0 — без ограничения; не указано — оставить как есть).",
    ),
    region: str | None = REGION_OPTION,
) -> None:
    """Задать бюджет узла: сколько синхронизаций всех обработчиков идут на нём одновременно
    и сколько запросов в секунду они ему шлют."""
    from local_store.region import open_region, rate_of, set_budget

    with user_errors(*_region_errors()):
        engine = open_region(_url(region))
        try:
            set_budget(engine, host, sessions, rps)
            rate = rate_of(engine, host)
        finally:
            engine.dispose()
    limit = f"не больше {rate:g} запроса(ов) в секунду" if rate else "запросы в секунду не ограничены"
    console.print(
        f"Бюджет узла {escape(host)}: не больше {sessions} сеанса(ов) одновременно; {limit}."
    )


def budget_cell(sessions: int, rate: float | None) -> str:
    """The plan table's budget: sessions at once, and requests a second when limited."""
    return f"{sessions} сеанс.; {rate:g} запр./с" if rate else f"{sessions} сеанс."


@region_app.command("plan")
def plan_command(
    institution: str | None = typer.Option(None, "--institution", help="Код организации."),
    cron: str | None = typer.Option(None, "--cron", help="Новый план (cron, местное время)."),
    region: str | None = REGION_OPTION,
) -> None:
    """Показать (или задать) планы организаций так, как их запускают обработчики."""
    from local_store.region import (
        DEFAULT_MAX_SESSIONS,
        budgets,
        get_institution,
        list_institutions,
        open_region,
        rates,
        update_plan,
    )
    from scheduler.region.app import queueing_lock, sync_lock
    from scheduler.region.cron import utc_cron

    with user_errors(*_region_errors()):
        engine = open_region(_url(region))
        try:
            if cron is not None:
                if institution is None:
                    raise UserError("чтобы задать план, укажите --institution")
                inst = get_institution(engine, institution)
                utc_cron(cron, inst.timezone)
                update_plan(engine, institution, cron)
            chosen = [
                i for i in list_institutions(engine) if institution in (None, i.id)
            ]
            if institution is not None and not chosen:
                get_institution(engine, institution)
            limits = budgets(engine)
            paces = rates(engine)
            table = Table(title="Планы синхронизации региона")
            for column in (
                "организация",
                "часовой пояс",
                "план (местное)",
                "план (UTC)",
                "узел",
                "бюджет",
                "блокировки",
            ):
                table.add_column(column)
            for inst in chosen:
                table.add_row(
                    escape(inst.id),
                    escape(inst.timezone),
                    escape(inst.cron),
                    escape(utc_cron(inst.cron, inst.timezone)),
                    escape(inst.host),
                    budget_cell(
                        limits.get(inst.host, DEFAULT_MAX_SESSIONS), paces.get(inst.host)
                    ),
                    escape(f"{queueing_lock(inst.id)}; {sync_lock(inst)}"),
                )
        finally:
            engine.dispose()
    console.print(table)
    console.print(
        "Каждый план — периодическое задание Procrastinate; обработчики (sverka worker) "
        "читают планы при запуске."
    )


@region_app.command("sync")
def sync_command(
    institution: list[str] = typer.Option([], "--institution", help="Код организации."),
    all_: bool = typer.Option(False, "--all", help="Все организации региона."),
    region: str | None = REGION_OPTION,
) -> None:
    """Поставить синхронизацию в очередь сейчас, вне плана (одна ожидающая на организацию)."""
    from local_store.region import get_institution, list_institutions, open_region
    from scheduler.region.app import defer_sync, make_app

    with user_errors(*_region_errors()):
        url = _url(region)
        if not institution and not all_:
            raise UserError("укажите --institution КОД (можно несколько) или --all")
        engine = open_region(url)
        try:
            chosen = (
                list_institutions(engine)
                if all_
                else [get_institution(engine, i) for i in institution]
            )
        finally:
            engine.dispose()
        app = make_app(url)
        with app.open():
            for inst in chosen:
                job = defer_sync(app, inst)
                if job is None:
                    console.print(f"«{escape(inst.id)}»: синхронизация уже ждёт в очереди.")
                else:
                    console.print(f"«{escape(inst.id)}»: поставлена в очередь, задание {job}.")


@region_app.command("status")
def status_command(region: str | None = REGION_OPTION) -> None:
    """Обзор оператора: последняя синхронизация каждой организации, ошибки, задержанные запуски."""
    from canonical.wording import ru_moment
    from local_store.region import open_region
    from local_store.region_view import region_overview

    with user_errors(*_region_errors()):
        url = _url(region)
        engine = open_region(url)
        try:
            states = region_overview(url, engine)
        finally:
            engine.dispose()
    table = Table(title="Регион: состояние организаций")
    for column in (
        "организация",
        "последний запуск",
        "данные на",
        "последний успешный",
        "ошибок подряд",
        "задержано",
        "запусков",
    ):
        table.add_column(column)
    for state in states:
        zone = state.institution.timezone
        status = RUN_STATUS_RU.get(state.last_status.value, "") if state.last_status else "не было"
        table.add_row(
            escape(state.institution.id),
            status,
            ru_moment(state.last_observed, zone),
            ru_moment(state.last_success, zone),
            str(state.failures_since_success),
            str(state.held),
            str(state.runs),
        )
    console.print(table)


def worker_command(
    concurrency: int = typer.Option(1, "--concurrency", help="Сколько заданий обработчик ведёт сразу."),
    heartbeat: float = typer.Option(10.0, "--heartbeat", help="Пульс обработчика, секунды."),
    stalled_after: float = typer.Option(
        30.0, "--stalled-after", help="Через сколько секунд без пульса задание вернуть в очередь."
    ),
    region: str | None = REGION_OPTION,
) -> None:
    """Обработчик региона: запускает плановые и поставленные синхронизации организаций."""
    import asyncio

    from scheduler.region.app import run_worker

    with user_errors(*_region_errors()):
        url = _url(region)
        console.print("Обработчик региона запущен; остановка — Ctrl+C.")
        asyncio.run(
            run_worker(url, concurrency=concurrency, heartbeat=heartbeat, stalled_after=stalled_after)
        )
