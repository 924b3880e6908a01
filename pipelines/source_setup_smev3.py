"""Setting up the СМЭВ 3 connection without an editor: check first, then write.

``sverka source add smev3`` asks for the СМЭВ address, the organisation's code in the
registry, the way messages are signed and (for ЭП-ОВ) the key file and its password.  The
connection is tried before anything is written: with a ГОСТ key, the checks of ``sverka smev3
keys check`` (the certificate's dates, a local sign-and-verify, a signed call that only a bad
signature can fail); with the test signature, the same signed call.  Only when СМЭВ accepted
it are the settings (TOML, no secret) and the key's password (a 0600 ``KEY=value`` file)
written.  The pipelines and the scheduler then read them with :func:`load_smev3`.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipelines.settings import SettingsError, read_section, toml_string, write_secrets
from pipelines.smev3.common import KEY_PASSWORD_ENV, Smev3Options, transport_name
from pipelines.source_setup import LoginFailed

SMEV3_TITLE = "СМЭВ 3 (реестр контингента, ЕПГУ, «Е-услуги»)"
SIGNERS = ("gost", "mock")
"""``gost``: ЭП-ОВ, what the real СМЭВ requires; ``mock``: the emulator's test signature."""
VERSIONS = ("1.2", "1.3")


@dataclass(frozen=True)
class Smev3Answers:
    url: str
    org_code: str
    timezone: str
    signer: str = "gost"
    key_file: str = ""
    key_password: str = ""
    """The PKCS#12 password (a secret: only ever in the 0600 secrets file)."""
    mnemonic: str = ""
    version: str = "1.2"
    profile: str = ""


def check_answers(answers: Smev3Answers) -> None:
    """Refuse what cannot work before anything is tried or written (Russian reasons)."""
    if not answers.url.startswith(("http://", "https://")):
        raise SettingsError(f"адрес СМЭВ «{answers.url}» должен начинаться с http:// или https://")
    if not answers.org_code.strip():
        raise SettingsError("код организации в реестре не может быть пустым")
    if answers.signer not in SIGNERS:
        raise SettingsError(
            f"способ подписи «{answers.signer}» неизвестен: gost (ЭП-ОВ) или mock (тестовая)"
        )
    if answers.version not in VERSIONS:
        raise SettingsError(f"версия схем СМЭВ «{answers.version}» неизвестна: 1.2 или 1.3")
    if answers.signer == "gost":
        if not answers.key_file.strip():
            raise SettingsError("для подписи ЭП-ОВ укажите файл ключа (--key)")
        if not Path(answers.key_file).is_file():
            raise SettingsError(f"файл ключа ЭП-ОВ {answers.key_file} не найден")
    try:
        ZoneInfo(answers.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"неизвестный часовой пояс «{answers.timezone}»; пример: Asia/Tomsk"
        ) from None


def write_smev3(answers: Smev3Answers, config: Path, secrets: Path) -> None:
    """The ``[smev3]`` settings and, for a ГОСТ key, its password in a 0600 secrets file."""
    check_answers(answers)
    lines = [
        "[smev3]",
        f"url = {toml_string(answers.url)}",
        f"org_code = {toml_string(answers.org_code.strip())}",
        f"version = {toml_string(answers.version)}",
        f"signer = {toml_string(answers.signer)}",
        f"timezone = {toml_string(answers.timezone)}",
    ]
    if answers.mnemonic:
        lines.append(f"mnemonic = {toml_string(answers.mnemonic)}")
    if answers.profile:
        lines.append(f"profile = {toml_string(answers.profile)}")
    if answers.signer == "gost":
        lines.append(f"key_file = {toml_string(str(Path(answers.key_file).resolve()))}")
        lines.append(f"secrets_file = {toml_string(str(secrets.resolve()))}")
        write_secrets(secrets, {KEY_PASSWORD_ENV: answers.key_password})
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")


def load_smev3(path: str | Path, **overrides: Any) -> Smev3Options:
    """The СМЭВ options from a file :func:`write_smev3` wrote; ``overrides`` that are not
    ``None`` (the command line's options) win."""
    section = read_section(path, "smev3")
    for required in ("url", "org_code"):
        if not section.get(required):
            raise SettingsError(f"в файле {path} нет параметра {required} в разделе [smev3]")
    values: dict[str, Any] = {
        "url": str(section["url"]),
        "org_code": str(section["org_code"]),
        "version": str(section.get("version", "1.2")),
        "mnemonic": section.get("mnemonic"),
        "signer": str(section.get("signer", "gost")),
        "key_file": section.get("key_file"),
        "secrets_file": section.get("secrets_file"),
        "timezone": str(section.get("timezone", "Europe/Moscow")),
        "profile": section.get("profile"),
        "deployment": str(section.get("deployment", "")),
        "transport": section.get("transport"),
    }
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["transport"] = transport_name(str(values.get("transport") or "direct"))
    return Smev3Options(**values)


def _plain(line: str) -> str:
    """A key-check line without its Rich colour tags."""
    return re.sub(r"\[/?[a-z ]+\]", "", line).strip()


def try_smev3(answers: Smev3Answers, secrets: Path) -> str | None:
    """``None`` when СМЭВ accepted a signed call with these answers, else the Russian reason."""
    from connectors.smev3.errors import SmevError

    try:
        if answers.signer == "gost":
            from pipelines.smev3.keys import check_key

            report = check_key(answers.key_file, str(secrets), answers.url, answers.timezone)
            if report.ok:
                return None
            failed = [_plain(line) for line in report.lines if line.startswith("[red]")]
            return "; ".join(failed) or "ключ ЭП-ОВ не прошёл проверку"
        return asyncio.run(_mock_accepted(answers))
    except SmevError as exc:
        return exc.message
    except OSError as exc:
        return f"файл ключа не прочитан ({exc.strerror or exc})"


async def _mock_accepted(answers: Smev3Answers) -> str | None:
    """A signed ``Ack`` for a message nobody sent: СМЭВ checks the caller and the signature
    first, so «нет такого сообщения» means it let us in and nothing else happened."""
    from connectors.smev3.client import SmevClient, SmevSettings, new_message_id
    from connectors.smev3.errors import SmevFaultError
    from connectors.smev3.signing import MockSigner

    settings = SmevSettings(answers.url, version=answers.version, timeout=10)
    async with SmevClient(settings, signer=MockSigner()) as client:
        try:
            await client.ack(new_message_id())
        except SmevFaultError as exc:
            if exc.name == "TargetMessageIsNotFound":
                return None
            return exc.message
    return None


def add_smev3(answers: Smev3Answers, config: Path, secrets: Path) -> None:
    """Check the connection with a trial copy of the secrets; write only when СМЭВ accepted.

    A refusal raises :class:`LoginFailed` and leaves earlier, working files as they were."""
    check_answers(answers)
    config.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=config.parent, prefix=".sverka-source-") as trial:
        trial_secrets = Path(trial) / "trial.secrets"
        write_smev3(answers, Path(trial) / config.name, trial_secrets)
        problem = try_smev3(answers, trial_secrets)
    if problem is not None:
        raise LoginFailed(problem)
    write_smev3(answers, config, secrets)
