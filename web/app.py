"""The Starlette application: sessions, templates, the login pages and each role's routes.

The pages hold no logic of their own: they call the functions the CLI and the
scheduler call (``reports/``, ``local_store/``) and render the result in Russian.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from canonical.wording import ru_date, ru_moment
from web.session import LoginNeeded, checked_form, csrf_token, current_user, log_in, log_out
from web.users import ROLE_RU, Accounts, Role, User

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["moment"] = ru_moment
TEMPLATES.env.filters["day"] = ru_date

HOME = {
    Role.DEPUTY: "/deputy",
    Role.TEACHER: "/teacher",
    Role.OPERATOR: "/operator",
    Role.ADMIN: "/admin",
}
NAV: dict[Role, list[tuple[str, str]]] = {
    Role.DEPUTY: [
        ("/deputy", "Сводка"),
        ("/deputy/items", "Нарушения и расхождения"),
        ("/deputy/reports", "Отчёты"),
        ("/deputy/forecast", "Прогноз"),
        ("/operator", "Выгрузка контингента"),
    ],
    Role.TEACHER: [("/teacher", "Мои замечания"), ("/teacher/forecast", "Прогноз")],
    Role.OPERATOR: [("/operator", "Выгрузка контингента"), ("/operator/outbox", "Очередь СМЭВ")],
    Role.ADMIN: [
        ("/admin", "Запуски"),
        ("/admin/plans", "Планы синхронизации"),
        ("/admin/sources", "Источники"),
        ("/admin/users", "Учётные записи"),
    ],
}

T = TypeVar("T")


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A store or report function, off the event loop (they are synchronous)."""
    return await run_in_threadpool(fn, *args, **kwargs)


def engine_of(request: Request) -> Engine:
    found: Engine = request.app.state.engine
    return found


def institution_zone(engine: Engine) -> str:
    """The zone local times are shown in: the institution's, UTC before the first sync."""
    from reports.deputy import journal_lookup

    journal = journal_lookup(engine)
    return str(journal.institution["timezone"]) if journal and journal.institution else "UTC"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    user = current_user(request)
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "role_ru": ROLE_RU[user.role] if user else "",
            "nav": NAV[user.role] if user else [],
            "csrf": csrf_token(request),
            "path": request.url.path,
            **context,
        },
        status_code=status_code,
    )


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def home(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return see_other("/login")
    return see_other(HOME[user.role])


async def login_page(request: Request) -> Response:
    return render(request, "login.html.j2", error=None)


async def login_post(request: Request) -> Response:
    form = await checked_form(request)
    login = str(form.get("login") or "").strip()
    password = str(form.get("password") or "")
    accounts: Accounts = request.app.state.accounts
    user: User | None = await call(accounts.verify, login, password)
    if user is None:
        return render(request, "login.html.j2", status_code=401, error="Неверный логин или пароль.")
    log_in(request, user)
    return see_other(HOME[user.role])


async def logout_post(request: Request) -> Response:
    await checked_form(request)
    log_out(request)
    return see_other("/login")


async def _login_needed(request: Request, exc: Exception) -> Response:
    return see_other("/login")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    titles = {403: "Доступ запрещён", 404: "Не найдено", 405: "Так нельзя"}
    return render(
        request,
        "error.html.j2",
        status_code=exc.status_code,
        title=titles.get(exc.status_code, "Ошибка"),
        detail=exc.detail if exc.status_code in (403, 404) else "Запрос не выполнен.",
    )


def create_app(engine: Engine, accounts: Accounts) -> Starlette:
    from web import (
        pages_admin,
        pages_deputy,
        pages_forecast,
        pages_operator,
        pages_plans,
        pages_sources,
        pages_teacher,
        pages_users,
    )

    routes: list[BaseRoute] = [
        Route("/", home),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login_post, methods=["POST"]),
        Route("/logout", logout_post, methods=["POST"]),
        *pages_deputy.ROUTES,
        *pages_teacher.ROUTES,
        *pages_forecast.ROUTES,
        *pages_operator.ROUTES,
        *pages_admin.ROUTES,
        *pages_plans.ROUTES,
        *pages_sources.ROUTES,
        *pages_users.ROUTES,
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=accounts.secret,
                session_cookie="sverka_session",
                max_age=8 * 3600,
                same_site="strict",
            )
        ],
        exception_handlers={LoginNeeded: _login_needed, HTTPException: _http_error},
    )
    app.state.engine = engine
    app.state.accounts = accounts
    return app
