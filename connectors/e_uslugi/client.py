"""Reading «Е-услуги» enrolment notices from the school's СМЭВ queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from connectors.e_uslugi.wire import NOTICE, WireEnrolmentNotice, parse_notice
from connectors.smev3.client import ReceivedRequest
from connectors.smev3.transport import Smev3Transport


@dataclass(frozen=True)
class Notice:
    received: ReceivedRequest
    notice: WireEnrolmentNotice | None
    problem: str | None


class EUslugiConnector:
    def __init__(self, smev: Smev3Transport) -> None:
        self.smev = smev

    async def next_notice(self) -> Notice | None:
        received = await self.smev.get_request(NOTICE)
        return _notice(received) if received is not None else None

    async def notices_since(self, since: dt.datetime) -> list[Notice]:
        """Notices already handed out from ``since`` (see
        :meth:`connectors.smev3.transport.Smev3Transport.find_requests`)."""
        return [_notice(r) for r in await self.smev.find_requests(since, selector=NOTICE)]

    async def ack(self, received: ReceivedRequest) -> None:
        await self.smev.ack(received.message_id, accepted=received.signature_ok)


def _notice(received: ReceivedRequest) -> Notice:
    if received.content is None:
        return Notice(received, None, "в сообщении нет уведомления")
    try:
        return Notice(received, parse_notice(received.content), None)
    except (ValueError, TypeError) as exc:
        return Notice(received, None, f"уведомление не читается: {exc}")
