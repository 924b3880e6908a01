"""Serving the emulator with uvicorn: in the foreground for the CLI, in a thread for tests."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

import uvicorn

from emulators.eljur.app import DEFAULT_DEVKEY, EmulatorState, create_app
from emulators.eljur.faults import Faults
from emulators.scenario.world import World
from emulators.serving import ServedInThread, serve_in_foreground, serve_in_thread


def serve_forever(
    world: World,
    port: int,
    as_of: dt.datetime | None = None,
    faults: Faults | None = None,
    devkeys: frozenset[str] = frozenset({DEFAULT_DEVKEY}),
) -> None:
    """Run on 127.0.0.1:``port`` until interrupted (``sverka emulate eljur``)."""
    state = EmulatorState(world=world, faults=faults or Faults(), as_of=as_of, devkeys=devkeys)
    serve_in_foreground(create_app(state), port)


@dataclass
class RunningEmulator(ServedInThread):
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
    url, server, thread = serve_in_thread(
        create_app(state), port, "eljur-emulator", "эмулятор ЭлЖур не запустился"
    )
    return RunningEmulator(url, state, server, thread)
