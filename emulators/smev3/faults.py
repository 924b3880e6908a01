"""The СМЭВ fault catalogue as the emulator raises it.

Texts imitate the real ones (``Code`` with a node path, ``Description``
prefixed ``SMEV-nnn:``) so that a client's error handling is exercised against
something realistic; the exact wording is ours.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from emulators.smev3.ns import SOAP_ENV, Namespaces, q


@dataclass(frozen=True)
class FaultSpec:
    number: int
    text: str
    smev_fault: bool
    """Carries Code/Description (a SmevFault subtype) rather than being Void."""


CATALOGUE: dict[str, FaultSpec] = {
    "BusinessDataTypeIsNotSupported": FaultSpec(
        402, "Вид сведений с таким корневым элементом не зарегистрирован в СМЭВ", True
    ),
    "InvalidContent": FaultSpec(403, "Содержимое сообщения не соответствует схеме", True),
    "UnknownMessageType": FaultSpec(
        404, "Селектор указывает незарегистрированный вид сведений", False
    ),
    "TransactionCodeInvalid": FaultSpec(405, "Неверный код транзакции", True),
    "MessageIsAlreadySent": FaultSpec(
        406, "Сообщение с таким идентификатором уже отправлено", False
    ),
    "InvalidMessageIdFormat": FaultSpec(
        407, "Идентификатор сообщения не является UUID версии 1", False
    ),
    "StaleMessageId": FaultSpec(
        408, "Идентификатор сообщения устарел: метка времени старше допустимой", False
    ),
    "AttachmentContentMiscoordination": FaultSpec(
        409, "Заголовки вложений не соответствуют их содержимому", False
    ),
    "AttachmentSizeLimitExceeded": FaultSpec(410, "Превышен допустимый размер вложений", True),
    "QuoteLimitExceeded": FaultSpec(411, "Исчерпана квота на отправку сообщений", True),
    "AccessDenied": FaultSpec(412, "Отправителю запрещён доступ к этому виду сведений", False),
    "PersonalAccessDenied": FaultSpec(
        413, "Доступ по сертификату персонального доступа запрещён", False
    ),
    "SignatureVerificationFault": FaultSpec(100, "Ошибка проверки ЭП-ОВ", True),
    "SMEVFailure": FaultSpec(500, "Внутренняя ошибка СМЭВ, повторите запрос позднее", False),
    "IncorrectResponseContentType": FaultSpec(
        414, "Через SendResponse передан вид сведений запроса", False
    ),
    "RecipientIsNotFound": FaultSpec(415, "Получатель ответа (To) не найден", False),
    "SenderIsNotRegistered": FaultSpec(416, "Отправитель не зарегистрирован в СМЭВ", False),
    "RequestIsNotFound": FaultSpec(417, "Запрос не найден", False),
    "TargetMessageIsNotFound": FaultSpec(
        418, "Нет неподтверждённого сообщения с таким идентификатором", False
    ),
    "DestinationOverflow": FaultSpec(
        419, "Очередь получателя переполнена, повторите позднее", True
    ),
    "EndOfLifeReached": FaultSpec(420, "Истёк срок жизни сообщения (EOL)", False),
}


@dataclass
class SoapFault(Exception):
    """A synchronous rejection, rendered as a SOAP 1.1 fault with one detail element."""

    name: str
    detail_text: str = ""
    extra: list[tuple[str, str]] = field(default_factory=list)
    """Payload elements of the fault (namespace: faults) in schema order."""
    validation_errors: list[str] = field(default_factory=list)
    signature_code: str | None = None

    def __post_init__(self) -> None:
        if self.name not in CATALOGUE:
            raise KeyError(f"unknown fault {self.name}")
        super().__init__(self.name)

    @property
    def spec(self) -> FaultSpec:
        return CATALOGUE[self.name]

    def description(self) -> str:
        text = self.spec.text + (f": {self.detail_text}" if self.detail_text else "")
        return f"SMEV-{self.spec.number}:{text}"

    def render(self, ns: Namespaces) -> bytes:
        envelope = etree.Element(q(SOAP_ENV, "Envelope"), nsmap={"soap": SOAP_ENV})
        body = etree.SubElement(envelope, q(SOAP_ENV, "Body"))
        fault = etree.SubElement(body, q(SOAP_ENV, "Fault"))
        etree.SubElement(fault, "faultcode").text = "soap:Server"
        etree.SubElement(fault, "faultstring").text = self.description()
        detail = etree.SubElement(fault, "detail")
        element = etree.SubElement(
            detail, q(ns.faults, self.name), nsmap={"ns2": ns.basic, "ns3": ns.faults}
        )
        if self.spec.smev_fault:
            etree.SubElement(
                element, q(ns.basic, "Code")
            ).text = f"emu:SVERKA:SMEV3_EMULATOR:TR:SYNC:{self.spec.number}"
            etree.SubElement(element, q(ns.basic, "Description")).text = self.description()
            for name, value in self.extra:
                etree.SubElement(element, q(ns.faults, name)).text = value
            for text in self.validation_errors:
                error = etree.SubElement(element, q(ns.faults, "ValidationError"))
                error.set("errorPosition", "-1")
                error.text = text
            if self.signature_code:
                etree.SubElement(
                    element, q(ns.faults, "SignatureVerificationFault")
                ).text = self.signature_code
        return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))
