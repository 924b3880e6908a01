"""The classic NetSchool password login as an httpx ``Auth`` flow.

``logindata`` → ``auth/getdata`` (salt, lt, ver) → ``login`` with
``pw2 = md5(salt + md5(cp1251 password))`` and ``pw = pw2[:len(password)]``
(netschool.md §1.1-1.2).  Every request then carries the ``at`` header and the
session cookies (``NSSESSIONID``, ``ESRNSec``).  A 401 means the session has
expired: log in again once and resend with the *new* token (unlike
netschoolapi, which resends the stale one, §1.3).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncGenerator, Generator
from typing import Any

import httpx
from pydantic import ValidationError

from connectors.netschool.errors import AuthFailed, MalformedAnswer
from connectors.netschool.wire import LoginResult


def password_hashes(password: str, salt: str) -> tuple[str, str]:
    """(pw, pw2) for the login form; the password is encoded as windows-1251, as the server does."""
    inner = hashlib.md5(password.encode("cp1251")).hexdigest()
    pw2 = hashlib.md5((salt + inner).encode("ascii")).hexdigest()
    return pw2[: len(password)], pw2


class NetSchoolAuth(httpx.Auth):
    requires_response_body = True

    def __init__(self, login: str, password: str, school_id: int, referer: str) -> None:
        self.login = login
        self.password = password
        self.school_id = school_id
        self.referer = referer
        self.token: str | None = None
        self.timeout_ms: int | None = None
        self.logins = 0
        self.cookies = httpx.Cookies()
        self._cookie_header: str | None = None
        """The Cookie header for this server, rebuilt only when the server sets a cookie."""
        self._lock = asyncio.Lock()

    def _prepare(self, request: httpx.Request) -> httpx.Request:
        if "cookie" in request.headers:
            del request.headers["cookie"]
        if self._cookie_header is None:
            probe = httpx.Request("GET", request.url)
            self.cookies.set_cookie_header(probe)
            self._cookie_header = probe.headers.get("cookie", "")
        if self._cookie_header:
            request.headers["cookie"] = self._cookie_header
        if self.token is not None:
            request.headers["at"] = self.token
        return request

    def _remember(self, response: httpx.Response) -> None:
        """Keep cookies the server sets (``ESRNSec`` grows as one navigates, per VIT)."""
        if "set-cookie" in response.headers:
            self.cookies.extract_cookies(response)
            self._cookie_header = None

    def _login_flow(self, base: httpx.URL) -> Generator[httpx.Request, httpx.Response, None]:
        """The three requests of a login; sets :attr:`token` or raises :class:`AuthFailed`."""
        headers = {"referer": self.referer}
        response = yield self._prepare(
            httpx.Request("GET", base.join("logindata"), headers=headers)
        )
        self._remember(response)
        response.raise_for_status()
        response = yield self._prepare(
            httpx.Request("POST", base.join("auth/getdata"), headers=headers)
        )
        self._remember(response)
        response.raise_for_status()
        try:
            meta: dict[str, Any] = response.json()
        except ValueError:
            raise MalformedAnswer("auth/getdata: ответ не читается как JSON") from None
        if not all(k in meta for k in ("lt", "ver", "salt")):
            raise AuthFailed(
                "сервер не выдал данные для входа по паролю (возможно, вход только через Госуслуги)"
            )
        salt = str(meta.pop("salt"))
        pw, pw2 = password_hashes(self.password, salt)
        form = {
            "loginType": "1",
            "scid": str(self.school_id),
            "un": self.login,
            "pw": pw,
            "pw2": pw2,
            **{k: str(v) for k, v in meta.items()},
        }
        self.token = None
        response = yield self._prepare(
            httpx.Request("POST", base.join("login"), data=form, headers=headers)
        )
        self._remember(response)
        if response.status_code in (200, 409):
            try:
                body = response.json()
            except ValueError:
                raise MalformedAnswer("login: ответ не читается как JSON") from None
            if isinstance(body, dict) and "at" in body:
                try:
                    result = LoginResult.model_validate(body)
                except ValidationError as exc:
                    raise AuthFailed(f"сервер ответил на вход непонятно: {exc}") from None
                self.token = result.at
                self.timeout_ms = result.timeOut
                self.logins += 1
                return
            message = body.get("message") if isinstance(body, dict) else None
            raise AuthFailed(
                "вход в NetSchool не выполнен: неверный логин, пароль или организация"
                + (f" (сервер: «{message}»)" if message else "")
            )
        response.raise_for_status()

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        base = request.url.copy_with(raw_path=b"/webapi/", query=None)
        async with self._lock:
            if self.token is None:
                flow = self._login_flow(base)
                sent = next(flow)
                while True:
                    response = yield sent
                    await response.aread()
                    try:
                        sent = flow.send(response)
                    except StopIteration:
                        break
        used = self.token
        response = yield self._prepare(request)
        self._remember(response)
        if response.status_code != 401:
            return
        async with self._lock:
            if self.token == used:
                self.token = None
                flow = self._login_flow(base)
                sent = next(flow)
                while True:
                    login_response = yield sent
                    await login_response.aread()
                    try:
                        sent = flow.send(login_response)
                    except StopIteration:
                        break
        response = yield self._prepare(request)
        self._remember(response)

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("NetSchoolAuth is used with httpx.AsyncClient only")
