"""The signing seam: an object zeep applies after every plugin; a ГОСТ and a mock signer.

zeep calls ``wsse.apply(envelope, headers)`` last on egress and
``wsse.verify(envelope)`` first on ingress, so a signer placed there signs the
final body.  :class:`GostSigner` signs by ГОСТ Р 34.10-2012 as the real СМЭВ
requires (``connectors.smev3.gost``).  The mock signer, for the demo, produces an
XMLDSig-shaped signature with a SHA-256 digest over the exclusive canonical
form of the signed element, which the emulator's mock mode checks.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any, Protocol

from lxml import etree

from connectors.smev3 import gost
from connectors.smev3.gost import GostCertificate, GostKey

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
SMEV_TRANSFORM = "urn://smev-gov-ru/xmldsig/transform"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"

SIGNED = (
    "SenderProvidedRequestData",
    "SenderProvidedResponseData",
    "MessageTypeSelector",
    "AckTargetMessage",
    "Timestamp",
)
"""The element each operation signs (a direct child of the operation element)."""


class Signer(Protocol):
    def apply(
        self, envelope: etree._Element, headers: Mapping[str, Any]
    ) -> tuple[etree._Element, Any]: ...

    def verify(self, envelope: etree._Element) -> Any: ...

    def check_smev_signature(self, message: etree._Element) -> bool:
        """Whether the СМЭВ signature over a delivered message checks out (Ack's ``accepted``)."""
        ...


class NoSigner:
    """Sends unsigned messages (only an emulator with signatures off accepts them)."""

    def apply(
        self, envelope: etree._Element, headers: Mapping[str, Any]
    ) -> tuple[etree._Element, Any]:
        return envelope, headers

    def verify(self, envelope: etree._Element) -> Any:
        return envelope

    def check_smev_signature(self, message: etree._Element) -> bool:
        return True


def signed_target(
    envelope: etree._Element, signed_id: str
) -> tuple[etree._Element, etree._Element] | None:
    """``(holder, target)``: a new ``CallerInformationSystemSignature`` and the element it signs.

    The target gets ``signed_id`` as its ``Id`` unless it has one; ``None`` when the
    body has nothing to sign.
    """
    body = envelope.find(f"{{{SOAP_ENV}}}Body")
    operation = (
        next((c for c in body if isinstance(c.tag, str)), None) if body is not None else None
    )
    if operation is None:
        return None
    target = next(
        (c for c in operation if isinstance(c.tag, str) and etree.QName(c).localname in SIGNED),
        None,
    )
    if target is None:
        return None
    if not target.get("Id"):
        target.set("Id", signed_id)
    types_ns = etree.QName(operation).namespace
    holder = etree.SubElement(operation, f"{{{types_ns}}}CallerInformationSystemSignature")
    return holder, target


def smev_signature(message: etree._Element) -> tuple[etree._Element | None, etree._Element | None]:
    """``(ds:Signature, the element it references)`` of a delivered message's ``SMEVSignature``."""
    holder = next(
        (
            c
            for c in message
            if isinstance(c.tag, str) and etree.QName(c).localname == "SMEVSignature"
        ),
        None,
    )
    signature = holder.find(f"{{{DS}}}Signature") if holder is not None else None
    reference = signature.find(f".//{{{DS}}}Reference") if signature is not None else None
    target_id = (reference.get("URI") or "").removeprefix("#") if reference is not None else ""
    target = next(
        (c for c in message if isinstance(c.tag, str) and target_id and c.get("Id") == target_id),
        None,
    )
    return signature, target


def _digest(element: etree._Element) -> str:
    canonical = etree.tostring(element, method="c14n", exclusive=True, with_comments=False)
    return base64.b64encode(hashlib.sha256(canonical).digest()).decode()


class MockSigner:
    """XMLDSig shape with a SHA-256 digest and a placeholder signature value."""

    def __init__(self, signed_id: str = "SIGNED_BY_CALLER") -> None:
        self.signed_id = signed_id

    def apply(
        self, envelope: etree._Element, headers: Mapping[str, Any]
    ) -> tuple[etree._Element, Any]:
        found = signed_target(envelope, self.signed_id)
        if found is not None:
            found[0].append(self._signature(found[1]))
        return envelope, headers

    def _signature(self, target: etree._Element) -> etree._Element:
        signature = etree.Element(f"{{{DS}}}Signature", nsmap={"ds": DS})
        info = etree.SubElement(signature, f"{{{DS}}}SignedInfo")
        etree.SubElement(info, f"{{{DS}}}CanonicalizationMethod").set("Algorithm", EXC_C14N)
        etree.SubElement(info, f"{{{DS}}}SignatureMethod").set(
            "Algorithm", "urn:sverka:mock-signature"
        )
        reference = etree.SubElement(info, f"{{{DS}}}Reference")
        reference.set("URI", f"#{target.get('Id')}")
        transforms = etree.SubElement(reference, f"{{{DS}}}Transforms")
        etree.SubElement(transforms, f"{{{DS}}}Transform").set("Algorithm", EXC_C14N)
        etree.SubElement(transforms, f"{{{DS}}}Transform").set("Algorithm", SMEV_TRANSFORM)
        etree.SubElement(reference, f"{{{DS}}}DigestMethod").set("Algorithm", SHA256)
        etree.SubElement(reference, f"{{{DS}}}DigestValue").text = _digest(target)
        etree.SubElement(signature, f"{{{DS}}}SignatureValue").text = "bW9jaw=="
        return signature

    def verify(self, envelope: etree._Element) -> Any:
        return envelope

    def check_smev_signature(self, message: etree._Element) -> bool:
        """``message`` is RequestMessage or ResponseMessage: its SMEVSignature must match."""
        signature, target = smev_signature(message)
        if signature is None:
            return True
        reference = signature.find(f".//{{{DS}}}Reference")
        return (
            target is not None
            and reference is not None
            and reference.findtext(f"{{{DS}}}DigestValue") == _digest(target)
        )


class GostSigner:
    """ЭП-ОВ by ГОСТ Р 34.10-2012 (256): what the real СМЭВ requires (``connectors.smev3.gost``)."""

    def __init__(
        self,
        key: GostKey,
        smev_certificate: GostCertificate | None = None,
        signed_id: str = "SIGNED_BY_CALLER",
    ) -> None:
        self.key = key
        self.smev_certificate = smev_certificate
        self.signed_id = signed_id

    def apply(
        self, envelope: etree._Element, headers: Mapping[str, Any]
    ) -> tuple[etree._Element, Any]:
        found = signed_target(envelope, self.signed_id)
        if found is not None:
            found[0].append(gost.sign_element(found[1], self.key))
        return envelope, headers

    def verify(self, envelope: etree._Element) -> Any:
        return envelope

    def check_smev_signature(self, message: etree._Element) -> bool:
        """A ГОСТ signature by СМЭВ (by ``smev_certificate`` when set); no signature passes."""
        signature, target = smev_signature(message)
        if signature is None:
            return True
        at = dt.datetime.now(dt.UTC)
        return gost.signature_fault(signature, target, self.smev_certificate, at) is None
