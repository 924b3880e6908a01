"""The administrator's «add a source»: the form of ``sverka source add``, login first.

The settings file and the 0600 secrets file go to the sources folder beside the
accounts file (never into the store); the password is not kept anywhere else.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pipelines.settings import SettingsError
from pipelines.source_setup import SOURCES, LoginFailed, SourceAnswers, add_source
from web.app import call, engine_of, institution_zone, render
from web.session import checked_form, require
from web.users import Role

ADMIN = (Role.ADMIN,)


def sources_dir(request: Request) -> Path:
    folder: Path = request.app.state.accounts.path.parent / "sources"
    return folder


def _configured(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("sverka-*.toml")) if folder.is_dir() else []


async def sources_page(
    request: Request, message: str | None = None, error: str | None = None, status: int = 200
) -> Response:
    require(request, ADMIN)
    folder = sources_dir(request)
    return render(
        request,
        "admin_sources.html.j2",
        status_code=status,
        sources=SOURCES,
        configured=_configured(folder),
        folder=folder,
        tz=await call(institution_zone, engine_of(request)),
        message=message,
        error=error,
    )


async def add_post(request: Request) -> Response:
    require(request, ADMIN)
    form = await checked_form(request)
    source = str(form.get("source") or "")
    answers = SourceAnswers(
        source=source,
        url=str(form.get("url") or "").strip(),
        login=str(form.get("login") or "").strip(),
        timezone=str(form.get("timezone") or "").strip(),
        password=str(form.get("password") or ""),
        profile=str(form.get("profile") or "").strip(),
        tenant=str(form.get("tenant") or "").strip(),
        devkey=str(form.get("devkey") or ""),
        school=str(form.get("school") or "").strip(),
    )
    folder = sources_dir(request)
    config = folder / f"sverka-{source}.toml"
    try:
        # the same door as ``sverka source add``: log in with a trial copy, write on success only
        await call(add_source, answers, config, config.with_suffix(".secrets"))
    except LoginFailed as exc:
        reason = str(exc).rstrip(".")
        return await sources_page(
            request,
            error=f"Войти не удалось: {reason}. Настройки не записаны.",
            status=400,
        )
    except SettingsError as exc:
        return await sources_page(request, error=f"Источник не добавлен: {exc}.", status=400)
    title = SOURCES[source][1]
    return await sources_page(request, message=f"{title}: вход выполнен, настройки записаны.")


ROUTES = [
    Route("/admin/sources", sources_page),
    Route("/admin/sources", add_post, methods=["POST"]),
]
