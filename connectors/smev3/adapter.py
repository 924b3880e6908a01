"""The «Адаптер СМЭВ» way in: a zeep client of ``SMEVServiceAdapterService``.

The operator's gateway signs with the institution's ЭП-ОВ, polls СМЭВ and keeps
the messages; Sverka only says ``Send`` (a request or a response, named by its
``clientId``) and ``Get`` (the next request or response).  This class offers the
same :class:`connectors.smev3.transport.Smev3Transport` as the direct client, so
the jobs do not know which door is used.  Mapping (our design,
docs/protocols/smev3-adapter.md): a request's ``clientId`` is the outbox's
message id; an answer's ``replyToClientId`` is that id; an incoming request's
``clientId`` stands where СМЭВ's ``ReplyTo`` would; ``Ack`` is the adapter's job
(it acknowledged when it stored the message), so :meth:`ack` sends nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from lxml import etree
from zeep import AsyncClient, Settings
from zeep.exceptions import DTDForbidden, EntitiesForbidden, Fault, TransportError, XMLSyntaxError
from zeep.proxy import AsyncServiceProxy

from connectors.smev3.client import (
    SCHEMAS,
    AsyncStatus,
    AuditHook,
    ReceivedRequest,
    ReceivedResponse,
    SendResult,
    SmevSettings,
    _first,
    _LocalTransport,
)
from connectors.smev3.errors import (
    HostileEnvelopeError,
    SmevError,
    SmevFaultError,
    SmevTransportError,
)

SERVICE = "urn://x-artefacts-smev-gov-ru/services/service-adapter"


class AdapterClient:
    """One adapter endpoint, one information system (``itSystem`` = its СМЭВ mnemonic)."""

    def __init__(
        self,
        settings: SmevSettings,
        it_system: str,
        *,
        audit: AuditHook | None = None,
        schema_dir: Path = SCHEMAS,
    ) -> None:
        self.settings = settings
        self.it_system = it_system
        wsdl = schema_dir / "adapter" / "smev-service-adapter.wsdl"
        self._http = httpx.AsyncClient(timeout=settings.timeout, trust_env=False)
        self.transport = _LocalTransport(self._http, settings, audit)
        zeep_settings = Settings(
            strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
        self.zeep = AsyncClient(str(wsdl), transport=self.transport, settings=zeep_settings)  # type: ignore[no-untyped-call]
        binding = self.zeep.wsdl.bindings[f"{{{SERVICE}}}SMEVServiceAdapterSoapBinding"]
        self.service = AsyncServiceProxy(self.zeep, binding, address=settings.url)  # type: ignore[no-untyped-call]

    async def aclose(self) -> None:
        await self._http.aclose()
        self.transport.wsdl_client.close()

    async def __aenter__(self) -> AdapterClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return await getattr(self.service, operation)(itSystem=self.it_system, **kwargs)
        except Fault as fault:
            raise self._fault(fault) from None
        except (DTDForbidden, EntitiesForbidden) as exc:
            raise HostileEnvelopeError(type(exc).__name__) from None
        except (TransportError, XMLSyntaxError) as exc:
            raise SmevTransportError(
                f"адаптер СМЭВ ответил не по протоколу: {str(exc)[:200]}"
            ) from None
        except httpx.HTTPError as exc:
            raise SmevTransportError(f"адаптер СМЭВ недоступен: {type(exc).__name__}") from None

    @staticmethod
    def _fault(fault: Fault) -> SmevError:
        """``SystemFault``/``ValidationFault``; ``code`` names the СМЭВ fault behind it, if any."""
        detail = fault.detail
        element = (
            next((c for c in detail if isinstance(c.tag, str)), None)
            if detail is not None
            else None
        )
        if element is None:
            return SmevTransportError(f"адаптер СМЭВ вернул ошибку без описания: {fault.message}")
        code = _first(element, "*[local-name()='code']") or etree.QName(element).localname
        description = _first(element, "*[local-name()='description']") or ""
        return SmevFaultError(code, description, etree.QName(element).localname)

    @staticmethod
    def _primary(holder: Any) -> etree._Element | None:
        value = getattr(holder, "_value_1", None) if holder is not None else None
        return value if isinstance(value, etree._Element) else None

    async def _send(self, message_id: str, **message: Any) -> SendResult:
        try:
            await self._call("Send", **message)
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
        result = await self._call("Get", specificQuery=query)
        if result is None or result.Message is None or result.smevMetadata is None:
            return None
        return result

    async def get_response(
        self, selector: tuple[str, str] | None = None
    ) -> ReceivedResponse | None:
        result = await self._get("RESPONSE", selector)
        message = result.Message.ResponseMessage if result is not None else None
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
        result = await self._get("REQUEST", selector)
        message = result.Message.RequestMessage if result is not None else None
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
