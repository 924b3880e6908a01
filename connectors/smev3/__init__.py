"""СМЭВ 3 transport: zeep's async client over httpx, local schemas only.

The narrow interface the business connectors use (send a request, poll
responses or requests, acknowledge, answer) hides zeep; signing is a
pluggable object applied after every plugin, and every envelope sent and
received is reported to an audit callback (the store keeps it).
"""

from connectors.smev3.client import (
    EnvelopeRecord,
    ReceivedRequest,
    ReceivedResponse,
    SendResult,
    SmevClient,
    SmevSettings,
    new_message_id,
)
from connectors.smev3.errors import (
    HostileEnvelopeError,
    SmevError,
    SmevFaultError,
    SmevTransportError,
)
from connectors.smev3.signing import MockSigner, NoSigner, Signer

__all__ = [
    "EnvelopeRecord",
    "HostileEnvelopeError",
    "MockSigner",
    "NoSigner",
    "ReceivedRequest",
    "ReceivedResponse",
    "SendResult",
    "Signer",
    "SmevClient",
    "SmevError",
    "SmevFaultError",
    "SmevSettings",
    "SmevTransportError",
    "new_message_id",
]
