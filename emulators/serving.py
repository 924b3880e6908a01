"""Serving an emulator's ASGI app on loopback: shared by every platform's emulator.

Why one place: the socket options (Nagle off) and uvicorn settings are what make
the emulators answer like a real server without 40 ms stalls; each platform
must get the same, not its own copy.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any, Self

import uvicorn


def uvicorn_config(app: Any, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="critical",
        access_log=False,
        date_header=False,
        server_header=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )


def loopback_socket(port: int) -> socket.socket:
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


def serve_in_foreground(app: Any, port: int) -> None:
    sock = loopback_socket(port)
    uvicorn.Server(uvicorn_config(app, sock.getsockname()[1])).run(sockets=[sock])


def serve_in_thread(
    app: Any, port: int, thread_name: str, failure: str
) -> tuple[str, uvicorn.Server, threading.Thread]:
    """Start on ``port`` (0: a free one) in a daemon thread; returns once it accepts connections."""
    sock = loopback_socket(port)
    actual = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(app, actual))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=thread_name, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(failure)
        time.sleep(0.01)
    return f"http://127.0.0.1:{actual}", server, thread


class ServedInThread:
    """What every started emulator does with its uvicorn thread: stop it, and stop it on
    leaving a ``with`` block.  The platforms' ``Running…`` dataclasses carry ``server`` and
    ``thread`` (from :func:`serve_in_thread`) and inherit these."""

    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
