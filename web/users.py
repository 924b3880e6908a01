"""Web accounts: login, role, linked journal person and an argon2 hash, kept in a 0600 file.

Credentials never live in the repository or the store: the accounts file sits in the
user's configuration folder (or where ``SVERKA_WEB_USERS`` points) and is written with
owner-only permissions, like the platforms' secrets file.  It also holds the key that
signs session cookies, so restarting the server keeps people logged in.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path

USERS_ENV = "SVERKA_WEB_USERS"


class Role(StrEnum):
    ADMIN = "admin"
    DEPUTY = "deputy"
    OPERATOR = "operator"
    TEACHER = "teacher"


ROLE_RU = {
    Role.ADMIN: "администратор",
    Role.DEPUTY: "заместитель директора",
    Role.OPERATOR: "оператор контингента",
    Role.TEACHER: "преподаватель",
}


class AccountError(ValueError):
    """A Russian message about the accounts file or an account."""


@dataclass(frozen=True)
class User:
    login: str
    role: Role
    password_hash: str
    person: str | None = None
    """The journal person a teacher is (the key violations name as responsible)."""
    name: str = ""


def default_path() -> Path:
    given = os.environ.get(USERS_ENV)
    if given:
        return Path(given)
    from platformdirs import user_config_dir

    return Path(user_config_dir("sverka")) / "web-users.json"


@dataclass
class Accounts:
    path: Path
    secret: str
    users: dict[str, User]

    def get(self, login: str) -> User | None:
        return self.users.get(login)

    def verify(self, login: str, password: str) -> User | None:
        """The user when the password matches its hash; ``None`` otherwise (no hint which)."""
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        user = self.users.get(login)
        hasher = PasswordHasher()
        if user is None:
            # spend the same time as a real check, so a login's existence does not show
            hasher.hash(password)
            return None
        try:
            hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return user


def load(path: Path | None = None) -> Accounts:
    path = path or default_path()
    if not path.exists():
        return Accounts(path, secrets.token_urlsafe(32), {})
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        users = {
            u["login"]: User(
                login=u["login"],
                role=Role(u["role"]),
                password_hash=u["password_hash"],
                person=u.get("person"),
                name=u.get("name", ""),
            )
            for u in data.get("users", [])
        }
        return Accounts(path, str(data["secret"]), users)
    except (ValueError, KeyError, TypeError) as exc:
        raise AccountError(f"файл учётных записей {path} повреждён: {exc}") from None


def save(accounts: Accounts) -> None:
    """Write the file whole through a 0600 temporary, then rename: never half-written."""
    accounts.path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "secret": accounts.secret,
        "users": [{**asdict(u), "role": u.role.value} for u in accounts.users.values()],
    }
    tmp = accounts.path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False, indent=2)
    os.chmod(tmp, 0o600)
    tmp.replace(accounts.path)


def add_user(
    accounts: Accounts,
    login: str,
    role: str,
    password: str,
    *,
    person: str | None = None,
    name: str = "",
) -> User:
    """Add or replace an account; a teacher must be linked to their journal person."""
    login = login.strip()
    if not login or not login.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise AccountError(f"логин «{login}»: допустимы буквы, цифры, точка, дефис и подчёркивание")
    chosen = _role(role, person)
    user = User(login, chosen, _hash(password), person or None, name)
    accounts.users[login] = user
    return user


def _role(role: str, person: str | None) -> Role:
    """The role named by ``role``; a teacher must come with their journal person."""
    try:
        chosen = Role(role)
    except ValueError:
        raise AccountError(
            f"неизвестная роль «{role}»: допустимы {', '.join(r.value for r in Role)}"
        ) from None
    if chosen is Role.TEACHER and not person:
        raise AccountError(
            "преподавателю нужна ссылка на его карточку в журнале "
            "(--person в команде, поле «Карточка в журнале» на странице)"
        )
    return chosen


def _hash(password: str) -> str:
    if len(password) < 8:
        raise AccountError("пароль короче 8 символов")
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def _existing(accounts: Accounts, login: str) -> User:
    user = accounts.users.get(login)
    if user is None:
        raise AccountError(f"учётной записи «{login}» нет")
    return user


def _keeps_an_admin(accounts: Accounts, login: str) -> None:
    """Refuse a change that would leave nobody able to manage accounts and sources."""
    others = [u for u in accounts.users.values() if u.role is Role.ADMIN and u.login != login]
    if not others:
        raise AccountError("это единственный администратор: сначала назначьте другого")


def set_role(
    accounts: Accounts, login: str, role: str, *, person: str | None = None, acting: str
) -> User:
    """Give ``login`` another role (a teacher keeps or gets their journal person).

    ``acting`` is the administrator doing it: changing one's own role is refused, so
    nobody locks themselves out of this page by a slip.
    """
    user = _existing(accounts, login)
    if login == acting:
        raise AccountError("свою роль изменить нельзя: попросите другого администратора")
    person = (person or "").strip() or user.person
    chosen = _role(role, person)
    if user.role is Role.ADMIN and chosen is not Role.ADMIN:
        _keeps_an_admin(accounts, login)
    changed = replace(user, role=chosen, person=person if chosen is Role.TEACHER else None)
    accounts.users[login] = changed
    return changed


def set_password(accounts: Accounts, login: str, password: str) -> User:
    """A new password for an existing account (the same length rule as a new one)."""
    changed = replace(_existing(accounts, login), password_hash=_hash(password))
    accounts.users[login] = changed
    return changed


def remove_user(accounts: Accounts, login: str, *, acting: str) -> None:
    """Remove an account, never the acting one and never the last administrator."""
    user = _existing(accounts, login)
    if login == acting:
        raise AccountError("свою учётную запись удалить нельзя")
    if user.role is Role.ADMIN:
        _keeps_an_admin(accounts, login)
    del accounts.users[login]
