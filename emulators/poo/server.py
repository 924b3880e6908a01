"""Running the emulator: in-process on a free loopback port for tests, or in the foreground for the CLI.

Both go through ``emulators.serving``, so the ПОО emulator answers with the same socket and
uvicorn settings as every other platform's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import uvicorn

from emulators.poo.app import Emulator, EmulatorConfig, create_app
from emulators.serving import ServedInThread, serve_in_foreground, serve_in_thread


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
    url, server, thread = serve_in_thread(
        app, port, "poo-emulator", "эмулятор Модуля ПОО не запустился"
    )
    return RunningEmulator(url, emulator, server, thread)


def serve_forever(config: EmulatorConfig, port: int) -> None:
    """The CLI's foreground server (Ctrl+C stops it)."""
    app, _ = create_app(config)
    serve_in_foreground(app, port)
