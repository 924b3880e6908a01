"""The NetSchool emulator's HTTP surface (Starlette).

Paths, field names and quirks follow docs/protocols/netschool.md; shapes no
public source gives are ours and documented in
docs/protocols/netschool-emulated.md.  The emulator answers as of its clock:
the HTTP ``Date`` header carries that clock, so a client can tell which moment
the data reflects.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulators.netschool.faults import FaultInjector, Faults
from emulators.netschool.school import (
    ROLE_NAMES,
    STAFF_ROLES,
    Account,
    ClassMeeting,
    School,
    SubjectGroup,
    build_school,
    full_name,
    short_name,
)
from emulators.scenario.world import World

WRONG_CREDENTIALS = "Неправильный пароль или имя пользователя"
MOBILE_CLIENT_ID = "parent-mobile"
GRADING_SYS = {"id": 1, "name": "Пятибалльная"}
EDIT_LIMIT = {"limitPastEditHomeAssigns": None, "attendanceReleasedMarkAllowed": True}
MARK_SETTINGS = {"minMark": 1, "maxMark": 5}


def version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


def d(value: dt.date | None) -> str | None:
    """NetSchool's date format: local midnight, no offset."""
    return None if value is None else f"{value.isoformat()}T00:00:00"


def ts(value: dt.datetime | None) -> str | None:
    return None if value is None else value.replace(microsecond=0).isoformat()


def hm(value: dt.time | None) -> str | None:
    return None if value is None else value.strftime("%H:%M")


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@dataclass
class Session:
    at: str
    esrnsec: str
    account: Account
    started: float
    timeout: int
    requests: int = 0


@dataclass
class PendingLogin:
    lt: str
    ver: str
    salt: str


@dataclass
class EmulatorState:
    """Everything mutable about a running emulator: clock, knobs, sessions, counters."""

    world: World
    faults: Faults
    as_of: dt.datetime | None
    """The frozen clock; ``None`` follows real time."""
    pending: dict[str, PendingLogin] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    pincodes: dict[int, Account] = field(default_factory=dict)
    bearer: dict[str, Account] = field(default_factory=dict)
    refresh: dict[str, Account] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    _school: School | None = None
    _school_at: dt.datetime | None = None

    def now(self) -> dt.datetime:
        if self.as_of is not None:
            return self.as_of
        return dt.datetime.now(dt.UTC).replace(microsecond=0)

    def school(self) -> School:
        moment = self.now()
        if self.as_of is None:
            # A live clock re-renders the world at most once a minute.
            moment = moment.replace(second=0)
        if self._school is None or self._school_at != moment:
            self._school = build_school(self.world, moment)
            self._school_at = moment
        return self._school

    def set_clock(self, moment: dt.datetime | None) -> None:
        if moment is not None and moment.tzinfo is None:
            raise ValueError("момент без часового пояса")
        self.as_of = moment


class Denied(Exception):
    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status, headers=headers, media_type="application/json; charset=utf-8")


def _error(status: int, message: str) -> Response:
    return _json({"message": message}, status)


RELATIONSHIPS = {"mother": "Mother", "father": "Father", "guardian": "Guardian"}
"""Scenario relation → the card's ``relationshipType`` (our design; ``Parent`` otherwise)."""


def create_app(state: EmulatorState) -> ASGIApp:
    """The full ASGI app: routes, fault injection and the clock's ``Date`` header."""
    api = _Api(state)
    routes = [
        Route("/webapi/logindata", api.logindata),
        Route("/webapi/auth/getdata", api.getdata, methods=["POST"]),
        Route("/webapi/login", api.login, methods=["POST"]),
        Route("/webapi/auth/logout", api.logout, methods=["POST", "GET"]),
        Route("/asp/logout.asp", api.asp_logout, methods=["POST"]),
        Route("/webapi/schools/search", api.schools_search),
        Route("/webapi/schools/{school_id:int}/card", api.school_card),
        Route("/webapi/context", api.context),
        Route("/webapi/context/expired", api.context_expired),
        Route("/webapi/sysInfo", api.sys_info),
        Route("/webapi/years/current", api.years_current),
        Route("/webapi/years", api.years),
        Route("/webapi/terms", api.terms),
        Route("/webapi/calendar/vacations", api.vacations),
        Route("/webapi/classes", api.classes),
        Route("/webapi/subjects", api.subjects),
        Route("/webapi/grade/assignment/types", api.assignment_types),
        Route("/webapi/users/staff/registry", api.staff_registry, methods=["POST"]),
        Route("/webapi/userinfo/{user_id:int}/parents", api.student_parents),
        Route("/webapi/grade/journal/filter/init", api.journal_filter_init),
        Route("/webapi/grade/studentList", api.student_list),
        Route("/webapi/grade/journal", api.journal),
        Route("/webapi/grade/journal/short", api.journal_short),
        Route("/webapi/grade/journal/edit", api.journal_edit),
        Route("/webapi/student/diary/init", api.diary_init),
        Route("/webapi/student/diary", api.diary),
        Route("/webapi/student/diary/pastMandatory", api.past_mandatory),
        Route("/webapi/student/diary/assigns/{assign_id:int}", api.diary_assign),
        Route("/webapi/student/diary/get-attachments", api.get_attachments, methods=["POST"]),
        Route("/webapi/announcements", api.announcements),
        Route("/webapi/mysettings/mobile/pincode", api.pincode),
        Route("/connect/token", api.connect_token, methods=["POST"]),
        Route("/api/mobile/users", api.mobile_users),
        Route("/api/mobile/classmeetings", api.mobile_classmeetings),
        Route("/api/mobile/assignments", api.mobile_assignments),
        Route("/_emulator/control", api.control, methods=["GET", "POST"]),
        Route("/_emulator/stats", api.stats),
    ]
    app = Starlette(routes=routes, exception_handlers={Denied: _denied})
    return _ClockHeader(_Counting(FaultInjector(app, state.faults), state), state)


