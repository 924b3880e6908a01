"""The one door the СМЭВ jobs use: send, poll, acknowledge, respond.

Institutions reach СМЭВ 3 either directly over SOAP with their own ЭП-ОВ
(:class:`connectors.smev3.client.SmevClient`) or through the operator-supplied
gateway «Адаптер СМЭВ», which signs and polls for them.  The registry, ЕПГУ and
«Е-услуги» connectors and the pipelines depend only on this protocol, so the
source's settings choose the way in without touching a job (protocol doc §1.12,
the narrow-transport recommendation).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from lxml import etree

from connectors.smev3.client import ReceivedRequest, ReceivedResponse, SendResult


class Smev3Transport(Protocol):
    async def send_request(
        self, content: etree._Element, message_id: str, *, test: bool = False
    ) -> SendResult:
        """Send a request (``MessagePrimaryContent``) under the caller's fixed ``message_id``."""
        ...

    async def send_response(
        self,
        to: str,
        message_id: str,
        content: etree._Element | None = None,
        *,
        rejection: tuple[str, str] | None = None,
    ) -> SendResult:
        """Respond to a received request (``to`` = its ``ReplyTo``) with content or a rejection."""
        ...

    async def get_response(
        self, selector: tuple[str, str] | None = None
    ) -> ReceivedResponse | None:
        """Poll the queue of answers to our requests; ``None`` when it is empty."""
        ...

    async def get_request(self, selector: tuple[str, str] | None = None) -> ReceivedRequest | None:
        """Poll the queue of requests addressed to us; ``None`` when it is empty."""
        ...

    async def find_responses(self, original_message_id: str) -> list[ReceivedResponse]:
        """Answers already handed out to the request sent as ``original_message_id``.

        «Адаптер СМЭВ» hands an answer over once (``Get``) and keeps it for ``Find``:
        a process killed between taking an answer and storing it finds it here.  The
        direct transport finds nothing: СМЭВ redelivers what was not acknowledged.
        """
        ...

    async def find_requests(
        self,
        since: dt.datetime,
        until: dt.datetime | None = None,
        selector: tuple[str, str] | None = None,
    ) -> list[ReceivedRequest]:
        """Incoming requests already handed out from ``since`` (to ``until``), whose content's
        root is ``selector``.

        «Адаптер СМЭВ» gives an incoming request a ``clientId`` of its own, so a process
        killed between ``Get`` and storing it can only find it again by period.  The
        direct transport finds nothing: СМЭВ redelivers what was not acknowledged.
        """
        ...

    async def ack(self, message_id: str, *, accepted: bool = True) -> None:
        """Acknowledge a polled message so it is not delivered again."""
        ...

    async def aclose(self) -> None: ...

    async def __aenter__(self) -> Smev3Transport: ...

    async def __aexit__(self, *exc: object) -> None: ...
