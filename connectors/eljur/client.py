"""An async httpx client for one ЭлЖур account: token, renewal, retries, a per-host limit.

Every call goes through :meth:`EljurClient.call`: the per-host semaphore caps
requests in flight, tenacity retries what :mod:`connectors.eljur.errors`
calls transient (honouring ``Retry-After``), an envelope error becomes that
table's class, and a rejected token is renewed once with a fresh ``auth``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import json
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from connectors.eljur.errors import (
    EljurError,
    Malformed,
    ServerError,
    Throttled,
    TokenRejected,
    Unexpected,
    from_envelope,
    from_transport,
    is_retryable,
)
from connectors.eljur.wire import AuthResult, EnvelopeAnswer
from connectors.tls import tls_context

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
_ENVELOPE = TypeAdapter(EnvelopeAnswer)
_AUTH = TypeAdapter(AuthResult)
_HOST_LIMITS: dict[tuple[int, str], asyncio.Semaphore] = {}
_TYPED: dict[type[BaseModel], TypeAdapter[Any]] = {}


class _TypedEnvelope(BaseModel, Generic[T]):
    state: int
    error: None = None
    result: T


class _TypedAnswer(BaseModel, Generic[T]):
    """A successful envelope parsed straight from the bytes into the method's model."""

    response: _TypedEnvelope[T]


def _typed(model: type[M]) -> TypeAdapter[_TypedAnswer[M]]:
    found = _TYPED.get(model)
    if found is None:
        found = _TYPED[model] = TypeAdapter(_TypedAnswer[model])  # type: ignore[valid-type]
    return found


@dataclass(frozen=True)
class ClientSettings:
    concurrency: int = 2
    """Requests in flight at once to one host (all accounts of this process)."""
    class_pause: float = 0.5
    """Seconds between two classes of a whole-school pull (EJ‑REP pauses 500 ms)."""
    timeout: float = 30.0
    attempts: int = 5
    backoff: float = 0.3
    max_wait: float = 30.0


def host_limit(host: str, concurrency: int) -> asyncio.Semaphore:
    """One semaphore per host per event loop."""
    key = (id(asyncio.get_running_loop()), host)
    limit = _HOST_LIMITS.get(key)
    if limit is None:
        limit = _HOST_LIMITS[key] = asyncio.Semaphore(concurrency)
    return limit


class EljurClient:
    """``async with EljurClient(...) as client``: authorised inside."""

    def __init__(
        self,
        base_url: str,
        vendor: str,
        devkey: str,
        login: str,
        password: str,
        *,
        settings: ClientSettings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = httpx.URL(self.base_url).host or self.base_url
        self.vendor = vendor
        self._devkey = devkey
        self.login_name = login
        self._password = password
        self.settings = settings or ClientSettings()
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._token: str | None = None
        self.expires: dt.datetime | None = None
        self.server_time: dt.datetime | None = None
        self.requests = 0
        self.retries = 0
        self.renewals = 0

    async def __aenter__(self) -> EljurClient:
        self._http = httpx.AsyncClient(
            timeout=self.settings.timeout,
            headers={"user-agent": "Sverka/0.1 (+eljur connector)"},
            transport=self._transport,
            verify=tls_context(),
        )
        try:
            await self.authenticate()
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
        if self._http is not None:
            await self._http.aclose()

    def url(self, method: str) -> str:
        return f"{self.base_url}/{method}"

    def common(self) -> dict[str, str]:
        return {"devkey": self._devkey, "vendor": self.vendor, "out_format": "json"}

    # -- transport ------------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, ServerError) and exc.retry_after is not None:
            return min(exc.retry_after, self.settings.max_wait)
        return float(
            min(self.settings.backoff * 2 ** (state.attempt_number - 1), self.settings.max_wait)
        )

    def _count_retry(self, state: RetryCallState) -> None:
        self.retries += 1

    async def _once(
        self,
        method: str,
        params: dict[str, str],
        post: bool,
        typed: TypeAdapter[Any] | None = None,
    ) -> Any:
        assert self._http is not None
        url = self.url(method)
        async with host_limit(self.host, self.settings.concurrency):
            self.requests += 1
            try:
                if post:
                    response = await self._http.post(url, data=params)
                else:
                    response = await self._http.get(url, params=params)
            except httpx.TransportError as exc:
                raise from_transport(exc, self.host) from None
        date = response.headers.get("date")
        if date:
            with contextlib.suppress(TypeError, ValueError):
                self.server_time = email.utils.parsedate_to_datetime(date)
        if typed is not None and response.status_code == 200:
            # The usual case in one pass over the bytes; anything else takes the slow path.
            try:
                return typed.validate_json(response.content).response.result
            except ValidationError:
                pass
        try:
            answer = _ENVELOPE.validate_python(json.loads(response.content))
        except (ValueError, ValidationError):
            if response.status_code == 429:
                after = response.headers.get("retry-after")
                raise Throttled(
                    f"сервер ЭлЖур {self.host} ограничил частоту запросов",
                    float(after) if after and after.isdigit() else None,
                ) from None
            if response.status_code >= 500:
                raise ServerError(
                    f"сервер ЭлЖур {self.host} ответил ошибкой {response.status_code} на {method}"
                ) from None
            raise Malformed(f"сервер ЭлЖур {self.host}: ответ на {method} не читается") from None
        envelope = answer.response
        if envelope.error is not None or not 200 <= response.status_code < 300:
            code = None
            if isinstance(envelope.result, dict):
                raw = envelope.result.get("errorCode")
                code = int(raw) if isinstance(raw, int | str) and str(raw).isdigit() else None
            raise from_envelope(
                method,
                response.status_code,
                envelope.error or "",
                code,
                self.host,
                self.vendor,
            )
        return envelope.result

    async def _retrying(
        self,
        method: str,
        params: dict[str, str],
        post: bool = False,
        typed: TypeAdapter[Any] | None = None,
    ) -> Any:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.attempts),
            wait=self._wait,
            retry=retry_if_exception(is_retryable),
            before_sleep=self._count_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._once(method, params, post, typed)
        raise AssertionError("unreachable")

    # -- session --------------------------------------------------------------------------

    async def authenticate(self) -> None:
        """``auth`` by POST form (eljur.md §2.1): a token and its ``expires``."""
        params = {**self.common(), "login": self.login_name, "password": self._password}
        result = await self._retrying("auth", params, post=True)
        try:
            auth = _AUTH.validate_python(result)
        except ValidationError:
            raise Unexpected(f"сервер ЭлЖур {self.host}: ответ на auth без токена") from None
        self._token = auth.token
        try:
            self.expires = dt.datetime.strptime(auth.expires, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            self.expires = None

    async def call(self, method: str, model: type[M], **params: str) -> M:
        """One API method as a wire model; the token is renewed once if the server rejects it."""
        for renewed in (False, True):
            query = {**self.common(), "auth_token": self._token or "", **params}
            try:
                result = await self._retrying(method, query, typed=_typed(model))
            except TokenRejected:
                if renewed:
                    raise
                self.renewals += 1
                await self.authenticate()
                continue
            try:
                return result if isinstance(result, model) else model.model_validate(result)
            except ValidationError as exc:
                raise Unexpected(
                    f"сервер ЭлЖур {self.host}: ответ на {method} неожиданного вида "
                    f"({exc.error_count()} ошибок)"
                ) from None
        raise AssertionError("unreachable")


__all__ = ["ClientSettings", "EljurClient", "EljurError"]
