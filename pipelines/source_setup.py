"""Setting up a source without an editor: its settings file, its secrets file, a first login.

``sverka source add`` asks an administrator for the address, the login, the time zone and the
password, and this module writes them where the pipelines read them: the settings as TOML (no
password ever), the password in a ``KEY=value`` secrets file readable by its owner only (0600).
The login is then tried once, so the administrator learns at once whether it works.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipelines.settings import ELJUR_DEVKEY_ENV, ELJUR_PASSWORD_ENV, SettingsError

SOURCES = {
    "poo": ("SVERKA_POO_PASSWORD", "«Сетевой город. Образование — Модуль ПОО»"),
    "netschool": ("SVERKA_NETSCHOOL_PASSWORD", "«Сетевой город» (NetSchool)"),
    "eljur": (ELJUR_PASSWORD_ENV, "ЭлЖур"),
}
"""Sources this module sets up; СМЭВ 3 is not yet (its keys have their own commands)."""


@dataclass(frozen=True)
class SourceAnswers:
    source: str
    url: str
    login: str
    timezone: str
    password: str
    profile: str = ""
    tenant: str = ""
    devkey: str = ""
    """ЭлЖур's developer key (a secret, like the password)."""
    vendor: str = ""
    """ЭлЖур: the school's vendor name where the host does not give it (regional servers)."""
    api_url: str = ""
    """ЭлЖур: the API root where the host is not in the deployment table."""


def eljur_host(address: str) -> str:
    """The school's ЭлЖур host from what an administrator types: «mazanka.eljur.ru» or
    «https://mazanka.eljur.ru/…»."""
    text = address.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    return text.split("/", 1)[0].strip().lower()


def _eljur_lines(answers: SourceAnswers) -> list[str]:
    """The ``[eljur]`` settings beyond the common ones; bad answers refused before writing."""
    from connectors.eljur.deployments import find_deployment

    host = eljur_host(answers.url)
    if not host or "." not in host:
        raise SettingsError(
            f"адрес «{answers.url}» не похож на адрес школы в ЭлЖур; пример: mazanka.eljur.ru"
        )
    if answers.api_url and not answers.api_url.startswith(("http://", "https://")):
        raise SettingsError(
            f"адрес API «{answers.api_url}» должен начинаться с http:// или https://"
        )
    if not answers.devkey.strip():
        raise SettingsError("ключ разработчика ЭлЖур (devkey) не может быть пустым")
    known = find_deployment(host)
    if known is None and not answers.api_url:
        raise SettingsError(
            f"сервер {host} не известен Сверке: укажите адрес API (--api-url), "
            "например https://…/apiv3"
        )
    if known is not None and known.kind != "vendor" and not (answers.vendor or known.vendor):
        raise SettingsError(f"школа на региональном сервере {host}: укажите --vendor")
    lines = [f"deployment = {_quoted(host)}"]
    if answers.vendor:
        lines.append(f"vendor = {_quoted(answers.vendor)}")
    if answers.api_url:
        lines.append(f"url = {_quoted(answers.api_url)}")
    return lines


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_source(answers: SourceAnswers, config: Path, secrets: Path) -> None:
    """Write the settings and the secrets file (0600); refuse bad answers before writing."""
    if answers.source not in SOURCES:
        raise SettingsError(
            f"источник «{answers.source}» пока нельзя настроить этой командой; "
            f"можно: {', '.join(SOURCES)}"
        )
    eljur = answers.source == "eljur"
    extra = _eljur_lines(answers) if eljur else []
    if not eljur and not answers.url.startswith(("http://", "https://")):
        raise SettingsError(f"адрес «{answers.url}» должен начинаться с http:// или https://")
    if not answers.login.strip():
        raise SettingsError("логин не может быть пустым")
    if not answers.password:
        raise SettingsError("пароль не может быть пустым")
    try:
        ZoneInfo(answers.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"неизвестный часовой пояс «{answers.timezone}»; пример: Asia/Tomsk"
        ) from None
    env_name = SOURCES[answers.source][0]
    lines = [
        f"[{answers.source}]",
        *(extra if eljur else [f"base_url = {_quoted(answers.url)}"]),
        f"login = {_quoted(answers.login)}",
        f"timezone = {_quoted(answers.timezone)}",
        f"secrets_file = {_quoted(str(secrets.resolve()))}",
    ]
    if answers.profile:
        lines.append(f"profile = {_quoted(answers.profile)}")
    if answers.tenant:
        lines.append(f"tenant = {_quoted(answers.tenant)}")
    config.parent.mkdir(parents=True, exist_ok=True)
    secrets.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(secrets, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(f"{env_name}={answers.password}\n")
        if eljur:
            handle.write(f"{ELJUR_DEVKEY_ENV}={answers.devkey.strip()}\n")
    os.chmod(secrets, 0o600)
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")


def try_login(source: str, config: Path) -> str | None:
    """One login with the written settings: ``None`` when it worked, else the Russian reason."""
    if source == "poo":
        from connectors.poo.client import PooClient
        from connectors.poo.errors import PooError
        from pipelines.poo import load_config

        cfg = load_config(config)

        async def attempt() -> None:
            client = PooClient(
                cfg.deployment, cfg.login, cfg.password, pause=0, attempts=1, timeout=10
            )
            async with client:
                return None

        try:
            asyncio.run(attempt())
        except PooError as exc:
            return str(exc)
        return None
    if source == "eljur":
        return _try_eljur_login(config)
    return "проверка входа для этого источника пока не сделана: запустите sverka sync"


def _try_eljur_login(config: Path) -> str | None:
    """``auth`` once with the written settings and secrets (a wrong devkey, vendor or
    password, or a dead host, each comes back as the connector's Russian sentence)."""
    from connectors.eljur.client import ClientSettings, EljurClient
    from connectors.eljur.errors import EljurError
    from pipelines.eljur import credentials, load_config

    cfg = load_config(config)
    devkey, password = credentials(cfg)

    async def attempt() -> None:
        settings = ClientSettings(attempts=1, timeout=10, class_pause=0)
        async with EljurClient(
            cfg.base_url, cfg.vendor, devkey, cfg.login, password, settings=settings
        ):
            return None

    try:
        asyncio.run(attempt())
    except EljurError as exc:
        return str(exc)
    return None
