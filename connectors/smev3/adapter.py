"""The «Адаптер СМЭВ» way in: a zeep client of ``SMEVServiceAdapterService``.

The operator's gateway signs with the institution's ЭП-ОВ, polls СМЭВ and keeps
the messages; Sverka only says ``Send`` (a request or a response, named by its
``clientId``), ``Get`` (the next request or response) and ``Find``.  This class offers the
same :class:`connectors.smev3.transport.Smev3Transport` as the direct client, so
the jobs do not know which door is used.  Mapping (our design,
docs/protocols/smev3-adapter.md): a request's ``clientId`` is the outbox's
message id; an answer's ``replyToClientId`` is that id; an incoming request's
``clientId`` stands where СМЭВ's ``ReplyTo`` would; ``Ack`` is the adapter's job
(it acknowledged when it stored the message), so :meth:`ack` sends nothing.
Because ``Get`` hands a message over once, :meth:`find_responses` asks ``Find``
(criterion ``GET_RESPONSE_BY_REQUEST_CLIENTID``) for answers a killed process took
but never stored, and :meth:`find_requests` asks ``Find`` by period
(``messagePeriodCriteria``) for incoming requests taken the same way.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from lxml import etree

from connectors.smev3.client import (
    SCHEMAS,
    AsyncStatus,
    AuditHook,
    ReceivedRequest,
    ReceivedResponse,
    SendResult,
    SmevSettings,
    SoapEndpoint,
    _first,
)
from connectors.smev3.errors import SmevFaultError

SERVICE = "urn://x-artefacts-smev-gov-ru/services/service-adapter"
RESPONSE_BY_REQUEST = "GET_RESPONSE_BY_REQUEST_CLIENTID"
"""``Find`` criterion: the answers to the request sent under the given ``clientId``."""


class AdapterClient(SoapEndpoint):
    """One adapter endpoint, one information system (``itSystem`` = its СМЭВ mnemonic)."""

    peer = "адаптер СМЭВ"
    server = "«Адаптер СМЭВ»"

    def __init__(
        self,
        settings: SmevSettings,
        it_system: str,
        *,
        audit: AuditHook | None = None,
        schema_dir: Path = SCHEMAS,
    ) -> None:
        self.it_system = it_system
        super().__init__(
            settings,
            schema_dir / "adapter" / "smev-service-adapter.wsdl",
            f"{{{SERVICE}}}SMEVServiceAdapterSoapBinding",
            audit=audit,
        )

    def _fault_from(self, element: etree._Element) -> SmevFaultError:
        """``SystemFault``/``ValidationFault``; ``code`` names the СМЭВ fault behind it, if any."""
        code = _first(element, "*[local-name()='code']") or etree.QName(element).localname
        description = _first(element, "*[local-name()='description']") or ""
        return SmevFaultError(code, description, etree.QName(element).localname)

    @staticmethod
    def _primary(holder: Any) -> etree._Element | None:
        value = getattr(holder, "_value_1", None) if holder is not None else None
        return value if isinstance(value, etree._Element) else None

    async def _send(self, message_id: str, **message: Any) -> SendResult:
        try:
            await self._call("Send", itSystem=self.it_system, **message)
        except SmevFaultError as exc:
            if exc.name == "MessageIsAlreadySent":
                return SendResult(message_id, "alreadySent", already_sent=True)
            raise
        return SendResult(message_id, "requestIsQueued")

    async def send_request(
        self, content: etree._Element, message_id: str, *, test: bool = False
    ) -> SendResult:
        metadata: dict[str, Any] = {"clientId": message_id}
        if test:
            metadata["testMessage"] = True
        return await self._send(
            message_id,
            RequestMessage={
                "RequestMetadata": metadata,
                "RequestContent": {"content": {"MessagePrimaryContent": {"_value_1": content}}},
            },
        )

    async def send_response(
        self,
        to: str,
        message_id: str,
        content: etree._Element | None = None,
        *,
        rejection: tuple[str, str] | None = None,
    ) -> SendResult:
        body: dict[str, Any] = {}
        if content is not None:
            body["MessagePrimaryContent"] = {"_value_1": content}
        elif rejection is not None:
            body["RequestRejected"] = [
                {"RejectionReasonCode": rejection[0], "RejectionReasonDescription": rejection[1]}
            ]
        return await self._send(
            message_id,
            ResponseMessage={
                "ResponseMetadata": {"clientId": message_id, "replyToClientId": to},
                "ResponseContent": {"content": body},
            },
        )

    async def _get(self, kind: str, selector: tuple[str, str] | None) -> Any:
        query: dict[str, Any] = {"messageTypeCriteria": kind}
        if selector is not None:
            query["NamespaceURI"], query["RootElementLocalName"] = selector
        result = await self._call("Get", itSystem=self.it_system, specificQuery=query)
        if result is None or result.Message is None or result.smevMetadata is None:
            return None
        return result

    async def get_response(
        self, selector: tuple[str, str] | None = None
    ) -> ReceivedResponse | None:
        return self._response(await self._get("RESPONSE", selector))

    async def find_responses(self, original_message_id: str) -> list[ReceivedResponse]:
        """``Find`` the answers the adapter holds to the request sent as ``original_message_id``.

        ``Get`` hands an answer over once; a process killed before storing it asks
        again here (the adapter keeps what it took from СМЭВ).
        """
        found = await self._call(
            "Find",
            itSystem=self.it_system,
            specificQuery={
                "messageClientIdCriteria": {
                    "clientId": original_message_id,
                    "clientIdCriteria": RESPONSE_BY_REQUEST,
                }
            },
        )
        results = getattr(found, "QueryResult", found) if found is not None else None
        answers = (self._response(r) for r in (results or []))
        return [a for a in answers if a is not None]

    def _response(self, result: Any) -> ReceivedResponse | None:
        if result is None or result.Message is None or result.smevMetadata is None:
            return None
        message = result.Message.ResponseMessage
        if message is None:
            return None
        content = message.ResponseContent.content
        status = content.status
        async_status = (
            AsyncStatus(
                str(status.StatusCategory),
                status.StatusDetails,
                status.FaultName,
                status.FaultDescription,
            )
            if status is not None
            else None
        )
        return ReceivedResponse(
            message_id=str(result.smevMetadata.MessageId),
            original_message_id=message.ResponseMetadata.replyToClientId,
            sender=result.smevMetadata.Sender,
            content=self._primary(content.MessagePrimaryContent),
            rejections=[
                (str(r.RejectionReasonCode), str(r.RejectionReasonDescription))
                for r in (content.RequestRejected or [])
            ],
            async_status=async_status,
        )

    async def get_request(self, selector: tuple[str, str] | None = None) -> ReceivedRequest | None:
        return self._request(await self._get("REQUEST", selector))

    async def find_requests(
        self,
        since: dt.datetime,
        until: dt.datetime | None = None,
        selector: tuple[str, str] | None = None,
    ) -> list[ReceivedRequest]:
        """``Find`` the incoming requests the adapter handed out from ``since`` (to ``until``).

        An incoming request's ``clientId`` is minted by the adapter, so a process killed
        between ``Get`` and storing it has nothing to ``Find`` it by but the period.  The
        answer lists every kind of message; only requests whose content's root is
        ``selector`` (namespace, local name) are kept.
        """
        period: dict[str, Any] = {"from": since.astimezone(dt.UTC)}
        if until is not None:
            period["to"] = until.astimezone(dt.UTC)
        found = await self._call(
            "Find", itSystem=self.it_system, specificQuery={"messagePeriodCriteria": period}
        )
        results = getattr(found, "QueryResult", found) if found is not None else None
        requests = (self._request(r) for r in (results or []))
        return [r for r in requests if r is not None and _matches(r, selector)]

    def _request(self, result: Any) -> ReceivedRequest | None:
        if result is None or result.Message is None or result.smevMetadata is None:
            return None
        message = result.Message.RequestMessage
        if message is None:
            return None
        return ReceivedRequest(
            message_id=str(result.smevMetadata.MessageId),
            sender=result.smevMetadata.Sender,
            content=self._primary(message.RequestContent.content.MessagePrimaryContent),
            reply_to=str(message.RequestMetadata.clientId),
            test=bool(message.RequestMetadata.testMessage),
        )

    async def ack(self, message_id: str, *, accepted: bool = True) -> None:
        """Nothing to send: the adapter acknowledged to СМЭВ when it took the message."""


def _matches(request: ReceivedRequest, selector: tuple[str, str] | None) -> bool:
    """Whether the request's business content has the root ``selector`` names (СМЭВ's
    ``MessageTypeSelector`` test, which ``Get`` leaves to СМЭВ and ``Find`` to us)."""
    if selector is None:
        return True
    if request.content is None:
        return False
    name = etree.QName(request.content)
    return (name.namespace or "", name.localname) == selector
