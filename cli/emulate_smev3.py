"""``sverka emulate smev3``: the СМЭВ 3 emulator with the registry, ЕПГУ and «Е-услуги» bots."""

from __future__ import annotations

import datetime as dt

import typer

from cli.emulate import check_port, emulate_app
from cli.errors import UserError, user_errors


@emulate_app.command("smev3")
def emulate_smev3(
    scenario: str = typer.Option(..., "--scenario", help="Файл сценария (JSON или JSON.gz)."),
    port: int = typer.Option(8093, "--port", help="Порт на 127.0.0.1."),
    org_code: str | None = typer.Option(
        None, "--org-code", help="Код организации в реестре (по умолчанию institution_id сценария)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Момент сценария (ISO 8601 с часовым поясом)."
    ),
    version: str = typer.Option("1.2", "--smev-version", help="Версия схем СМЭВ: 1.2 или 1.3."),
    school: str = typer.Option("SVERKA01", "--school-mnemonic", help="Мнемоника ИС организации."),
    signature: str = typer.Option("mock", "--signature", help="Проверка подписи: off или mock."),
    validation: str = typer.Option(
        "sync", "--validation", help="Проверка по схеме: sync или async."
    ),
    send: bool = typer.Option(
        True, "--send/--no-send", help="Сразу отправить заявления ЕПГУ и уведомления «Е-услуги»."
    ),
) -> None:
    """Запустить эмулятор СМЭВ 3 (реестр контингента, ЕПГУ, «Е-услуги») на 127.0.0.1."""
    check_port(port)
    if (
        signature not in ("off", "mock")
        or validation not in ("sync", "async")
        or version not in ("1.2", "1.3")
    ):
        raise UserError(
            "неверный режим: --signature off|mock, --validation sync|async, --smev-version 1.2|1.3"
        )
    from emulators.scenario.world import ScenarioError, World
    from emulators.smev3.app import build, create_app, serve
    from emulators.smev3.broker import BrokerConfig

    with user_errors(ScenarioError, ValueError):
        world = World.load(scenario)
        moment_text = as_of or world.meta.get("ends_at")
        moment = dt.datetime.fromisoformat(moment_text) if moment_text else dt.datetime.now(dt.UTC)
        if moment.tzinfo is None:
            raise UserError("момент --as-of нужен с часовым поясом")
        config = BrokerConfig(
            version=version,
            school=school,
            signature="mock" if signature == "mock" else "off",
            validation="async" if validation == "async" else "sync",
        )
        code = org_code or str(world.meta.get("institution_id") or "")
        if not code:
            raise UserError("укажите --org-code: в сценарии нет institution_id")
        emulator = build(world, as_of=moment, org_code=code, config=config)
        if send:
            emulator.epgu.send_due(emulator.broker, moment)
            emulator.e_uslugi.send_due(emulator.broker, moment)
    typer.echo(f"Эмулятор СМЭВ {version}: http://127.0.0.1:{port}/smev (управление: /control/…)")
    serve(create_app(emulator), port=port)
