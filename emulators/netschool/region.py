"""One NetSchool host serving many schools, as a regional platform does.

A region's schools share one host (sgo.tomedu.ru, netschool.edu22.info) and
tell themselves apart at login by the ``scid`` form field.  Here every school is
the ordinary single-school emulator (its own world and clock) and the host
dispatches each request as the real server does: the login by its ``scid``,
every later request by its session token ``at``; the pre-login handshake shares
one table of pending logins, so ``getdata`` and ``login`` meet whichever school
answers them.

The host keeps a request log (time, school, path, session token, sessions open
on the whole host after the request), so a test can check that the host never
served more sessions at once than its budget allows.  A client killed mid-sync
leaves its session open on the server until it times out, as on a real host;
what the budget bounds is how many sessions are being *worked* at once, so
:func:`max_concurrent_sessions` counts a session from its first request to its
last.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulators.netschool.app import EmulatorState, PendingLogin, create_app
from emulators.netschool.faults import Faults
from emulators.scenario.world import World
from emulators.serving import ServedInThread, serve_in_thread


@dataclass(frozen=True)
class Hit:
    at: float
    """``time.monotonic()`` when the answer was sent."""
    school: int
    path: str
    session: str
    """The session token the request carried (``""`` before login)."""
    sessions: int
    """Sessions open on the whole host right after this request (abandoned ones too)."""
    arrived: float
    """``time.monotonic()`` when the request came in (what a requests-per-second budget bounds)."""


def max_concurrent_sessions(hits: list[Hit]) -> int:
    """The most sessions worked at once: each from its first request to its last."""
    spans: dict[str, tuple[float, float]] = {}
    for hit in hits:
        if hit.session:
            first, _ = spans.get(hit.session, (hit.at, hit.at))
            spans[hit.session] = (first, hit.at)
    # At equal moments an ending session is counted out before a starting one comes in.
    events = sorted([(a, 1) for a, _ in spans.values()] + [(b, -1) for _, b in spans.values()])
    most = running = 0
    for _, step in events:
        running += step
        most = max(most, running)
    return most


@dataclass
class RegionHost:
    """The ASGI app of one host: its schools by ``scid``, the shared login table, the log."""

    schools: dict[int, EmulatorState]
    apps: dict[int, ASGIApp] = field(default_factory=dict)
    log: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.apps = {scid: create_app(state) for scid, state in self.schools.items()}

    def open_sessions(self) -> int:
        return sum(len(state.sessions) for state in self.schools.values())

    def max_sessions(self) -> int:
        """The most sessions worked at once over the whole log."""
        return max_concurrent_sessions(self.log)

    def _by_token(self, token: str) -> int | None:
        for scid, state in self.schools.items():
            if token in state.sessions:
                return scid
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        arrived = time.monotonic()
        school, token = self._route(scope, body)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.apps[school](scope, replay, send)
        with self.lock:
            self.log.append(Hit(
                    time.monotonic(), school, scope["path"], token, self.open_sessions(), arrived
                ))

    def _route(self, scope: Scope, body: bytes) -> tuple[int, str]:
        """The school a request is for, and the session token it carries."""
        form = {k.lower(): v for k, v in parse_qsl(body.decode("utf-8", "replace"))}
        query = {k.lower(): v for k, v in parse_qsl(scope.get("query_string", b"").decode())}
        if scope["path"].endswith("/login") and (form.get("scid") or query.get("scid")):
            scid = form.get("scid") or query.get("scid") or ""
            if scid.isdigit() and int(scid) in self.apps:
                return int(scid), ""
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        token = headers.get("at") or query.get("at") or form.get("at") or ""
        owner = self._by_token(token) if token else None
        return (owner if owner is not None else next(iter(self.apps))), token


def with_school_id(world: World, school_id: int) -> World:
    """The world as one school of a region: its login id (``scid``) set to ``school_id``."""
    platform = dict(world.meta.get("platform") or {})
    platform["school_id"] = school_id
    return dataclasses.replace(world, meta={**world.meta, "platform": platform})


def region_host(worlds: list[World], *, as_of: dt.datetime | None = None) -> RegionHost:
    """A host serving ``worlds`` (their ``scid`` must differ: see :func:`with_school_id`)."""
    pending: dict[str, PendingLogin] = {}
    states: dict[int, EmulatorState] = {}
    for world in worlds:
        state = EmulatorState(world=world, faults=Faults(), as_of=as_of, pending=pending)
        scid = state.school().id
        if scid in states:
            raise ValueError(f"две школы узла с одним scid {scid}")
        states[scid] = state
    return RegionHost(states)


@dataclass
class RunningRegionHost(ServedInThread):
    url: str
    host: RegionHost
    server: uvicorn.Server
    thread: threading.Thread


def start_region_host(
    worlds: list[World], *, as_of: dt.datetime | None = None, port: int = 0
) -> RunningRegionHost:
    """Serve ``worlds`` on one loopback port in a background thread."""
    host = region_host(worlds, as_of=as_of)
    url, server, thread = serve_in_thread(
        host, port, "netschool-region", "эмулятор узла NetSchool не запустился"
    )
    return RunningRegionHost(url, host, server, thread)
