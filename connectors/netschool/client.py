"""An async NetSchool client: one session, retries by the error table, limits per host.

Every call goes through :meth:`NetSchoolClient._get`: a per-host semaphore
caps concurrency, a request budget caps the run, tenacity retries what
:mod:`connectors.netschool.errors` calls transient (waiting ``Retry-After``
when the server gives one), and the answer is validated into a wire model.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential
from tenacity.wait import wait_base

from connectors.netschool import wire
from connectors.netschool.auth import NetSchoolAuth
from connectors.netschool.deployments import Deployment, parse_version, version_supported
from connectors.netschool.errors import (
    BudgetExceeded,
    MalformedAnswer,
    NetSchoolError,
    ProtocolFailure,
    UnsupportedVersion,
    final_error,
    is_transient,
    retry_after,
)
from connectors.tls import tls_context

T = TypeVar("T")
R = TypeVar("R")

_LIST_ASSIGNMENTTYPE: TypeAdapter[list[wire.AssignmentType]] = TypeAdapter(
    list[wire.AssignmentType]
)
_LIST_CLASSINFO: TypeAdapter[list[wire.ClassInfo]] = TypeAdapter(list[wire.ClassInfo])
_LIST_STAFFMEMBER: TypeAdapter[list[wire.StaffMember]] = TypeAdapter(list[wire.StaffMember])
_LIST_STUDENTLISTITEM: TypeAdapter[list[wire.StudentListItem]] = TypeAdapter(
    list[wire.StudentListItem]
)
_LIST_STUDENTPARENT: TypeAdapter[list[wire.StudentParent]] = TypeAdapter(list[wire.StudentParent])
_LIST_SUBJECTINFO: TypeAdapter[list[wire.SubjectInfo]] = TypeAdapter(list[wire.SubjectInfo])
_LIST_TERM: TypeAdapter[list[wire.Term]] = TypeAdapter(list[wire.Term])
_LIST_VACATION: TypeAdapter[list[wire.Vacation]] = TypeAdapter(list[wire.Vacation])
_CONTEXT: TypeAdapter[wire.Context] = TypeAdapter(wire.Context)
_LIST_SCHOOLENTRY: TypeAdapter[list[wire.SchoolEntry]] = TypeAdapter(list[wire.SchoolEntry])
_JOURNALEDIT: TypeAdapter[wire.JournalEdit] = TypeAdapter(wire.JournalEdit)
_JOURNALFULL: TypeAdapter[wire.JournalFull] = TypeAdapter(wire.JournalFull)
_JOURNALFILTERS: TypeAdapter[wire.JournalFilters] = TypeAdapter(wire.JournalFilters)
_JOURNALSHORT: TypeAdapter[wire.JournalShort] = TypeAdapter(wire.JournalShort)
_SCHOOLYEAR: TypeAdapter[wire.SchoolYear] = TypeAdapter(wire.SchoolYear)


@dataclass(frozen=True)
class ClientSettings:
    concurrency: int = 4
    """Requests in flight at once to one host."""
    request_budget: int = 200_000
    timeout: float = 30.0
    attempts: int = 5
    backoff_initial: float = 0.2
    backoff_max: float = 10.0
    max_retry_after: float = 120.0


class _WaitRetryAfter(wait_base):
    """Wait what the server asked for (429 ``Retry-After``), else back off exponentially."""

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self.backoff = wait_exponential(
            multiplier=settings.backoff_initial, max=settings.backoff_max
        )

    def __call__(self, retry_state: Any) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        asked = retry_after(exc) if exc is not None else None
        if asked is not None:
            return min(asked, self.settings.max_retry_after)
        return float(self.backoff(retry_state))


class NetSchoolClient:
    """One logged-in session against one server (use ``async with``)."""

    def __init__(
        self,
        base_url: str,
        login: str,
        password: str,
        school_id: int,
        *,
        deployment: Deployment | None = None,
        settings: ClientSettings | None = None,
        request_gate: Callable[[httpx.Request], Awaitable[None]] | None = None,
    ) -> None:
        """``request_gate`` is awaited before every request leaves (logins and logouts too):
        a region worker passes its host's shared rate budget here; alone it is ``None``."""
        self.base_url = base_url.rstrip("/")
        self.host = httpx.URL(self.base_url).host
        self.deployment = deployment
        self.settings = settings or ClientSettings()
        referer = self.base_url + (deployment.referer_path if deployment else "")
        self.auth = NetSchoolAuth(login, password, school_id, referer)
        self.http = httpx.AsyncClient(
            base_url=f"{self.base_url}/webapi/",
            auth=self.auth,
            timeout=self.settings.timeout,
            headers={"user-agent": "Sverka/0.1 (+netschool connector)", "referer": referer},
            limits=httpx.Limits(max_connections=self.settings.concurrency),
            verify=tls_context(),
            event_hooks={"request": [request_gate]} if request_gate is not None else None,
        )
        self._semaphore = asyncio.Semaphore(self.settings.concurrency)
        self.requests = 0
        self.version = ""
        self.server_time: dt.datetime | None = None

    async def __aenter__(self) -> NetSchoolClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                await self.logout()
        finally:
            await self.http.aclose()

    # ----- transport -----------------------------------------------------------

    async def _retrying(self, once: Callable[[], Awaitable[R]]) -> R:
        """Run ``once`` until it succeeds or the error table says stop; raise a Russian error."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.attempts),
            wait=_WaitRetryAfter(self.settings),
            retry=retry_if_exception(is_transient),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await once()
        except NetSchoolError:
            raise
        except Exception as exc:
            raise final_error(exc, self.host) from exc
        raise AssertionError("unreachable")

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self._retrying(lambda: self._send_once(method, path, **kwargs))

    async def _send_once(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self.requests >= self.settings.request_budget:
            raise BudgetExceeded(
                f"исчерпан лимит запросов к серверу {self.host} ({self.settings.request_budget})"
            )
        async with self._semaphore:
            self.requests += 1
            response = await self.http.request(method, path, **kwargs)
            await response.aread()
        date = response.headers.get("date")
        if date:
            with contextlib.suppress(TypeError, ValueError):
                self.server_time = email.utils.parsedate_to_datetime(date)
        response.raise_for_status()
        return response

    async def _get(self, path: str, adapter: TypeAdapter[T], **params: Any) -> T:
        return await self._call("GET", path, adapter, params=params or None)

    async def _call(self, method: str, path: str, adapter: TypeAdapter[T], **kwargs: Any) -> T:
        async def once() -> T:
            response = await self._send_once(method, path, **kwargs)
            try:
                data = json.loads(response.content)
            except ValueError:
                raise MalformedAnswer(f"{path}: ответ не читается как JSON") from None
            try:
                return adapter.validate_python(data)
            except ValidationError as exc:
                raise MalformedAnswer(
                    f"{path}: ответ не той формы ({exc.error_count()} ошибок)"
                ) from None

        return await self._retrying(once)

    # ----- session -------------------------------------------------------------

    async def check_version(self) -> str:
        """Read ``logindata`` (no login needed) and refuse server versions the connector does not know."""
        response = await self._send("GET", "logindata", auth=None)
        try:
            data = wire.LoginData.model_validate_json(response.content)
        except ValidationError:
            raise UnsupportedVersion(
                f"сервер {self.host} не похож на NetSchool: logindata без версии"
            ) from None
        self.version = data.version
        if not version_supported(data.version):
            raise UnsupportedVersion(
                f"версия сервера NetSchool {data.version or '(не указана)'} на {self.host} "
                "не поддерживается коннектором"
            )
        return data.version

    async def logout(self) -> None:
        if self.auth.token is None:
            return
        route = self.deployment.logout if self.deployment else "auto"
        if route == "auto":
            route = "auth" if parse_version(self.version or "5.29") >= (5, 29) else "asp"
        try:
            if route == "auth":
                await self.http.post("auth/logout")
            else:
                await self.http.post(
                    f"{self.base_url}/asp/logout.asp", data={"at": self.auth.token, "ver": ""}
                )
        except httpx.HTTPError:
            pass  # the session dies by itself after timeOut
        self.auth.token = None

    async def find_school(self, name: str) -> int:
        """The school id for a short name (``schools/search``; ``?name=`` where the server needs it)."""
        needs_name = (
            self.deployment.search_needs_name
            if self.deployment
            else parse_version(self.version or "5.30") >= (5, 30)
        )
        params = {"name": name} if needs_name else None
        schools = await self._call(
            "GET", "schools/search", _LIST_SCHOOLENTRY, params=params, auth=None
        )
        for school in schools:
            if school.shortName == name or school.name == name:
                return school.id
        raise ProtocolFailure(f"на сервере {self.host} нет организации «{name}»")

    # ----- endpoints -----------------------------------------------------------

    async def context(self) -> wire.Context:
        return await self._get("context", _CONTEXT)

    async def current_year(self) -> wire.SchoolYear:
        return await self._get("years/current", _SCHOOLYEAR)

    async def terms(self) -> list[wire.Term]:
        return await self._get("terms", _LIST_TERM)

    async def vacations(self) -> list[wire.Vacation]:
        return await self._get("calendar/vacations", _LIST_VACATION)

    async def classes(self) -> list[wire.ClassInfo]:
        return await self._get("classes", _LIST_CLASSINFO, expand="chiefs")

    async def subjects(self) -> list[wire.SubjectInfo]:
        return await self._get("subjects", _LIST_SUBJECTINFO)

    async def assignment_types(self) -> list[wire.AssignmentType]:
        return await self._get("grade/assignment/types", _LIST_ASSIGNMENTTYPE, all="false")

    async def staff(self) -> list[wire.StaffMember]:
        return await self._call("POST", "users/staff/registry", _LIST_STAFFMEMBER, json={})

    async def journal_filters(self) -> wire.JournalFilters:
        return await self._get("grade/journal/filter/init", _JOURNALFILTERS)

    async def class_students(self, class_id: int) -> list[wire.StudentListItem]:
        return await self._get("grade/studentList", _LIST_STUDENTLISTITEM, classId=class_id)

    async def student_parents(self, student_id: int) -> list[wire.StudentParent]:
        """The parents on one student's card, as a staff account sees them."""
        return await self._get(f"userinfo/{student_id}/parents", _LIST_STUDENTPARENT)

    async def group_students(self, sg_id: int, term_id: int | None) -> list[wire.StudentListItem]:
        params: dict[str, Any] = {"sgId": sg_id}
        if term_id is not None:
            params["termId"] = term_id
        return await self._get("grade/studentList", _LIST_STUDENTLISTITEM, **params)

    async def journal_short(
        self, sg_id: int, start: dt.date, end: dt.date, term_id: int | None = None
    ) -> wire.JournalShort:
        params: dict[str, Any] = {
            "sgId": sg_id,
            "weekStart": start.isoformat(),
            "weekEnd": end.isoformat(),
        }
        if term_id is not None:
            params["termId"] = term_id
        return await self._get("grade/journal/short", _JOURNALSHORT, **params)

    async def journal_edit(
        self, cmid: int, sg_id: int, term_id: int | None = None
    ) -> wire.JournalEdit:
        params: dict[str, Any] = {"cmid": cmid, "sgId": sg_id}
        if term_id is not None:
            params["termId"] = term_id
        return await self._get("grade/journal/edit", _JOURNALEDIT, **params)

    async def journal(
        self, sg_id: int, class_id: int, term_id: int, year_id: int
    ) -> wire.JournalFull:
        """One subject group's whole journal for one term, as the journal page loads it."""
        return await self._get(
            "grade/journal",
            _JOURNALFULL,
            yearId=year_id,
            classId=class_id,
            grade=-1,
            sgId=sg_id,
            termId=term_id,
        )
