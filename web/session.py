"""Who is asking and whether they may: the signed-cookie session, role checks and CSRF.

Every page calls :func:`require` with the roles allowed to see it, so scope is
enforced on the server whatever links a page shows; every form handler reads
its fields through :func:`checked_form`, which refuses a post without the
session's CSRF token.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from web.users import Accounts, Role, User

CSRF_FIELD = "csrf"


class LoginNeeded(Exception):
    """No one is logged in: the page answers with the login form."""


def accounts(request: Request) -> Accounts:
    found: Accounts = request.app.state.accounts
    return found


def current_user(request: Request) -> User | None:
    login = request.session.get("login")
    if not isinstance(login, str):
        return None
    return accounts(request).get(login)


def require(request: Request, roles: Iterable[Role]) -> User:
    """The logged-in user if their role may open this page; 403 otherwise."""
    user = current_user(request)
    if user is None:
        raise LoginNeeded()
    if user.role not in set(roles):
        raise HTTPException(403, "Эта страница недоступна для вашей роли.")
    return user


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the session's; 403 otherwise."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    kept = request.session.get(CSRF_FIELD)
    if (
        not isinstance(sent, str)
        or not isinstance(kept, str)
        or not secrets.compare_digest(sent.encode(), kept.encode())
    ):
        raise HTTPException(
            403, "Форма устарела или отправлена не со страницы Сверки. Обновите страницу."
        )
    return form


def log_in(request: Request, user: User) -> None:
    request.session.clear()
    request.session["login"] = user.login
    request.session[CSRF_FIELD] = secrets.token_urlsafe(32)


def log_out(request: Request) -> None:
    request.session.clear()
