"""The administrator's accounts page: list, add, change a role, reset a password, remove.

Every change goes through the functions ``sverka user add`` uses (``web.users``), on a
fresh read of the 0600 accounts file, so an account added from the terminal while the
server runs is not lost; the running server then sees the saved list at once (a removed
user's session ends with their next request).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from web.app import call, render, see_other
from web.session import accounts, checked_form, require
from web.users import (
    ROLE_RU,
    AccountError,
    Accounts,
    Role,
    add_user,
    load,
    remove_user,
    save,
    set_password,
    set_role,
)

ADMIN = (Role.ADMIN,)
NOTICES = {
    "added": "Учётная запись добавлена.",
    "role": "Роль изменена.",
    "password": "Пароль изменён.",
    "removed": "Учётная запись удалена.",
}
_WRITING = threading.Lock()


async def users_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    require(request, ADMIN)
    found = accounts(request)
    return render(
        request,
        "admin_users.html.j2",
        status_code=status,
        users=sorted(found.users.values(), key=lambda u: (u.role.value, u.login)),
        role_names=ROLE_RU,
        notices=NOTICES,
        notice=request.query_params.get("done", ""),
        error=error,
    )


def _apply(kept: Accounts, change: Callable[[Accounts], object]) -> None:
    """Change a fresh copy of the file, save it whole, then let the server see it."""
    with _WRITING:
        fresh = load(kept.path)
        fresh.secret = kept.secret  # the running server signs sessions with this one
        change(fresh)
        save(fresh)
        kept.users = fresh.users


def _text(form: FormData, field: str) -> str:
    return str(form.get(field) or "").strip()


def _new_password(form: FormData) -> str:
    password = str(form.get("password") or "")
    if password != str(form.get("password2") or ""):
        raise AccountError("пароль и его повтор не совпадают")
    return password


async def change_post(request: Request) -> Response:
    admin = require(request, ADMIN)
    form = await checked_form(request)
    action = request.path_params["action"]
    login = _text(form, "login")

    def add(found: Accounts) -> None:
        if login in found.users:
            raise AccountError(
                f"учётная запись «{login}» уже есть; новый пароль задаётся кнопкой «Сменить пароль»"
            )
        add_user(
            found,
            login,
            _text(form, "role"),
            _new_password(form),
            person=_text(form, "person") or None,
            name=_text(form, "name"),
        )

    changes: dict[str, Callable[[Accounts], object]] = {
        "added": add,
        "role": lambda found: set_role(
            found, login, _text(form, "role"), person=_text(form, "person"), acting=admin.login
        ),
        "password": lambda found: set_password(found, login, _new_password(form)),
        "removed": lambda found: remove_user(found, login, acting=admin.login),
    }
    if action not in changes:
        raise HTTPException(404, "Такого действия нет.")
    try:
        await call(_apply, accounts(request), changes[action])
    except AccountError as exc:
        reason = str(exc)
        return await users_page(request, f"Не выполнено: {reason[:1].lower()}{reason[1:]}.", 400)
    return see_other(f"/admin/users?done={action}")


ROUTES = [
    Route("/admin/users", users_page),
    Route("/admin/users/{action}", change_post, methods=["POST"]),
]
