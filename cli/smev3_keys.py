"""``sverka smev3 keys check``: is the ЭП-ОВ key usable, and does СМЭВ accept its signature?

An institution checks its exported key before going live: the certificate's
subject, validity and algorithm, a local sign-and-verify round trip, and (with
``--url``) a signed call to СМЭВ or our emulator that only a bad signature can
make fail.  The work is in ``pipelines.smev3.keys``.
"""

from __future__ import annotations

import os

import typer
from rich.console import Console

from cli.errors import user_errors

console = Console()
smev3_app = typer.Typer(help="СМЭВ 3: ключи и подпись ЭП-ОВ.", no_args_is_help=True)
keys_app = typer.Typer(help="Ключ ЭП-ОВ информационной системы.", no_args_is_help=True)
smev3_app.add_typer(keys_app, name="keys")


@keys_app.command("check")
def keys_check_command(
    key: str | None = typer.Option(
        None, "--key", help="Файл ключа: PKCS#12 (.p12/.pfx) или PEM (иначе SVERKA_SMEV3_KEY)."
    ),
    url: str | None = typer.Option(
        None, "--url", help="Адрес СМЭВ или эмулятора для проверки подписи (необязательно)."
    ),
    secrets_file: str | None = typer.Option(
        None, "--secrets-file", help="Файл секретов с SVERKA_SMEV3_KEY_PASSWORD (0600)."
    ),
) -> None:
    """Проверить ключ ЭП-ОВ: владелец, срок, алгоритм и принимает ли подпись СМЭВ."""
    from connectors.smev3.errors import SmevError
    from pipelines.smev3.keys import check_key

    with user_errors(SmevError, render=lambda e: e.message if isinstance(e, SmevError) else str(e)):
        report = check_key(
            key or os.environ.get("SVERKA_SMEV3_KEY") or "",
            secrets_file or os.environ.get("SVERKA_SECRETS_FILE"),
            url,
            os.environ.get("SVERKA_TIMEZONE", "Europe/Moscow"),
        )
    for line in report.lines:
        console.print(line)
    if not report.ok:
        raise typer.Exit(1)
