"""Fault knobs: the ways a real regional server misbehaves, on demand.

Knobs are set at start and changed at run time through the control endpoint
(``/_emulator/control``).  Count-based knobs (``error_every``, ``throttle_every``,
``drop_every``, ``malformed_every``) fail every N-th request of the API, so a
client that retries succeeds deterministically; rate knobs draw from a seeded
generator for soak runs.
"""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass
class Faults:
    latency: float = 0.0
    """Seconds added before every answer."""
    hang: bool = False
    """Answer nothing at all (until the client gives up)."""
    error_rate: float = 0.0
    error_every: int = 0
    """Every N-th API request answers 500 (0 = never)."""
    fail_after: int = 0
    """From the N-th API request since start on, every request answers 500 (a server going down)."""
    throttle_every: int = 0
    """Every N-th API request answers 429 with ``Retry-After``."""
    throttle_rate: float = 0.0
    retry_after: int = 1
    session_expiry_after: int = 0
    """A session expires (401) after this many authorised requests (0 = only by time)."""
    session_timeout: int = 3600
    """Seconds of ``timeOut`` a login grants (reported in ms, as the server does)."""
    malformed_every: int = 0
    """Every N-th JSON answer is cut in half."""
    malformed_rate: float = 0.0
    drop_every: int = 0
    """Every N-th API request loses its connection mid-answer."""
    drop_rate: float = 0.0
    parents_status: int = 0
    """Every ``userinfo/{id}/parents`` (a student's parents card) answers this HTTP status
    (403, 404, 500…; 0 = served): a server whose staff account may not read the cards."""
    version: str = "5.47.0"
    """Server version: switches the documented version quirks (netschool.md §3.2-3.4)."""
    seed: int = 0

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name: f.type for f in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"неизвестный параметр сбоев: {name}")
            current = getattr(self, name)
            setattr(self, name, type(current)(value))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


PARENTS_CARD = re.compile(r"^/webapi/userinfo/\d+/parents/?$")
"""The path ``parents_status`` refuses."""


class FaultInjector:
    """ASGI middleware: applies the knobs to ``/webapi``, ``/api`` and ``/asp`` requests."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults
        self.count = 0
        self.random = random.Random(faults.seed)

    def _hit(self, every: int, rate: float) -> bool:
        if every and self.count % every == 0:
            return True
        return bool(rate) and self.random.random() < rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(("/webapi", "/api", "/asp")):
            await self.app(scope, receive, send)
            return
        f = self.faults
        self.count += 1
        if f.hang:
            await asyncio.sleep(3600)
            return
        if f.latency:
            await asyncio.sleep(f.latency)
        if self._hit(f.drop_every, f.drop_rate):
            await _drop(send)
            return
        if self._hit(f.error_every, f.error_rate) or (f.fail_after and self.count >= f.fail_after):
            await _plain(send, 500, b'{"message":"Internal Server Error"}')
            return
        if f.parents_status and PARENTS_CARD.match(path):
            await _plain(
                send,
                f.parents_status,
                '{"message":"Доступ к карточке пользователя запрещён"}'.encode(),
            )
            return
        if self._hit(f.throttle_every, f.throttle_rate):
            await _plain(
                send,
                429,
                '{"message":"Слишком много запросов. Повторите позже."}'.encode(),
                [(b"retry-after", str(f.retry_after).encode())],
            )
            return
        if self._hit(f.malformed_every, f.malformed_rate):
            await self.app(scope, receive, _truncating(send))
            return
        await self.app(scope, receive, send)


async def _plain(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drop(send: Send) -> None:
    """Promise a body and close after a few bytes: the client sees the connection drop."""
    headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"we', "more_body": True})
    raise ConnectionAbortedError("emulated dropped connection")


def _truncating(send: Send) -> Send:
    """Wrap ``send`` so that a JSON body goes out cut in half, with a matching length."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            cut = body[: max(1, len(body) // 2)] if body else b"{"
            headers = [
                (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
            ]
            headers.append((b"content-length", str(len(cut)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": cut})
            return
        await send(message)

    return wrapped
