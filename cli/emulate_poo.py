"""``sverka emulate poo``: the «Модуль ПОО» emulator on loopback, for demos and manual checks."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from cli.emulate import check_port, emulate_app
from cli.errors import UserError, user_errors


def _knob(value: str) -> object:
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            continue
    return value


@emulate_app.command("poo")
def emulate_poo_command(
    scenario: Path = typer.Option(..., "--scenario", help="Файл сценария (JSON или JSON.gz)."),
    port: int = typer.Option(8081, "--port", help="Порт на 127.0.0.1."),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="Момент, на который показывать данные (ISO 8601 с часовым поясом); "
        "без него часы эмулятора идут в реальном времени.",
    ),
    tenant: str = typer.Option("spo_1", "--tenant", help="Ключ организации (spo_<n>)."),
    faults: list[str] = typer.Option(
        [],
        "--fault",
        help="Сбой: имя=значение (latency_ms=300, error_rate=0.1, throttle_rate=0.05, "
        "expire_after=50, session_cap=1, server_version=2024, lapse=redirect…).",
    ),
) -> None:
    """Эмулятор «Сетевой город. Образование — Модуль ПОО» (колледжи) по сценарию."""
    check_port(port)
    from emulators.poo.app import EmulatorConfig
    from emulators.poo.faults import Faults
    from emulators.poo.server import serve_forever
    from emulators.scenario.world import ScenarioError, World, parse_moment

    with user_errors(ScenarioError, ValueError):
        world = World.load(scenario)
        moment = parse_moment(as_of) if as_of else None
        knobs = Faults()
        for item in faults:
            name, sep, value = item.partition("=")
            if not sep:
                raise UserError(f"сбой задаётся как имя=значение, а не «{item}»")
            try:
                knobs.update({name.strip(): _knob(value.strip())})
            except KeyError:
                raise UserError(f"неизвестный сбой «{name.strip()}»") from None
    Console().print(
        f"Эмулятор «Модуль ПОО»: http://127.0.0.1:{port}/ (сценарий {scenario}, "
        f"часы: {moment.isoformat() if moment else 'реальное время'}, организация {tenant}). "
        "Управление: PUT /x-emulator/control, PUT /x-emulator/clock. Остановка: Ctrl+C."
    )
    serve_forever(EmulatorConfig(world=world, as_of=moment, tenant=tenant, faults=knobs), port)
