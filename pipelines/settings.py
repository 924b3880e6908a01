"""Reading a source's settings file and its secrets, the same way for every pipeline.

A setting that is wrong raises :class:`SettingsError` with a Russian sentence
saying what and where; the doors show it as is.  Credentials come from the
environment or a ``KEY=value`` secrets file, never from the settings file.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

NETSCHOOL_PASSWORD_ENV = "SVERKA_NETSCHOOL_PASSWORD"
POO_PASSWORD_ENV = "SVERKA_POO_PASSWORD"
ELJUR_PASSWORD_ENV = "SVERKA_ELJUR_PASSWORD"
ELJUR_DEVKEY_ENV = "SVERKA_ELJUR_DEVKEY"
"""Where each platform's password comes from (the environment or a secrets file)."""


class SettingsError(ValueError):
    """A source's settings or secrets are missing or wrong; the message is Russian and complete."""


def read_secret(env_name: str, secrets_file: str | Path | None = None) -> str | None:
    """A credential from the environment, else from a ``KEY=value`` secrets file; never from config."""
    value = os.environ.get(env_name)
    if value:
        return value
    path = Path(secrets_file) if secrets_file else None
    if path is None or not path.exists():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, rest = line.partition("=")
        if sep and key.strip() == env_name:
            return rest.strip()
    return None


def toml_string(value: str) -> str:
    """A TOML basic string of ``value``, for the settings files ``source add`` writes."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_secrets(path: Path, values: dict[str, str]) -> None:
    """``NAME=value`` lines in a file only its owner can read (0600 from the moment it exists,
    so a password is never readable by others, even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.writelines(f"{name}={value}\n" for name, value in values.items())
    os.chmod(path, 0o600)


def read_section(path: str | Path, table: str) -> dict[str, Any]:
    """The ``[table]`` of a TOML settings file (or the whole file when it has no such table).

    Refuses a file that names a password: credentials live in the environment
    or a secrets file, never next to the settings.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"файл настроек {path} не найден") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"файл настроек {path} не читается как TOML: {exc}") from None
    section = data.get(table, data)
    if not isinstance(section, dict):
        raise SettingsError(f"в файле настроек {path} нет раздела [{table}]")
    if "password" in section:
        raise SettingsError(
            f"в файле настроек {path} указан пароль: храните его в переменной окружения "
            "или в файле секретов (secrets_file), не в настройках"
        )
    return section


def require_secret(env_name: str, secrets_file: str | Path | None, what: str) -> str:
    """:func:`read_secret`, or a Russian error naming where the credential ``what`` should be."""
    value = read_secret(env_name, secrets_file)
    if not value:
        raise SettingsError(
            f"не задан {what}: укажите переменную окружения {env_name} или файл секретов"
        )
    return value
