"""An async httpx client for one ПОО account: cookie session, re-login, retries, one request at a time.

The host limits sessions per account (P‑AIS), so every request of an account
goes through one lock with a pause between requests, a job logs in once and
logs out at the end, and a lapsed session (401 or a redirect to
``/security/``) is renewed once per request before giving up.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TypeVar

import httpx
import structlog
from pydantic import TypeAdapter, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from connectors.poo.errors import (
    BadRequest,
    Malformed,
    MissingPermission,
    NotFound,
    PooError,
    ServerError,
    SessionLapsed,
    SessionLimit,
    Throttled,
    Unexpected,
    WrongCredentials,
    from_transport,
    is_retryable,
)
from connectors.poo.profiles import Deployment
from connectors.poo.wire import LoginInfo, Tenant
from connectors.tls import tls_context

log = structlog.get_logger("connectors.poo")

_LOCKS: dict[tuple[int, str, str], asyncio.Lock] = {}
T = TypeVar("T")


def account_lock(base_url: str, login: str) -> asyncio.Lock:
    """One lock per account per event loop: requests of one account never overlap."""
    key = (id(asyncio.get_running_loop()), base_url, login)
    lock = _LOCKS.get(key)
    if lock is None:
        lock = _LOCKS[key] = asyncio.Lock()
    return lock


def password_hash(password: str) -> str:
    """base64(sha256(utf8(password))) — what the vendor's login page sends."""
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest()).decode("ascii")


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        status = body.get("responseStatus")
        if isinstance(status, dict) and status.get("message"):
            return str(status["message"])
        errors = body.get("errors")
        if isinstance(errors, dict):
            parts = []
            for value in errors.values():
                parts.extend(value if isinstance(value, list) else [value])
            return "; ".join(str(p) for p in parts)
    return ""


def _lapsed(response: httpx.Response) -> bool:
    if response.status_code == 401:
        return True
    if response.is_redirect:
        return "/security/" in response.headers.get("location", "")
    return False


