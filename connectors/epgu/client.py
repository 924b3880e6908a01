"""Reading parents' applications from the school's СМЭВ queue and answering them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from connectors.epgu.wire import FORM_DATA, WireCancelRequest, WireDiaryRequest, parse_form_data
from connectors.smev3.client import ReceivedRequest
from connectors.smev3.transport import Smev3Transport


@dataclass(frozen=True)
class Application:
    received: ReceivedRequest
    request: WireDiaryRequest | WireCancelRequest | None
    problem: str | None
    """Why the application could not be read (then ``request`` is ``None``)."""


class EpguConnector:
    def __init__(self, smev: Smev3Transport) -> None:
        self.smev = smev

    async def next_application(self) -> Application | None:
        received = await self.smev.get_request(FORM_DATA)
        return _application(received) if received is not None else None

    async def applications_since(self, since: dt.datetime) -> list[Application]:
        """Applications already handed out from ``since`` (see
        :meth:`connectors.smev3.transport.Smev3Transport.find_requests`)."""
        return [_application(r) for r in await self.smev.find_requests(since, selector=FORM_DATA)]

    async def ack(self, received: ReceivedRequest) -> None:
        await self.smev.ack(received.message_id, accepted=received.signature_ok)


def _application(received: ReceivedRequest) -> Application:
    if received.content is None:
        return Application(received, None, "в сообщении нет заявления")
    try:
        return Application(received, parse_form_data(received.content), None)
    except (ValueError, TypeError) as exc:
        return Application(received, None, f"заявление не читается: {exc}")
