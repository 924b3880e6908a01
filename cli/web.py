"""``sverka web`` (serve the pages) and ``sverka user add`` (web accounts)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from cli.context import SETTINGS
from cli.errors import UserError, user_errors

if TYPE_CHECKING:
    from sqlalchemy import Engine

console = Console()
user_app = typer.Typer(help="Учётные записи веб-страниц Сверки.", no_args_is_help=True)
PASSWORD_ENV = "SVERKA_WEB_PASSWORD"
UsersOption = typer.Option(
    None, "--users", help="Файл учётных записей (иначе SVERKA_WEB_USERS или каталог настроек)."
)


def _password(prompt: str) -> str:
    given = os.environ.get(PASSWORD_ENV)
    if given:
        return given
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=True))


@user_app.command("add")
def user_add_command(
    login: str = typer.Argument(..., help="Логин (латиница, цифры, точка, дефис)."),
    role: str = typer.Option(..., "--role", help="admin, deputy, operator или teacher."),
    person: str | None = typer.Option(
        None, "--person", help="Для преподавателя: его карточка в журнале (идентификатор)."
    ),
    name: str = typer.Option("", "--name", help="Как показывать пользователя на страницах."),
    users: Path | None = UsersOption,
) -> None:
    """Создать учётную запись (пароль спрашивается или берётся из SVERKA_WEB_PASSWORD)."""
    from web.users import AccountError, add_user, load, save

    with user_errors(AccountError):
        accounts = load(users)
        add_user(accounts, login, role, _password("Пароль"), person=person, name=name)
        save(accounts)
    console.print(f"Учётная запись «{login}» сохранена в {accounts.path}")


def web_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Адрес, на котором слушать."),
    port: int = typer.Option(8080, "--port", help="Порт."),
    users: Path | None = UsersOption,
) -> None:
    """Открыть веб-страницы Сверки для заместителя, преподавателей, оператора и администратора."""
    from sqlalchemy.exc import OperationalError

    from local_store.engine import StoreError
    from web.serve import serve
    from web.users import AccountError, Role, add_user, load, save

    with user_errors(AccountError, OperationalError, StoreError):
        accounts = load(users)
        if not any(u.role is Role.ADMIN for u in accounts.users.values()):
            if not os.isatty(0) and not os.environ.get(PASSWORD_ENV):
                raise UserError(
                    "учётных записей ещё нет: создайте администратора командой "
                    "sverka user add admin --role admin"
                )
            console.print("Первый запуск: задайте пароль администратора (логин admin).")
            add_user(accounts, "admin", "admin", _password("Пароль администратора"))
            save(accounts)
        engine = SETTINGS.engine()
    console.print(f"Сверка: http://{host}:{port}/ (хранилище {SETTINGS.url}); остановить — Ctrl+C")
    serve(engine, accounts, host, port)


def demo_accounts(engine: Engine, path: Path) -> dict[str, str]:
    """One account per role with a fresh password (login → password), saved as hashes.

    The teacher account is the journal person with the most open violations, so their
    page shows something.  Only argon2 hashes are written (0600); the passwords are
    returned to be printed once.
    """
    import secrets
    from collections import Counter

    from local_store.violations import list_violations
    from reports.deputy import journal_lookup
    from web.users import add_user, load, save

    busiest = Counter(
        str(v["responsible_person"])
        for v in list_violations(engine, statuses=["open"])
        if v.get("responsible_person")
    ).most_common(1)
    accounts = load(path)
    passwords: dict[str, str] = {}
    for login, role in (("zavuch", "deputy"), ("operator", "operator"), ("admin", "admin")):
        passwords[login] = secrets.token_urlsafe(9)
        add_user(accounts, login, role, passwords[login])
    if busiest:
        person = busiest[0][0]
        journal = journal_lookup(engine)
        name = journal.name_of(person, short=True) if journal is not None else ""
        passwords["teacher"] = secrets.token_urlsafe(9)
        add_user(accounts, "teacher", "teacher", passwords["teacher"], person=person, name=name)
    save(accounts)
    return passwords


def serve_demo(store: Path, out: Path, host: str, port: int) -> None:
    """End ``sverka demo --serve``: print the demo accounts, then serve the demo's store."""
    from local_store.engine import open_store
    from web.serve import serve
    from web.users import ROLE_RU, load

    engine = open_store(str(store))
    passwords = demo_accounts(engine, out / "web-users.json")
    accounts = load(out / "web-users.json")
    console.print(f"\nВеб-страницы демонстрации: http://{host}:{port}/ (остановить — Ctrl+C)")
    for login, password in passwords.items():
        console.print(f"  {ROLE_RU[accounts.users[login].role]}: логин {login}, пароль {password}")
    serve(engine, accounts, host, port)
