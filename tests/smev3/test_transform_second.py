"""The СМЭВ transform and our ГОСТ digest, checked by code that is not ours nor our signer's.

Sverka computes the bytes a signature covers with ``smev-transform`` (exclusive
c14n, then ``urn://smev-gov-ru/xmldsig/transform``) and digests and signs them
with gostcrypto.  Here a second, independent implementation of the transform
(PyPI ``smev3Transform``, a test-only dependency) and OpenSSL's GOST engine
recompute the same from the envelope as it leaves: if the transform, the c14n
step, the Стрибог digest or the signature were wrong, the two sides would differ.
The protocol doc has no worked examples of the transform, so the second
implementation is the reference (the issue's «second implementation» rule).
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from lxml import etree
from smev3Transform.transform import Smev3Transform

from connectors.smev3 import gost
from connectors.smev3.client import SmevClient, SmevSettings, new_message_id
from connectors.smev3.signing import GostSigner
from emulators.smev3 import gost as openssl_gost
from tests.smev3.test_gost_signature import make_keypair

DS = "http://www.w3.org/2000/09/xmldsig#"
BASE = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.2"

# Inputs for the transform's rules (prefixes renumbered per element scope, unused
# declarations dropped, a namespace declared where first used and again in siblings,
# qualified attributes sorted by namespace then name before unqualified ones,
# whitespace-only text and comments dropped).  Written for this test.
DOCUMENTS = {
    "prefixes": (
        '<a:Root xmlns:a="urn:t:1" xmlns:unused="urn:t:9">\n  <a:Child>Ученик</a:Child>\n</a:Root>'
    ),
    "default namespace and siblings": (
        '<Root xmlns="urn:t:1" xmlns:b="urn:t:2" xmlns:c="urn:t:3">\n'
        "  <b:One><c:Two><Three> Петров </Three></c:Two></b:One>\n"
        "  <c:Four>4</c:Four>\n"
        "</Root>"
    ),
    "attributes": (
        '<r:Event xmlns:r="urn:t:1" xmlns:x="urn:t:2" xmlns:y="urn:t:3" '
        'zeta="1" alpha="2" y:kind="перевод" x:when="2026-09-01" x:and="0">'
        "<!-- a comment -->"
        '<r:Student r:id="S1">Иванова Мария</r:Student>'
        "</r:Event>"
    ),
}


def _c14n(element: etree._Element) -> str:
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False).decode()


def _second(element: etree._Element) -> bytes:
    """The independent implementation's output for the bytes our signer covers."""
    return str(Smev3Transform(_c14n(element)).run()).encode("utf-8")


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_transform_agrees_with_a_second_implementation(name: str) -> None:
    element = etree.fromstring(DOCUMENTS[name].encode())
    ours = gost.transformed(element)
    assert ours == _second(element)
    assert ours != _c14n(element).encode(), "the transform must change these inputs"
    assert b"ns1:" in ours and b"<!--" not in ours


def _rich_content() -> etree._Element:
    """Business content with what the transform rewrites: prefixes, attributes, whitespace."""
    root = etree.fromstring(DOCUMENTS["attributes"].encode())
    holder = etree.Element("{urn:t:4}Movement", nsmap={"m": "urn:t:4", "spare": "urn:t:5"})
    holder.text = "\n  "
    holder.append(root)
    return holder


def test_our_signed_envelope_verifies_by_independent_code(tmp_path: Path) -> None:
    """Digest and signature of a real outgoing SendRequest, recomputed by smev3Transform
    and OpenSSL's GOST engine from the envelope's bytes."""
    pair = make_keypair(tmp_path, "school")
    signer = GostSigner(gost.load_key(pair.pem))
    client = SmevClient(SmevSettings("http://127.0.0.1:9/smev"), signer=signer)
    message_id = new_message_id()
    envelope = client.zeep.create_message(  # type: ignore[no-untyped-call]
        client.service,
        "SendRequest",
        SenderProvidedRequestData={
            "Id": "SIGNED_BY_CALLER",
            "MessageID": message_id,
            "ReferenceMessageID": message_id,
            "MessagePrimaryContent": {"_value_1": _rich_content()},
        },
    )
    wire = etree.fromstring(etree.tostring(envelope, encoding="UTF-8"))
    target = wire.find(f".//{{{BASE}}}SenderProvidedRequestData")
    signature = wire.find(f".//{{{BASE}}}CallerInformationSystemSignature/{{{DS}}}Signature")
    assert target is not None and signature is not None

    covered = _second(target)
    assert covered == gost.transformed(target)
    digest = base64.b64encode(openssl_gost.streebog(covered)).decode()
    assert signature.findtext(f".//{{{DS}}}DigestValue") == digest

    info = signature.find(f"{{{DS}}}SignedInfo")
    assert info is not None
    value = base64.b64decode(signature.findtext(f"{{{DS}}}SignatureValue") or "")
    assert openssl_gost._signature_verifies(_c14n(info).encode(), value, pair.certificate_der)

    # The check is not vacuous: one changed letter in the signed data breaks the digest.
    student = target.find(".//{urn:t:1}Student")
    assert student is not None
    student.text = "Иванова Мариа"
    changed = base64.b64encode(openssl_gost.streebog(_second(target))).decode()
    assert changed != digest