class PooClient:
    """``async with PooClient(...) as client``: logged in inside, logged out after."""

    def __init__(
        self,
        deployment: Deployment,
        login: str,
        password: str,
        *,
        pause: float = 0.5,
        timeout: float = 30.0,
        attempts: int = 5,
        backoff: float = 0.5,
        max_wait: float = 30.0,
        remember: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.deployment = deployment
        self.login_name = login
        self._password = password
        self.pause = pause
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.max_wait = max_wait
        self.remember = remember
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._last = 0.0
        self.requests = 0
        self.relogins = 0
        self.retries = 0
        self.tenant: Tenant | None = None
        self.tenant_name: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> PooClient:
        self._http = httpx.AsyncClient(
            base_url=self.deployment.base_url,
            timeout=self.timeout,
            follow_redirects=False,
            headers={"Accept": "application/json, text/plain, */*"},
            verify=tls_context(),
            transport=self._transport,
        )
        try:
            await self.login()
        except BaseException:
            await self._http.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.logout()
        finally:
            if self._http is not None:
                await self._http.aclose()

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            raise RuntimeError("PooClient used outside 'async with'")
        return self._http

    @property
    def permissions(self) -> set[int]:
        role = self.tenant.employeeRole if self.tenant else None
        return set(role.permissions) if role else set()

    # -- transport ---------------------------------------------------------------------------

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async with account_lock(self.deployment.base_url, self.login_name):
            wait = self.pause - (time.monotonic() - self._last)
            if wait > 0:
                await asyncio.sleep(wait)
            started = time.monotonic()
            try:
                self.requests += 1
                response = await self.http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                log.debug("poo.request_failed", method=method, path=path, error=type(exc).__name__)
                raise from_transport(exc, self.deployment.base_url) from None
            finally:
                self._last = time.monotonic()
            log.debug(
                "poo.request",
                method=method,
                path=path,
                status=response.status_code,
                ms=round((self._last - started) * 1000, 1),
            )
            return response

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        self.retries += 1
        if isinstance(exc, ServerError) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_wait)
        return float(min(self.backoff * 2 ** (state.attempt_number - 1), self.max_wait))

    def _retrying(self) -> AsyncRetrying:
        return AsyncRetrying(
            retry=retry_if_exception(is_retryable),
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            reraise=True,
        )

    # -- session -----------------------------------------------------------------------------

    async def login(self) -> Tenant:
        async for attempt in self._retrying():
            with attempt:
                return await self._login_once()
        raise AssertionError("unreachable")  # pragma: no cover

    async def _login_once(self) -> Tenant:
        body = {
            "login": self.login_name,
            "password": password_hash(self._password),
            "isRemember": self.remember,
        }
        response = await self._send("POST", "/services/security/login", json=body)
        status = response.status_code
        if status in (401, 403):
            message = _message(response)
            lowered = message.lower()
            if "session" in lowered or "сеанс" in lowered:
                raise SessionLimit(
                    f"вход в {self.deployment.host} отклонён: превышено число одновременных "
                    "сеансов учётной записи (закройте другие сеансы или подождите)"
                )
            raise WrongCredentials(
                f"вход в {self.deployment.host} не выполнен: неверный логин или пароль"
            )
        self._raise_for_status(response, "/services/security/login", None)
        info = LoginInfo(tenants={})
        try:
            if response.content.strip():
                info = LoginInfo.model_validate(self._json(response, "/services/security/login"))
            if not info.tenants:
                tenants = await self._get_raw("/services/security/get-tenants")
                info = LoginInfo.model_validate({"tenantName": info.tenantName, "tenants": tenants})
        except ValidationError:
            raise Unexpected(
                f"ответ {self.deployment.host} на вход неожиданного вида (нет списка организаций)"
            ) from None
        wanted = self.deployment.tenant or info.tenantName or next(iter(info.tenants), None)
        if wanted is None or wanted not in info.tenants:
            known = ", ".join(sorted(info.tenants)) or "нет ни одной"
            raise PooError(
                f"учётной записи не доступна организация {wanted or '?'} (доступны: {known})"
            )
        if info.tenantName and wanted != info.tenantName:
            switch = await self._send(
                "PUT", "/services/security/switch-tenant", json={"name": wanted}
            )
            self._raise_for_status(switch, "/services/security/switch-tenant", None)
        self.tenant = info.tenants[wanted]
        self.tenant_name = wanted
        log.info("poo.login", host=self.deployment.host, tenant=wanted)
        return self.tenant

    async def logout(self) -> None:
        """``DELETE /services/security/logout``; a failure here never fails a job."""
        if self._http is None or self.tenant is None:
            return
        try:
            response = await self._send("DELETE", "/services/security/logout")
            if response.status_code == 405:
                await self._send("POST", "/services/security/logout")
        except PooError:
            log.warning("poo.logout_failed", host=self.deployment.host)
        self.tenant = None

    # -- requests ----------------------------------------------------------------------------

    async def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, permission: int | None = None
    ) -> Any:
        """The JSON of a GET, with re-login once on a lapsed session and table-driven retries."""
        async for attempt in self._retrying():
            with attempt:
                return await self._get_once(path, params, permission)
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_as(
        self,
        shape: TypeAdapter[T],
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        permission: int | None = None,
    ) -> T:
        """A GET validated into ``shape`` by pydantic's own JSON parser, inside the retry loop.

        Broken JSON is retried like any transient fault; JSON of another shape is not.
        """
        async for attempt in self._retrying():
            with attempt:
                response = await self._get_response(path, params, permission)
                try:
                    return shape.validate_json(response.content)
                except ValidationError as exc:
                    errors = exc.errors()
                    if any(e["type"] == "json_invalid" for e in errors):
                        raise Malformed(
                            f"сервер прислал повреждённый ответ на запрос {path}"
                        ) from None
                    where = ".".join(str(p) for p in errors[0]["loc"]) if errors else "?"
                    raise Unexpected(
                        f"ответ сервера на запрос {path} неожиданного вида (поле {where})"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _get_once(
        self, path: str, params: Mapping[str, Any] | None, permission: int | None
    ) -> Any:
        response = await self._get_response(path, params, permission)
        return self._json(response, path)

    async def _get_response(
        self, path: str, params: Mapping[str, Any] | None, permission: int | None
    ) -> httpx.Response:
        response = await self._send("GET", path, params=params)
        if _lapsed(response):
            self.relogins += 1
            log.info("poo.relogin", path=path)
            await self._login_once()
            response = await self._send("GET", path, params=params)
            if _lapsed(response):
                raise SessionLapsed(
                    f"сервер {self.deployment.host} завершает сеанс сразу после входа (запрос {path})"
                )
        self._raise_for_status(response, path, permission)
        return response

    async def _get_raw(self, path: str) -> Any:
        response = await self._send("GET", path)
        self._raise_for_status(response, path, None)
        return self._json(response, path)

    def _json(self, response: httpx.Response, path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise Malformed(f"сервер прислал повреждённый ответ на запрос {path}") from None

    def _raise_for_status(
        self, response: httpx.Response, path: str, permission: int | None
    ) -> None:
        status = response.status_code
        if status < 300:
            return
        message = _message(response)
        if status == 403:
            if permission is not None:
                raise MissingPermission((permission,), path)
            raise PooError(f"недостаточно прав для операции (запрос {path})")
        if status == 404:
            raise NotFound(f"объект не найден (запрос {path})")
        if status == 400:
            raise BadRequest(f"сервер отклонил запрос {path}: {message or 'некорректные данные'}")
        if status == 429:
            raise Throttled(
                f"сервер ограничил частоту запросов (запрос {path})",
                retry_after=_retry_after(response),
            )
        if status >= 500:
            raise ServerError(
                f"ошибка на стороне сервера {self.deployment.host}: {message or status} (запрос {path})",
                retry_after=_retry_after(response),
            )
        if _lapsed(response):
            raise SessionLapsed(f"сеанс завершён сервером (запрос {path})")
        raise PooError(f"сервер ответил {status} на запрос {path}: {message}".rstrip(": "))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