async def _denied(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Denied)
    if exc.status == 401:
        return Response(b"", 401)
    return _error(exc.status, exc.message)


class _Counting:
    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.state.hits[scope["path"]] += 1
        await self.app(scope, receive, send)


class _ClockHeader:
    """Every answer's ``Date`` is the emulator's clock, not the host's."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        stamp = email.utils.format_datetime(self.state.now().astimezone(dt.UTC), usegmt=True)

        async def with_date(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                headers.append((b"date", stamp.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_date)


class _Api:
    def __init__(self, state: EmulatorState) -> None:
        self.s = state

    # ----- helpers -------------------------------------------------------------

    def _version(self) -> tuple[int, ...]:
        return version_tuple(self.s.faults.version)

    def _session(self, request: Request) -> Session:
        at = request.headers.get("at") or request.query_params.get("at") or ""
        session = self.s.sessions.get(at)
        if session is None:
            raise Denied(401)
        if request.cookies.get("ESRNSec") != session.esrnsec:
            raise Denied(401)
        expired = time.monotonic() - session.started > session.timeout
        limit = self.s.faults.session_expiry_after
        if expired or (limit and session.requests >= limit):
            del self.s.sessions[at]
            raise Denied(401)
        session.requests += 1
        return session

    def _staff(self, request: Request) -> tuple[Session, School]:
        session = self._session(request)
        if not set(session.account.roles) & STAFF_ROLES:
            raise Denied(403, "Недостаточно прав для просмотра журнала")
        return session, self.s.school()

    def _students_of(self, account: Account, school: School) -> list[int]:
        if "student" in account.roles:
            return [account.person_id]
        return list(school.children.get(account.person_id, []))

    def _own_student(self, request: Request, key: str = "studentId") -> tuple[int, School]:
        session = self._session(request)
        school = self.s.school()
        try:
            student = int(request.query_params.get(key, ""))
        except ValueError:
            raise Denied(400, f"Не указан параметр {key}") from None
        allowed = self._students_of(session.account, school)
        if student not in allowed and not set(session.account.roles) & STAFF_ROLES:
            raise Denied(403, "Нет доступа к данным этого ученика")
        return student, school

    @staticmethod
    def _date_param(request: Request, name: str) -> dt.date | None:
        value = request.query_params.get(name)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            raise Denied(400, f"Неверный формат даты в параметре {name}") from None

    def _person_short(self, school: School, pid: int) -> dict[str, Any]:
        return {"id": pid, "name": short_name(school.people.get(pid, {}))}

    # ----- login ---------------------------------------------------------------

    async def logindata(self, request: Request) -> Response:
        response = _json(
            {
                "productName": "Сетевой Город. Образование",
                "version": self.s.faults.version,
                "schoolLogin": True,
                "emLogin": False,
                "esiaLogin": True,
                "esiaLoginPage": "",
                "esiaMainAuth": False,
                "esiaButton": True,
                "signatureLogin": False,
                "cacheVer": "768253229",
                "windowsAuth": False,
                "enableSms": False,
                "esaLogin": False,
                "esaLoginPage": "",
            }
        )
        if "NSSESSIONID" not in request.cookies:
            response.set_cookie("NSSESSIONID", secrets.token_hex(16), path="/", httponly=True)
        return response

    async def getdata(self, request: Request) -> Response:
        sid = request.cookies.get("NSSESSIONID") or secrets.token_hex(16)
        pending = PendingLogin(
            lt=str(secrets.randbelow(9 * 10**9) + 10**9),
            ver=str(secrets.randbelow(9 * 10**8) + 10**8),
            salt=str(secrets.randbelow(9 * 10**9) + 10**9),
        )
        self.s.pending[sid] = pending
        response = _json({"lt": pending.lt, "ver": pending.ver, "salt": pending.salt})
        if "NSSESSIONID" not in request.cookies:
            response.set_cookie("NSSESSIONID", sid, path="/", httponly=True)
        return response

    async def login(self, request: Request) -> Response:
        body = (await request.body()).decode("utf-8", "replace")
        form = {k.lower(): v for k, v in parse_qsl(body, keep_blank_values=True)}
        for k, v in request.query_params.items():
            form.setdefault(k.lower(), v)
        old_style = self._version() < (5, 0)
        fail_status = 200 if old_style else 409

        pending = self.s.pending.get(request.cookies.get("NSSESSIONID", ""))
        if pending is None or form.get("lt") != pending.lt:
            return _error(fail_status, "Сеанс входа устарел. Обновите страницу и повторите вход.")
        school = self.s.school()
        if form.get("scid") and form["scid"] != str(school.id):
            return _error(fail_status, "Образовательная организация не найдена")
        account = school.accounts.get(form.get("un", "").lower())
        if account is None or not _password_matches(account.password, pending.salt, form):
            return _error(fail_status, WRONG_CREDENTIALS)
        del self.s.pending[request.cookies["NSSESSIONID"]]
        at = "".join(str(secrets.randbelow(10)) for _ in range(26))
        session = Session(
            at=at,
            esrnsec=secrets.token_hex(12),
            account=account,
            started=time.monotonic(),
            timeout=self.s.faults.session_timeout,
        )
        self.s.sessions[at] = session
        person = school.people.get(account.person_id, {})
        role_names = [ROLE_NAMES.get(r, r) for r in account.roles]
        response = _json(
            {
                "at": at,
                "code": None,
                "timeOut": session.timeout * 1000,
                "accessToken": None,
                "refreshToken": None,
                "tokenType": None,
                "accountInfo": {
                    "activeToken": None,
                    "secureActiveToken": secrets.token_hex(16),
                    "currentOrganization": {"id": school.id, "name": school.short_name},
                    "user": {"id": account.person_id, "name": short_name(person)},
                    "userRoles": [
                        {
                            "userId": account.person_id,
                            "schoolId": school.id,
                            "role": {"id": i + 1, "name": name},
                        }
                        for i, name in enumerate(role_names)
                    ],
                    "organizations": [{"id": school.id, "name": school.name}],
                    "loginTime": ts(school.local(self.s.now())),
                    "active": True,
                    "canLogin": True,
                    "storeTokens": True,
                    "accessToken": None,
                },
                "entryPoint": "/angular/school/main/",
                "requestData": {},
                "errorMessage": None,
            }
        )
        response.set_cookie("ESRNSec", session.esrnsec, path="/", httponly=True)
        return response

    async def logout(self, request: Request) -> Response:
        if self._version() < (5, 29):
            return _error(404, "Not Found")
        return self._end_session(request)

    async def asp_logout(self, request: Request) -> Response:
        body = (await request.body()).decode("utf-8", "replace")
        form = {k.lower(): v for k, v in parse_qsl(body)}
        at = request.headers.get("at") or form.get("at", "")
        if self.s.sessions.pop(at, None) is None:
            return Response(b"", 401)
        return PlainTextResponse("OK")

    def _end_session(self, request: Request) -> Response:
        at = request.headers.get("at") or request.query_params.get("at") or ""
        if self.s.sessions.pop(at, None) is None:
            return Response(b"", 401)
        return Response(b"", 200)

    async def schools_search(self, request: Request) -> Response:
        name = request.query_params.get("name")
        if name is None and self._version() >= (5, 30):
            return _error(403, "Доступ запрещён: укажите часть названия организации (name)")
        school = self.s.school()
        entry = {
            "id": school.id,
            "name": school.name,
            "shortName": school.short_name,
            "addressString": "",
            "inn": None,
            "ogrn": None,
            "cityId": None,
            "provinceId": None,
            "address": None,
        }
        match = name is None or name.lower() in (school.name + school.short_name).lower()
        return _json([entry] if match else [])

    async def school_card(self, request: Request) -> Response:
        self._session(request)
        school = self.s.school()
        return _json(
            {
                "commonInfo": {
                    "schoolName": school.short_name,
                    "fullSchoolName": school.name,
                    "about": "",
                    "schoolNumber": "",
                },
                "contactInfo": {
                    "juridicalAddress": "",
                    "postAddress": "",
                    "email": "",
                    "web": "",
                    "phones": "",
                    "fax": "",
                    "cityName": "",
                },
                "managementInfo": {
                    "director": "",
                    "principalUVR": "",
                    "principalAHC": "",
                    "principalIT": "",
                    "collegiateManagement": "",
                },
                "otherInfo": {},
            }
        )

    # ----- context and structure ----------------------------------------------

    async def context(self, request: Request) -> Response:
        session = self._session(request)
        school = self.s.school()
        year = school.year or {}
        return _json(
            {
                "at": session.at,
                "user": {
                    "id": session.account.person_id,
                    "name": short_name(school.people.get(session.account.person_id, {})),
                },
                "userId": session.account.person_id,
                "schoolId": school.id,
                "roles": [ROLE_NAMES.get(r, r) for r in session.account.roles],
                "rights": [],
                "version": self.s.faults.version,
                "funcType": "School",
                "dateFormat": "dd.MM.yyyy",
                "timeFormat": "HH:mm",
                "schoolyear": {
                    "id": year.get("id"),
                    "name": year.get("name"),
                    "closed": False,
                    "startDate": d(year.get("startDate")),
                    "endDate": d(year.get("endDate")),
                    "schoolId": school.id,
                },
                "schoolYearId": year.get("id"),
                "globalYearId": year.get("id"),
                "userLanguage": "ru",
                "organization": {"id": school.id, "name": school.short_name},
                "organizationName": school.name,
                "productName": "Сетевой Город. Образование",
                "emId": None,
                "versionDate": None,
            }
        )

    async def context_expired(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        return _json(token not in self.s.sessions)

    async def sys_info(self, request: Request) -> Response:
        school = self.s.school()
        return PlainTextResponse(f"Id: {school.id}\nВерсия системы: {self.s.faults.version}\n")

    def _year_body(self, school: School) -> dict[str, Any] | None:
        y = school.year
        if y is None:
            return None
        return {
            "id": y["id"],
            "name": y["name"],
            "startDate": d(y["startDate"]),
            "endDate": d(y["endDate"]),
            "schoolId": school.id,
            "closed": False,
        }

    async def years_current(self, request: Request) -> Response:
        self._session(request)
        return _json(self._year_body(self.s.school()))

    async def years(self, request: Request) -> Response:
        self._session(request)
        y = self.s.school().year
        return _json([] if y is None else [{"id": y["id"], "name": y["name"]}])

    async def terms(self, request: Request) -> Response:
        _, school = self._staff(request)
        return _json(
            [
                {**t, "startDate": d(t["startDate"]), "endDate": d(t["endDate"])}
                for t in school.terms
            ]
        )

    async def vacations(self, request: Request) -> Response:
        _, school = self._staff(request)
        return _json(
            [
                {**v, "startTime": d(v["startTime"]), "endTime": d(v["endTime"])}
                for v in school.vacations
            ]
        )

    async def classes(self, request: Request) -> Response:
        _, school = self._staff(request)
        expand = "chiefs" in request.query_params.get("expand", "")
        out = []
        for cid, c in sorted(school.classes.items(), key=lambda i: i[1]["name"]):
            name = str(c["name"])
            grade = c.get("grade")
            letter = (
                name[len(str(grade)) :] if grade is not None and name.startswith(str(grade)) else ""
            )
            item: dict[str, Any] = {
                "id": cid,
                "name": name,
                "grade": {"id": grade, "name": str(grade)} if grade is not None else None,
                "letter": letter,
                "step": None,
                "iup": False,
                "funcType": "School",
                "profileId": None,
                "classType": {"id": 1, "name": "Общеобразовательный"},
                "plannedOccupancy": None,
                "hasClassNotWorkingTeacher": False,
            }
            if expand:
                item["chiefs"] = [self._person_short(school, p) for p in c["chiefs"]]
            out.append(item)
        return _json(out)

    async def subjects(self, request: Request) -> Response:
        _, school = self._staff(request)
        return _json(
            [
                {
                    "id": sid,
                    "name": s["name"],
                    "shortName": s["shortName"],
                    "globalSubject": None,
                    "order": i,
                    "extraCurricular": False,
                    "isModular": False,
                }
                for i, (sid, s) in enumerate(
                    sorted(school.subjects.items(), key=lambda x: x[1]["name"])
                )
            ]
        )

    async def assignment_types(self, request: Request) -> Response:
        self._session(request)
        school = self.s.school()
        return _json(sorted(school.types.values(), key=lambda t: (t["order"], t["id"])))

    async def staff_registry(self, request: Request) -> Response:
        _, school = self._staff(request)
        out = []
        for pid, person in sorted(school.people.items()):
            roles = school.roles.get(pid, set()) & STAFF_ROLES
            if not roles:
                continue
            out.append(
                {
                    "id": pid,
                    "lastName": person.get("last_name", ""),
                    "firstName": person.get("first_name", ""),
                    "middleName": person.get("middle_name") or "",
                    "fullName": full_name(person),
                    "roles": [ROLE_NAMES[r] for r in sorted(roles)],
                    "position": person.get("position"),
                }
            )
        return _json(out)

    async def student_parents(self, request: Request) -> Response:
        """A student's parents as the staff card shows them.  The path is the vendor's own
        (``UserInfoRepository.getStudentParents``); the body's fields are our design."""
        _, school = self._staff(request)
        student = int(request.path_params["user_id"])
        if student not in school.student_class and student not in school.parents:
            raise Denied(404, "Пользователь не найден")
        out = []
        for pid, relation in school.parents.get(student, []):
            person = school.people.get(pid)
            if person is None:
                continue
            out.append(
                {
                    "id": pid,
                    "lastName": person.get("last_name", ""),
                    "firstName": person.get("first_name", ""),
                    "middleName": person.get("middle_name") or "",
                    "relationshipType": RELATIONSHIPS.get(relation, "Parent"),
                }
            )
        return _json(out)

    # ----- staff journal -------------------------------------------------------

    async def journal_filter_init(self, request: Request) -> Response:
        _, school = self._staff(request)
        classes = sorted(school.classes.items(), key=lambda i: i[1]["name"])
        sgs = sorted(school.sgs.values(), key=lambda s: s.name)
        return _json(
            {
                "filterSources": [
                    {
                        "filterId": "PCLID_IUP",
                        "items": [{"title": c["name"], "value": f"{cid}_0"} for cid, c in classes],
                        "defaultValue": f"{classes[0][0]}_0" if classes else None,
                    },
                    {
                        "filterId": "SGID",
                        "items": [
                            {
                                "title": sg.name,
                                "value": str(sg.id),
                                "classId": sg.class_id,
                                "subjectId": sg.subject_id,
                                "subgroupName": sg.subgroup_name,
                                "teacherIds": sg.teacher_ids,
                            }
                            for sg in sgs
                        ],
                        "defaultValue": str(sgs[0].id) if sgs else None,
                    },
                    {
                        "filterId": "TERMID",
                        "items": [
                            {"title": t["termName"], "value": str(t["id"])} for t in school.terms
                        ],
                        "defaultValue": str(school.terms[0]["id"]) if school.terms else None,
                    },
                ]
            }
        )

    async def student_list(self, request: Request) -> Response:
        _, school = self._staff(request)
        q = request.query_params
        if "classId" in q:
            try:
                rows = school.class_students.get(int(q["classId"]), [])
            except ValueError:
                raise Denied(400, "Неверный параметр classId") from None
        elif "sgId" in q:
            try:
                sg = school.sgs.get(int(q["sgId"]))
            except ValueError:
                raise Denied(400, "Неверный параметр sgId") from None
            if sg is None:
                return _json([])
            rows = self._sg_rows(school, sg)
        else:
            raise Denied(400, "Укажите classId или sgId")
        return _json(self._student_items(school, rows))

    @staticmethod
    def _student_items(school: School, rows: list[tuple[int, bool]]) -> list[dict[str, Any]]:
        return [
            {
                "id": sid,
                "fullName": full_name(school.people.get(sid, {})),
                "free": free,
                "individualEduc": False,
            }
            for sid, free in sorted(rows, key=lambda r: full_name(school.people.get(r[0], {})))
        ]

    @staticmethod
    def _sg_rows(school: School, sg: SubjectGroup) -> list[tuple[int, bool]]:
        rows = school.class_students.get(sg.class_id, [])
        if sg.student_ids is not None:
            members = set(sg.student_ids)
            rows = [(sid, free) for sid, free in rows if sid in members]
        return rows

    def _meeting_brief(self, school: School, cm: ClassMeeting) -> dict[str, Any]:
        return {
            "id": cm.id,
            "date": d(cm.date),
            "scheduleTimeNumber": cm.number,
            "startTime": hm(cm.start),
            "endTime": hm(cm.end),
            "roomName": cm.room,
            "hours": cm.hours,
            "teachers": [self._person_short(school, t) for t in cm.teacher_ids],
        }

    async def journal_short(self, request: Request) -> Response:
        _, school = self._staff(request)
        q = request.query_params
        try:
            if "cmid" in q and "sgId" not in q:
                cm = school.meetings.get(int(q["cmid"]))
                sg_id = cm.sg_id if cm else 0
            else:
                sg_id = int(q.get("sgId", "0"))
        except ValueError:
            raise Denied(400, "Неверный параметр sgId или cmid") from None
        start = self._date_param(request, "weekStart")
        end = self._date_param(request, "weekEnd")
        term = next((t for t in school.terms if str(t["id"]) == q.get("termId")), None)
        if start is None and term is not None:
            start, end = term["startDate"], term["endDate"]
        meetings = [
            m
            for m in school.meetings_by_sg.get(sg_id, [])
            if (start is None or m.date >= start) and (end is None or m.date <= end)
        ]
        return _json(
            {
                "journals": [
                    {
                        "sgId": sg_id,
                        "classMeeting": [self._meeting_brief(school, m) for m in meetings],
                        "totals": self._totals(school, sg_id),
                        "avgMarks": [],
                        "gradingSys": GRADING_SYS,
                    }
                ],
                "editLimit": EDIT_LIMIT,
                "markSettings": MARK_SETTINGS,
            }
        )

    @staticmethod
    def _totals(school: School, sg_id: int) -> list[dict[str, Any]]:
        return [
            {**t, "resultDate": ts(t["resultDate"])}
            for t in sorted(
                school.totals.get(sg_id, []), key=lambda t: (t["termId"], t["studentId"])
            )
        ]

    async def journal(self, request: Request) -> Response:
        """The journal of one subject group for one term, as the journal page loads it
        (``grade/journal?yearId&classId&grade&sgId&termId``): every class meeting of the
        term with its topic, attendance, assignments and results, in one answer."""
        _, school = self._staff(request)
        q = request.query_params
        try:
            sg = school.sgs.get(int(q.get("sgId", "")))
        except ValueError:
            raise Denied(400, "Неверный параметр sgId") from None
        term = next((t for t in school.terms if str(t["id"]) == q.get("termId")), None)
        if term is None:
            raise Denied(400, "Неверный параметр termId")
        if sg is None:
            return _error(404, "Предметная группа не найдена")
        start, end = term["startDate"], term["endDate"]
        meetings = [m for m in school.meetings_by_sg.get(sg.id, []) if start <= m.date <= end]
        return _json(
            {
                "journals": [
                    {
                        "subjectGroupId": sg.id,
                        "students": self._student_items(school, self._sg_rows(school, sg)),
                        "classMeeting": [
                            {**self._meeting_brief(school, m), **self._edit_page(m)}
                            for m in meetings
                        ],
                        "totals": self._totals(school, sg.id),
                        "avgMarks": [],
                        "gradingSys": GRADING_SYS,
                        "lastAccess": None,
                    }
                ],
                "editLimit": EDIT_LIMIT,
                "markSettings": MARK_SETTINGS,
                "lastEditCmId": None,
            }
        )

    async def journal_edit(self, request: Request) -> Response:
        _, school = self._staff(request)
        try:
            cm = school.meetings.get(int(request.query_params.get("cmid", "")))
        except ValueError:
            raise Denied(400, "Неверный параметр cmid") from None
        if cm is None:
            return _error(404, "Урок не найден")
        return _json({"lessonId": cm.id, **self._edit_page(cm), "moduleQA": None})

    @staticmethod
    def _edit_page(cm: ClassMeeting) -> dict[str, Any]:
        """A class meeting's journal content: topic, absences, assignments with results."""
        return {
            "lessonName": cm.topic,
            "attendance": [
                {"studentId": sid, "reason": code} for sid, code in sorted(cm.attendance.items())
            ],
            "assignments": [
                {
                    "id": a.id,
                    "typeId": a.type_id,
                    "assignmentName": a.name,
                    "weight": a.weight,
                    "dueDate": d(a.due_date),
                    "results": [
                        {
                            "studentId": sid,
                            "mark": r["mark"],
                            "duty": r["duty"],
                            "comment": r["comment"],
                            "resultDate": ts(r["resultDate"]),
                        }
                        for sid, r in sorted(a.results.items())
                    ],
                }
                for a in cm.assignments
            ],
        }

    # ----- student / parent diary ---------------------------------------------

    async def diary_init(self, request: Request) -> Response:
        session = self._session(request)
        school = self.s.school()
        students = self._students_of(session.account, school)
        monday = school.local(self.s.now()).date()
        monday -= dt.timedelta(days=monday.weekday())
        return _json(
            {
                "students": [
                    {
                        "studentId": sid,
                        "nickName": full_name(school.people.get(sid, {})),
                        "className": school.classes.get(school.student_class.get(sid, 0), {}).get(
                            "name"
                        ),
                        "classId": school.student_class.get(sid, 0),
                        "iupGrade": 0,
                    }
                    for sid in students
                ],
                "currentStudentId": 0,
                "weekStart": d(monday),
                "yaClass": False,
                "yaClassAuthUrl": None,
                "newDiskToken": "",
                "newDiskWasRequest": False,
                "ttsuRl": "http://NETCITY:80/",
                "externalUrl": "http://netcity.ru/",
                "weight": True,
                "maxMark": 5,
                "withLaAssigns": True,
            }
        )

    def _diary_assignments(
        self, school: School, cm: ClassMeeting, student: int
    ) -> list[dict[str, Any]]:
        out = []
        for a in cm.assignments:
            result = a.results.get(student)
            if not a.is_homework and result is None:
                continue
            item: dict[str, Any] = {
                "id": a.id,
                "typeId": a.type_id,
                "assignmentName": a.name,
                "weight": a.weight or 0,
                "dueDate": d(a.due_date),
                "classMeetingId": cm.id,
                "classAssignment": not a.is_homework,
                "existsTestPlan": False,
            }
            if result is not None:
                value = str(result["mark"])
                item["mark"] = {
                    "assignmentId": a.id,
                    "studentId": student,
                    "mark": int(value) if value.isdigit() else None,
                    "resultScore": None,
                    "dutyMark": bool(result["duty"]),
                }
                if result["comment"]:
                    item["markComment"] = {"id": a.id, "name": result["comment"]}
            out.append(item)
        return out

    def _week(self, request: Request) -> tuple[dt.date, dt.date]:
        start = self._date_param(request, "weekStart")
        end = self._date_param(request, "weekEnd")
        if start is None:
            raise Denied(400, "Не указан параметр weekStart")
        return start, end or start + dt.timedelta(days=6)

    async def diary(self, request: Request) -> Response:
        student, school = self._own_student(request)
        start, end = self._week(request)
        days: dict[dt.date, list[dict[str, Any]]] = {}
        for sg in school.sgs_of_student(student):
            subject = school.subjects.get(sg.subject_id, {}).get("name", "")
            for cm in school.meetings_by_sg.get(sg.id, []):
                if not start <= cm.date <= end:
                    continue
                days.setdefault(cm.date, []).append(
                    {
                        "classmeetingId": cm.id,
                        "day": d(cm.date),
                        "number": cm.number or 0,
                        "relay": 1,
                        "room": cm.room,
                        "startTime": hm(cm.start) or "00:00",
                        "endTime": hm(cm.end) or "00:00",
                        "subjectName": subject,
                        "isEaLesson": False,
                        "isDistanceLesson": False,
                        "assignments": self._diary_assignments(school, cm, student),
                    }
                )
        class_id = school.student_class.get(student, 0)
        term = next((t for t in school.terms if t["startDate"] <= start <= t["endDate"]), None)
        return _json(
            {
                "weekStart": d(start),
                "weekEnd": d(end),
                "termName": term["termName"] if term else None,
                "className": school.classes.get(class_id, {}).get("name"),
                "laAssigns": [],
                "weekDays": [
                    {
                        "date": d(day),
                        "lessons": sorted(
                            lessons, key=lambda x: (x["number"], x["classmeetingId"])
                        ),
                    }
                    for day, lessons in sorted(days.items())
                ],
            }
        )

    async def past_mandatory(self, request: Request) -> Response:
        student, school = self._own_student(request)
        start, end = self._week(request)
        today = school.local(self.s.now()).date()
        out = []
        for sg in school.sgs_of_student(student):
            subject = school.subjects.get(sg.subject_id, {}).get("name", "")
            for cm in school.meetings_by_sg.get(sg.id, []):
                if not start <= cm.date <= end:
                    continue
                for a in cm.assignments:
                    if a.is_homework and a.due_date < today and student not in a.results:
                        out.append(
                            {
                                "id": a.id,
                                "typeId": a.type_id,
                                "assignmentName": a.name,
                                "dueDate": d(a.due_date),
                                "classMeetingId": cm.id,
                                "subjectName": subject,
                            }
                        )
        return _json(out)

    async def diary_assign(self, request: Request) -> Response:
        _, school = self._own_student(request)
        a = school.assignments.get(int(request.path_params["assign_id"]))
        if a is None:
            return _error(404, "Задание не найдено")
        cm = school.meetings[a.class_meeting_id]
        sg = school.sgs[cm.sg_id]
        return _json(
            {
                "id": a.id,
                "assignmentName": a.name,
                "activityName": None,
                "problemName": None,
                "subjectGroup": {"id": sg.id, "name": sg.name},
                "teachers": [self._person_short(school, t) for t in cm.teacher_ids],
                "productId": None,
                "isDeleted": False,
                "weight": a.weight or 0,
                "date": d(cm.date),
                "description": "",
                "attachments": [],
                "contentElements": None,
                "codeContentElements": None,
            }
        )

    async def get_attachments(self, request: Request) -> Response:
        self._own_student(request)
        return _json([])

    async def announcements(self, request: Request) -> Response:
        self._session(request)
        school = self.s.school()
        items = self.s.world.meta.get("netschool", {}).get("announcements", [])
        out = []
        for i, item in enumerate(items):
            posted = dt.datetime.fromisoformat(str(item["posted_at"]))
            if posted > self.s.now():
                continue
            out.append(
                {
                    "id": i + 1,
                    "name": item["title"],
                    "description": item.get("text", ""),
                    "postDate": ts(school.local(posted)),
                    "deleteDate": None,
                    "author": {
                        "id": 1,
                        "fio": item.get("author", "Администрация"),
                        "nickName": item.get("author", "Администрация"),
                    },
                    "em": None,
                    "recipientInfo": None,
                    "attachments": [],
                }
            )
        return _json(out)

    # ----- mobile API (token flow emulated locally) ---------------------------

    async def pincode(self, request: Request) -> Response:
        session = self._session(request)
        code = secrets.randbelow(9 * 10**7) + 10**7
        self.s.pincodes[code] = session.account
        return _json({"userCode": code})

    async def connect_token(self, request: Request) -> Response:
        body = (await request.body()).decode("utf-8", "replace")
        form = dict(parse_qsl(body))
        if form.get("client_id") != MOBILE_CLIENT_ID:
            return _json({"error": "invalid_client"}, 400)
        grant = form.get("grant_type", "")
        account: Account | None = None
        if grant.endswith("device_code"):
            try:
                account = self.s.pincodes.pop(int(form.get("device_code", "")), None)
            except ValueError:
                account = None
        elif grant == "refresh_token":
            account = self.s.refresh.pop(form.get("refresh_token", ""), None)
        if account is None:
            return _json({"error": "invalid_grant"}, 400)
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.s.bearer[access] = account
        self.s.refresh[refresh] = account
        return _json(
            {
                "access_token": access,
                "expires_in": self.s.faults.session_timeout,
                "id_token": secrets.token_urlsafe(12),
                "refresh_token": refresh,
                "scope": "openid profile offline_access",
                "token_type": "Bearer",
            }
        )

    def _bearer(self, request: Request) -> Account:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        account = self.s.bearer.get(token) if scheme.lower() == "bearer" else None
        if account is None:
            raise Denied(401)
        return account

    def _mobile_students(self, request: Request, key: str) -> tuple[list[int], School]:
        account = self._bearer(request)
        school = self.s.school()
        allowed = set(self._students_of(account, school))
        try:
            wanted = [int(v) for v in request.query_params.getlist(key) for v in v.split(",") if v]
        except ValueError:
            raise Denied(400, f"Неверный параметр {key}") from None
        if not set(wanted) <= allowed:
            raise Denied(403, "Нет доступа к данным этого ученика")
        return wanted, school

    async def mobile_users(self, request: Request) -> Response:
        account = self._bearer(request)
        school = self.s.school()
        person = school.people.get(account.person_id, {})
        return _json(
            [
                {
                    "id": account.person_id,
                    "firstName": person.get("first_name", ""),
                    "nickName": full_name(person),
                    "loginName": account.login,
                    "isParent": "parent" in account.roles,
                    "isStaff": bool(set(account.roles) & STAFF_ROLES),
                    "isStudent": "student" in account.roles,
                    "children": self._students_of(account, school)
                    if "parent" in account.roles
                    else [],
                    "organizations": [
                        {
                            "organization": {
                                "id": school.id,
                                "name": school.short_name,
                                "isAddSchool": False,
                            },
                            "isActive": True,
                            "classes": [],
                        }
                    ],
                }
            ]
        )

    async def mobile_classmeetings(self, request: Request) -> Response:
        students, school = self._mobile_students(request, "studentIds")
        start = self._date_param(request, "startDate") or dt.date.min
        end = self._date_param(request, "endDate") or dt.date.max
        out = []
        for student in students:
            for sg in school.sgs_of_student(student):
                for cm in school.meetings_by_sg.get(sg.id, []):
                    if not start <= cm.date <= end:
                        continue
                    visible = [a for a in cm.assignments if a.is_homework or student in a.results]
                    out.append(
                        {
                            "classmeetingId": cm.id,
                            "studentId": student,
                            "day": d(cm.date),
                            "startTime": hm(cm.start),
                            "endTime": hm(cm.end),
                            "scheduleTimeNumber": cm.number,
                            "scheduleTimeRelay": 1,
                            "order": cm.number,
                            "subjectId": cm.subject_id,
                            "subjectName": school.subjects.get(cm.subject_id, {}).get("name"),
                            "subjectGroupId": cm.sg_id,
                            "roomName": cm.room,
                            "lessonTheme": cm.topic,
                            "teachers": [self._person_short(school, t) for t in cm.teacher_ids],
                            "attendance": cm.attendance.get(student),
                            "assignmentId": [a.id for a in visible],
                            "resultsExists": any(student in a.results for a in visible),
                            "attachmentsExists": False,
                            "extraActivity": False,
                            "addEducation": False,
                            "distanceMeetingId": None,
                        }
                    )
        return _json(out)

    async def mobile_assignments(self, request: Request) -> Response:
        students, school = self._mobile_students(request, "studentId")
        try:
            wanted = {int(v) for v in request.query_params.getlist("classmeetingId")}
        except ValueError:
            raise Denied(400, "Неверный параметр classmeetingId") from None
        out = []
        for student in students:
            for cm_id in sorted(wanted):
                cm = school.meetings.get(cm_id)
                if cm is None:
                    continue
                for a in cm.assignments:
                    result = a.results.get(student)
                    if not a.is_homework and result is None:
                        continue
                    t = school.types.get(a.type_id, {})
                    value = str(result["mark"]) if result else None
                    out.append(
                        {
                            "assignmentId": a.id,
                            "classmeetingId": cm.id,
                            "assignmentName": a.name,
                            "description": None,
                            "result": float(value) if value and value.isdigit() else None,
                            "resultDate": ts(result["resultDate"]) if result else None,
                            "assignmentDate": d(cm.date),
                            "dueDate": d(a.due_date),
                            "duty": bool(result and result["duty"]),
                            "comment": result["comment"] if result else None,
                            "assignmentTypeId": a.type_id,
                            "assignmentTypeAbbr": t.get("abbr"),
                            "assignmentTypeName": t.get("name"),
                            "weight": a.weight,
                            "classAssignment": not a.is_homework,
                            "subjectId": cm.subject_id,
                            "subjectName": school.subjects.get(cm.subject_id, {}).get("name"),
                            "attachmentsExists": False,
                            "hasTextAnswer": False,
                            "hasFileAnswers": False,
                            "answerFilesCount": 0,
                            "extraActivity": False,
                            "canAnswer": False,
                        }
                    )
        return _json(out)

    # ----- control -------------------------------------------------------------

    async def control(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                data = await request.json()
                if "faults" in data:
                    self.s.faults.update(dict(data["faults"]))
                if data.get("reset_faults"):
                    fresh = Faults()
                    self.s.faults.update(
                        {k: v for k, v in fresh.as_dict().items() if k not in ("seed",)}
                    )
                if "as_of" in data:
                    value = data["as_of"]
                    self.s.set_clock(None if value is None else dt.datetime.fromisoformat(value))
                if "advance_seconds" in data:
                    self.s.set_clock(
                        self.s.now() + dt.timedelta(seconds=float(data["advance_seconds"]))
                    )
                if data.get("expire_sessions"):
                    self.s.sessions.clear()
            except (ValueError, TypeError, KeyError) as exc:
                return _error(400, f"Неверная команда управления: {exc}")
        return _json(
            {
                "clock": self.s.now().isoformat(),
                "frozen": self.s.as_of is not None,
                "faults": self.s.faults.as_dict(),
                "sessions": len(self.s.sessions),
            }
        )

    async def stats(self, request: Request) -> Response:
        return _json({"requests": sum(self.s.hits.values()), "by_path": dict(self.s.hits)})


def _password_matches(password: str, salt: str, form: dict[str, str]) -> bool:
    """The classic check: pw2 = md5(salt + md5(cp1251 password)); pw = pw2 cut to the password's length."""
    try:
        inner = md5_hex(password.encode("cp1251"))
    except UnicodeEncodeError:
        inner = md5_hex(password.encode("utf-8"))
    pw2 = md5_hex((salt + inner).encode("ascii"))
    return form.get("pw2", "").lower() == pw2 and form.get("pw", "").lower() == pw2[: len(password)]
