"""Setting up a source without an editor: its settings file, its secrets file, a first login.

``sverka source add`` asks an administrator for the address, the login, the time zone and the
password, and this module writes them where the pipelines read them: the settings as TOML (no
password ever), the password in a ``KEY=value`` secrets file readable by its owner only (0600).
The login is then tried once, so the administrator learns at once whether it works.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipelines.settings import (
    ELJUR_DEVKEY_ENV,
    ELJUR_PASSWORD_ENV,
    NETSCHOOL_PASSWORD_ENV,
    POO_PASSWORD_ENV,
    SettingsError,
)

SOURCES = {
    "poo": (POO_PASSWORD_ENV, "«Сетевой город. Образование — Модуль ПОО»"),
    "netschool": (NETSCHOOL_PASSWORD_ENV, "«Сетевой город» (NetSchool)"),
    "eljur": (ELJUR_PASSWORD_ENV, "ЭлЖур"),
}
"""Sources this module sets up; СМЭВ 3 (certificates, a signing key) is set up by hand."""


class LoginFailed(SettingsError):
    """The platform refused the login (Russian reason); nothing was written."""


@dataclass(frozen=True)
class SourceAnswers:
    source: str
    url: str
    login: str
    timezone: str
    password: str
    profile: str = ""
    tenant: str = ""
    school: str = ""
    """NetSchool: the school's number (``school_id``) or its short name."""
    deployment: str = ""
    """ЭлЖур: the school's host (``mazanka.eljur.ru``); ``url`` then overrides the API root."""
    devkey: str = ""
    """ЭлЖур: the developer key, kept in the secrets file beside the password."""


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_source(answers: SourceAnswers, config: Path, secrets: Path) -> None:
    """Write the settings and the secrets file (0600); refuse bad answers before writing."""
    if answers.source not in SOURCES:
        raise SettingsError(
            f"источник «{answers.source}» пока нельзя настроить этой командой; "
            f"можно: {', '.join(SOURCES)}"
        )
    if answers.url and not answers.url.startswith(("http://", "https://")):
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
    if answers.source == "netschool" and not answers.school.strip():
        raise SettingsError("для «Сетевого города» укажите организацию: номер или краткое имя")
    if answers.source == "eljur" and not (answers.deployment.strip() and answers.devkey):
        raise SettingsError("для ЭлЖур укажите адрес школы (например, mazanka.eljur.ru) и devkey")
    if answers.source != "eljur" and not answers.url:
        raise SettingsError("адрес журнала не может быть пустым")
    env_name = SOURCES[answers.source][0]
    url_key = "base_url" if answers.source == "poo" else "url"
    lines = [f"[{answers.source}]"]
    if answers.url:
        lines.append(f"{url_key} = {_quoted(answers.url)}")
    if answers.deployment:
        lines.append(f"deployment = {_quoted(answers.deployment)}")
    if answers.school:
        school = answers.school.strip()
        lines.append(f"school_id = {school}" if school.isdigit() else f"school = {_quoted(school)}")
    lines += [
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
        if answers.devkey:
            handle.write(f"{ELJUR_DEVKEY_ENV}={answers.devkey}\n")
    os.chmod(secrets, 0o600)
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")


def add_source(answers: SourceAnswers, config: Path, secrets: Path) -> None:
    """Try the login with the answers first; write the settings and secrets only when it worked.

    A refused login raises :class:`LoginFailed` and leaves any earlier, working files as
    they were: a wrong password typed today must not break last week's settings.
    """
    config.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=config.parent, prefix=".sverka-source-") as trial:
        trial_config = Path(trial) / config.name
        write_source(answers, trial_config, Path(trial) / "trial.secrets")
        problem = try_login(answers.source, trial_config)
    if problem is not None:
        raise LoginFailed(problem)
    write_source(answers, config, secrets)


def try_login(source: str, config: Path) -> str | None:
    """One login with the written settings: ``None`` when it worked, else the Russian reason."""
    try:
        asyncio.run(_LOGINS[source](config))
    except SettingsError as exc:
        return str(exc)
    except Exception as exc:  # every connector's error is a Russian sentence
        from connectors.eljur.errors import EljurError
        from connectors.netschool.errors import NetSchoolError
        from connectors.poo.errors import PooError

        if isinstance(exc, EljurError | NetSchoolError | PooError):
            return str(exc)
        raise
    return None


async def _poo_login(config: Path) -> None:
    from connectors.poo.client import PooClient
    from pipelines.poo import load_config

    cfg = load_config(config)
    async with PooClient(cfg.deployment, cfg.login, cfg.password, pause=0, attempts=1, timeout=10):
        return None


async def _netschool_login(config: Path) -> None:
    from connectors.netschool.client import ClientSettings, NetSchoolClient
    from pipelines.netschool import load_config
    from pipelines.settings import require_secret

    cfg = load_config(config)
    password = require_secret(NETSCHOOL_PASSWORD_ENV, cfg.secrets_file, "пароль NetSchool")
    settings = ClientSettings(attempts=1, timeout=10)
    async with NetSchoolClient(
        cfg.base_url, cfg.login, password, cfg.school_id, settings=settings
    ) as client:
        if not cfg.school_id:
            client.auth.school_id = await client.find_school(cfg.school_name)
        await client.context()


async def _eljur_login(config: Path) -> None:
    from connectors.eljur.client import ClientSettings, EljurClient
    from pipelines.eljur import credentials, load_config

    cfg = load_config(config)
    devkey, password = credentials(cfg)
    settings = ClientSettings(attempts=1, timeout=10)
    async with EljurClient(
        cfg.base_url, cfg.vendor, devkey, cfg.login, password, settings=settings
    ):
        return None  # entering the client authenticates


_LOGINS = {"poo": _poo_login, "netschool": _netschool_login, "eljur": _eljur_login}
