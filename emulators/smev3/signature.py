"""The mock signature mode: XMLDSig shape with a SHA-256 digest instead of ГОСТ.

The real СМЭВ checks a ГОСТ Р 34.10-2012 signature (ЭП-ОВ).  The schema
annotation allows simplified emulators, so the mock mode checks what a client
can get wrong without ГОСТ: the signature is present in the right sibling, it
references the ``Id`` of the element that must be signed, and the digest of
that element's exclusive canonical form matches.
"""

from __future__ import annotations

import base64
import hashlib

from lxml import etree

from emulators.smev3.faults import SoapFault
from emulators.smev3.ns import DS, EXC_C14N, Namespaces, q

SIGNED_ELEMENTS = (
    "SenderProvidedRequestData",
    "SenderProvidedResponseData",
    "MessageTypeSelector",
    "AckTargetMessage",
    "Timestamp",
)
DIGEST_METHOD = "http://www.w3.org/2001/04/xmlenc#sha256"
SMEV_TRANSFORM = "urn://smev-gov-ru/xmldsig/transform"


def digest(element: etree._Element) -> str:
    canonical = etree.tostring(element, method="c14n", exclusive=True, with_comments=False)
    return base64.b64encode(hashlib.sha256(canonical).digest()).decode()


def sign_element(element: etree._Element) -> etree._Element:
    """A mock ``ds:Signature`` over ``element`` (which must carry an ``Id``)."""
    signature = etree.Element(q(DS, "Signature"), nsmap={"ds": DS})
    info = etree.SubElement(signature, q(DS, "SignedInfo"))
    etree.SubElement(info, q(DS, "CanonicalizationMethod")).set("Algorithm", EXC_C14N)
    etree.SubElement(info, q(DS, "SignatureMethod")).set("Algorithm", "urn:sverka:mock-signature")
    reference = etree.SubElement(info, q(DS, "Reference"))
    reference.set("URI", f"#{element.get('Id')}")
    transforms = etree.SubElement(reference, q(DS, "Transforms"))
    etree.SubElement(transforms, q(DS, "Transform")).set("Algorithm", EXC_C14N)
    etree.SubElement(transforms, q(DS, "Transform")).set("Algorithm", SMEV_TRANSFORM)
    etree.SubElement(reference, q(DS, "DigestMethod")).set("Algorithm", DIGEST_METHOD)
    etree.SubElement(reference, q(DS, "DigestValue")).text = digest(element)
    etree.SubElement(signature, q(DS, "SignatureValue")).text = "bW9jaw=="
    return signature


def caller_signature(
    operation: etree._Element, ns: Namespaces
) -> tuple[etree._Element | None, etree._Element | None]:
    """``(signed element, ds:Signature in CallerInformationSystemSignature)``, either may be absent."""
    target = next(
        (
            c
            for c in operation
            if isinstance(c.tag, str) and etree.QName(c).localname in SIGNED_ELEMENTS
        ),
        None,
    )
    holder = operation.find(q(ns.types, "CallerInformationSystemSignature"))
    signature = holder.find(q(DS, "Signature")) if holder is not None else None
    return target, signature


def verify_caller_signature(operation: etree._Element, ns: Namespaces) -> None:
    """Raise ``SignatureVerificationFault`` unless the caller's mock signature checks out."""
    target, signature = caller_signature(operation, ns)
    if target is None or signature is None:
        raise SoapFault(
            "SignatureVerificationFault", "ЭП-ОВ не найдена", signature_code="NoSignatureFound"
        )
    reference = signature.find(f"{q(DS, 'SignedInfo')}/{q(DS, 'Reference')}")
    if reference is None or not target.get("Id") or reference.get("URI") != f"#{target.get('Id')}":
        raise SoapFault(
            "SignatureVerificationFault",
            "ЭП-ОВ подписывает не тот элемент",
            signature_code="IncorrectSignatureTarget",
        )
    if reference.findtext(q(DS, "DigestValue")) != digest(target):
        raise SoapFault(
            "SignatureVerificationFault", "ЭП-ОВ не верна", signature_code="SignatureIsInvalid"
        )
