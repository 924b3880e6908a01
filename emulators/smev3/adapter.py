"""«Адаптер СМЭВ» emulated: the operator's gateway that signs, sends and polls for a school.

A school system talks to the adapter (``Send``, ``Get``, ``Find``) with its own
``clientId``s and never sees СМЭВ's envelopes, signatures or ``ReplyTo``.  This
emulator relays each call to the СМЭВ emulator's broker in the same process, as
the school's system (``BrokerConfig.school``), the way the real adapter relays
to СМЭВ over its own connection.  What it does beyond the public names
(protocol doc §1.12) is our design, described in docs/protocols/smev3-adapter.md:

* a request's ``clientId`` becomes its СМЭВ ``MessageID`` (so a resend under the
  same ``clientId`` meets ``MessageIsAlreadySent``, passed on as a ``SystemFault``
  with that code);
* ``Get`` takes the next message of the asked kind from СМЭВ and acknowledges it
  there at once: from then on the adapter, not СМЭВ, holds it, and ``Find`` returns
  it again (``messageClientIdCriteria``: an answer by its request's ``clientId``,
  or a message by its own; ``messagePeriodCriteria``: every message it handed out
  between ``from`` and ``to`` by the moment it took it from СМЭВ, on its own clock);
* it signs everything it relays for the school: the mock signature in ``mock``
  mode, in ``gost`` mode a ГОСТ ЭП-ОВ with the institution's key it was given
  (``BrokerConfig.adapter_key``; without one it relays unsigned and СМЭВ refuses);
* an incoming request gets a fresh ``clientId``; a response names it in
  ``replyToClientId`` and the adapter fills in СМЭВ's ``To`` from the ``ReplyTo``
  it kept.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable
from copy import deepcopy

from lxml import etree

from emulators.smev3.broker import Broker
from emulators.smev3.faults import SoapFault
from emulators.smev3.gost import sign_gost
from emulators.smev3.ns import SOAP_ENV, q
from emulators.smev3.signature import sign_element

ADAPTER = "urn://x-artefacts-smev-gov-ru/services/service-adapter/types"
ADAPTER_FAULTS = "urn://x-artefacts-smev-gov-ru/services/service-adapter/types/faults"
VALIDATION_FAULTS = frozenset(
    {"InvalidContent", "BusinessDataTypeIsNotSupported", "InvalidMessageIdFormat", "StaleMessageId"}
)
"""СМЭВ faults about the message itself: the adapter answers ``ValidationFault``."""
MESSAGE_KINDS = {
    "Request": ("SendRequest", "SenderProvidedRequestData"),
    "Response": ("SendResponse", "SenderProvidedResponseData"),
}
"""The adapter's ``<kind>Message`` → the СМЭВ operation and the element it signs."""
REJECTION_FIELDS = ("RejectionReasonCode", "RejectionReasonDescription")


class AdapterFault(Exception):
    def __init__(self, name: str, code: str, description: str) -> None:
        super().__init__(description)
        self.name = name
        self.code = code
        self.description = description

    @classmethod
    def from_smev(cls, fault: SoapFault) -> AdapterFault:
        name = "ValidationFault" if fault.name in VALIDATION_FAULTS else "SystemFault"
        return cls(name, fault.name, fault.description())

    def render(self) -> bytes:
        envelope = etree.Element(q(SOAP_ENV, "Envelope"), nsmap={"soap": SOAP_ENV})
        fault = etree.SubElement(
            etree.SubElement(envelope, q(SOAP_ENV, "Body")), q(SOAP_ENV, "Fault")
        )
        etree.SubElement(fault, "faultcode").text = "soap:Server"
        etree.SubElement(fault, "faultstring").text = self.description
        detail = etree.SubElement(fault, "detail")
        element = etree.SubElement(
            detail, q(ADAPTER_FAULTS, self.name), nsmap={"f": ADAPTER_FAULTS}
        )
        etree.SubElement(element, q(ADAPTER_FAULTS, "code")).text = self.code
        etree.SubElement(element, q(ADAPTER_FAULTS, "description")).text = self.description
        return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


def _a(name: str) -> str:
    return q(ADAPTER, name)


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, _a(name))
    if text is not None:
        child.text = text
    return child


