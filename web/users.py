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
from dataclasses import asdict, dataclass
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
    try:
        chosen = Role(role)
    except ValueError:
        raise AccountError(
            f"неизвестная роль «{role}»: допустимы {', '.join(r.value for r in Role)}"
        ) from None
    if chosen is Role.TEACHER and not person:
        raise AccountError("преподавателю нужна ссылка на его карточку в журнале (--person)")
    if len(password) < 8:
        raise AccountError("пароль короче 8 символов")
    from argon2 import PasswordHasher

    user = User(login, chosen, PasswordHasher().hash(password), person or None, name)
    accounts.users[login] = user
    return user
