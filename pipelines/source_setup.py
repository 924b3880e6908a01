"""Setting up a source without an editor: its settings file, its secrets file, a first login.

``sverka source add`` asks an administrator for the address, the login, the time zone and the
password, and this module writes them where the pipelines read them: the settings as TOML (no
password ever), the password in a ``KEY=value`` secrets file readable by its owner only (0600).
The login is then tried once, so the administrator learns at once whether it works.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipelines.settings import (
    ELJUR_DEVKEY_ENV,
    ELJUR_PASSWORD_ENV,
    NETSCHOOL_PASSWORD_ENV,
    POO_PASSWORD_ENV,
    SettingsError,
    read_section,
    toml_string,
    write_secrets,
)

SOURCES = {
    "poo": (POO_PASSWORD_ENV, "«Сетевой город. Образование — Модуль ПОО»"),
    "netschool": (NETSCHOOL_PASSWORD_ENV, "«Сетевой город» (NetSchool)"),
    "eljur": (ELJUR_PASSWORD_ENV, "ЭлЖур"),
}
"""Sources this module sets up; СМЭВ 3 is not yet (its keys have their own commands)."""


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
    devkey: str = ""
    """ЭлЖур's developer key (a secret, like the password)."""
    vendor: str = ""
    """ЭлЖур: the school's vendor name where the host does not give it (regional servers)."""
    api_url: str = ""
    """ЭлЖур: the API root where the host is not in the deployment table."""
    school: str = ""
    """NetSchool: the school's number (``school_id``) or its short name."""


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
    lines = [f"deployment = {toml_string(host)}"]
    if answers.vendor:
        lines.append(f"vendor = {toml_string(answers.vendor)}")
    if answers.api_url:
        lines.append(f"url = {toml_string(answers.api_url)}")
    return lines


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
    if answers.source == "netschool":
        school = answers.school.strip()
        if not school:
            raise SettingsError("для «Сетевого города» укажите организацию: номер или краткое имя")
        # the NetSchool settings read ``url`` and the school by number or by name
        extra = [
            f"url = {toml_string(answers.url)}",
            f"school_id = {school}" if school.isdigit() else f"school = {toml_string(school)}",
        ]
    elif not eljur:
        extra = [f"base_url = {toml_string(answers.url)}"]
    env_name = SOURCES[answers.source][0]
    lines = [
        f"[{answers.source}]",
        *extra,
        f"login = {toml_string(answers.login)}",
        f"timezone = {toml_string(answers.timezone)}",
        f"secrets_file = {toml_string(str(secrets.resolve()))}",
    ]
    if answers.profile:
        lines.append(f"profile = {toml_string(answers.profile)}")
    if answers.tenant:
        lines.append(f"tenant = {toml_string(answers.tenant)}")
    config.parent.mkdir(parents=True, exist_ok=True)
    values = {env_name: answers.password}
    if eljur:
        values[ELJUR_DEVKEY_ENV] = answers.devkey.strip()
    write_secrets(secrets, values)
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
    from connectors.eljur.errors import EljurError
    from connectors.netschool.errors import NetSchoolError
    from connectors.poo.errors import PooError

    try:
        asyncio.run(_LOGINS[source](config))
    except (EljurError, NetSchoolError, PooError) as exc:  # each is a Russian sentence
        return str(exc)
    return None


async def _poo_login(config: Path) -> None:
    from connectors.poo.client import PooClient
    from pipelines.poo import load_config

    cfg = load_config(config)
    async with PooClient(cfg.deployment, cfg.login, cfg.password, pause=0, attempts=1, timeout=10):
        return None


async def _netschool_login(config: Path) -> None:
    """NetSchool logs in on the first call: ask for the context (and find the school by name)."""
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
    """``auth`` once (a wrong devkey, vendor or password each comes back in Russian)."""
    from connectors.eljur.client import ClientSettings, EljurClient
    from pipelines.eljur import credentials, load_config

    cfg = load_config(config)
    devkey, password = credentials(cfg)
    settings = ClientSettings(attempts=1, timeout=10, class_pause=0)
    async with EljurClient(
        cfg.base_url, cfg.vendor, devkey, cfg.login, password, settings=settings
    ):
        return None


_LOGINS = {"poo": _poo_login, "netschool": _netschool_login, "eljur": _eljur_login}


def _file_secrets(path: Path) -> dict[str, str]:
    """The secrets file's own values (not the environment's: an edit keeps what the file holds)."""
    if not path.is_file():
        return {}
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, rest = line.partition("=")
        if sep:
            found[key.strip()] = rest.strip()
    return found


def current_answers(source: str, config: Path) -> tuple[SourceAnswers, Path]:
    """The answers that wrote ``config`` (its password included) and its secrets file.

    An edit starts from them, so a field the administrator does not touch stays as it was.
    """
    if source not in SOURCES:
        raise SettingsError(f"источник «{source}» нельзя изменить на этой странице")
    table = read_section(config, source)
    secrets = Path(str(table.get("secrets_file") or config.with_suffix(".secrets")))
    kept = _file_secrets(secrets)
    school = table.get("school_id", table.get("school", ""))
    if source == "eljur":
        url, api_url = str(table.get("deployment", "")), str(table.get("url", ""))
    else:
        url, api_url = str(table.get("url" if source == "netschool" else "base_url", "")), ""
    answers = SourceAnswers(
        source=source,
        url=url,
        login=str(table.get("login", "")),
        timezone=str(table.get("timezone", "")),
        password=kept.get(SOURCES[source][0], ""),
        profile=str(table.get("profile", "")),
        tenant=str(table.get("tenant", "")),
        devkey=kept.get(ELJUR_DEVKEY_ENV, ""),
        vendor=str(table.get("vendor", "")),
        api_url=api_url,
        school=str(school),
    )
    return answers, secrets


def edit_source(config: Path, source: str, url: str, login: str, password: str = "") -> None:
    """Change a source's address and login (and password, when one is given).

    The changed answers go through :func:`add_source`: the login is tried with a trial copy
    first, and a refusal raises :class:`LoginFailed` with the working files untouched.
    """
    answers, secrets = current_answers(source, config)
    changed = replace(
        answers, url=url.strip(), login=login.strip(), password=password or answers.password
    )
    add_source(changed, config, secrets)
