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
    source: str = typer.Argument(..., help="Источник: poo, netschool, eljur или smev3."),
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
    org_code: str | None = typer.Option(
        None, "--org-code", help="СМЭВ 3: код организации в реестре контингента."
    ),
    signer: str | None = typer.Option(
        None, "--signer", help="СМЭВ 3: подпись gost (ЭП-ОВ) или mock (тестовая, эмулятор)."
    ),
    key: str | None = typer.Option(
        None, "--key", help="СМЭВ 3: файл ключа ЭП-ОВ, PKCS#12 (.p12/.pfx) или PEM."
    ),
    mnemonic: str = typer.Option("", "--mnemonic", help="СМЭВ 3: мнемоника ИС."),
    smev_version: str = typer.Option("1.2", "--smev-version", help="СМЭВ 3: версия схем."),
) -> None:
    """Добавить источник: спросить адрес, логин, часовой пояс и пароль, записать настройки
    и файл секретов, попробовать войти."""
    if source == "smev3":
        _add_smev3(
            url, timezone, profile, config, secrets, org_code, signer, key, mnemonic, smev_version
        )
        return
    with user_errors(SettingsError):
        if source not in SOURCES:
            raise UserError(
                f"источник «{source}» пока нельзя настроить этой командой; можно: "
                f"{', '.join(SOURCES)}, smev3"
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


def _add_smev3(
    url: str | None,
    timezone: str | None,
    profile: str,
    config: Path | None,
    secrets: Path | None,
    org_code: str | None,
    signer: str | None,
    key: str | None,
    mnemonic: str,
    version: str,
) -> None:
    """``source add smev3``: ask, check the key and the signed call first, then write."""
    from pipelines.source_setup_smev3 import SMEV3_TITLE, Smev3Answers, add_smev3

    with user_errors(SettingsError):
        console.print(f"Настройка подключения к {SMEV3_TITLE}.")
        url = url or typer.prompt("Адрес СМЭВ")
        org_code = org_code or typer.prompt("Код организации в реестре контингента")
        signer = signer or typer.prompt("Подпись: gost (ЭП-ОВ) или mock (тестовая)", default="gost")
        key_file, password = "", ""
        if signer == "gost":
            key_file = key or typer.prompt("Файл ключа ЭП-ОВ (.p12, .pfx или .pem)")
            password = typer.prompt(
                "Пароль ключа (не отображается; пусто — ключ без пароля)",
                hide_input=True,
                default="",
                show_default=False,
            )
        answers = Smev3Answers(
            url=url,
            org_code=org_code,
            timezone=timezone or typer.prompt("Часовой пояс организации", default="Asia/Tomsk"),
            signer=signer,
            key_file=key_file,
            key_password=password,
            mnemonic=mnemonic,
            version=version,
            profile=profile,
        )
        config_path = config or Path("sverka-smev3.toml")
        secrets_path = secrets or config_path.with_suffix(".secrets")
        try:
            add_smev3(answers, config_path, secrets_path)
        except LoginFailed as exc:
            reason = escape(str(exc).rstrip("."))
            console.print(f"[red]Подключиться не удалось:[/red] {reason}. Настройки не записаны.")
            raise typer.Exit(1) from None
    console.print(f"СМЭВ ({escape(url)}) принял подпись: подключение работает.")
    where = f", пароль ключа — в {secrets_path} (читать может только владелец)"
    console.print(f"Настройки записаны в {config_path}{where if signer == 'gost' else ''}.")
    console.print(
        f"Дальше: sverka sync contingent --config {config_path}, или по расписанию: "
        'sverka schedule add reestr --job sync --cron "0 22 * * *" '
        f"--param source=contingent --param config={config_path}"
    )
