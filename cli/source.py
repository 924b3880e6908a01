"""``sverka source add``: set up a journal source by answering questions, never an editor."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from cli.errors import UserError, user_errors
from pipelines.settings import SettingsError
from pipelines.source_setup import SOURCES, LoginFailed, SourceAnswers, add_source

source_app = typer.Typer(help="Источники данных: настройка без правки файлов.")
console = Console()


@source_app.command("add")
def add_command(
    source: str = typer.Argument(..., help="Источник: poo, netschool или eljur."),
    url: str | None = typer.Option(
        None, "--url", help="Адрес журнала, например https://… (ЭлЖур: mazanka.eljur.ru)."
    ),
    login: str | None = typer.Option(None, "--login", help="Логин пользователя журнала."),
    timezone: str | None = typer.Option(
        None, "--timezone", help="Часовой пояс организации, например Asia/Tomsk."
    ),
    profile: str = typer.Option("", "--profile", help="Профиль организации (tpt, usolye, …)."),
    tenant: str = typer.Option("", "--tenant", help="Код организации на платформе, если есть."),
    school: str | None = typer.Option(
        None, "--school", help="«Сетевой город»: номер организации (school_id) или её краткое имя."
    ),
    vendor: str = typer.Option(
        "", "--vendor", help="ЭлЖур: имя школы (vendor) на региональном сервере."
    ),
    api_url: str = typer.Option(
        "", "--api-url", help="ЭлЖур: адрес API, если сервер не известен Сверке."
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Куда записать настройки (по умолчанию sverka-ИСТОЧНИК.toml)."
    ),
    secrets: Path | None = typer.Option(
        None, "--secrets", help="Куда записать пароль (по умолчанию рядом, права 0600)."
    ),
) -> None:
    """Добавить источник: спросить адрес, логин, часовой пояс и пароль, записать настройки
    и файл секретов, попробовать войти."""
    with user_errors(SettingsError):
        if source not in SOURCES:
            raise UserError(
                f"источник «{source}» пока нельзя настроить этой командой; можно: "
                f"{', '.join(SOURCES)} (СМЭВ 3 — командами sverka smev3)"
            )
        title = SOURCES[source][1]
        console.print(f"Настройка источника {title}.")
        eljur = source == "eljur"
        url = url or typer.prompt("Адрес школы в ЭлЖур" if eljur else "Адрес журнала")
        if source == "netschool":
            school = school or typer.prompt("Организация: номер (school_id) или краткое имя")
        answers = SourceAnswers(
            source=source,
            url=url,
            school=school or "",
            login=login or typer.prompt("Логин"),
            timezone=timezone or typer.prompt("Часовой пояс организации", default="Asia/Tomsk"),
            password=typer.prompt("Пароль (не отображается)", hide_input=True),
            profile=profile,
            tenant=tenant,
            devkey=(
                typer.prompt("Ключ разработчика ЭлЖур, devkey (не отображается)", hide_input=True)
                if eljur
                else ""
            ),
            vendor=vendor,
            api_url=api_url,
        )
        config_path = config or Path(f"sverka-{source}.toml")
        secrets_path = secrets or config_path.with_suffix(".secrets")
        try:
            add_source(answers, config_path, secrets_path)
        except LoginFailed as exc:
            reason = escape(str(exc).rstrip("."))
            console.print(f"[red]Войти не удалось:[/red] {reason}. Настройки не записаны.")
            raise typer.Exit(1) from None
    console.print(f"Вход в {title} выполнен: логин и пароль подходят.")
    console.print(
        f"Настройки записаны в {config_path}, "
        f"{'пароль и ключ' if eljur else 'пароль'} — в {secrets_path} "
        "(читать может только владелец)."
    )
    console.print(
        'Дальше: sverka schedule add ИМЯ --job sync --cron "0 21 * * *" '
        f"--param source={source} --param config={config_path}"
    )
