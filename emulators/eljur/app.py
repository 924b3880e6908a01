"""The ЭлЖур emulator's HTTP surface (Starlette): ``/api/<method>`` and ``/apiv3/<method>``.

Conventions follow docs/protocols/eljur.md §3-§5 and §9; what no public source
shows is ours and labelled in docs/protocols/eljur-emulated.md (the school's
"extended access" account whose relations list every student, the error
codes, comma lists of students on the diary and marks methods).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulators.eljur.faults import FaultInjector, Faults
from emulators.eljur.school import EjAccount, EjLesson, EjSchool, build_school, teacher_label
from emulators.scenario.world import World

DEFAULT_DEVKEY = "sverka-emulator-devkey"
STUDENT_RULES = (
    "getassessments",
    "getdiary",
    "getfinalassessments",
    "gethomework",
    "getmarks",
    "getperiods",
    "getschedule",
)
"""A relation's method list as the EJ‑NOT sample shows it (eljur.md §12.1), plus ``getmarks``."""
GROUP_RULES = ("getschedule", "gethomework")
ALIASES = {"newgetdiary": "getdiary", "newgetmarks": "getmarks"}
WEEKDAYS = ("Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота", "Воскресенье")

# Error codes are our design (no public list exists, eljur.md §4).
E_DEVKEY, E_VENDOR, E_CREDENTIALS, E_TOKEN, E_RULES, E_METHOD, E_PARAMS = 1, 2, 3, 4, 5, 6, 7


@dataclass
class Token:
    login: str
    vendor: str
    expires: dt.datetime
    requests: int = 0


@dataclass
class EmulatorState:
    world: World
    faults: Faults
    as_of: dt.datetime | None
    devkeys: frozenset[str] = frozenset({DEFAULT_DEVKEY})
    tokens: dict[str, Token] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    _school: EjSchool | None = None

    def now(self) -> dt.datetime:
        if self.as_of is not None:
            return self.as_of
        return dt.datetime.now(dt.UTC).replace(microsecond=0)

    def school(self) -> EjSchool:
        moment = self.now()
        if self.as_of is None:
            moment = moment.replace(second=0)
        if self._school is None or self._school.moment != moment:
            self._school = build_school(self.world, moment)
        return self._school

    def set_clock(self, moment: dt.datetime | None) -> None:
        if moment is not None and moment.tzinfo is None:
            raise ValueError("момент без часового пояса")
        self.as_of = moment


class ApiError(Exception):
    def __init__(self, state: int, text: str, code: int) -> None:
        super().__init__(text)
        self.state = state
        self.text = text
        self.code = code


def envelope(result: Any, state: int = 200, error: str | None = None) -> Response:
    body = {"response": {"state": state, "error": error, "result": result}}
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(data, state, media_type="application/json; charset=utf-8")


def create_app(state: EmulatorState) -> ASGIApp:
    api = _Api(state)
    routes = [
        Route("/api/{method}", api.dispatch, methods=["GET", "POST"]),
        Route("/apiv3/{method}", api.dispatch, methods=["GET", "POST"]),
        Route("/_emulator/control", api.control, methods=["GET", "POST"]),
        Route("/_emulator/stats", api.stats),
    ]
    app = Starlette(routes=routes)
    return _ClockHeader(_Counting(FaultInjector(app, state.faults), state), state)


class _Counting:
    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.state.hits[scope["path"]] += 1
        await self.app(scope, receive, send)


class _ClockHeader:
    """Every answer's ``Date`` is the emulator's clock."""

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


def _ymd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _days(value: str | None, school: EjSchool) -> tuple[dt.date, dt.date]:
    """``days=YYYYMMDD-YYYYMMDD`` or one ``YYYYMMDD``; omitted → the school year."""
    if not value:
        starts = [p["start"] for p in school.periods] or [school.moment.date()]
        ends = [p["end"] for p in school.periods] or [school.moment.date()]
        return min(starts), max(ends)
    try:
        first, _, last = value.partition("-")
        a = dt.datetime.strptime(first.strip(), "%Y%m%d").date()
        b = dt.datetime.strptime(last.strip(), "%Y%m%d").date() if last else a
    except ValueError:
        raise ApiError(400, f"Неверный параметр days: {value}", E_PARAMS) from None
    return a, b


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("yes", "true", "1", "__yes", "on")