class AdapterRelay:
    def __init__(self, broker: Broker, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.broker = broker
        self.clock = clock or broker.now
        """The adapter's own clock, which dates what it takes from СМЭВ (``Find`` by
        period); the emulator gives it the scenario's moment, as it does the registry."""
        self.reply_to: dict[str, str] = {}
        """``clientId`` given to an incoming request → its СМЭВ ``ReplyTo``."""
        self.kept: dict[tuple[str, str], list[etree._Element]] = defaultdict(list)
        """(``clientIdCriteria``, ``clientId``) → the ``QueryResult``s handed out (for ``Find``)."""
        self.handed_out: list[tuple[dt.datetime, etree._Element]] = []
        """Every ``QueryResult`` handed out, with the moment the adapter took it from СМЭВ."""

    # -- relaying to СМЭВ -------------------------------------------------------------------

    def _smev(self, operation: str, element: etree._Element) -> etree._Element:
        ns = self.broker.ns
        config = self.broker.config
        target = next(c for c in element if c.get("Id"))
        signature = None
        if config.signature == "mock":
            signature = sign_element(target)
        elif config.signature == "gost" and config.adapter_key is not None:
            signature = sign_gost(target, *config.adapter_key)
        if signature is not None:
            holder = etree.SubElement(element, q(ns.types, "CallerInformationSystemSignature"))
            holder.append(signature)
        try:
            return self.broker.handle(operation, element, config.school)
        except SoapFault as fault:
            raise AdapterFault.from_smev(fault) from None

    def _operation(self, name: str) -> etree._Element:
        return etree.Element(
            q(self.broker.ns.types, f"{name}Request"), nsmap={"ns2": self.broker.ns.types}
        )

    def _primary(self, parent: etree._Element, content: etree._Element) -> None:
        holder = etree.SubElement(parent, q(self.broker.ns.basic, "MessagePrimaryContent"))
        holder.append(deepcopy(content))

    # -- the adapter's operations -------------------------------------------------------------

    def handle(self, element: etree._Element) -> etree._Element:
        local = etree.QName(element).localname
        if local == "ClientMessage":
            return self._send(element)
        if local == "MessageQuery":
            return self._get(element)
        if local == "FindMessageQuery":
            return self._find(element)
        raise AdapterFault("ValidationFault", "UnknownOperation", f"неизвестная операция {local}")

    def _check_system(self, element: etree._Element) -> None:
        system = element.findtext(_a("itSystem")) or ""
        if system != self.broker.config.school:
            raise AdapterFault(
                "SystemFault", "SenderIsNotRegistered", f"ИС {system} не подключена к адаптеру"
            )

    def _send(self, element: etree._Element) -> etree._Element:
        """Relay a ``RequestMessage`` as ``SendRequest`` or a ``ResponseMessage`` as
        ``SendResponse``: the same walk, differing in the metadata and the СМЭВ names."""
        self._check_system(element)
        ns = self.broker.ns
        found = [
            (k, m) for k in MESSAGE_KINDS if (m := element.find(_a(f"{k}Message"))) is not None
        ]
        if not found:
            raise AdapterFault(
                "ValidationFault", "InvalidContent", "нет RequestMessage/ResponseMessage"
            )
        kind, message = found[0]
        operation_name, data_name = MESSAGE_KINDS[kind]
        meta = message.find(_a(f"{kind}Metadata"))
        client_id = (meta.findtext(_a("clientId")) if meta is not None else None) or ""
        content = message.find(f"{_a(f'{kind}Content')}/{_a('content')}")
        primary = content.find(_a("MessagePrimaryContent")) if content is not None else None
        operation = self._operation(operation_name)
        data = etree.SubElement(operation, q(ns.types, data_name), Id="SIGNED_BY_CALLER")
        etree.SubElement(data, q(ns.types, "MessageID")).text = client_id
        if kind == "Request":
            etree.SubElement(data, q(ns.types, "ReferenceMessageID")).text = client_id
            if primary is None or not len(primary):
                raise AdapterFault("ValidationFault", "InvalidContent", "нет MessagePrimaryContent")
        else:
            etree.SubElement(data, q(ns.types, "To")).text = self._reply_to(meta)
        if primary is not None and len(primary):
            self._primary(data, primary[0])
        for rejection in content.findall(_a("RequestRejected")) if content is not None else []:
            target = etree.SubElement(data, q(ns.types, "RequestRejected"))
            for name in REJECTION_FIELDS:
                etree.SubElement(target, q(ns.types, name)).text = rejection.findtext(_a(name))
        if meta is not None and meta.findtext(_a("testMessage")) in ("true", "1"):
            etree.SubElement(data, q(ns.types, "TestMessage"))
        self._smev(operation_name, operation)
        result = etree.Element(_a("MessageResult"), nsmap={"a": ADAPTER})
        _sub(result, "itSystem", self.broker.config.school)
        _sub(result, "MessageId", client_id)
        return result

    def _reply_to(self, meta: etree._Element | None) -> str:
        """СМЭВ's ``To`` for an answer: the ``ReplyTo`` kept for the request it answers."""
        reply_to_client = (meta.findtext(_a("replyToClientId")) if meta is not None else None) or ""
        to = self.reply_to.get(reply_to_client)
        if to is None:
            raise AdapterFault(
                "ValidationFault",
                "RequestIsNotFound",
                f"нет входящего запроса с clientId {reply_to_client}",
            )
        return to

    def _get(self, element: etree._Element) -> etree._Element:
        self._check_system(element)
        ns = self.broker.ns
        criteria = element.find(_a("specificQuery"))
        kind = criteria.findtext(_a("messageTypeCriteria")) if criteria is not None else "RESPONSE"
        operation = self._operation("GetRequest" if kind == "REQUEST" else "GetResponse")
        selector = etree.SubElement(
            operation, q(ns.basic, "MessageTypeSelector"), Id="SIGNED_BY_CALLER"
        )
        if criteria is not None and criteria.findtext(_a("NamespaceURI")):
            etree.SubElement(selector, q(ns.basic, "NamespaceURI")).text = criteria.findtext(
                _a("NamespaceURI")
            )
            etree.SubElement(
                selector, q(ns.basic, "RootElementLocalName")
            ).text = criteria.findtext(_a("RootElementLocalName"))
        etree.SubElement(selector, q(ns.basic, "Timestamp")).text = dt.datetime.now(
            dt.UTC
        ).isoformat()
        answer = self._smev(operation.tag.split("}")[1].removesuffix("Request"), operation)
        result = etree.Element(_a("QueryResult"), nsmap={"a": ADAPTER})
        message = answer.find(f".//{q(ns.types, 'Request' if kind == 'REQUEST' else 'Response')}")
        if message is None:
            return result
        meta = message.find(q(ns.types, "MessageMetadata"))
        message_id = meta.findtext(q(ns.types, "MessageId")) if meta is not None else None
        smev_meta = _sub(result, "smevMetadata")
        _sub(smev_meta, "MessageId", message_id or "")
        sender = (
            meta.findtext(f"{q(ns.types, 'Sender')}/{q(ns.types, 'Mnemonic')}")
            if meta is not None
            else None
        )
        if sender:
            _sub(smev_meta, "Sender", sender)
        _sub(smev_meta, "Recipient", self.broker.config.school)
        client_id = str(uuid.uuid1())
        self._message(_sub(result, "Message"), message, client_id)
        self._ack(message_id or "")
        kept = deepcopy(result)
        taken = self.clock()
        self.handed_out.append((taken if taken.tzinfo else taken.replace(tzinfo=dt.UTC), kept))
        if kind == "REQUEST":
            self.reply_to[client_id] = message.findtext(q(ns.types, "ReplyTo")) or ""
            self.kept["GET_REQUEST_BY_REQUEST_CLIENTID", client_id].append(kept)
        else:
            original = message.findtext(q(ns.types, "OriginalMessageId")) or ""
            self.kept["GET_RESPONSE_BY_RESPONSE_CLIENTID", client_id].append(kept)
            self.kept["GET_RESPONSE_BY_REQUEST_CLIENTID", original].append(kept)
        return result

    def _ack(self, message_id: str) -> None:
        operation = self._operation("Ack")
        target = etree.SubElement(
            operation, q(self.broker.ns.basic, "AckTargetMessage"), Id="SIGNED_BY_CALLER"
        )
        target.set("accepted", "true")
        target.text = message_id
        self._smev("Ack", operation)

    def _message(self, holder: etree._Element, message: etree._Element, client_id: str) -> None:
        """A СМЭВ ``Request``/``Response`` as the adapter hands it out: its ``clientId``,
        the business content and, for an answer, rejections and СМЭВ's status."""
        ns = self.broker.ns
        kind = "Request" if etree.QName(message).localname == "Request" else "Response"
        data = message.find(q(ns.types, MESSAGE_KINDS[kind][1]))
        out = _sub(holder, f"{kind}Message")
        meta = _sub(out, f"{kind}Metadata")
        _sub(meta, "clientId", client_id)
        if kind == "Response":
            _sub(meta, "replyToClientId", message.findtext(q(ns.types, "OriginalMessageId")) or "")
        elif data is not None and data.find(q(ns.types, "TestMessage")) is not None:
            _sub(meta, "testMessage", "true")
        content = _sub(_sub(out, f"{kind}Content"), "content")
        primary = data.find(q(ns.basic, "MessagePrimaryContent")) if data is not None else None
        if kind == "Request" or (primary is not None and len(primary)):
            target = _sub(content, "MessagePrimaryContent")
            if primary is not None and len(primary):
                target.append(deepcopy(primary[0]))
        if kind == "Request" or data is None:
            return
        for rejection in data.findall(q(ns.types, "RequestRejected")):
            target = _sub(content, "RequestRejected")
            for name in REJECTION_FIELDS:
                _sub(target, name, rejection.findtext(q(ns.types, name)))
        status = data.find(q(ns.basic, "AsyncProcessingStatus"))
        if status is not None:
            out_status = _sub(content, "status")
            _sub(out_status, "StatusCategory", status.findtext(q(ns.basic, "StatusCategory")) or "")
            details = status.findtext(q(ns.basic, "StatusDetails"))
            if details:
                _sub(out_status, "StatusDetails", details)
            fault = status.find(q(ns.basic, "SmevFault"))
            if fault is not None:
                xsi_type = (
                    fault.get("{http://www.w3.org/2001/XMLSchema-instance}type") or "SmevFault"
                )
                _sub(out_status, "FaultName", xsi_type.split(":")[-1])
                _sub(
                    out_status, "FaultDescription", fault.findtext(q(ns.basic, "Description")) or ""
                )

    def _find(self, element: etree._Element) -> etree._Element:
        self._check_system(element)
        period = element.find(f"{_a('specificQuery')}/{_a('messagePeriodCriteria')}")
        if period is not None:
            return self._find_period(period)
        criteria = element.find(f"{_a('specificQuery')}/{_a('messageClientIdCriteria')}")
        if criteria is None:
            raise AdapterFault(
                "ValidationFault",
                "InvalidContent",
                "нет specificQuery/messageClientIdCriteria или messagePeriodCriteria",
            )
        key = (
            criteria.findtext(_a("clientIdCriteria")) or "",
            criteria.findtext(_a("clientId")) or "",
        )
        result = etree.Element(_a("QueryResultList"), nsmap={"a": ADAPTER})
        for kept in self.kept.get(key, []):
            result.append(deepcopy(kept))
        return result

    def _find_period(self, period: etree._Element) -> etree._Element:
        """Every message handed out from ``from`` to ``to`` (inclusive), oldest first."""
        since = _moment(period.findtext(_a("from")), "from")
        until_text = period.findtext(_a("to"))
        until = _moment(until_text, "to") if until_text else None
        result = etree.Element(_a("QueryResultList"), nsmap={"a": ADAPTER})
        for moment, kept in self.handed_out:
            if moment >= since and (until is None or moment <= until):
                result.append(deepcopy(kept))
        return result


def _moment(text: str | None, name: str) -> dt.datetime:
    """An ``xs:dateTime`` of the period; one without a zone is taken as UTC."""
    try:
        moment = dt.datetime.fromisoformat((text or "").strip().replace("Z", "+00:00"))
    except ValueError:
        raise AdapterFault(
            "ValidationFault", "InvalidContent", f"messagePeriodCriteria/{name}: не дата-время"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
