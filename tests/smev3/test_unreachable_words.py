"""Issue 16: СМЭВ out of reach reads as a sentence — what is unreachable, at which address,
what to check — not httpx's class name («…: ConnectError») and never a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from connectors.smev3.client import SmevClient, SmevSettings, new_message_id
from connectors.smev3.errors import SmevTransportError


def _closed_port() -> int:
    """A loopback port nobody listens on: bound for a moment, then let go."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _sentence(text: str, address: str) -> None:
    flat = " ".join(text.split())
    assert address in flat, flat
    assert "не удалось установить соединение" in flat, flat
    assert "Проверьте адрес и порт" in flat, flat
    for foreign in ("ConnectError", "Traceback", "httpx", "Errno"):
        assert foreign not in flat, flat


async def test_the_client_names_the_server_its_address_and_what_to_check() -> None:
    address = f"http://127.0.0.1:{_closed_port()}/smev"
    async with SmevClient(SmevSettings(address, timeout=5)) as client:
        with pytest.raises(SmevTransportError) as caught:
            await client.ack(new_message_id())
    _sentence(caught.value.message, address)
    assert caught.value.message.startswith("сервер СМЭВ ")


@pytest.mark.parametrize(
    "command",
    [
        ["sync", "contingent"],
        ["epgu", "poll"],
        ["sync", "contingent", "--transport", "adapter", "--mnemonic", "SVERKA01"],
    ],
)
def test_a_command_against_a_closed_port_ends_in_one_russian_sentence(
    command: list[str], tmp_path: Path
) -> None:
    address = f"http://127.0.0.1:{_closed_port()}/smev"
    result = CliRunner().invoke(
        app,
        [
            "--db",
            str(tmp_path / "store.sqlite"),
            *command,
            "--url",
            address,
            "--org-code",
            "2224001234",
        ],
    )
    assert result.exit_code == 1, result.output
    _sentence(result.output, address)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[0].startswith("Ошибка:"), result.output
    who = "«Адаптер СМЭВ»" if "adapter" in command else "сервер СМЭВ"
    assert who in result.output
