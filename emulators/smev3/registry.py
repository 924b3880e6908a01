"""The «виды сведений» the emulator knows: root element → provider and schema.

The real СМЭВ keeps such a register (root QName of the business document →
the provider's XSD and who may send it); these are Sverka's own business
schemas (``schemas/smev3/business``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import xmlschema

from emulators.smev3.ns import CONTINGENT, E_USLUGI, EPGU_DIARY, SCHEMAS

REGISTRY = "CONTINGENT"
EPGU = "EPGU"
EUSLUGI = "EUSLUGI"
SMEV = "smev"

HUMAN_NAMES = {
    REGISTRY: "АИС «Учет контингента» (эмулятор)",
    EPGU: "ЕПГУ (эмулятор)",
    EUSLUGI: "АИС «Е-услуги. Образование» (эмулятор)",
    SMEV: "СМЭВ",
}


@dataclass(frozen=True)
class MessageType:
    namespace: str
    root: str
    schema: str
    """File name under ``schemas/smev3/business``."""
    is_request: bool
    provider: str | None
    """Who answers a request type; ``None`` for the school (whatever its mnemonic)."""
    consumers: frozenset[str] | None
    """Who may send a request type; ``None`` means the school."""
    responses: tuple[str, ...] = ()

    @property
    def qname(self) -> tuple[str, str]:
        return (self.namespace, self.root)


_CONTINGENT = "contingent-1.0.xsd"
_EPGU = "epgu-edu-diary-1.0.xsd"
_EUSLUGI = "e-uslugi-enrolment-1.0.xsd"

MESSAGE_TYPES: dict[tuple[str, str], MessageType] = {
    t.qname: t
    for t in (
        MessageType(
            CONTINGENT,
            "MovementEventRequest",
            _CONTINGENT,
            True,
            REGISTRY,
            None,
            ("MovementEventResponse",),
        ),
        MessageType(CONTINGENT, "MovementEventResponse", _CONTINGENT, False, None, None),
        MessageType(
            CONTINGENT,
            "ContingentViewRequest",
            _CONTINGENT,
            True,
            REGISTRY,
            None,
            ("ContingentViewResponse",),
        ),
        MessageType(CONTINGENT, "ContingentViewResponse", _CONTINGENT, False, None, None),
        MessageType(
            EPGU_DIARY, "FormData", _EPGU, True, None, frozenset({EPGU}), ("FormDataResponse",)
        ),
        MessageType(EPGU_DIARY, "FormDataResponse", _EPGU, False, None, None),
        MessageType(
            E_USLUGI,
            "EnrolmentNotification",
            _EUSLUGI,
            True,
            None,
            frozenset({EUSLUGI}),
            ("EnrolmentNotificationReceipt",),
        ),
        MessageType(E_USLUGI, "EnrolmentNotificationReceipt", _EUSLUGI, False, None, None),
    )
}


@cache
def business_schema(file_name: str) -> xmlschema.XMLSchema:
    path: Path = SCHEMAS / "business" / file_name
    return xmlschema.XMLSchema(str(path))
