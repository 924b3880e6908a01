"""The message broker: queues, identifiers, validation, acknowledgement.

Everything here works on parsed lxml elements; HTTP lives in ``app.py``.
The broker plays СМЭВ itself: it checks message ids (format, staleness,
reuse), validates business documents against the registered schemas
(synchronously or asynchronously), routes requests to providers and answers
back along the opaque ``ReplyTo``, keeps every delivered message until it is
acknowledged, and raises any fault of the catalogue on demand.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import xmlschema
from lxml import etree

from emulators.smev3.faults import CATALOGUE, SoapFault
from emulators.smev3.gost import sign_gost, verify_gost_signature
from emulators.smev3.ns import DS, XSI, Namespaces, q
from emulators.smev3.registry import (
    HUMAN_NAMES,
    MESSAGE_TYPES,
    SMEV,
    MessageType,
    business_schema,
)
from emulators.smev3.signature import (
    SIGNED_ELEMENTS,
    caller_signature,
    sign_element,
    verify_caller_signature,
)

UUID_EPOCH = dt.datetime(1582, 10, 15, tzinfo=dt.UTC)


def _wall_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class BrokerConfig:
    version: str = "1.2"
    school: str = "SVERKA01"
    """Mnemonic of the institution's system (the client under test)."""
    signature: Literal["off", "mock", "gost"] = "off"
    trusted_certificate: bytes | None = None
    """``gost`` mode: the DER certificate registered for the school's system (any, if ``None``)."""
    smev_key: tuple[Path, bytes] | None = None
    """``gost`` mode: СМЭВ's own key (PEM file) and DER certificate; it then signs what it
    delivers (``SMEVSignature``) by ГОСТ, else delivers unsigned."""
    adapter_key: tuple[Path, bytes] | None = None
    """``gost`` mode: the institution's key (PEM file) and DER certificate given to the
    emulated «Адаптер СМЭВ», which signs with them what it relays for the school (the real
    adapter holds the institution's ЭП-ОВ and signs on its behalf); else it relays unsigned."""
    validation: Literal["sync", "async"] = "sync"
    stale_after: dt.timedelta = dt.timedelta(hours=48)
    redeliver_after: dt.timedelta = dt.timedelta(0)
    """A delivered, un-acknowledged message is offered again after this long."""
    clock: Callable[[], dt.datetime] = _wall_clock


@dataclass
class Queued:
    """A message waiting in a recipient's queue until acknowledged."""

    message_id: str
    kind: Literal["REQUEST", "RESPONSE"]
    sender: str
    recipient: str
    root: tuple[str, str] | None
    data: etree._Element
    """SenderProvidedRequestData or SenderProvidedResponseData, as sent."""
    sent_at: dt.datetime
    reply_to: str | None = None
    original_message_id: str | None = None
    delivered_at: dt.datetime | None = None
    deliveries: int = 0
    acked: bool = False
    accepted: bool | None = None


@dataclass
class Incoming:
    """What a party bot is handed: the business document and how to answer."""

    message_id: str
    sender: str
    content: etree._Element | None
    reply_to: str | None
    test: bool
    original_message_id: str | None = None
    to: str | None = None
    rejected: list[tuple[str, str]] = field(default_factory=list)
    status: etree._Element | None = None


class Party(Protocol):
    mnemonic: str

    def on_request(self, broker: Broker, message: Incoming) -> None: ...

    def on_response(self, broker: Broker, message: Incoming) -> None: ...


@dataclass
class Injection:
    fault: str
    operation: str
    remaining: int
    extra: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ReplyRoute:
    requester: str
    provider: str
    request_id: str
    request_root: tuple[str, str]


