"""Talking to the registry: push one movement event, ask for the registry's view, read answers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from connectors.contingent.wire import (
    MOVEMENT_RESPONSE,
    VIEW_RESPONSE,
    WireContingentView,
    WireMovementEvent,
    WireRecordResult,
    event_xml,
    parse_result,
    parse_view,
    view_request_xml,
)
from connectors.smev3.client import ReceivedResponse, SendResult, new_message_id
from connectors.smev3.errors import SmevError
from connectors.smev3.transport import Smev3Transport


class RegistryRefusal(SmevError):
    """The registry (or СМЭВ after accepting) refused the request as a whole."""


@dataclass(frozen=True)
class MovementAnswer:
    """One answer from the queue: a per-record result or a refusal of the whole message."""

    received: ReceivedResponse
    result: WireRecordResult | None
    refusal: str | None


class ContingentConnector:
    def __init__(self, smev: Smev3Transport) -> None:
        self.smev = smev

    async def send_event(
        self, event: WireMovementEvent, message_id: str, *, test: bool = False
    ) -> SendResult:
        return await self.smev.send_request(event_xml(event), message_id, test=test)

    async def next_movement_answer(self) -> MovementAnswer | None:
        received = await self.smev.get_response(MOVEMENT_RESPONSE)
        if received is None:
            return None
        return MovementAnswer(received, *_answer(received))

    async def movement_answers_to(self, message_id: str) -> list[MovementAnswer]:
        """Answers already handed out to the event sent as ``message_id`` (see
        :meth:`connectors.smev3.transport.Smev3Transport.find_responses`)."""
        found = await self.smev.find_responses(message_id)
        return [MovementAnswer(received, *_answer(received)) for received in found]

    async def ack(self, received: ReceivedResponse) -> None:
        await self.smev.ack(received.message_id, accepted=received.signature_ok)

    async def fetch_view(
        self, org_code: str, *, attempts: int = 50, interval: float = 0.2
    ) -> WireContingentView:
        """Ask for the registry's view and wait for its answer (acknowledging stale ones)."""
        message_id = new_message_id()
        await self.smev.send_request(view_request_xml(org_code), message_id)
        for _ in range(attempts):
            received = await self.smev.get_response(VIEW_RESPONSE)
            if received is None:
                await asyncio.sleep(interval)
                continue
            await self.ack(received)
            if received.original_message_id != message_id:
                continue
            if received.content is None:
                reason = "; ".join(d for _, d in received.rejections) or (
                    received.async_status.description if received.async_status else ""
                )
                raise RegistryRefusal(f"реестр контингента отказал в выдаче сведений: {reason}")
            return parse_view(received.content)
        raise RegistryRefusal("реестр контингента не ответил за отведённое время")


def _answer(received: ReceivedResponse) -> tuple[WireRecordResult | None, str | None]:
    if received.content is not None:
        return parse_result(received.content), None
    if received.async_status is not None:
        status = received.async_status
        return None, (
            f"СМЭВ отклонил сообщение после приёма ({status.category}): "
            f"{status.description or status.details or status.fault or ''}"
        )
    if received.rejections:
        return None, "реестр отказал: " + "; ".join(f"{c}: {d}" for c, d in received.rejections)
    return None, "ответ без содержимого"
