"""``sverka emulate …``: run a platform emulator on loopback for demos and manual checks.

Each emulator adds its command to :data:`emulate_app` from its own module
(``cli/emulate_<platform>.py`` or here for NetSchool).
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import typer
from rich.console import Console

from cli.errors import UserError, user_errors

emulate_app = typer.Typer(
    help="Эмуляторы платформ на локальном адресе (127.0.0.1) для демонстрации и проверок.",
    no_args_is_help=True,
)


@emulate_app.command("netschool")
def emulate_netschool(
    scenario: Path = typer.Option(..., "--scenario", help="Файл сценария (JSON или JSON.gz)."),
    port: int = typer.Option(8080, "--port", help="Порт на 127.0.0.1."),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Момент, на который показывать данные (ISO 8601 с часовым поясом); "
        "без него часы эмулятора идут в реальном времени.",
    ),
    faults: list[str] = typer.Option(
        [], "--fault", help="Сбой: имя=значение (latency=0.5, error_every=7, version=5.20.0…)."
    ),
) -> None:
    """Эмулятор «Сетевого города» (NetSchool, школы) по сценарию."""
    check_port(port)
    from emulators.netschool.faults import Faults
    from emulators.netschool.server import serve_forever
    from emulators.scenario.world import ScenarioError, World, parse_moment

    with user_errors(ScenarioError, ValueError):
        world = World.load(scenario)
        moment = parse_moment(as_of) if as_of else None
        knobs = Faults()
        for item in faults:
            name, sep, value = item.partition("=")
            if not sep:
                raise UserError(f"сбой задаётся как имя=значение, а не «{item}»")
            knobs.update({name.strip(): _knob_value(value.strip())})
    console = Console()
    console.print(
        f"Эмулятор NetSchool: http://127.0.0.1:{port}/ (сценарий {scenario}, "
        f"часы: {moment.isoformat() if moment else 'реальное время'}). "
        "Управление: POST /_emulator/control. Остановка: Ctrl+C."
    )
    serve_forever(world, port, moment, knobs)


def check_port(port: int) -> None:
    """Refuse a port the emulator could not listen on, before any banner claims it serves.

    The server binds the port again a moment later (with the same ``SO_REUSEADDR``); only a
    program that grabs it in between could still beat it.
    """
    if not 1 <= port <= 65535:
        raise UserError(f"порт {port} вне допустимых пределов 1–65535")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UserError(
                    f"порт {port} уже занят другой программой: выберите другой (--port)"
                ) from None
            if exc.errno == errno.EACCES:
                raise UserError(
                    f"порт {port} доступен только администратору: выберите порт выше 1024"
                ) from None
            raise


def _knob_value(value: str) -> str | bool:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value