class _Api:
    def __init__(self, state: EmulatorState) -> None:
        self.s = state

    async def _params(self, request: Request) -> dict[str, str]:
        params: dict[str, str] = {}
        if request.method == "POST":
            body = (await request.body()).decode("utf-8", "replace")
            params.update({k.lower(): v for k, v in parse_qsl(body, keep_blank_values=True)})
        for key, value in request.query_params.items():
            params.setdefault(key.lower(), value)
        return params

    async def dispatch(self, request: Request) -> Response:
        method = str(request.path_params["method"]).lower()
        try:
            params = await self._params(request)
            if params.get("devkey") not in self.s.devkeys:
                raise ApiError(400, "не удалось авторизовать разработчика", E_DEVKEY)
            school = self.s.school()
            if params.get("vendor", "").lower() != school.vendor.lower():
                raise ApiError(400, "Школа с таким vendor не найдена", E_VENDOR)
            if method == "auth":
                return envelope(self._auth(params, school))
            handler = getattr(self, f"m_{ALIASES.get(method, method)}", None)
            if handler is None:
                raise ApiError(404, f"Метод {method} не найден", E_METHOD)
            account = self._account(params, school)
            return envelope(handler(params, school, account, ALIASES.get(method, method)))
        except ApiError as exc:
            result: dict[str, Any] = {}
            if method == "auth":
                result = {"errorCode": exc.code, "errorText": exc.text}
            return envelope(result, exc.state, exc.text)

    # -- auth ---------------------------------------------------------------------------

    def _auth(self, params: dict[str, str], school: EjSchool) -> dict[str, Any]:
        account = school.accounts.get(params.get("login", "").lower())
        if account is None or account.password != params.get("password", ""):
            raise ApiError(401, "Неверный логин или пароль", E_CREDENTIALS)
        token = secrets.token_hex(32)
        now = self.s.now()
        expires = now + dt.timedelta(seconds=self.s.faults.session_timeout)
        self.s.tokens[token] = Token(account.login.lower(), school.vendor, expires)
        local = expires.astimezone(school.tz).replace(tzinfo=None)
        return {"token": token, "expires": local.strftime("%Y-%m-%d %H:%M:%S")}

    def _account(self, params: dict[str, str], school: EjSchool) -> EjAccount:
        token_value = params.get("auth_token")
        if token_value:
            token = self.s.tokens.get(token_value)
            limit = self.s.faults.session_expiry_after
            if token is None or token.vendor != params.get("vendor", "").lower():
                raise ApiError(401, "Токен недействителен", E_TOKEN)
            if self.s.now() >= token.expires or (limit and token.requests >= limit):
                del self.s.tokens[token_value]
                raise ApiError(401, "Срок действия токена истёк", E_TOKEN)
            token.requests += 1
            account = school.accounts.get(token.login)
            if account is None:
                raise ApiError(401, "Токен недействителен", E_TOKEN)
            return account
        # eljur.md §2.3: login and password in place of the token.
        account = school.accounts.get(params.get("login", "").lower())
        if account is None or account.password != params.get("password", ""):
            raise ApiError(401, "Требуется авторизация", E_TOKEN)
        return account

    # -- relations and their rules --------------------------------------------------------

    def _student_rules(self, account: EjAccount, school: EjSchool) -> dict[int, tuple[str, ...]]:
        return {sid: STUDENT_RULES for sid in account.students if sid in school.students}

    def _group_rules(self, account: EjAccount, school: EjSchool) -> dict[str, tuple[str, ...]]:
        return {name: GROUP_RULES for name in account.groups if name in school.classes}

    def _students(
        self, params: dict[str, str], school: EjSchool, account: EjAccount, method: str
    ) -> list[int]:
        """``student=``/``students=`` (comma list) or every related student; each must allow ``method``."""
        rules = self._student_rules(account, school)
        raw = params.get("students") or params.get("student") or ""
        if not raw.strip():
            wanted = sorted(rules)
        else:
            try:
                wanted = [int(x) for x in raw.split(",") if x.strip()]
            except ValueError:
                raise ApiError(400, "Неверный идентификатор ученика", E_PARAMS) from None
        for sid in wanted:
            if method not in rules.get(sid, ()):
                raise ApiError(403, f"Метод {method} недоступен для ученика {sid}", E_RULES)
        return wanted

    def _class(
        self, params: dict[str, str], school: EjSchool, account: EjAccount, method: str
    ) -> str:
        name = params["class"]
        if method not in self._group_rules(account, school).get(name, ()):
            raise ApiError(403, f"Метод {method} недоступен для класса {name}", E_RULES)
        return name

    def m_getrules(
        self, params: dict[str, str], school: EjSchool, account: EjAccount, method: str
    ) -> dict[str, Any]:
        students = {}
        for sid in self._student_rules(account, school):
            st = school.students[sid]
            entry: dict[str, Any] = {
                "name": str(sid),
                "title": st.title,
                "firstname": st.first_name,
                "lastname": st.last_name,
                "gender": st.gender,
                "city": school.city,
                "class": st.class_name,
                "parallel": str(st.parallel),
                "rel": "child" if account.role == "parent" else account.role,
                "rules": list(STUDENT_RULES),
            }
            if account.role == "extended":
                entry["middlename"] = st.middle_name  # our design (eljur-emulated.md)
            students[str(sid)] = entry
        groups = {}
        for name in self._group_rules(account, school):
            cls = school.classes[name]
            teacher = cls.get("hometeacher_person") or {}
            groups[name] = {
                "name": name,
                "parallel": cls["parallel"],
                "rel": "homeclass" if account.role == "teacher" else account.role,
                "rules": list(GROUP_RULES),
                "balls": 5,
                "hometeacher_id": str(cls["hometeacher"] or ""),
                "hometeacher_name": teacher_label(teacher),
                "hometeacher_firstname": str(teacher.get("first_name") or ""),
                "hometeacher_middlename": str(teacher.get("middle_name") or ""),
                "hometeacher_lastname": str(teacher.get("last_name") or ""),
            }
        roles = {"extended": ["administrator"], "teacher": ["teacher"]}.get(
            account.role, [account.role]
        )
        return {
            "name": str(account.person_id),
            "id": str(account.person_id),
            "title": f"{account.last_name} {account.first_name}".strip(),
            "firstname": account.first_name,
            "middlename": account.middle_name,
            "lastname": account.last_name,
            "roles": roles,
            "vendor": school.vendor,
            "vendor_id": 1,
            "region": school.region,
            "city": school.city,
            "allowedSections": ["diary", "marks", "finalmarks", "schedule", "messages", "updates"],
            "relations": {
                "schools": [
                    {
                        "number": "",
                        "title": school.title,
                        "title_full": school.title_full,
                        "inn": "",
                        "kpp": "",
                    }
                ],
                "groups": groups,
                "students": students,
            },
        }

    def m_getperiods(
        self, params: dict[str, str], school: EjSchool, account: EjAccount, method: str
    ) -> dict[str, Any]:
        show_disabled = _flag(params.get("show_disabled"))
        today = school.moment.astimezone(school.tz).date()
        periods = []
        for p in school.periods:
            disabled = p["start"] > today
            if disabled and not show_disabled:
                continue
            item: dict[str, Any] = {
                "name": p["name"],
                "fullname": p["fullname"],
                "start": _ymd(p["start"]),
                "end": _ymd(p["end"]),
                "disabled": disabled,
                "ambigious": False,
            }
            if _flag(params.get("weeks")):
                item["weeks"] = _weeks(p["start"], p["end"])
            periods.append(item)
        return {
            "students": [
                {"name": str(sid), "title": school.students[sid].title, "periods": periods}
                for sid in self._students(params, school, account, method)
            ]
        }

    def _item(self, lesson: EjLesson, rings: bool) -> dict[str, Any]:
        item: dict[str, Any] = {
            "num": str(lesson.number),
            "sort": lesson.number,
            "name": lesson.subject,
            "lesson_id": str(lesson.id),
            "room": lesson.room,
            "teacher": lesson.teacher,
            "topic": lesson.topic or "",
            "is_control": lesson.is_control,
            "homework": {
                str(hid): {"id": hid, "value": text, "individual": False}
                for hid, text in lesson.homework
            },
            "files": [],
            "resources": [],
        }
        if rings and lesson.start and lesson.end:
            item["starttime"] = lesson.start.strftime("%H:%M:%S")
            item["endtime"] = lesson.end.strftime("%H:%M:%S")
        return item

    def _day_items(
        self,
        lessons: Iterable[EjLesson],
        rings: bool,
        built: dict[int, dict[str, Any]] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """The lessons by day; ``built`` keeps each lesson's item across one answer's students
        (a class's diaries repeat every lesson once per student), each student gets a copy."""
        days: dict[str, dict[str, Any]] = {}
        for lesson in lessons:
            key = _ymd(lesson.date)
            day = days.setdefault(
                key, {"name": key, "title": WEEKDAYS[lesson.date.weekday()], "items": {}}
            )
            slot = str(lesson.number)
            while slot in day["items"]:
                slot += "'"
            if built is None:
                day["items"][slot] = self._item(lesson, rings)
                continue
            item = built.get(lesson.id)
            if item is None:
                item = built[lesson.id] = self._item(lesson, rings)
            day["items"][slot] = dict(item)
        return days

    def m_getdiary(
        self, params: dict[str, str], school: EjSchool, account: EjAccount, method: str
    ) -> dict[str, Any]:
        first, last = _days(params.get("days"), school)
        rings = _flag(params.get("rings"))
        out = {}
        built: dict[int, dict[str, Any]] = {}
        for sid in self._students(params, school, account, method):
            lessons = school.student_lessons(sid, first, last)
            days = self._day_items(lessons, rings, built)
            own = school.marks.get(sid, {})
            for day in days.values():
                for item in day["items"].values():
                    marks = own.get(int(item["lesson_id"]), [])
                    if marks:
                        lesson = school.lessons[int(item["lesson_id"])]
                        item["assessments"] = [_mark(m, lesson.date) for m in marks]
            out[str(sid)] = {
                "name": str(sid),
                "title": school.students[sid].title,
                "parent_signed": False,
                "days": days,
            }
        return {"students": out}

    def m_getmarks(
        self, params: dict[str, str], school: EjSchool, account: EjAccount, method: str
    ) -> dict[str, Any]:
        first, last = _days(params.get("days"), school)
        out = {}
        for sid in self._students(params, school, account, method):
            by_subject: dict[str, list[dict[str, Any]]] = {}
            for lesson_id, marks in sorted(school.marks.get(sid, {}).items()):
                lesson = school.lessons[lesson_id]
                if not first <= lesson.date <= last:
                    continue
                for m in marks:
                    entry = _mark(m, lesson.date)
                    entry["mtype"] = {"id": m.kind_id, "short": m.kind_short, "type": m.kind}
                    entry["lesson_comment"] = None
                    by_subject.setdefault(lesson.subject, []).append(entry)
            lessons = []
            for subject, marks_out in sorted(by_subject.items()):
                counted = [m for m in marks_out if m["count"]]
                total = sum(m["weight"] for m in counted)
                average = sum(m["convert"] * m["weight"] for m in counted) / total if total else 0.0
                lessons.append(
                    {
                        "name": subject,
                        "average": f"{average:.2f}",
                        "averageConvert": round(average),
                        "marks": marks_out,
                    }
                )
            out[str(sid)] = {
                "name": str(sid),
                "title": school.students[sid].title,
                "lessons": lessons,
            }
        return {"students": out}

    def m_getassessments(
        self, params: dict[str, str], school: EjSchool, account: EjAccount, method: str
    ) -> dict[str, Any]:
        return self.m_getmarks(params, school, account, method)

    def m_getfinalassessments(
        self, params: dict[str, str], school: EjSchool, account: EjAccount, method: str
    ) -> dict[str, Any]:
        out = {}
        for sid in self._students(params, school, account, method):
            by_subject: dict[str, list[dict[str, Any]]] = {}
            for final in school.finals.get(sid, []):
                numeric = final.value if final.value.isdigit() else "0"
                by_subject.setdefault(final.subject, []).append(
                    {
                        "value": final.value,
                        "comment": "",
                        "convert": int(numeric),
                        "period": final.period,
                    }
                )
            out[str(sid)] = {
                "name": str(sid),
                "title": school.students[sid].title,
                "items": [{"name": s, "assessments": a} for s, a in sorted(by_subject.items())],
            }
        return {"students": out}

    def m_getschedule(
        self, params: dict[str, str], school: EjSchool, account: EjAccount, method: str
    ) -> dict[str, Any]:
        first, last = _days(params.get("days"), school)
        rings = _flag(params.get("rings"))
        if params.get("class"):  # "Class has larger priority than students"
            name = self._class(params, school, account, method)
            lessons = [x for x in school.lessons_by_class.get(name, []) if first <= x.date <= last]
            days = self._day_items(lessons, rings)
            for day in days.values():
                day["items_extday"] = []
            return {"days": days}
        out = {}
        built: dict[int, dict[str, Any]] = {}
        for sid in self._students(params, school, account, method):
            days = self._day_items(school.student_lessons(sid, first, last), rings, built)
            out[str(sid)] = {"name": str(sid), "title": school.students[sid].title, "days": days}
        return {"students": out}

    def m_gethomework(
        self, params: dict[str, str], school: EjSchool, account: EjAccount, method: str
    ) -> dict[str, Any]:
        first, last = _days(params.get("days"), school)
        if params.get("class"):
            name = self._class(params, school, account, method)
            days: dict[str, dict[str, Any]] = {}
            for lesson in school.lessons_by_class.get(name, []):
                if not (first <= lesson.date <= last and lesson.homework):
                    continue
                key = _ymd(lesson.date)
                day = days.setdefault(
                    key, {"name": key, "title": WEEKDAYS[lesson.date.weekday()], "items": []}
                )
                day["items"].append(
                    {
                        "name": lesson.subject,
                        "grp": "",
                        "individual_exists": False,
                        "homework": {
                            str(hid): {"id": hid, "value": text} for hid, text in lesson.homework
                        },
                        "files": {"file": []},
                    }
                )
            return {"days": days}
        out = {}
        for sid in self._students(params, school, account, method):
            sdays: dict[str, dict[str, Any]] = {}
            for lesson in school.student_lessons(sid, first, last):
                if not lesson.homework:
                    continue
                key = _ymd(lesson.date)
                day = sdays.setdefault(
                    key, {"name": key, "title": WEEKDAYS[lesson.date.weekday()], "items": {}}
                )
                day["items"][lesson.subject] = {
                    "name": lesson.subject,
                    "homework": {
                        str(hid): {"id": hid, "value": text, "individual": False}
                        for hid, text in lesson.homework
                    },
                    "files": [],
                }
            out[str(sid)] = {"name": str(sid), "title": school.students[sid].title, "days": sdays}
        return {"students": out}

    # -- control ------------------------------------------------------------------------------

    async def control(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                data = await request.json()
                if "faults" in data:
                    self.s.faults.update(dict(data["faults"]))
                if data.get("reset_faults"):
                    fresh = Faults(seed=self.s.faults.seed)
                    self.s.faults.update(fresh.as_dict())
                if "as_of" in data:
                    value = data["as_of"]
                    self.s.set_clock(None if value is None else dt.datetime.fromisoformat(value))
                if "advance_seconds" in data:
                    self.s.set_clock(
                        self.s.now() + dt.timedelta(seconds=float(data["advance_seconds"]))
                    )
                if data.get("expire_sessions"):
                    self.s.tokens.clear()
            except (ValueError, TypeError, KeyError) as exc:
                return envelope({}, 400, f"Неверная команда управления: {exc}")
        return envelope(
            {
                "clock": self.s.now().isoformat(),
                "frozen": self.s.as_of is not None,
                "faults": self.s.faults.as_dict(),
                "tokens": len(self.s.tokens),
            }
        )

    async def stats(self, request: Request) -> Response:
        return envelope({"requests": sum(self.s.hits.values()), "by_path": dict(self.s.hits)})


def _mark(m: Any, day: dt.date) -> dict[str, Any]:
    absence = m.value in ("н", "оп")
    numeric = m.value.rstrip("+-")
    convert = int(numeric) if numeric.isdigit() else 0
    return {
        "value": m.value,
        "countas": "0" if absence else (numeric if numeric.isdigit() else m.value),
        "convert": convert,
        "count": not absence and convert > 0,
        "weight": _num(m.weight),
        "weight_float": float(m.weight),
        "color_hex": None,
        "comment": m.comment,
        "date": day.isoformat(),
        "lesson_id": str(m.lesson_id),
        "nm": str(m.nm),
        "control_type": m.kind,
        "control_type_short": m.kind_short,
    }


def _weeks(start: dt.date, end: dt.date) -> list[dict[str, str]]:
    out = []
    day = start - dt.timedelta(days=start.weekday())
    while day <= end:
        last = day + dt.timedelta(days=6)
        out.append(
            {
                "start": _ymd(max(day, start)),
                "end": _ymd(min(last, end)),
                "title": f"{max(day, start):%d.%m}–{min(last, end):%d.%m}",
            }
        )
        day += dt.timedelta(days=7)
    return out
