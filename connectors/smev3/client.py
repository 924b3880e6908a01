"""The СМЭВ 3 client: zeep's AsyncClient over httpx, loading only local schemas.

Nothing is fetched from outside: the WSDL and its XSDs are read from
``schemas/smev3/<version>``, the transport refuses http(s) loads, and zeep's
settings forbid DTDs, entities and external references.  Answers are also
screened for ``<!DOCTYPE``/``<!ENTITY`` before zeep parses them.

The endpoint address comes from the settings (the WSDL holds a placeholder).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from itertools import islice
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlparse

import httpx
from lxml import etree
from zeep import AsyncClient, Settings
from zeep.exceptions import DTDForbidden, EntitiesForbidden, Fault, TransportError, XMLSyntaxError
from zeep.plugins import Plugin
from zeep.proxy import AsyncServiceProxy
from zeep.transports import AsyncTransport
from zeep.wsdl import Document
from zeep.xsd import SkipValue

from connectors.smev3.errors import (
    HostileEnvelopeError,
    SmevError,
    SmevFaultError,
    SmevTransportError,
)
from connectors.smev3.signing import NoSigner, Signer
from connectors.tls import tls_context

SCHEMAS = Path(str(files("schemas") / "smev3"))
"""Installed with the package as data (``importlib.resources``), not found beside the source."""
BASE = "urn://x-artefacts-smev-gov-ru/services/message-exchange"
_DANGEROUS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)

MAX_ENVELOPE_BYTES = 5 * 1024 * 1024
"""СМЭВ 3 carries business data up to 5 MB inside the envelope (larger goes as attachments)."""
MAX_ENVELOPE_ELEMENTS = 200_000
"""More elements than any real answer holds: a flood meant to stall the parser's consumers."""


def _too_large(size: int, limit: int) -> str:
    return (
        f"ответ СМЭВ больше допустимого: {size / 1048576:.1f} МБ при пределе "
        f"{limit / 1048576:.0f} МБ; отклонён"
    )


_NO_NAME = ("name or service not known", "nodename nor servname", "name resolution", "getaddrinfo")
_TLS = ("ssl", "certificate", "tls")
_CHECK = (
    "Проверьте адрес и порт в настройках СМЭВ, что сервер запущен и что с этого компьютера "
    "к нему можно подключиться (межсетевой экран, VPN, защищённый канал)."
)


