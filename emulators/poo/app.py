"""The emulator's HTTP surface: Starlette routes for the ПОО API plus a small control API.

Routes under ``/services/`` are the vendor's; ``/x-emulator/`` is ours (clock,
fault knobs, session expiry, counters) and no real host has it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from emulators.poo import render
from emulators.poo.faults import Faults
from emulators.poo.formats import optional_date, wire_datetime
from emulators.poo.ids import Ids
from emulators.poo.sessions import (
    AUTH_COOKIE,
    CULTURE_COOKIE,
    SESSION_COOKIE,
    UID_COOKIE,
    Account,
    Session,
    SessionStore,
    accounts_from,
    token_from_cookies,
)
from emulators.poo.state import PooState
from emulators.scenario.world import World

PERMISSION_NAMES = {
    200: "ViewGradebook",
    507: "ViewStudents",
    508: "ViewStudentsPersonalInfo",
    509: "ViewEmployees",
    700: "ViewReports",
}


@dataclass
class EmulatorConfig:
    world: World
    as_of: dt.datetime | None
    """The moment the data reflects; ``None``: the real time, advancing by the minute."""
    tenant: str = "spo_1"
    install_name: str = "Модуль ПОО (эмулятор)"
    faults: Faults = field(default_factory=Faults)
    session_idle_seconds: float = 1800.0


class Emulator:
    """Mutable emulator state shared by the routes and the control API."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.world = config.world
        self.ids = Ids(config.world)
        self._fixed: dt.datetime | None = config.as_of
        self.faults = config.faults
        self.sessions = SessionStore(idle_seconds=config.session_idle_seconds)
        self.accounts: dict[str, Account] = accounts_from(config.world.accounts)
        self.requests = 0
        self.requests_by_path: dict[str, int] = {}
        self._state: PooState | None = None
        self._lock = threading.Lock()

    def state(self) -> PooState:
        with self._lock:
            moment = self.clock
            if self._state is None or self._state.moment != moment:
                self._state = PooState(self.world, self.ids, moment)
            return self._state

    @property
    def clock(self) -> dt.datetime:
        if self._fixed is not None:
            return self._fixed
        return dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)

    def set_clock(self, moment: dt.datetime | None) -> None:
        """Fix the clock at ``moment`` (aware), or let it follow real time (``None``)."""
        if moment is not None and moment.tzinfo is None:
            raise ValueError("clock needs a time zone")
        self._fixed = moment

    def add_account(self, login: str, password: str, role: str, **extra: Any) -> None:
        self.accounts.update(
            accounts_from([{"login": login, "password": password, "role": role, **extra}])
        )


# -- answers in the vendor's error shapes -------------------------------------------------------


def status_error(code: int, message: str) -> JSONResponse:
    """401/409/500: ``{responseStatus: {message}}``."""
    return JSONResponse({"responseStatus": {"message": message}}, status_code=code)


def forbidden(permission: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"responseStatus": {"message": "Недостаточно прав для операции."}}
    if permission is not None:
        body["responseStatus"]["errorCode"] = PERMISSION_NAMES.get(permission, str(permission))
    return JSONResponse(body, status_code=403)


def not_found() -> JSONResponse:
    return status_error(404, "Действие не может быть выполнено: объект не найден.")


def lapsed(emulator: Emulator) -> Response:
    if emulator.faults.lapse == "redirect":
        return Response(status_code=302, headers={"Location": "/security/#/login"})
    return status_error(401, "Сеанс завершён. Войдите в систему заново.")


# -- the fault wrapper ---------------------------------------------------------------------------


