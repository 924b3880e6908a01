"""The administrator's «add a source»: the form of ``sverka source add``, login first.

The settings file and the 0600 secrets file go to the sources folder beside the
accounts file (never into the store); the password is not kept anywhere else.  СМЭВ 3
(``sverka source add smev3``) is set up from the same form: its address, the organisation's
code in the registry, the signature (ЭП-ОВ with a key file on the server, or the emulator's
test one) and the key's password; a signed call is tried before anything is written.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pipelines.settings import SettingsError
from pipelines.source_setup import (
    SOURCES,
    LoginFailed,
    SourceAnswers,
    add_source,
    current_answers,
    edit_source,
)
from web.app import call, engine_of, institution_zone, render
from web.session import checked_form, require
from web.users import Role

ADMIN = (Role.ADMIN,)


def sources_dir(request: Request) -> Path:
    folder: Path = request.app.state.accounts.path.parent / "sources"
    return folder


def _configured(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("sverka-*.toml")) if folder.is_dir() else []


def _editable(folder: Path) -> list[tuple[str, str, str]]:
    """(source, address, login) of each configured journal source, for its edit form."""
    found = []
    for source in SOURCES:
        config = folder / f"sverka-{source}.toml"
        if not config.is_file():
            continue
        try:
            answers, _ = current_answers(source, config)
        except SettingsError:
            continue  # a broken file is fixed by adding the source again
        found.append((source, answers.url, answers.login))
    return found


async def sources_page(
    request: Request, message: str | None = None, error: str | None = None, status: int = 200
) -> Response:
    from pipelines.source_setup_smev3 import SIGNERS, SMEV3_TITLE

    require(request, ADMIN)
    folder = sources_dir(request)
    return render(
        request,
        "admin_sources.html.j2",
        status_code=status,
        sources={**SOURCES, "smev3": ("", SMEV3_TITLE)},
        signers=SIGNERS,
        configured=_configured(folder),
        editable=await call(_editable, folder),
        folder=folder,
        tz=await call(institution_zone, engine_of(request)),
        message=message,
        error=error,
    )


async def add_post(request: Request) -> Response:
    require(request, ADMIN)
    form = await checked_form(request)
    source = str(form.get("source") or "")
    if source == "smev3":
        return await _add_smev3(request, {k: str(v) for k, v in form.items()})
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


async def _add_smev3(request: Request, form: dict[str, str]) -> Response:
    """СМЭВ 3 from the form: the same checks and trial call as ``sverka source add smev3``."""
    from pipelines.source_setup_smev3 import SMEV3_TITLE, Smev3Answers, add_smev3

    answers = Smev3Answers(
        url=form.get("url", "").strip(),
        org_code=form.get("org_code", "").strip(),
        timezone=form.get("timezone", "").strip(),
        signer=form.get("signer", "gost").strip(),
        key_file=form.get("key_file", "").strip(),
        key_password=form.get("password", ""),
        profile=form.get("profile", "").strip(),
    )
    config = sources_dir(request) / "sverka-smev3.toml"
    try:
        await call(add_smev3, answers, config, config.with_suffix(".secrets"))
    except LoginFailed as exc:
        reason = str(exc).rstrip(".")
        return await sources_page(
            request, error=f"Подключиться не удалось: {reason}. Настройки не записаны.", status=400
        )
    except SettingsError as exc:
        return await sources_page(request, error=f"Источник не добавлен: {exc}.", status=400)
    return await sources_page(
        request, message=f"{SMEV3_TITLE}: СМЭВ принял подпись, настройки записаны."
    )


async def edit_post(request: Request) -> Response:
    """Change a source's address and login (the password only when typed), login first."""
    require(request, ADMIN)
    form = await checked_form(request)
    source = str(form.get("source") or "")
    if source not in SOURCES:
        return await sources_page(
            request, error="Такого источника нет среди настроенных.", status=400
        )
    config = sources_dir(request) / f"sverka-{source}.toml"
    if not config.is_file():
        return await sources_page(
            request, error="Этот источник ещё не настроен: сначала добавьте его.", status=400
        )
    try:
        await call(
            edit_source,
            config,
            source,
            str(form.get("url") or ""),
            str(form.get("login") or ""),
            str(form.get("password") or ""),
        )
    except LoginFailed as exc:
        reason = str(exc).rstrip(".")
        return await sources_page(
            request, error=f"Войти не удалось: {reason}. Настройки не изменены.", status=400
        )
    except SettingsError as exc:
        return await sources_page(request, error=f"Источник не изменён: {exc}.", status=400)
    title = SOURCES[source][1]
    return await sources_page(request, message=f"{title}: вход выполнен, настройки изменены.")


ROUTES = [
    Route("/admin/sources", sources_page),
    Route("/admin/sources", add_post, methods=["POST"]),
    Route("/admin/sources/edit", edit_post, methods=["POST"]),
]
