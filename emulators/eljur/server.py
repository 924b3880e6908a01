"""Serving the emulator with uvicorn: in the foreground for the CLI, in a thread for tests."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import uvicorn

from emulators.eljur.app import DEFAULT_DEVKEY, EmulatorState, create_app
from emulators.eljur.faults import Faults
from emulators.scenario.world import World


def _config(state: EmulatorState, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(state),
        host="127.0.0.1",
        port=port,
        log_level="critical",
        access_log=False,
        date_header=False,
        server_header=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )


def serve_forever(
    world: World,
    port: int,
    as_of: dt.datetime | None = None,
    faults: Faults | None = None,
    devkeys: frozenset[str] = frozenset({DEFAULT_DEVKEY}),
) -> None:
    """Run on 127.0.0.1:``port`` until interrupted (``sverka emulate eljur``)."""
    state = EmulatorState(world=world, faults=faults or Faults(), as_of=as_of, devkeys=devkeys)
    sock = _bound_socket(port)
    uvicorn.Server(_config(state, sock.getsockname()[1])).run(sockets=[sock])


def _bound_socket(port: int) -> socket.socket:
    """A loopback listening socket with Nagle off.

    Accepted connections inherit ``TCP_NODELAY``; without it the response's
    headers and body go out as two segments and the second waits for the
    client's delayed ACK (~40 ms a request on Linux).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@dataclass
class RunningEmulator:
    """A started in-process emulator: its URL, its state (clock, knobs) and a clean stop."""

    url: str
    state: EmulatorState
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def set_faults(self, **values: Any) -> None:
        self.state.faults.update(values)

    def reset_faults(self) -> None:
        fresh = Faults(seed=self.state.faults.seed)
        self.state.faults.update(fresh.as_dict())

    def set_clock(self, moment: dt.datetime | None) -> None:
        self.state.set_clock(moment)

    def requests(self) -> int:
        return sum(self.state.hits.values())

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_emulator(
    world: World,
    *,
    as_of: dt.datetime | None = None,
    faults: Faults | None = None,
    port: int = 0,
    devkeys: frozenset[str] = frozenset({DEFAULT_DEVKEY}),
) -> RunningEmulator:
    """Start on a free loopback port in a background thread; returns once it accepts connections."""
    state = EmulatorState(world=world, faults=faults or Faults(), as_of=as_of, devkeys=devkeys)
    sock = _bound_socket(port)
    actual = sock.getsockname()[1]
    server = uvicorn.Server(_config(state, actual))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="eljur-emulator", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("эмулятор ЭлЖур не запустился")
        time.sleep(0.01)
    return RunningEmulator(f"http://127.0.0.1:{actual}", state, server, thread)