class Broker:
    def __init__(self, config: BrokerConfig | None = None) -> None:
        self.config = config or BrokerConfig()
        self.ns = Namespaces(self.config.version)
        self._types_schema = xmlschema.XMLSchema(str(self.ns.types_xsd()))
        self.parties: dict[str, Party] = {}
        self.seen_ids: set[str] = set()
        self.queues: dict[str, list[Queued]] = defaultdict(list)
        self.statuses: dict[str, list[etree._Element]] = defaultdict(list)
        self.routes: dict[str, ReplyRoute] = {}
        self.injections: list[Injection] = []
        self.hostile: dict[str, str] = {}
        self.lose_reply: dict[str, int] = {}
        self.log: list[dict[str, object]] = []
        self._sid = 160000

    # -- configuration -------------------------------------------------------------------

    def add_party(self, party: Party) -> None:
        self.parties[party.mnemonic] = party

    def inject(
        self,
        fault: str,
        operation: str = "*",
        count: int = 1,
        extra: list[tuple[str, str]] | None = None,
    ) -> None:
        if fault not in CATALOGUE:
            raise KeyError(fault)
        self.injections.append(Injection(fault, operation, count, list(extra or [])))

    def clear_injections(self) -> None:
        self.injections.clear()
        self.hostile.clear()
        self.lose_reply.clear()

    def now(self) -> dt.datetime:
        return self.config.clock()

    # -- the SOAP operations ---------------------------------------------------------------

    def handle(self, operation: str, element: etree._Element, caller: str) -> etree._Element:
        """Run one operation for ``caller``; raise :class:`SoapFault` to reject it."""
        self._check_injection(operation)
        if caller != self.config.school and caller not in self.parties:
            raise SoapFault("SenderIsNotRegistered", caller)
        self._validate_envelope(element)
        if self.config.signature == "mock":
            verify_caller_signature(element, self.ns)
        elif self.config.signature == "gost":
            target, signature = caller_signature(element, self.ns)
            verify_gost_signature(signature, target, self.config.trusted_certificate, self.now())
        handler = {
            "SendRequest": self._send_request,
            "SendResponse": self._send_response,
            "GetRequest": self._get_request,
            "GetResponse": self._get_response,
            "GetStatus": self._get_status,
            "Ack": self._ack,
        }[operation]
        result = handler(element, caller)
        self.log.append({"operation": operation, "caller": caller, "at": self.now().isoformat()})
        return result

    def _check_injection(self, operation: str) -> None:
        for injection in self.injections:
            if injection.remaining > 0 and injection.operation in ("*", operation):
                injection.remaining -= 1
                raise SoapFault(injection.fault, "внесённый сбой", extra=injection.extra)

    def _validate_envelope(self, element: etree._Element) -> None:
        errors = [str(e.reason or e.message) for e in self._types_schema.iter_errors(element)]
        if errors:
            raise SoapFault(
                "InvalidContent", "конверт не соответствует схеме", validation_errors=errors[:5]
            )

    def _check_message_id(self, message_id: str) -> None:
        try:
            parsed = uuid.UUID(message_id)
        except ValueError:
            raise SoapFault("InvalidMessageIdFormat", message_id) from None
        if str(parsed) != message_id or parsed.version != 1:
            raise SoapFault("InvalidMessageIdFormat", message_id)
        minted = UUID_EPOCH + dt.timedelta(microseconds=parsed.time // 10)
        if self.now() - minted > self.config.stale_after:
            raise SoapFault("StaleMessageId", message_id)
        if message_id in self.seen_ids:
            raise SoapFault("MessageIsAlreadySent", message_id)

    def _content(self, data: etree._Element) -> etree._Element | None:
        holder = data.find(q(self.ns.basic, "MessagePrimaryContent"))
        if holder is None:
            return None
        children = [c for c in holder if isinstance(c.tag, str)]
        if len(children) != 1:
            raise SoapFault(
                "InvalidContent", "в MessagePrimaryContent должен быть ровно один элемент"
            )
        return children[0]

    def _message_type(self, content: etree._Element) -> MessageType:
        qn = etree.QName(content)
        mtype = MESSAGE_TYPES.get((qn.namespace or "", qn.localname))
        if mtype is None:
            raise SoapFault(
                "BusinessDataTypeIsNotSupported",
                f"{{{qn.namespace}}}{qn.localname}",
                extra=[
                    ("RootElementLocalName", qn.localname),
                    ("RootElementNamespaceURI", qn.namespace or ""),
                ],
            )
        return mtype

    @staticmethod
    def _business_errors(mtype: MessageType, content: etree._Element) -> list[str]:
        schema = business_schema(mtype.schema)
        return [
            f"cvc: {e.reason or e.message} (путь {e.path})" for e in schema.iter_errors(content)
        ][:10]

    def _provider(self, mtype: MessageType) -> str:
        return mtype.provider or self.config.school

    def _reply_token(self, sender: str, message_id: str, mtype: MessageType) -> str:
        self._sid += 1
        payload = {
            "sid": self._sid,
            "mid": message_id,
            "tcd": None,
            "rid": None,
            "eol": 0,
            "nid": None,
            "slc": f"{sender}_{mtype.root}",
            "mnm": sender,
        }
        return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()

    def _send_request(self, element: etree._Element, caller: str) -> etree._Element:
        data = element.find(q(self.ns.types, "SenderProvidedRequestData"))
        assert data is not None
        message_id = data.findtext(q(self.ns.types, "MessageID")) or ""
        self._check_message_id(message_id)
        self._check_eol(data)
        content = self._content(data)
        if content is None:
            raise SoapFault("InvalidContent", "нет MessagePrimaryContent")
        mtype = self._message_type(content)
        if not mtype.is_request:
            raise SoapFault("BusinessDataTypeIsNotSupported", "это вид сведений ответа")
        allowed = mtype.consumers or frozenset({self.config.school})
        if caller not in allowed:
            raise SoapFault("AccessDenied", f"{caller} → {mtype.root}")
        errors = self._business_errors(mtype, content)
        if errors and self.config.validation == "sync":
            raise SoapFault("InvalidContent", errors[0], validation_errors=errors)
        self.seen_ids.add(message_id)
        provider = self._provider(mtype)
        token = self._reply_token(caller, message_id, mtype)
        self.routes[token] = ReplyRoute(caller, provider, message_id, mtype.qname)
        sent_at = self.now()
        if errors:
            self._reject_async(caller, message_id, mtype, errors)
            self._status(caller, message_id, "requestIsRejectedBySmev", errors[0])
        else:
            self._status(caller, message_id, "requestIsAcceptedBySmev", None)
            queued = Queued(
                message_id,
                "REQUEST",
                caller,
                provider,
                mtype.qname,
                deepcopy(data),
                sent_at,
                reply_to=token,
            )
            self._route(queued)
        return self._metadata_answer(
            "SendRequestResponse",
            message_id,
            "REQUEST",
            caller,
            provider,
            sent_at,
            "requestIsQueued",
        )

    def _status(self, sender: str, message_id: str, category: str, details: str | None) -> None:
        """Queue an AsyncProcessingStatus for the sender's GetStatus."""
        ns = self.ns
        status = etree.Element(q(ns.basic, "AsyncProcessingStatus"), nsmap={"ns3": ns.basic})
        etree.SubElement(status, q(ns.basic, "OriginalMessageId")).text = message_id
        etree.SubElement(status, q(ns.basic, "StatusCategory")).text = category
        if details:
            etree.SubElement(status, q(ns.basic, "StatusDetails")).text = details[:500]
        self.statuses[sender].append(status)

    def _check_eol(self, data: etree._Element) -> None:
        eol = data.findtext(q(self.ns.types, "EOL"))
        if eol and dt.datetime.fromisoformat(eol.replace("Z", "+00:00")) < self.now():
            raise SoapFault("EndOfLifeReached", eol)

    def _reject_async(
        self, sender: str, message_id: str, mtype: MessageType, errors: list[str]
    ) -> None:
        """Queue СМЭВ's asynchronous verdict ``requestIsRejectedBySmev`` for the sender."""
        ns = self.ns
        data = etree.Element(q(ns.types, "SenderProvidedResponseData"), nsmap={"ns2": ns.types})
        data.set("Id", "SIGNED_ASYNC_BY_SMEV")
        etree.SubElement(data, q(ns.types, "MessageID")).text = str(uuid.uuid1())
        etree.SubElement(data, q(ns.types, "To")).text = sender
        status = etree.SubElement(
            data,
            q(ns.basic, "AsyncProcessingStatus"),
            nsmap={"ns3": ns.basic, "ns4": ns.faults, "xsi": XSI},
        )
        etree.SubElement(status, q(ns.basic, "OriginalMessageId")).text = message_id
        etree.SubElement(status, q(ns.basic, "StatusCategory")).text = "requestIsRejectedBySmev"
        etree.SubElement(
            status, q(ns.basic, "StatusDetails")
        ).text = "Сообщение не прошло проверку по схеме"[:500]
        fault = etree.SubElement(status, q(ns.basic, "SmevFault"))
        fault.set(q(XSI, "type"), "ns4:InvalidContent")
        etree.SubElement(
            fault, q(ns.basic, "Code")
        ).text = "emu:SVERKA:SMEV3_EMULATOR:TR:ASYNC:PP:BSV:3"
        etree.SubElement(
            fault, q(ns.basic, "Description")
        ).text = f"SMEV-403:Содержимое сообщения не соответствует схеме: {errors[0]}"[:4000]
        for text in errors:
            ve = etree.SubElement(fault, q(ns.faults, "ValidationError"))
            ve.set("errorPosition", "-1")
            ve.text = text
        root = (mtype.namespace, mtype.responses[0]) if mtype.responses else None
        queued = Queued(
            data.findtext(q(ns.types, "MessageID")) or "",
            "RESPONSE",
            SMEV,
            sender,
            root,
            data,
            self.now(),
            original_message_id=message_id,
        )
        self.queues[sender].append(queued)

    def _send_response(self, element: etree._Element, caller: str) -> etree._Element:
        data = element.find(q(self.ns.types, "SenderProvidedResponseData"))
        assert data is not None
        message_id = data.findtext(q(self.ns.types, "MessageID")) or ""
        self._check_message_id(message_id)
        to = data.findtext(q(self.ns.types, "To")) or ""
        route = self.routes.get(to)
        if route is None or route.provider != caller:
            raise SoapFault("RecipientIsNotFound", "значение To не совпадает ни с одним ReplyTo")
        content = self._content(data)
        root: tuple[str, str] | None = None
        if content is not None:
            mtype = self._message_type(content)
            if mtype.is_request:
                raise SoapFault("IncorrectResponseContentType", mtype.root)
            errors = self._business_errors(mtype, content)
            if errors:
                raise SoapFault("InvalidContent", errors[0], validation_errors=errors)
            root = mtype.qname
        else:
            request_type = MESSAGE_TYPES[route.request_root]
            if request_type.responses:
                root = (request_type.namespace, request_type.responses[0])
        self.seen_ids.add(message_id)
        sent_at = self.now()
        queued = Queued(
            message_id,
            "RESPONSE",
            caller,
            route.requester,
            root,
            deepcopy(data),
            sent_at,
            original_message_id=route.request_id,
        )
        self._route(queued)
        return self._metadata_answer(
            "SendResponseResponse",
            message_id,
            "RESPONSE",
            caller,
            route.requester,
            sent_at,
            "responseIsQueued",
        )

    def _route(self, queued: Queued) -> None:
        """Hand the message to a party bot at once, or leave it in the recipient's queue."""
        party = self.parties.get(queued.recipient)
        if party is None:
            self.queues[queued.recipient].append(queued)
            return
        queued.delivered_at = self.now()
        queued.deliveries = 1
        queued.acked = True
        incoming = self._incoming(queued)
        if queued.kind == "REQUEST":
            party.on_request(self, incoming)
        else:
            party.on_response(self, incoming)

    def _incoming(self, queued: Queued) -> Incoming:
        ns = self.ns
        data = queued.data
        content = self._content(data)
        rejected = [
            (
                r.findtext(q(ns.types, "RejectionReasonCode")) or "",
                r.findtext(q(ns.types, "RejectionReasonDescription")) or "",
            )
            for r in data.findall(q(ns.types, "RequestRejected"))
        ]
        return Incoming(
            message_id=queued.message_id,
            sender=queued.sender,
            content=content,
            reply_to=queued.reply_to,
            test=data.find(q(ns.types, "TestMessage")) is not None,
            original_message_id=queued.original_message_id,
            to=data.findtext(q(ns.types, "To")),
            rejected=rejected,
            status=data.find(q(ns.types, "RequestStatus")),
        )

    def _metadata_answer(
        self,
        root: str,
        message_id: str,
        kind: str,
        sender: str,
        recipient: str,
        sent_at: dt.datetime,
        status: str,
    ) -> etree._Element:
        answer = etree.Element(q(self.ns.types, root), nsmap={"ns2": self.ns.types})
        answer.append(self._metadata(message_id, kind, sender, recipient, sent_at, None, status))
        return answer

    def _metadata(
        self,
        message_id: str,
        kind: str,
        sender: str,
        recipient: str,
        sent_at: dt.datetime,
        delivered_at: dt.datetime | None,
        status: str,
    ) -> etree._Element:
        ns = self.ns
        meta = etree.Element(q(ns.types, "MessageMetadata"))
        etree.SubElement(meta, q(ns.types, "MessageId")).text = message_id
        etree.SubElement(meta, q(ns.types, "MessageType")).text = kind
        sender_el = etree.SubElement(meta, q(ns.types, "Sender"))
        etree.SubElement(sender_el, q(ns.types, "Mnemonic")).text = sender
        etree.SubElement(sender_el, q(ns.types, "HumanReadableName")).text = HUMAN_NAMES.get(
            sender, sender
        )
        etree.SubElement(meta, q(ns.types, "SendingTimestamp")).text = sent_at.isoformat()
        recipient_el = etree.SubElement(meta, q(ns.types, "Recipient"))
        etree.SubElement(recipient_el, q(ns.types, "Mnemonic")).text = recipient
        etree.SubElement(recipient_el, q(ns.types, "HumanReadableName")).text = HUMAN_NAMES.get(
            recipient, recipient
        )
        if delivered_at is not None:
            etree.SubElement(meta, q(ns.types, "DeliveryTimestamp")).text = delivered_at.isoformat()
        etree.SubElement(meta, q(ns.types, "Status")).text = status
        return meta

    def _selector(self, element: etree._Element) -> tuple[str, str] | None:
        selector = element.find(q(self.ns.basic, "MessageTypeSelector"))
        assert selector is not None
        namespace = selector.findtext(q(self.ns.basic, "NamespaceURI"))
        local = selector.findtext(q(self.ns.basic, "RootElementLocalName"))
        if namespace is None or local is None:
            return None
        if (namespace, local) not in MESSAGE_TYPES:
            raise SoapFault("UnknownMessageType", f"{{{namespace}}}{local}")
        return (namespace, local)

    def _next(self, caller: str, kind: str, selector: tuple[str, str] | None) -> Queued | None:
        now = self.now()
        for queued in self.queues[caller]:
            if queued.kind != kind or queued.acked:
                continue
            if selector is not None and queued.root != selector:
                continue
            if (
                queued.delivered_at is not None
                and now - queued.delivered_at < self.config.redeliver_after
            ):
                continue
            queued.delivered_at = now
            queued.deliveries += 1
            return queued
        return None

    def _get_request(self, element: etree._Element, caller: str) -> etree._Element:
        ns = self.ns
        selector = self._selector(element)
        answer = etree.Element(q(ns.types, "GetRequestResponse"), nsmap={"ns2": ns.types})
        queued = self._next(caller, "REQUEST", selector)
        if queued is None:
            return answer
        message = etree.SubElement(answer, q(ns.types, "RequestMessage"))
        request = etree.SubElement(message, q(ns.types, "Request"))
        request.set("Id", "SIGNED_BY_SMEV")
        request.append(deepcopy(queued.data))
        request.append(
            self._metadata(
                queued.message_id,
                "REQUEST",
                queued.sender,
                caller,
                queued.sent_at,
                queued.delivered_at,
                "messageIsDelivered",
            )
        )
        etree.SubElement(request, q(ns.types, "ReplyTo")).text = queued.reply_to
        self._smev_signature(message, request)
        return answer

    def _get_response(self, element: etree._Element, caller: str) -> etree._Element:
        ns = self.ns
        selector = self._selector(element)
        answer = etree.Element(q(ns.types, "GetResponseResponse"), nsmap={"ns2": ns.types})
        queued = self._next(caller, "RESPONSE", selector)
        if queued is None:
            return answer
        message = etree.SubElement(answer, q(ns.types, "ResponseMessage"))
        response = etree.SubElement(message, q(ns.types, "Response"))
        response.set("Id", "SIGNED_BY_SMEV")
        if queued.original_message_id:
            etree.SubElement(
                response, q(ns.types, "OriginalMessageId")
            ).text = queued.original_message_id
            etree.SubElement(
                response, q(ns.types, "ReferenceMessageID")
            ).text = queued.original_message_id
        response.append(deepcopy(queued.data))
        response.append(
            self._metadata(
                queued.message_id,
                "RESPONSE",
                queued.sender,
                caller,
                queued.sent_at,
                queued.delivered_at,
                "messageIsDelivered",
            )
        )
        self._smev_signature(message, response)
        return answer

    def _smev_signature(self, message: etree._Element, signed: etree._Element) -> None:
        if self.config.signature == "mock":
            etree.SubElement(message, q(self.ns.types, "SMEVSignature")).append(
                sign_element(signed)
            )
        elif self.config.signature == "gost" and self.config.smev_key is not None:
            etree.SubElement(message, q(self.ns.types, "SMEVSignature")).append(
                sign_gost(signed, *self.config.smev_key)
            )

    def _get_status(self, element: etree._Element, caller: str) -> etree._Element:
        ns = self.ns
        answer = etree.Element(q(ns.types, "GetStatusResponse"), nsmap={"ns2": ns.types})
        if self.statuses[caller]:
            status = self.statuses[caller].pop(0)
            message = etree.SubElement(answer, q(ns.types, "SmevAsyncProcessingMessage"))
            data = etree.SubElement(message, q(ns.types, "AsyncProcessingStatusData"))
            data.set("Id", "SIGNED_BY_SMEV")
            data.append(status)
        return answer

    def _ack(self, element: etree._Element, caller: str) -> etree._Element:
        target = element.find(q(self.ns.basic, "AckTargetMessage"))
        assert target is not None
        message_id = (target.text or "").strip()
        accepted = target.get("accepted", "true") in ("true", "1")
        for queued in self.queues[caller]:
            if (
                queued.message_id == message_id
                and queued.delivered_at is not None
                and not queued.acked
            ):
                queued.acked = True
                queued.accepted = accepted
                return etree.Element(q(self.ns.types, "AckResponse"))
        raise SoapFault("TargetMessageIsNotFound", message_id)

    # -- what the party bots use --------------------------------------------------------------

    def party_send_request(
        self, party: str, content: etree._Element, *, test: bool = False
    ) -> tuple[str, str]:
        """A party sends a request to the school; returns (message id, ReplyTo)."""
        ns = self.ns
        message_id = str(uuid.uuid1())
        data = etree.Element(q(ns.types, "SenderProvidedRequestData"), nsmap={"ns2": ns.types})
        data.set("Id", "SIGNED_BY_CONSUMER")
        etree.SubElement(data, q(ns.types, "MessageID")).text = message_id
        etree.SubElement(data, q(ns.types, "ReferenceMessageID")).text = message_id
        holder = etree.SubElement(
            data, q(ns.basic, "MessagePrimaryContent"), nsmap={"ns3": ns.basic}
        )
        holder.append(deepcopy(content))
        if test:
            etree.SubElement(data, q(ns.types, "TestMessage"))
        mtype = self._message_type(content)
        self.seen_ids.add(message_id)
        token = self._reply_token(party, message_id, mtype)
        provider = self._provider(mtype)
        self.routes[token] = ReplyRoute(party, provider, message_id, mtype.qname)
        self._route(
            Queued(
                message_id,
                "REQUEST",
                party,
                provider,
                mtype.qname,
                data,
                self.now(),
                reply_to=token,
            )
        )
        return message_id, token

    def party_respond(
        self,
        party: str,
        to: str,
        content: etree._Element | None = None,
        *,
        rejection: tuple[str, str] | None = None,
    ) -> str:
        """A party answers a request along its ReplyTo; returns the response's message id."""
        ns = self.ns
        route = self.routes[to]
        message_id = str(uuid.uuid1())
        data = etree.Element(q(ns.types, "SenderProvidedResponseData"), nsmap={"ns2": ns.types})
        data.set("Id", "SIGNED_BY_PROVIDER")
        etree.SubElement(data, q(ns.types, "MessageID")).text = message_id
        etree.SubElement(data, q(ns.types, "To")).text = to
        root: tuple[str, str] | None = None
        if content is not None:
            holder = etree.SubElement(
                data, q(ns.basic, "MessagePrimaryContent"), nsmap={"ns3": ns.basic}
            )
            holder.append(deepcopy(content))
            qn = etree.QName(content)
            root = (qn.namespace or "", qn.localname)
        elif rejection is not None:
            rejected = etree.SubElement(data, q(ns.types, "RequestRejected"))
            etree.SubElement(rejected, q(ns.types, "RejectionReasonCode")).text = rejection[0]
            etree.SubElement(rejected, q(ns.types, "RejectionReasonDescription")).text = rejection[
                1
            ]
            request_type = MESSAGE_TYPES[route.request_root]
            root = (request_type.namespace, request_type.responses[0])
        self.seen_ids.add(message_id)
        self._route(
            Queued(
                message_id,
                "RESPONSE",
                party,
                route.requester,
                root,
                data,
                self.now(),
                original_message_id=route.request_id,
            )
        )
        return message_id

    def pending(self, recipient: str) -> list[Queued]:
        return [m for m in self.queues[recipient] if not m.acked]


__all__ = ["DS", "SIGNED_ELEMENTS", "Broker", "BrokerConfig", "Incoming", "Party", "Queued"]