def unreachable(server: str, address: str, exc: Exception, timeout: float) -> str:
    """Why ``server`` (``«сервер СМЭВ»``) at ``address`` gave no answer, and what to check, as
    the sentences an administrator reads instead of httpx's class name (``ConnectError``)."""
    said = str(exc).lower()
    where = f"{server} {address}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return f"адрес {address} не подходит: он должен начинаться с http:// или https://."
    if isinstance(exc, httpx.ConnectTimeout):
        return f"{where} не отвечает: соединение не установлено за {timeout:.0f} с. {_CHECK}"
    if isinstance(exc, httpx.ConnectError) and any(m in said for m in _NO_NAME):
        host = urlparse(address).hostname or address
        return (
            f"{where} недоступен: имя «{host}» не найдено в DNS. "
            "Проверьте, нет ли опечатки в адресе, и настройки DNS этого компьютера."
        )
    if isinstance(exc, httpx.ConnectError) and any(m in said for m in _TLS):
        return (
            f"{where} недоступен: защищённое соединение не установлено (сертификат сервера "
            "не прошёл проверку). Проверьте адрес и сертификаты удостоверяющего центра."
        )
    if isinstance(exc, httpx.ConnectError):
        return (
            f"{where} недоступен: не удалось установить соединение (по этому адресу и порту "
            f"никто не отвечает). {_CHECK}"
        )
    if isinstance(exc, httpx.TimeoutException):
        return (
            f"{where} не ответил за {timeout:.0f} с: сервер перегружен или связь прервалась. "
            "Повторите позже; если повторяется — проверьте связь с сервером."
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return (
            f"{where} оборвал соединение, не ответив. Повторите позже; если повторяется — "
            "проверьте, что по этому адресу работает СМЭВ, а не другой сервер."
        )
    return f"{where} недоступен: ошибка сети. {_CHECK}"


def new_message_id() -> str:
    """A fresh time-based (version 1) UUID, as СМЭВ requires for MessageID."""
    return str(uuid.uuid1())


@dataclass(frozen=True)
class SmevSettings:
    url: str
    version: str = "1.2"
    mnemonic: str | None = None
    """Sent as ``X-Smev-Mnemonic``: the emulator's stand-in for the certificate's identity."""
    timeout: float = 30.0
    max_bytes: int = MAX_ENVELOPE_BYTES
    """The largest answer read; a larger one is refused (and the read stops there)."""


@dataclass(frozen=True)
class EnvelopeRecord:
    """One envelope sent or received, for the audit (never its content)."""

    direction: str
    operation: str
    sha256: str
    size: int
    message_id: str | None
    status: str
    at: dt.datetime


@dataclass(frozen=True)
class SendResult:
    message_id: str
    status: str
    already_sent: bool = False
    """СМЭВ answered MessageIsAlreadySent: an earlier attempt with this id got through."""


@dataclass(frozen=True)
class AsyncStatus:
    category: str
    details: str | None
    fault: str | None
    description: str | None
    original_message_id: str | None = None


@dataclass(frozen=True)
class ReceivedResponse:
    message_id: str
    """``MessageMetadata/MessageId``: what :meth:`SmevClient.ack` must quote."""
    original_message_id: str | None
    sender: str | None
    content: etree._Element | None
    rejections: list[tuple[str, str]] = field(default_factory=list)
    status: tuple[int, str] | None = None
    async_status: AsyncStatus | None = None
    signature_ok: bool = True


@dataclass(frozen=True)
class ReceivedRequest:
    message_id: str
    sender: str | None
    content: etree._Element | None
    reply_to: str
    test: bool
    signature_ok: bool = True


AuditHook = Callable[[EnvelopeRecord], None]


def _safe_parse(data: bytes) -> etree._Element | None:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        return etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError:
        return None


def _first(root: etree._Element | None, xpath: str) -> str | None:
    if root is None:
        return None
    found = root.xpath(xpath)
    if isinstance(found, str):
        return found
    if isinstance(found, list) and found:
        item = found[0]
        return str(item.text if isinstance(item, etree._Element) else item).strip()
    return None


def _unwrap(result: Any, wrapper: str, child: str) -> Any:
    """zeep returns the only child of a response element instead of the element itself."""
    if result is None:
        return None
    if hasattr(result, child):
        return result
    return getattr(result, wrapper, None)


def _load_local(url: str) -> bytes:
    """A schema's bytes from disk; a network address is refused."""
    if urlparse(url).scheme in ("http", "https", "ftp"):
        raise SmevError(f"загрузка схемы из сети запрещена: {url}")
    return Path(url.removeprefix("file://")).read_bytes()


def _zeep_settings() -> Settings:
    """zeep's settings for schemas and answers alike: strict, no DTD, entities or external refs."""
    return Settings(
        strict=True,
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
        xml_huge_tree=False,
    )


class _SchemaFiles:
    """The loader a shared parsed WSDL keeps: it reads files only and holds no client's HTTP
    connection, signer or audit hook, so sharing the document shares none of them."""

    def load(self, url: str) -> bytes:
        return _load_local(url)


@functools.lru_cache(maxsize=16)
def _parsed_wsdl(path: str, mtime_ns: int) -> Document:
    """The WSDL with its XSDs, parsed once per process per file (and version, which is part of
    the path): parsing was nearly all of a client's creation cost, and a demo builds dozens of
    clients over the same schemas.  zeep's document is read-only once parsed; everything a
    client owns (transport, settings, signer, plugins) stays on that client's ``AsyncClient``.
    ``mtime_ns`` makes an edited schema file parse anew."""
    return Document(path, _SchemaFiles(), settings=_zeep_settings())  # type: ignore[arg-type]


def parsed_wsdl(wsdl: Path) -> Document:
    """The shared parsed document of this WSDL file (see :func:`_parsed_wsdl`)."""
    return _parsed_wsdl(str(wsdl), wsdl.stat().st_mtime_ns)


class _LocalTransport(AsyncTransport):
    """httpx transport that loads schemas from disk only and audits every envelope."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: SmevSettings,
        audit: AuditHook | None,
        server: str = "сервер СМЭВ",
    ) -> None:
        # The WSDL client never connects (``load`` reads files); it still gets the shared context,
        # since building one per client was a third of a СМЭВ client's creation cost.
        wsdl_client = httpx.Client(trust_env=False, verify=tls_context(trust_env=False))
        super().__init__(client=http, wsdl_client=wsdl_client)  # type: ignore[no-untyped-call]
        self.smev_settings = settings
        self.audit = audit
        self.server = server
        """Who answers at the address, as the error sentences name it."""
        self.last_response: bytes = b""

    def load(self, url: str) -> bytes:
        return _load_local(url)

    def _load_remote_data(self, url: str) -> bytes:
        raise SmevError(f"загрузка схемы из сети запрещена: {url}")

    def _record(
        self, direction: str, operation: str, data: bytes, message_id: str | None, status: str
    ) -> None:
        if self.audit is None:
            return
        self.audit(
            EnvelopeRecord(
                direction=direction,
                operation=operation,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                message_id=message_id,
                status=status,
                at=dt.datetime.now(dt.UTC),
            )
        )

    async def _bounded_post(
        self, address: str, message: bytes, headers: dict[str, str]
    ) -> httpx.Response:
        """POST and read the answer, but never more than ``max_bytes`` of it."""
        limit = self.smev_settings.max_bytes
        async with self.client.stream("POST", address, content=message, headers=headers) as got:
            declared = got.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise HostileEnvelopeError(_too_large(int(declared), limit))
            chunks: list[bytes] = []
            size = 0
            async for chunk in got.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise HostileEnvelopeError(_too_large(size, limit))
                chunks.append(chunk)
            kept = {
                k: v
                for k, v in got.headers.items()
                if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")
            }
            return httpx.Response(
                got.status_code, headers=kept, content=b"".join(chunks), request=got.request
            )

    async def post(self, address: str, message: bytes, headers: dict[str, str]) -> httpx.Response:
        headers = dict(headers)
        if self.smev_settings.mnemonic:
            headers["X-Smev-Mnemonic"] = self.smev_settings.mnemonic
        operation = str(headers.get("SOAPAction", "")).strip('"').removeprefix("urn:")
        sent = _safe_parse(message)
        # СМЭВ names a message by MessageID/AckTargetMessage, the adapter by clientId.
        out_id = _first(
            sent,
            "//*[local-name()='MessageID' or local-name()='AckTargetMessage' "
            "or local-name()='clientId']",
        )
        self._record("out", operation, message, out_id, "sent")
        try:
            response = await asyncio.wait_for(
                self._bounded_post(address, message, headers),
                timeout=self.smev_settings.timeout * 2,
            )
        except httpx.HTTPError as exc:
            self._record("out", operation, message, out_id, f"transport-error:{type(exc).__name__}")
            raise SmevTransportError(
                unreachable(self.server, address, exc, self.smev_settings.timeout)
            ) from None
        except TimeoutError:
            self._record("out", operation, message, out_id, "transport-error:timeout")
            raise SmevTransportError(
                f"ответ СМЭВ не получен целиком за {self.smev_settings.timeout * 2:.0f} с ({address})"
            ) from None
        content = response.content
        if _DANGEROUS.search(content):
            self._record("in", operation, content, None, "refused:hostile-xml")
            raise HostileEnvelopeError("ответ содержит DTD или объявления сущностей")
        self.last_response = content
        received = _safe_parse(content) if content else None
        if received is not None and _too_many_elements(received):
            self._record("in", operation, content, None, "refused:too-many-elements")
            raise HostileEnvelopeError(
                f"ответ СМЭВ содержит больше {MAX_ENVELOPE_ELEMENTS} элементов: отклонён"
            )
        fault = _first(received, "local-name(//*[local-name()='Fault']/detail/*[1])") or None
        in_id = _first(
            received,
            "//*[local-name()='MessageMetadata' or local-name()='smevMetadata']"
            "/*[local-name()='MessageId']",
        )
        state = _first(received, "//*[local-name()='MessageMetadata']/*[local-name()='Status']")
        status = f"fault:{fault}" if fault else (state or f"http-{response.status_code}")
        self._record("in", operation, content, in_id, status)
        return response


def _too_many_elements(root: etree._Element) -> bool:
    return next(islice(root.iter(), MAX_ENVELOPE_ELEMENTS, None), None) is not None


class SoapEndpoint(ABC):
    """What both ways into СМЭВ share: one HTTP client, the local-only audited transport,
    zeep bound to one WSDL binding at the settings' address, closing, and the mapping of
    zeep's and httpx's failures to :mod:`connectors.smev3.errors` (in Russian, naming
    :attr:`peer`).  The direct client and the «Адаптер СМЭВ» client differ only in their
    operations and in how a fault's detail names its code.
    """

    peer = "СМЭВ"
    """Who answers, as the error texts name it."""
    server = "сервер СМЭВ"
    """The same, where an error names its address (:func:`unreachable`)."""

    def __init__(
        self,
        settings: SmevSettings,
        wsdl: Path,
        binding: str,
        *,
        audit: AuditHook | None = None,
        http: httpx.AsyncClient | None = None,
        wsse: Signer | None = None,
        plugins: Sequence[Plugin] = (),
    ) -> None:
        self.settings = settings
        self._http = http or httpx.AsyncClient(
            timeout=settings.timeout, trust_env=False, verify=tls_context(trust_env=False)
        )
        self.transport = _LocalTransport(self._http, settings, audit, self.server)
        self.zeep = AsyncClient(  # type: ignore[no-untyped-call]
            parsed_wsdl(wsdl),
            transport=self.transport,
            settings=_zeep_settings(),
            wsse=wsse,
            plugins=list(plugins),
        )
        # AsyncClient.create_service hands back a synchronous proxy (zeep 4.3.3),
        # so the async proxy is bound to the binding and address directly.
        self.service = AsyncServiceProxy(  # type: ignore[no-untyped-call]
            self.zeep, self.zeep.wsdl.bindings[binding], address=settings.url
        )

    async def aclose(self) -> None:
        await self._http.aclose()
        self.transport.wsdl_client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return await getattr(self.service, operation)(**kwargs)
        except Fault as fault:
            raise self._fault(fault) from None
        except (DTDForbidden, EntitiesForbidden) as exc:
            raise HostileEnvelopeError(type(exc).__name__) from None
        except (TransportError, XMLSyntaxError) as exc:
            raise SmevTransportError(
                f"{self.peer} ответил не по протоколу: {str(exc)[:200]}"
            ) from None
        except httpx.HTTPError as exc:
            raise SmevTransportError(
                unreachable(self.server, self.settings.url, exc, self.settings.timeout)
            ) from None

    def _fault(self, fault: Fault) -> SmevError:
        detail = fault.detail
        element = (
            next((c for c in detail if isinstance(c.tag, str)), None)
            if detail is not None
            else None
        )
        if element is None:
            return SmevTransportError(f"{self.peer} вернул ошибку без описания: {fault.message}")
        return self._fault_from(element)

    @abstractmethod
    def _fault_from(self, element: etree._Element) -> SmevFaultError:
        """The fault named by the first element of a SOAP fault's ``detail``: each endpoint's
        faults name their code their own way (СМЭВ's element name, the adapter's field)."""


class SmevClient(SoapEndpoint):
    """One СМЭВ endpoint, one information system (mnemonic), one signer."""

    def __init__(
        self,
        settings: SmevSettings,
        *,
        signer: Signer | None = None,
        audit: AuditHook | None = None,
        http: httpx.AsyncClient | None = None,
        schema_dir: Path = SCHEMAS,
        plugins: Sequence[Plugin] = (),
    ) -> None:
        self.signer: Signer = signer or NoSigner()
        self.types = f"{BASE}/types/{settings.version}"
        self.basic = f"{BASE}/types/basic/{settings.version}"
        wsdl = (
            schema_dir / settings.version / f"smev-message-exchange-service-{settings.version}.wsdl"
        )
        if not wsdl.exists():
            raise SmevError(f"нет схем СМЭВ версии {settings.version}")
        super().__init__(
            settings,
            wsdl,
            f"{{{BASE}/{settings.version}}}SMEVMessageExchangeSoap11Binding",
            audit=audit,
            http=http,
            wsse=self.signer,
            plugins=plugins,
        )

    def _fault_from(self, element: etree._Element) -> SmevFaultError:
        name = etree.QName(element).localname
        description = _first(element, "*[local-name()='Description']") or ""
        code = _first(element, "*[local-name()='Code']") or ""
        return SmevFaultError(name, description, code)

    @staticmethod
    def _content(holder: Any) -> etree._Element | None:
        if holder is None:
            return None
        value = getattr(holder, "_value_1", holder)
        return value if isinstance(value, etree._Element) else None

    def _selector(self, selector: tuple[str, str] | None) -> dict[str, Any]:
        value: dict[str, Any] = {"Timestamp": dt.datetime.now(dt.UTC).replace(microsecond=0)}
        if selector is not None:
            value["NamespaceURI"], value["RootElementLocalName"] = selector
        else:
            # zeep validates the optional (namespace, name) pair as required unless skipped
            value["NamespaceURI"] = value["RootElementLocalName"] = SkipValue
        return value

    # -- the operations --------------------------------------------------------------------

    async def send_request(
        self, content: etree._Element, message_id: str, *, test: bool = False
    ) -> SendResult:
        data: dict[str, Any] = {
            "Id": "SIGNED_BY_CALLER",
            "MessageID": message_id,
            "ReferenceMessageID": message_id,
            "MessagePrimaryContent": {"_value_1": content},
        }
        if test:
            data["TestMessage"] = {}
        return await self._send("SendRequest", message_id, SenderProvidedRequestData=data)

    async def send_response(
        self,
        to: str,
        message_id: str,
        content: etree._Element | None = None,
        *,
        rejection: tuple[str, str] | None = None,
    ) -> SendResult:
        data: dict[str, Any] = {"Id": "SIGNED_BY_CALLER", "MessageID": message_id, "To": to}
        if content is not None:
            data["MessagePrimaryContent"] = {"_value_1": content}
        elif rejection is not None:
            data["RequestRejected"] = [
                {
                    "RejectionReasonCode": rejection[0],
                    "RejectionReasonDescription": rejection[1][:4000],
                }
            ]
        else:
            raise ValueError("ответ без содержимого и без отказа")
        return await self._send("SendResponse", message_id, SenderProvidedResponseData=data)

    async def _send(self, operation: str, message_id: str, **kwargs: Any) -> SendResult:
        try:
            result = await self._call(operation, **kwargs)
        except SmevFaultError as exc:
            if exc.name == "MessageIsAlreadySent":
                return SendResult(message_id, "alreadySent", already_sent=True)
            raise
        status = getattr(result.MessageMetadata, "Status", None) or "requestIsQueued"
        return SendResult(message_id, str(status))

    def _signature_ok(self, message_local_name: str) -> bool:
        root = _safe_parse(self.transport.last_response)
        if root is None:
            return False
        found = root.xpath(f"//*[local-name()='{message_local_name}']")
        if not isinstance(found, list) or not found:
            return False
        message = found[0]
        assert isinstance(message, etree._Element)
        if self.signer.check_smev_signature(message):
            return True
        # Acked with accepted=false; the audit names the refused envelope by its hash.
        in_id = _first(root, "//*[local-name()='MessageMetadata']/*[local-name()='MessageId']")
        self.transport._record(
            "in", message_local_name, self.transport.last_response, in_id, "refused:smev-signature"
        )
        return False

    async def get_response(
        self, selector: tuple[str, str] | None = None
    ) -> ReceivedResponse | None:
        result = await self._call("GetResponse", MessageTypeSelector=self._selector(selector))
        message = _unwrap(result, "ResponseMessage", "Response")
        response = getattr(message, "Response", None) if message is not None else None
        if response is None:
            return None
        data = response.SenderProvidedResponseData
        meta = response.MessageMetadata
        rejections = [
            (str(r.RejectionReasonCode), str(r.RejectionReasonDescription))
            for r in (data.RequestRejected or [])
        ]
        status = None
        if data.RequestStatus is not None:
            status = (int(data.RequestStatus.StatusCode), str(data.RequestStatus.StatusDescription))
        async_status = None
        aps = data.AsyncProcessingStatus
        if aps is not None:
            fault = aps.SmevFault
            async_status = AsyncStatus(
                category=str(aps.StatusCategory),
                details=aps.StatusDetails,
                fault=type(fault).__name__ if fault is not None else None,
                description=getattr(fault, "Description", None) if fault is not None else None,
            )
            if fault is not None and hasattr(fault, "_xsd_type"):
                async_status = AsyncStatus(
                    async_status.category,
                    async_status.details,
                    fault._xsd_type.name,
                    async_status.description,
                )
        return ReceivedResponse(
            message_id=str(meta.MessageId or data.MessageID),
            original_message_id=response.OriginalMessageId,
            sender=meta.Sender.Mnemonic if meta.Sender is not None else None,
            content=self._content(data.MessagePrimaryContent),
            rejections=rejections,
            status=status,
            async_status=async_status,
            signature_ok=self._signature_ok("ResponseMessage"),
        )

    async def get_request(self, selector: tuple[str, str] | None = None) -> ReceivedRequest | None:
        result = await self._call("GetRequest", MessageTypeSelector=self._selector(selector))
        message = _unwrap(result, "RequestMessage", "Request")
        if message is None:
            return None
        request = message.Request
        data = request.SenderProvidedRequestData
        meta = request.MessageMetadata
        return ReceivedRequest(
            message_id=str(meta.MessageId or data.MessageID),
            sender=meta.Sender.Mnemonic if meta.Sender is not None else None,
            content=self._content(data.MessagePrimaryContent),
            reply_to=str(request.ReplyTo or ""),
            test=data.TestMessage is not None,
            signature_ok=self._signature_ok("RequestMessage"),
        )

    async def find_responses(self, original_message_id: str) -> list[ReceivedResponse]:
        """None to find again: СМЭВ itself offers an answer again until it is acknowledged."""
        return []

    async def find_requests(
        self,
        since: dt.datetime,
        until: dt.datetime | None = None,
        selector: tuple[str, str] | None = None,
    ) -> list[ReceivedRequest]:
        """None to find again: СМЭВ offers a request again until it is acknowledged."""
        return []

    async def ack(self, message_id: str, *, accepted: bool = True) -> None:
        await self._call(
            "Ack",
            AckTargetMessage={
                "_value_1": message_id,
                "Id": "SIGNED_BY_CALLER",
                "accepted": accepted,
            },
        )

    async def get_status(self) -> AsyncStatus | None:
        result = await self._call(
            "GetStatus", Timestamp={"_value_1": dt.datetime.now(dt.UTC), "Id": "SIGNED_BY_CALLER"}
        )
        message = _unwrap(result, "SmevAsyncProcessingMessage", "AsyncProcessingStatusData")
        if message is None:
            return None
        data = message.AsyncProcessingStatusData
        aps = getattr(data, "AsyncProcessingStatus", data)
        return AsyncStatus(
            str(aps.StatusCategory), aps.StatusDetails, None, None, str(aps.OriginalMessageId)
        )
