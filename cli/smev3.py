"""СМЭВ 3 commands: ``sverka sync contingent``, ``sverka sync e-uslugi``,
``sverka push contingent [--dry-run]``, ``sverka epgu poll`` and ``sverka outbox``.

The commands only parse options and print; the work is in ``cli.smev3_*jobs``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from canonical.wording import MOVEMENT_RU, kind_title, ru_date
from cli.context import SETTINGS
from cli.errors import UserError, describe, user_errors
from cli.sync import sync_app
from pipelines.smev3.channels import CHANNELS_RU
from pipelines.smev3.channels import OUTBOX_STATUS_RU as STATUS_RU

if TYPE_CHECKING:
    from sqlalchemy import Engine

if TYPE_CHECKING:
    from pipelines.smev3.common import DeliveryReport, Smev3Options

console = Console()
push_app = typer.Typer(
    help="Отправка сведений во внешние системы через СМЭВ.", no_args_is_help=True
)
epgu_app = typer.Typer(help="Заявления ЕПГУ на услугу «электронный дневник».", no_args_is_help=True)

APPLICATION_STATUS_RU = {
    "received": "получено",
    "in_progress": "ответ в очереди",
    "answered": "услуга оказана",
    "refused": "отказ",
    "failed": "ошибка",
}

UrlOption = typer.Option(None, "--url", help="Адрес СМЭВ (иначе SVERKA_SMEV3_URL).")
OrgOption = typer.Option(
    None, "--org-code", help="Код организации в реестре (иначе SVERKA_ORG_CODE)."
)
MnemonicOption = typer.Option(
    None, "--mnemonic", help="Мнемоника ИС в СМЭВ (иначе SVERKA_SMEV3_MNEMONIC)."
)
VersionOption = typer.Option(None, "--smev-version", help="Версия схем СМЭВ: 1.2 или 1.3.")
DeploymentOption = typer.Option(
    None, "--deployment", help="Имя подключения в хранилище (по умолчанию хост СМЭВ)."
)
SignerOption = typer.Option(
    None,
    "--signer",
    help="Подпись: gost (ЭП-ОВ, ключ в SVERKA_SMEV3_KEY), mock (тестовая) или none.",
)

TransportOption = typer.Option(
    None,
    "--transport",
    help="Путь в СМЭВ: direct (напрямую, со своей ЭП-ОВ) или adapter (через «Адаптер СМЭВ» "
    "по адресу --url, он подписывает сам; нужна --mnemonic); иначе SVERKA_SMEV3_TRANSPORT, "
    "по умолчанию direct.",
)
ConfigOption = typer.Option(
    None,
    "--config",
    help="Настройки СМЭВ 3, записанные командой sverka source add smev3 (иначе переменные "
    "окружения SVERKA_SMEV3_*).",
)


def _options(
    url: str | None,
    org_code: str | None,
    mnemonic: str | None,
    version: str | None,
    deployment: str | None,
    signer: str | None,
    transport: str | None = None,
    config: str | None = None,
) -> Smev3Options:
    from connectors.smev3.errors import SmevError

    if config:
        from pipelines.settings import SettingsError
        from pipelines.source_setup_smev3 import load_smev3

        try:
            return load_smev3(
                config,
                url=url,
                org_code=org_code,
                mnemonic=mnemonic,
                version=version,
                deployment=deployment,
                signer=signer,
                transport=transport,
            )
        except (SettingsError, SmevError) as exc:
            raise UserError(str(exc)) from None
    try:
        from pipelines.smev3.common import Smev3Options

        return Smev3Options.from_env(
            url=url,
            org_code=org_code,
            mnemonic=mnemonic,
            version=version,
            deployment=deployment,
            signer=signer,
            transport=transport,
        )
    except SmevError as exc:
        raise UserError(exc.message) from None


def _db_error(exc: BaseException) -> str:
    return describe(exc, SETTINGS.url)


def _errors() -> AbstractContextManager[None]:
    from sqlalchemy.exc import OperationalError

    from connectors.smev3.errors import SmevError

    return user_errors(
        OperationalError,
        SmevError,
        render=lambda e: e.message if isinstance(e, SmevError) else _db_error(e),
    )


def _print_delivery(report: DeliveryReport | None) -> None:
    if report is None:
        return
    console.print(
        f"Отправлено запросов: {report.sent}, доставлено ответов: {report.delivered}, "
        f"уже были доставлены ранее: {report.already_sent}, отложено до повтора: {report.retried}."
    )
    from reports.outbox_words import outbox_reason

    for key, error in report.failed:
        console.print(f"[red]Не отправлено[/red] ({key}): {outbox_reason(error)}")


@sync_app.command("contingent")
def sync_contingent_command(
    url: str | None = UrlOption,
    org_code: str | None = OrgOption,
    mnemonic: str | None = MnemonicOption,
    version: str | None = VersionOption,
    deployment: str | None = DeploymentOption,
    signer: str | None = SignerOption,
    transport: str | None = TransportOption,
    config: str | None = ConfigOption,
) -> None:
    """Забрать из реестра контингента его сведения об обучающихся организации."""
    with _errors():
        options = _options(url, org_code, mnemonic, version, deployment, signer, transport, config)
        from pipelines.smev3.contingent import sync_contingent

        summary = asyncio.run(sync_contingent(SETTINGS.engine(), options))
    console.print(f"Реестр контингента: обучающихся {summary.students}, запуск № {summary.run_id}.")
    for kind, counts in summary.counts.items():
        console.print(
            f"  {kind_title(kind)}: новых {counts['added']}, изменилось {counts['changed']}, "
            f"исчезло {counts['removed']}, без изменений {counts['unchanged']}"
        )


@sync_app.command("e-uslugi")
def sync_e_uslugi_command(
    url: str | None = UrlOption,
    org_code: str | None = OrgOption,
    mnemonic: str | None = MnemonicOption,
    version: str | None = VersionOption,
    deployment: str | None = DeploymentOption,
    signer: str | None = SignerOption,
    transport: str | None = TransportOption,
    config: str | None = ConfigOption,
) -> None:
    """Принять уведомления «Е-услуги. Образование» о зачисленных (ожидаемые обучающиеся)."""
    with _errors():
        options = _options(url, org_code, mnemonic, version, deployment, signer, transport, config)
        from pipelines.smev3.epgu import sync_e_uslugi

        report = asyncio.run(sync_e_uslugi(SETTINGS.engine(), options))
    console.print(
        f"Уведомлений о зачислении принято: {report.received}, повторных: {report.duplicates}, "
        f"нечитаемых: {report.unreadable}."
    )
    _print_found_again(report.found_again, "уведомления")
    _print_delivery(report.delivery)


@push_app.command("contingent")
def push_contingent_command(
    dry_run: bool = typer.Option(False, "--dry-run", help="Только показать, что будет отправлено."),
    budget: float = typer.Option(60.0, "--budget", help="Сколько секунд ждать отправки и ответов."),
    url: str | None = UrlOption,
    org_code: str | None = OrgOption,
    mnemonic: str | None = MnemonicOption,
    version: str | None = VersionOption,
    deployment: str | None = DeploymentOption,
    signer: str | None = SignerOption,
    transport: str | None = TransportOption,
    config: str | None = ConfigOption,
) -> None:
    """Отправить приказы о движении обучающихся в реестр контингента (через очередь отправки)."""
    with _errors():
        from pipelines.smev3.contingent import push_contingent

        options = _options(url, org_code, mnemonic, version, deployment, signer, transport, config)
        report = asyncio.run(
            push_contingent(SETTINGS.engine(), options, dry_run=dry_run, budget_seconds=budget)
        )
    plan = report.plan
    verb = "будет поставлено" if dry_run else "поставлено"
    console.print(
        f"Приказов о движении {verb} в очередь: {len(plan.queued)}; уже в очереди ранее: {plan.already}."
    )
    if dry_run and plan.queued:
        table = Table(title="Будут отправлены")
        for title in ("Приказ", "Дата", "Движение", "Идентификатор записи"):
            table.add_column(title)
        for order, record_id in plan.queued:
            table.add_row(
                order.number,
                ru_date(order.order_date),
                MOVEMENT_RU.get(order.movement.value, order.movement.value),
                record_id,
            )
        console.print(table)
    for order, reason in plan.skipped:
        console.print(f"[yellow]Пропущен[/yellow] приказ № {order.number}: {reason}")
    _print_delivery(report.delivery)
    feedback = report.feedback
    if feedback is not None:
        console.print(
            f"Ответов реестра: {feedback.answered} (принято {feedback.accepted}, "
            f"отклонено {len(feedback.rejected)}); ждут ответа: {feedback.waiting}."
        )
        if feedback.recovered:
            console.print(
                f"Из них найдено повторно у «Адаптера СМЭВ» (прежний запуск взял их, "
                f"но не сохранил): {feedback.recovered}."
            )
        for _student, text in feedback.rejected:
            console.print(f"[red]Реестр отклонил[/red]: {text}")
    if report.delivery is not None and report.delivery.failed:
        raise typer.Exit(1)


@epgu_app.command("poll")
def epgu_poll_command(
    url: str | None = UrlOption,
    org_code: str | None = OrgOption,
    mnemonic: str | None = MnemonicOption,
    version: str | None = VersionOption,
    deployment: str | None = DeploymentOption,
    signer: str | None = SignerOption,
    transport: str | None = TransportOption,
    config: str | None = ConfigOption,
    budget: float = typer.Option(60.0, "--budget", help="Сколько секунд ждать отправки ответов."),
    profile: str | None = typer.Option(
        None,
        "--profile",
        help="Профиль организации: какие сведения нужны для услуги (раздел \\[epgu]); "
        "иначе SVERKA_PROFILE или минимум: ФИО и дата рождения ребёнка и заявителя.",
    ),
) -> None:
    """Принять заявления ЕПГУ, проверить право заявителя и ответить сведениями из журнала."""
    with _errors():
        options = _options(url, org_code, mnemonic, version, deployment, signer, transport, config)
        options = replace(options, profile=profile or os.environ.get("SVERKA_PROFILE") or None)
        engine = SETTINGS.engine()
        from pipelines.smev3.epgu import poll_epgu

        report = asyncio.run(poll_epgu(engine, options, budget_seconds=budget))
    console.print(
        f"Заявлений принято: {report.received} (услуга оказана: {report.provided}, отказ: {report.refused}); "
        f"повторных: {report.duplicates}, нечитаемых: {report.unreadable}."
    )
    _print_found_again(report.found_again, "заявления")
    _print_delivery(report.delivery)
    _print_applications(engine, options.name)


def _print_found_again(count: int, what: str) -> None:
    if count:
        console.print(
            f"Из них найдено повторно у «Адаптера СМЭВ» (прежний запуск взял {what}, "
            f"но не сохранил): {count}."
        )


def _print_applications(engine: Engine, deployment: str) -> None:
    """Every application with its deadline; an unanswered one past its deadline is flagged."""
    from canonical.requests import EpguRequest, EpguRequestStatus
    from local_store.history import records_as_of

    requests = [
        r
        for r in records_as_of(engine, "epgu_request")
        if isinstance(r, EpguRequest) and r.source.deployment == deployment
    ]
    if not requests:
        return
    now = dt.datetime.now(dt.UTC)
    table = Table(title="Заявления ЕПГУ")
    for title in ("№ заявления", "Получено", "Срок ответа", "Состояние", "Причина отказа"):
        table.add_column(title)
    for request in sorted(requests, key=lambda r: r.received_at):
        state = APPLICATION_STATUS_RU.get(request.status.value, request.status.value)
        deadline = request.deadline
        open_states = (EpguRequestStatus.RECEIVED, EpguRequestStatus.IN_PROGRESS)
        if deadline is not None and request.status in open_states and deadline < now:
            state += " — [red]срок нарушен[/red]"
        table.add_row(
            request.order_id,
            request.received_at.strftime("%d.%m.%Y %H:%M"),
            deadline.strftime("%d.%m.%Y") if deadline else "—",
            state,
            # the refusal as the applicant got it: what the deputy checks a stranger was refused by
            (request.status_reason or "—") if request.status is EpguRequestStatus.REFUSED else "",
        )
    console.print(table)


def outbox_command(
    status: str | None = typer.Option(
        None, "--status", help="pending, sent, answered, delivered или failed."
    ),
    requeue_failed: bool = typer.Option(
        False, "--requeue-failed", help="Вернуть ошибочные в очередь отправки."
    ),
    deployment: str | None = DeploymentOption,
) -> None:
    """Очередь отправки в СМЭВ: ожидающие, доставленные и ошибочные сообщения."""
    from sqlalchemy.exc import OperationalError

    from local_store import outbox
    from reports.outbox_words import outbox_reason

    with user_errors(OperationalError, render=_db_error):
        engine = SETTINGS.engine()
        if requeue_failed:
            if not deployment:
                raise UserError(
                    "укажите --deployment: для какого подключения вернуть сообщения в очередь"
                )
            count = outbox.requeue_failed(engine, deployment)
            console.print(f"Возвращено в очередь отправки: {count}.")
            return
        wanted = None
        if status is not None:
            try:
                wanted = outbox.OutboxStatus(status)
            except ValueError:
                raise UserError(
                    f"неизвестное состояние «{status}»: pending, sent, answered, delivered, failed"
                ) from None
        counts = outbox.summary(engine)
        rows = outbox.items(engine, deployment=deployment, status=wanted, limit=200)
    if not counts:
        console.print("Очередь отправки пуста.")
        return
    table = Table(title="Очередь отправки в СМЭВ")
    for title in ("Канал", "Состояние", "Сообщений"):
        table.add_column(title)
    for (channel, state), count in sorted(counts.items()):
        table.add_row(CHANNELS_RU.get(channel, channel), STATUS_RU.get(state, state), str(count))
    console.print(table)
    shown = [
        r
        for r in rows
        if wanted is not None
        or r.status in (outbox.OutboxStatus.FAILED, outbox.OutboxStatus.PENDING)
    ]
    if shown:
        detail = Table(title="Сообщения")
        for title in ("№", "Канал", "Состояние", "Попыток", "Ошибка"):
            detail.add_column(title)
        for row in shown:
            detail.add_row(
                str(row.id),
                CHANNELS_RU.get(row.channel, row.channel),
                STATUS_RU.get(row.status.value, row.status.value),
                str(row.attempts),
                outbox_reason(row.last_error) or "—",
            )
        console.print(detail)
