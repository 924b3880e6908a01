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

from pipelines.settings import SettingsError

SOURCES = {
    "poo": ("SVERKA_POO_PASSWORD", "«Сетевой город. Образование — Модуль ПОО»"),
    "netschool": ("SVERKA_NETSCHOOL_PASSWORD", "«Сетевой город» (NetSchool)"),
}
"""Sources this module sets up; ЭлЖур and СМЭВ 3 are not yet (see the issue note)."""


@dataclass(frozen=True)
class SourceAnswers:
    source: str
    url: str
    login: str
    timezone: str
    password: str
    profile: str = ""
    tenant: str = ""


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_source(answers: SourceAnswers, config: Path, secrets: Path) -> None:
    """Write the settings and the secrets file (0600); refuse bad answers before writing."""
    if answers.source not in SOURCES:
        raise SettingsError(
            f"источник «{answers.source}» пока нельзя настроить этой командой; "
            f"можно: {', '.join(SOURCES)}"
        )
    if not answers.url.startswith(("http://", "https://")):
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
        f"base_url = {_quoted(answers.url)}",
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
    return "проверка входа для этого источника пока не сделана: запустите sverka sync"
