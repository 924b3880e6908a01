"""``sverka emulate eljur``: the ЭлЖур emulator on loopback, for demos and manual checks."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from cli.emulate import check_port, emulate_app
from cli.errors import UserError, user_errors


@emulate_app.command("eljur")
def emulate_eljur_command(
    scenario: Path = typer.Option(..., "--scenario", help="Файл сценария (JSON или JSON.gz)."),
    port: int = typer.Option(8082, "--port", help="Порт на 127.0.0.1."),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Момент, на который показывать данные (ISO 8601 с часовым поясом); "
        "без него часы эмулятора идут в реальном времени.",
    ),
    devkey: list[str] = typer.Option(
        [], "--devkey", help="Допустимый ключ разработчика (по умолчанию ключ эмулятора)."
    ),
    faults: list[str] = typer.Option(
        [], "--fault", help="Сбой: имя=значение (latency=0.5, error_every=7, drop_every=5…)."
    ),
) -> None:
    """Эмулятор ЭлЖур (/api и /apiv3) по сценарию."""
    check_port(port)
    from emulators.eljur.app import DEFAULT_DEVKEY
    from emulators.eljur.faults import Faults
    from emulators.eljur.school import vendor_of
    from emulators.eljur.server import serve_forever
    from emulators.scenario.world import ScenarioError, World, parse_moment

    with user_errors(ScenarioError, ValueError):
        world = World.load(scenario)
        moment = parse_moment(as_of) if as_of else None
        knobs = Faults()
        for item in faults:
            name, sep, value = item.partition("=")
            if not sep:
                raise UserError(f"сбой задаётся как имя=значение, а не «{item}»")
            raw = value.strip()
            knobs.update(
                {name.strip(): raw.lower() == "true" if raw.lower() in ("true", "false") else raw}
            )
    keys = frozenset(devkey) or frozenset({DEFAULT_DEVKEY})
    Console().print(
        f"Эмулятор ЭлЖур: http://127.0.0.1:{port}/apiv3/ (vendor «{vendor_of(world)}», "
        f"сценарий {scenario}, часы: {moment.isoformat() if moment else 'реальное время'}). "
        "Управление: POST /_emulator/control. Остановка: Ctrl+C."
    )
    serve_forever(world, port, moment, knobs, keys)