class FaultLayer:
    """Raw ASGI so that a dropped connection is a real cut, not an error page."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/services/"):
            await self.app(scope, receive, send)
            return
        emu = self.emulator
        emu.requests += 1
        key = scope["path"]
        emu.requests_by_path[key] = emu.requests_by_path.get(key, 0) + 1
        faults = emu.faults
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.outage_after and emu.requests > faults.outage_after:
            await status_error(503, "Сервис временно недоступен.")(scope, receive, send)
            return
        action = faults.draw()
        if action == "ok":
            await self.app(scope, receive, send)
            return
        if action == "drop":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", b"4096"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b'{"id": 1,', "more_body": False})
            return
        if action == "error":
            response: Response = status_error(500, "Внутренняя ошибка сервера.")
        elif action == "throttle":
            response = status_error(429, "Слишком много запросов.")
            response.headers["Retry-After"] = str(faults.retry_after)
        else:
            response = Response(
                b'{"lessons": [{"id": 1, "date": "2026-',
                media_type="application/json; charset=utf-8",
            )
        await response(scope, receive, send)


# -- routes ---------------------------------------------------------------------------------------

Handler = Callable[[Request], Awaitable[Response]]


def build_routes(emu: Emulator) -> list[Route]:
    def session_of(request: Request) -> Session | None:
        return emu.sessions.get(token_from_cookies(request.cookies))

    def authed(permission: int | None = None) -> Callable[[Handler], Handler]:
        def wrap(handler: Handler) -> Handler:
            async def inner(request: Request) -> Response:
                session = session_of(request)
                if session is None:
                    return lapsed(emu)
                session.requests += 1
                limit = emu.faults.expire_after
                if limit and session.requests > limit:
                    emu.sessions.close(session.token)
                    return lapsed(emu)
                account = emu.accounts.get(session.login)
                if account is None:
                    return lapsed(emu)
                if permission is not None and permission not in account.permissions:
                    return forbidden(permission)
                request.state.account = account
                return await handler(request)

            return inner

        return wrap

    def organization() -> dict[str, Any]:
        return render.organization(
            emu.state(),
            str(uuid.uuid5(uuid.NAMESPACE_URL, emu.config.tenant)),
            emu.config.world.meta,
        )

    def tenant_of(account: Account) -> dict[str, Any]:
        s = emu.state()
        person = s.persons.get(account.person_id or "", {})
        tenant: dict[str, Any] = {
            "firstName": person.get("first_name", account.login),
            "middleName": person.get("middle_name") or "",
            "lastName": person.get("last_name", ""),
            "isTrusted": True,
            "settings": {"organization": organization()},
        }
        if account.is_employee:
            tenant["employeeRole"] = {
                "id": s.ids.get("person", account.person_id) or 1,
                "permissions": list(account.permissions),
            }
        elif account.role == "student" and account.person_id:
            tenant["studentRole"] = _student_role(s, [account.person_id])
        elif account.role == "parent":
            children = list(account.children) or s.children_of.get(account.person_id or "", [])
            role = _student_role(s, children)
            tenant["parentRole"] = {"students": role["students"]}
            # asurso-api (P-ALEW `Spo`) requires `studentRole` of every account it logs in
            # with, a parent's too: the first child, as the parent SPA opens it.
            tenant["studentRole"] = role
        return tenant

    def tenants_body(account: Account) -> dict[str, Any]:
        return {
            "installName": emu.config.install_name,
            "localNetwork": False,
            "tenantName": emu.config.tenant,
            "tenants": {emu.config.tenant: tenant_of(account)},
        }

    async def security_page(request: Request) -> Response:
        response = HTMLResponse("<!doctype html><title>Вход</title><div ng-app='security'></div>")
        response.set_cookie(CULTURE_COOKIE, "c%3Dru%7Cuic%3Dru", path="/")
        return response

    async def login(request: Request) -> Response:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return JSONResponse({"errors": {"body": ["Некорректный запрос."]}}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"errors": {"body": ["Некорректный запрос."]}}, status_code=400)
        errors = {
            name: ["Поле обязательно для заполнения."]
            for name in ("login", "password")
            if not body.get(name)
        }
        if errors:
            return JSONResponse({"errors": errors}, status_code=400)
        account = emu.accounts.get(str(body["login"]))
        if account is None or account.password_hash != body["password"]:
            return status_error(401, "Неверный логин или пароль.")
        cap = emu.faults.session_cap
        if cap and emu.sessions.live_for(account.login) >= cap:
            return status_error(
                401, "Превышено допустимое число одновременных сеансов (session limit exceeded)."
            )
        session = emu.sessions.open(account.login, emu.config.tenant)
        if emu.faults.login_body == "empty" and account.is_employee:
            response: Response = Response(status_code=200)
        else:
            response = JSONResponse(tenants_body(account))
        response.set_cookie(UID_COOKIE, session.token[:16], path="/", httponly=True)
        if body.get("isRemember"):
            half = len(session.token) // 2
            response.set_cookie(AUTH_COOKIE, "chunks-2", path="/", httponly=True)
            response.set_cookie(f"{AUTH_COOKIE}C1", session.token[:half], path="/", httponly=True)
            response.set_cookie(f"{AUTH_COOKIE}C2", session.token[half:], path="/", httponly=True)
        else:
            response.set_cookie(SESSION_COOKIE, session.token, path="/", httponly=True)
        return response

    async def logout(request: Request) -> Response:
        token = token_from_cookies(request.cookies)
        if token:
            emu.sessions.close(token)
        response = Response(status_code=200)
        for name in (AUTH_COOKIE, f"{AUTH_COOKIE}C1", f"{AUTH_COOKIE}C2", SESSION_COOKIE):
            response.delete_cookie(name, path="/")
        return response

    @authed()
    async def account_settings(request: Request) -> Response:
        account: Account = request.state.account
        person = emu.state().persons.get(account.person_id or "", {})
        return JSONResponse(
            {
                "persons": [
                    {
                        "firstName": person.get("first_name", ""),
                        "middleName": person.get("middle_name") or "",
                        "lastName": person.get("last_name", ""),
                        "login": account.login,
                        "phone": person.get("phone"),
                        "birthday": wire_datetime(optional_date(person.get("birth_date"))),
                        "isTrusted": True,
                        "isEsiaBound": False,
                        "orgId": organization()["organizationId"],
                    }
                ]
            }
        )

    @authed()
    async def get_tenants(request: Request) -> Response:
        return JSONResponse(tenants_body(request.state.account)["tenants"])

    @authed()
    async def switch_tenant(request: Request) -> Response:
        body = await request.json()
        if not isinstance(body, dict) or body.get("name") != emu.config.tenant:
            return JSONResponse({"errors": {"name": ["Организация не найдена."]}}, status_code=400)
        return Response(status_code=200)

    async def esia_settings(request: Request) -> Response:
        return JSONResponse(
            {"isAvailable": False, "loginUrl": "", "fromEsia": False, "esiaOnly": False,
             "useSaml": False}
        )  # fmt: skip

    async def version(request: Request) -> Response:
        return JSONResponse({"version": f"{emu.faults.server_version}.1.0"})

    async def system_info(request: Request) -> Response:
        return JSONResponse(
            {
                "title": [
                    {"language_code": "ru", "value": "Сетевой город. Образование. Модуль ПОО"},
                    {"language_code": "en", "value": "NetCity. Education"},
                ],
                "defaultLanguage": "ru",
                "availableLanguages": [{"key": "ru", "value": "Русский"}],
                "importEncoding": "windows-1251",
                "areChatsEnabled": True,
                "isFileStorageAvailable": False,
                "isSupplementaryEducationCertificatesAvailable": False,
                "isEditStudentFactualHoursAvailableForOrganization": False,
                "isFactualHoursAvailableSystemwide": False,
                "isErnEnabled": False,
                "isEmploymentEnabled": False,
                "isReportsMenuEnabled": True,
                "isPortfolioMenuEnabled": False,
                "isAdministrationMenuEnabled": False,
                "isOrgLicenseEnabled": False,
                "isOrgDetailsEnabled": False,
                "lessonsMenu": {"isEnabled": True, "sessionTableEnabled": True,
                                "examinationEnabled": True, "profModuleExaminationEnabled": True,
                                "courseworksEnabled": True},
                "educationMenu": {"isEnabled": True, "workingProgramsEnabled": True},
                "usersMenu": {"isEnabled": True, "enrolleesEnabled": False,
                              "parentsEnabled": True, "expelledStudentsEnabled": True,
                              "departmentsEnabled": True},
                "foreignInstallation": {"isEnabled": False},
            }
        )  # fmt: skip

    @authed()
    async def organization_route(request: Request) -> Response:
        return JSONResponse(organization())

    @authed()
    async def chats(request: Request) -> Response:
        account: Account = request.state.account
        s = emu.state()
        if account.role == "student" and account.person_id:
            return JSONResponse(render.chats(s, [account.person_id], "GroupChat"))
        if account.role == "parent":
            children = list(account.children) or s.children_of.get(account.person_id or "", [])
            return JSONResponse(render.chats(s, children, "ParentChat"))
        return JSONResponse([])

    @authed()
    async def news(request: Request) -> Response:
        return JSONResponse([])

    @authed()
    async def departments(request: Request) -> Response:
        return JSONResponse(render.departments(emu.state()))

    @authed()
    async def student_groups(request: Request) -> Response:
        return JSONResponse(render.student_groups(emu.state()))

    @authed(509)
    async def employees(request: Request) -> Response:
        return JSONResponse(render.employees(emu.state()))

    @authed(507)
    async def students(request: Request) -> Response:
        q = request.query_params
        active_text = q.get("isActive")
        is_active = None if active_text is None else active_text.lower() == "true"
        try:
            page_index = int(q.get("pageIndex", "0"))
            page_size = int(q.get("pageSize", "50"))
        except ValueError:
            return JSONResponse({"errors": {"pageIndex": ["Должно быть числом."]}}, status_code=400)
        if page_size <= 0 or page_size > 500 or page_index < 0:
            return JSONResponse(
                {"errors": {"pageSize": ["Размер страницы от 1 до 500."]}}, status_code=400
            )
        return JSONResponse(
            render.students_page(
                emu.state(),
                is_active=is_active,
                order_by=q.get("orderBy", "+fullName"),
                page_index=page_index,
                page_size=page_size,
            )
        )

    def student_id_param(request: Request) -> str | None:
        s = emu.state()
        try:
            number = int(request.path_params["student_id"])
        except ValueError:
            return None
        sid = s.ids.back("person", number)
        return sid if sid in s.students else None

    @authed(507)
    async def student_card(request: Request) -> Response:
        sid = student_id_param(request)
        if sid is None:
            return not_found()
        account: Account = request.state.account
        return JSONResponse(
            render.student_card(emu.state(), sid, personal=508 in account.permissions)
        )

    @authed(200)
    async def gradebook_groups(request: Request) -> Response:
        return JSONResponse(render.gradebook_groups(emu.state()))

    def group_param(request: Request) -> str | None:
        try:
            number = int(request.path_params["group_id"])
        except ValueError:
            return None
        gid = emu.ids.back("group", number)
        return gid if gid in emu.state().groups else None

    @authed(200)
    async def gradebook_entries(request: Request) -> Response:
        gid = group_param(request)
        if gid is None:
            return not_found()
        return JSONResponse(render.gradebook_entries(emu.state(), gid))

    @authed(200)
    async def gradebook_subject(request: Request) -> Response:
        s = emu.state()
        try:
            gradebook_id = int(request.path_params["gradebook_id"])
            subject_pid = int(request.path_params["subject_id"])
        except ValueError:
            return not_found()
        found = render.resolve_gradebook(s, gradebook_id)
        subject_id = s.ids.back("subject", subject_pid)
        if found is None or subject_id not in s.subjects:
            return not_found()
        group_id, period = found
        return JSONResponse(
            render.gradebook_subject(
                s, group_id, period, subject_id, gradebook_id, emu.faults.server_version
            )
        )

    @authed(700)
    async def group_attestation(request: Request) -> Response:
        s = emu.state()
        gid = group_param(request)
        if gid is None:
            return not_found()
        period = None
        if "gradebookId" in request.query_params:
            found = render.resolve_gradebook(s, int(request.query_params["gradebookId"]))
            if found is None or found[0] != gid:
                return not_found()
            period = found[1]
        else:
            period = s.period_on(gid, s.today) or next(iter(s.group_periods(gid)[-1:]), None)
        if period is None:
            return not_found()
        return JSONResponse(render.group_attestation(s, gid, period))

    def may_see(account: Account, sid: str) -> bool:
        if 507 in account.permissions:
            return True
        if account.role == "student":
            return account.person_id == sid
        if account.role == "parent":
            children = account.children or tuple(
                emu.state().children_of.get(account.person_id or "", [])
            )
            return sid in children
        return False

    def own_student(handler: Callable[[Request, str], Awaitable[Response]]) -> Handler:
        @authed()
        async def inner(request: Request) -> Response:
            sid = student_id_param(request)
            if sid is None:
                return not_found()
            if not may_see(request.state.account, sid):
                return forbidden()
            return await handler(request, sid)

        return inner

    @own_student
    async def student_lessons(request: Request, sid: str) -> Response:
        try:
            start = dt.date.fromisoformat(request.path_params["start"])
            end = dt.date.fromisoformat(request.path_params["end"])
        except ValueError:
            return JSONResponse(
                {"errors": {"date": ["Дата в формате ГГГГ-ММ-ДД."]}}, status_code=400
            )
        if end < start or (end - start).days > 62:
            return JSONResponse({"errors": {"date": ["Некорректный период."]}}, status_code=400)
        return JSONResponse(
            render.student_lessons(emu.state(), sid, start, end, emu.faults.server_version)
        )

    @own_student
    async def performance(request: Request, sid: str) -> Response:
        return JSONResponse(render.performance(emu.state(), sid))

    @own_student
    async def dashboard(request: Request, sid: str) -> Response:
        return JSONResponse(render.dashboard(emu.state(), sid))

    @own_student
    async def attestation(request: Request, sid: str) -> Response:
        return JSONResponse(render.attestation(emu.state(), sid))

    @own_student
    async def attestation_for_student(request: Request, sid: str) -> Response:
        s = emu.state()
        gid = s.group_of_on(sid, s.today)
        period = s.period_on(gid, s.today) if gid else None
        if gid is None or period is None:
            return not_found()
        return JSONResponse(render.group_attestation(s, gid, period))

    # -- control (ours) --
    async def control(request: Request) -> Response:
        if request.method == "PUT":
            try:
                emu.faults.update(await request.json())
            except (KeyError, TypeError, ValueError) as exc:
                return JSONResponse({"error": f"unknown knob {exc}"}, status_code=400)
        return JSONResponse(emu.faults.as_dict())

    async def clock(request: Request) -> Response:
        if request.method == "PUT":
            body = await request.json()
            try:
                now = body["now"]
                emu.set_clock(dt.datetime.fromisoformat(now) if now else None)
            except (KeyError, ValueError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"now": emu.clock.isoformat()})

    async def expire(request: Request) -> Response:
        login_name = request.query_params.get("login")
        return JSONResponse({"expired": emu.sessions.expire_all(login_name)})

    async def stats(request: Request) -> Response:
        return JSONResponse(
            {"requests": emu.requests, "sessions": len(emu.sessions.sessions),
             "byPath": emu.requests_by_path}
        )  # fmt: skip

    sec = "/services/security"
    return [
        Route("/security/", security_page),
        Route(f"{sec}/login", login, methods=["POST"]),
        Route(f"{sec}/logout", logout, methods=["DELETE", "POST"]),
        Route(f"{sec}/account-settings", account_settings),
        Route(f"{sec}/get-tenants", get_tenants),
        Route(f"{sec}/switch-tenant", switch_tenant, methods=["PUT"]),
        Route(f"{sec}/esia-settings", esia_settings),
        Route(f"{sec}/version", version),
        Route("/services/people/system/info", system_info),
        Route("/services/people/organization", organization_route),
        Route("/services/people/organization/news/last/{n:int}", news),
        Route("/integration/chatManagement/chats/current", chats),
        Route("/services/people/departments/all", departments),
        Route("/services/people/student-groups/all", student_groups),
        Route("/services/people/employees/all", employees),
        Route("/services/people/students", students),
        Route("/services/people/students/{student_id}", student_card),
        Route("/services/journal/gradebook/student-groups", gradebook_groups),
        Route("/services/journal/gradebook/{group_id}/entries", gradebook_entries),
        Route(
            "/services/journal/gradebook/{gradebook_id}/subjects/{subject_id}", gradebook_subject
        ),
        Route("/services/reports/curator/group-attestation/{group_id}", group_attestation),
        Route(
            "/services/reports/curator/group-attestation-for-student/{student_id}",
            attestation_for_student,
        ),
        Route("/services/reports/current/performance/{student_id}", performance),
        Route("/services/students/{student_id}/lessons/{start}/{end}", student_lessons),
        Route("/services/students/{student_id}/dashboard", dashboard),
        Route("/services/students/{student_id}/attestation", attestation),
        Route("/x-emulator/control", control, methods=["GET", "PUT"]),
        Route("/x-emulator/clock", clock, methods=["GET", "PUT"]),
        Route("/x-emulator/sessions/expire", expire, methods=["POST"]),
        Route("/x-emulator/stats", stats),
    ]


def _student_role(s: PooState, student_ids: list[str]) -> dict[str, Any]:
    students = []
    for sid in student_ids:
        person = s.students.get(sid)
        if person is None:
            continue
        episode = s.current_episode(sid)
        group = s.groups.get(episode.group_id, {}) if episode else {}
        students.append(
            {
                "id": s.ids.of("person", sid),
                "firstName": person.get("first_name", ""),
                "middleName": person.get("middle_name") or "",
                "lastName": person.get("last_name", ""),
                "groupId": s.ids.get("group", episode.group_id) if episode else None,
                "groupName": group.get("name"),
            }
        )
    first = students[0] if students else {}
    return {"id": first.get("id"), "studentGroupId": first.get("groupId"), "students": students}


def create_app(config: EmulatorConfig) -> tuple[ASGIApp, Emulator]:
    """The ASGI app and the handle tests use to move the clock and turn knobs."""
    emulator = Emulator(config)
    app = Starlette(routes=build_routes(emulator))
    return FaultLayer(app, emulator), emulator
