"""Running the emulator: in-process on a free loopback port for tests, or in the foreground for the CLI."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import uvicorn

from emulators.poo.app import Emulator, EmulatorConfig, create_app
from emulators.serving import ServedInThread

HOST = "127.0.0.1"


@dataclass
class RunningEmulator(ServedInThread):
    """A started emulator: its base URL, its state handle, and ``stop``."""

    url: str
    emulator: Emulator
    server: uvicorn.Server
    thread: threading.Thread


def start_emulator(config: EmulatorConfig, port: int = 0) -> RunningEmulator:
    """Serve on 127.0.0.1 (a free port when ``port`` is 0) in a background thread."""
    app, emulator = create_app(config)
    server = uvicorn.Server(
        uvicorn.Config(app, host=HOST, port=port, log_level="critical", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="poo-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("эмулятор Модуля ПОО не запустился")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    return RunningEmulator(f"http://{HOST}:{bound}", emulator, server, thread)


def serve_forever(config: EmulatorConfig, port: int) -> None:
    """The CLI's foreground server (Ctrl+C stops it)."""
    app, _ = create_app(config)
    uvicorn.run(app, host=HOST, port=port, log_level="warning", lifespan="off")
