"""Defect 7 of issue 12: size and element limits on every СМЭВ body, both directions."""

from __future__ import annotations

import time

import httpx
import pytest

from connectors.smev3.client import SmevClient, SmevSettings, new_message_id
from connectors.smev3.errors import HostileEnvelopeError
from emulators.smev3.hostile import HOSTILE
from tests.smev3.conftest import Running
from tests.smev3.test_hostile_xml import _view_request

FLOOD = (
    b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><x>'
    + b"<a/>" * 2_000_000
    + b"</x></soap:Body></soap:Envelope>"
)
"""The issue's probe: 8 MB of two million elements."""


@pytest.mark.parametrize(
    "body",
    [FLOOD, HOSTILE["element_flood"], HOSTILE["oversized"]],
    ids=["8mb-flood", "element-flood", "oversized"],
)
def test_emulator_refuses_quickly(smev: Running, body: bytes) -> None:
    started = time.monotonic()
    response = httpx.post(
        smev.smev, content=body, headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=60
    )
    assert time.monotonic() - started < 10
    assert response.status_code == 500
    assert "InvalidContent" in response.text
    assert "больше" in response.text and "конверт отклонён" in response.text
    # The emulator still answers the next, ordinary request.
    follow = httpx.post(smev.smev, content=b"<x/>", timeout=10)
    assert follow.status_code == 500 and "SOAP" in follow.text


@pytest.mark.parametrize("kind", ["element_flood", "oversized"])
async def test_connector_refuses_oversized_answer(smev: Running, kind: str) -> None:
    smev.control("POST", "hostile", json={"operation": "SendRequest", "kind": kind})
    async with SmevClient(SmevSettings(smev.smev)) as client:
        with pytest.raises(HostileEnvelopeError) as refused:
            await client.send_request(_view_request(), new_message_id())
    assert "больше" in refused.value.message
