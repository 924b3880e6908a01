"""What can go wrong talking to СМЭВ, each with a Russian explanation and a retry verdict."""

from __future__ import annotations

RETRYABLE_FAULTS = frozenset(
    {"SMEVFailure", "DestinationOverflow", "QuoteLimitExceeded", "EndOfLifeReached"}
)
"""Faults after which the same message may be sent again later (catalogue: "keep retrying")."""

FAULT_TEXTS: dict[str, str] = {
    "AccessDenied": "СМЭВ запретил отправителю этот вид сведений (AccessDenied): нужен допуск в СМЭВ",
    "PersonalAccessDenied": "доступ по сертификату персонального доступа запрещён (PersonalAccessDenied)",
    "InvalidContent": "СМЭВ отклонил сообщение: содержимое не соответствует схеме (InvalidContent)",
    "BusinessDataTypeIsNotSupported": "СМЭВ не знает такого вида сведений (BusinessDataTypeIsNotSupported)",
    "UnknownMessageType": "селектор указывает незарегистрированный вид сведений (UnknownMessageType)",
    "TransactionCodeInvalid": "неверный код транзакции (TransactionCodeInvalid)",
    "MessageIsAlreadySent": "сообщение с этим идентификатором уже было отправлено (MessageIsAlreadySent)",
    "InvalidMessageIdFormat": "идентификатор сообщения не является UUID версии 1 (InvalidMessageIdFormat)",
    "StaleMessageId": "идентификатор сообщения устарел (StaleMessageId): проверьте часы",
    "AttachmentContentMiscoordination": "вложения не соответствуют заголовкам (AttachmentContentMiscoordination)",
    "AttachmentSizeLimitExceeded": "превышен допустимый размер вложений (AttachmentSizeLimitExceeded)",
    "QuoteLimitExceeded": "исчерпана квота СМЭВ (QuoteLimitExceeded), отправка будет повторена",
    "SignatureVerificationFault": "СМЭВ не принял электронную подпись ЭП-ОВ (SignatureVerificationFault)",
    "SMEVFailure": "сбой СМЭВ (SMEVFailure), отправка будет повторена",
    "IncorrectResponseContentType": "в ответе передан вид сведений запроса (IncorrectResponseContentType)",
    "RecipientIsNotFound": "получатель ответа не найден (RecipientIsNotFound): неверный адрес To",
    "SenderIsNotRegistered": "информационная система не зарегистрирована в СМЭВ (SenderIsNotRegistered)",
    "RequestIsNotFound": "запрос не найден (RequestIsNotFound)",
    "TargetMessageIsNotFound": "нет неподтверждённого сообщения с таким идентификатором (TargetMessageIsNotFound)",
    "DestinationOverflow": "очередь получателя переполнена (DestinationOverflow), отправка будет повторена",
    "EndOfLifeReached": "истёк срок жизни сообщения (EndOfLifeReached), отправка будет повторена",
}


class SmevError(Exception):
    """Base: ``retryable`` says whether sending the same message again later may succeed."""

    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SmevFaultError(SmevError):
    """A SOAP fault from СМЭВ, named by the detail element of the catalogue."""

    def __init__(self, name: str, description: str = "", code: str = "") -> None:
        text = FAULT_TEXTS.get(name, f"СМЭВ вернул ошибку {name}")
        if description:
            text = f"{text}; пояснение СМЭВ: {description}"
        super().__init__(text)
        self.name = name
        self.description = description
        self.code = code
        self.retryable = name in RETRYABLE_FAULTS


class SmevTransportError(SmevError):
    """No answer, or not a SOAP answer: the message may or may not have arrived."""

    retryable = True


class HostileEnvelopeError(SmevError):
    """The answer declares a DTD or entities: refused without expanding anything."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"ответ СМЭВ отклонён как небезопасный XML: {detail}")
