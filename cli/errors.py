"""Turning failures into one clear Russian sentence instead of a traceback.

Every command runs inside :func:`run_with_boundary`: whatever a user can cause
(a damaged store file, a mistyped URL, a busy port, a file that is not a table)
ends as one red line and a non-zero exit; ``-v`` adds the traceback for the
administrator.  ``describe`` knows the failures of the libraries below us.
"""

from __future__ import annotations

import errno
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console

from pipelines.settings import SettingsError

err_console = Console(stderr=True, soft_wrap=True)


class UserError(Exception):
    """A failure the user can act on; its message is shown as is (in Russian)."""


_RUSSIAN = re.compile(r"[А-Яа-яЁё]")
_PASSWORD = re.compile(r"//([^:/@]+):[^@]*@")


def _store(url: str | None) -> str:
    if not url:
        return "хранилище"
    masked = _PASSWORD.sub(r"//\1:***@", url)
    return f"хранилище {masked}"


def describe(exc: BaseException, url: str | None = None) -> str:
    """One Russian sentence for a failure; never raw driver text."""
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

    text = str(exc)
    first = text.splitlines()[0] if text else ""
    if isinstance(exc, NoSuchModuleError) or (isinstance(exc, ArgumentError) and "URL" in text):
        scheme = (url or "").split("://", 1)[0] if url and "://" in url else ""
        named = f" «{scheme}»" if scheme else ""
        return (
            f"неверный адрес хранилища: схема{named} не поддерживается; укажите путь к файлу "
            "SQLite, sqlite:///путь или postgresql://пользователь@сервер/база"
        )
    if isinstance(exc, DBAPIError | SQLAlchemyError):
        return _describe_db(exc, text, url)
    if isinstance(exc, PermissionError):
        where = f" {exc.filename}" if exc.filename else ""
        return f"нет прав доступа к{where or ' файлу'}: проверьте права на запись"
    if isinstance(exc, FileNotFoundError):
        return f"файл или каталог не найден: {exc.filename or first}"
    if isinstance(exc, IsADirectoryError):
        return f"ожидался файл, а указан каталог: {exc.filename}"
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return "порт уже занят другой программой: выберите другой (--port)"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "на диске не осталось места"
    if isinstance(exc, UserError | SettingsError | ValueError) and _RUSSIAN.search(first):
        return first
    if isinstance(exc, KeyboardInterrupt):
        return "прервано пользователем"
    return (
        f"внутренняя ошибка программы ({type(exc).__name__}); повторите команду с -v, "
        "чтобы увидеть подробности, и сообщите администратору"
    )


def _describe_db(exc: BaseException, text: str, url: str | None) -> str:
    store = _store(url)
    lowered = text.lower()
    if "file is not a database" in lowered or "database disk image is malformed" in lowered:
        return f"{store} повреждено или это не файл базы SQLite"
    if "unable to open database file" in lowered or "readonly database" in lowered:
        return f"{store}: файл нельзя открыть или записать — проверьте путь и права на запись"
    missing = re.search(r'database "([^"]+)" does not exist', text)
    if missing:
        return f"{store}: база данных «{missing.group(1)}» не существует на сервере"
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return f"{store}: сервер базы данных отклонил имя пользователя или пароль"
    if "role" in lowered and "does not exist" in lowered:
        return f"{store}: на сервере базы данных нет такого пользователя"
    if "connection refused" in lowered or "could not connect" in lowered:
        return f"{store}: сервер базы данных недоступен (соединение отклонено)"
    if "could not translate host name" in lowered or "name or service not known" in lowered:
        return f"{store}: имя сервера базы данных не найдено"
    if "database is locked" in lowered:
        return f"{store} занято другой программой; повторите позже"
    if "already exists" in lowered or "no such table" in lowered or "does not exist" in lowered:
        return f"{store}: схема не соответствует версии программы; выполните sverka init"
    return f"{store}: ошибка базы данных ({type(exc).__name__}); подробности: sverka -v …"


@contextmanager
def user_errors(
    *known: type[BaseException], render: Callable[[BaseException], str] | None = None
) -> Iterator[None]:
    """Show ``UserError``, ``SettingsError`` and the ``known`` exception types as a red line
    and exit with 1."""
    try:
        yield
    except (UserError, SettingsError) as exc:
        err_console.print(f"[red]Ошибка:[/red] {exc}")
        raise typer.Exit(1) from None
    except known as exc:
        if _verbose():
            err_console.print(traceback.format_exc(), markup=False, highlight=False)
        err_console.print(f"[red]Ошибка:[/red] {(render or _default_render)(exc)}")
        raise typer.Exit(1) from None


def _default_render(exc: BaseException) -> str:
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, SQLAlchemyError):
        return describe(exc, _url())
    return str(exc)


def _url() -> str | None:
    from cli.context import SETTINGS

    try:
        return SETTINGS.url
    except Exception:
        return SETTINGS.db


def _verbose() -> bool:
    from cli.context import SETTINGS

    return SETTINGS.verbose or "-v" in sys.argv[1:3] or "--verbose" in sys.argv[1:3]


def run_with_boundary(app: Callable[..., Any]) -> None:
    """Call the Typer ``app``; any exception left becomes one Russian sentence and exit 1.

    Click runs without its own error printing (``standalone_mode=False``), so its usage
    errors, worded in English, reach us and are shown in Russian with exit code 2.
    """
    from typer import _click

    from cli.usage_errors import help_hint, usage_sentence

    try:
        code = app(standalone_mode=False)
    except SystemExit:
        raise
    except _click.exceptions.NoArgsIsHelpError as exc:
        if exc.message:
            print(exc.message)
        sys.exit(0)
    except _click.exceptions.ClickException as exc:
        err_console.print(f"[red]Ошибка:[/red] {usage_sentence(exc)}", highlight=False)
        if isinstance(exc, _click.exceptions.UsageError):
            err_console.print(help_hint(exc), markup=False, highlight=False)
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("[red]Прервано.[/red]")
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("[red]Прервано.[/red]")
        sys.exit(130)
    except BaseException as exc:
        if _verbose():
            err_console.print(
                "".join(traceback.format_exception(exc)), markup=False, highlight=False
            )
        err_console.print(f"[red]Ошибка:[/red] {describe(exc, _url())}", markup=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
