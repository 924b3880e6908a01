"""The ``gost`` signature mode: check an ЭП-ОВ as the real СМЭВ would.

The emulator checks with a second implementation, independent of the client's
(gostcrypto): OpenSSL with Debian's GOST engine (``libengine-gost-openssl``)
computes Стрибог-256 and verifies the ГОСТ Р 34.10-2012 signature.  Only the
СМЭВ transform is the same package on both sides (``smev-transform``; no other
is published).  The certificate must be the one the emulator was configured to
trust (the real СМЭВ knows each system's registered certificate).
"""

from __future__ import annotations

import base64
import datetime as dt
import subprocess
import tempfile
from pathlib import Path

from lxml import etree

from emulators.smev3.faults import SoapFault
from emulators.smev3.ns import DS, EXC_C14N, q

GOST_SIGNATURE = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256"
GOST_DIGEST = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256"
SMEV_TRANSFORM = "urn://smev-gov-ru/xmldsig/transform"
OPENSSL = ["openssl", "dgst", "-engine", "gost", "-md_gost12_256"]


def _fault(code: str, text: str) -> SoapFault:
    return SoapFault("SignatureVerificationFault", text, signature_code=code)


def _openssl(*args: str, data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*OPENSSL, *args], input=data, capture_output=True, timeout=30)


def streebog(data: bytes) -> bytes:
    return _openssl("-binary", data=data).stdout


def smev_transformed(element: etree._Element) -> bytes:
    from smev_transform import Transform

    canonical = etree.tostring(element, method="c14n", exclusive=True, with_comments=False)
    return str(Transform().process(canonical.decode("utf-8"))).encode("utf-8")


def _certificate_dates(der: bytes) -> tuple[dt.datetime, dt.datetime]:
    from asn1crypto import x509

    validity = x509.Certificate.load(der)["tbs_certificate"]["validity"]
    return validity["not_before"].native, validity["not_after"].native


def _signature_verifies(data: bytes, value: bytes, certificate_der: bytes) -> bool:
    with tempfile.TemporaryDirectory(prefix="smev-emu-") as folder:
        cert = Path(folder, "cert.der")
        cert.write_bytes(certificate_der)
        public = subprocess.run(
            [
                "openssl",
                "x509",
                "-engine",
                "gost",
                "-inform",
                "DER",
                "-in",
                str(cert),
                "-pubkey",
                "-noout",
            ],
            capture_output=True,
            timeout=30,
        )
        Path(folder, "pub.pem").write_bytes(public.stdout)
        Path(folder, "sig").write_bytes(value)
        done = _openssl(
            "-verify",
            str(Path(folder, "pub.pem")),
            "-signature",
            str(Path(folder, "sig")),
            data=data,
        )
        return done.returncode == 0 and b"Verified OK" in done.stdout


def verify_gost_signature(
    signature: etree._Element | None,
    target: etree._Element | None,
    trusted_der: bytes | None,
    at: dt.datetime,
) -> None:
    """Raise the real ``SignatureVerificationFault`` unless the ЭП-ОВ checks out."""
    if signature is None or target is None:
        raise _fault("NoSignatureFound", "ЭП-ОВ не найдена")
    info = signature.find(q(DS, "SignedInfo"))
    reference = info.find(q(DS, "Reference")) if info is not None else None
    if info is None or reference is None:
        raise _fault("PoorSOAPEnvelopeFormat", "ЭП-ОВ без SignedInfo/Reference")
    if not target.get("Id") or reference.get("URI") != f"#{target.get('Id')}":
        raise _fault("IncorrectSignatureTarget", "ЭП-ОВ подписывает не тот элемент")
    encoded = signature.findtext(
        f"{q(DS, 'KeyInfo')}/{q(DS, 'X509Data')}/{q(DS, 'X509Certificate')}"
    )
    try:
        der = base64.b64decode(encoded or "", validate=True)
    except ValueError:
        der = b""
    if not der or (trusted_der is not None and der != trusted_der):
        raise _fault("CertificateIsNotFound", "сертификат ЭП-ОВ не зарегистрирован в СМЭВ")
    not_before, not_after = _certificate_dates(der)
    if not not_before <= at <= not_after:
        raise _fault("CertificateIsExpired", "Срок действия сертификата ЭП-ОВ истёк")
    canonicalization = [
        (info.find(q(DS, "CanonicalizationMethod")), EXC_C14N),
        (info.find(q(DS, "SignatureMethod")), GOST_SIGNATURE),
        (reference.find(q(DS, "DigestMethod")), GOST_DIGEST),
    ]
    transforms = [t.get("Algorithm") for t in reference.iterfind(f".//{q(DS, 'Transform')}")]
    if transforms != [EXC_C14N, SMEV_TRANSFORM] or any(
        element is None or element.get("Algorithm") != uri for element, uri in canonicalization
    ):
        raise _fault("SignatureIsInvalid", "ЭП-ОВ: алгоритмы не ГОСТ Р 34.10/34.11-2012")
    digest = base64.b64encode(streebog(smev_transformed(target))).decode()
    if reference.findtext(q(DS, "DigestValue")) != digest:
        raise _fault("SignatureIsInvalid", "ЭП-ОВ не верна: подписанные данные изменены")
    value = base64.b64decode(signature.findtext(q(DS, "SignatureValue")) or "")
    canonical_info = etree.tostring(info, method="c14n", exclusive=True, with_comments=False)
    if not _signature_verifies(canonical_info, value, der):
        raise _fault("SignatureIsInvalid", "ЭП-ОВ не верна")


def sign_gost(element: etree._Element, key_pem: Path, certificate_der: bytes) -> etree._Element:
    """СМЭВ's own ГОСТ ``ds:Signature`` over ``element`` (``SMEVSignature``), made by OpenSSL."""
    signature = etree.Element(q(DS, "Signature"), nsmap={"ds": DS})
    info = etree.SubElement(signature, q(DS, "SignedInfo"))
    etree.SubElement(info, q(DS, "CanonicalizationMethod")).set("Algorithm", EXC_C14N)
    etree.SubElement(info, q(DS, "SignatureMethod")).set("Algorithm", GOST_SIGNATURE)
    reference = etree.SubElement(info, q(DS, "Reference"))
    reference.set("URI", f"#{element.get('Id')}")
    transforms = etree.SubElement(reference, q(DS, "Transforms"))
    etree.SubElement(transforms, q(DS, "Transform")).set("Algorithm", EXC_C14N)
    etree.SubElement(transforms, q(DS, "Transform")).set("Algorithm", SMEV_TRANSFORM)
    etree.SubElement(reference, q(DS, "DigestMethod")).set("Algorithm", GOST_DIGEST)
    etree.SubElement(reference, q(DS, "DigestValue")).text = base64.b64encode(
        streebog(smev_transformed(element))
    ).decode()
    canonical_info = etree.tostring(info, method="c14n", exclusive=True, with_comments=False)
    value = _openssl("-sign", str(key_pem), data=canonical_info).stdout
    etree.SubElement(signature, q(DS, "SignatureValue")).text = base64.b64encode(value).decode()
    x509 = etree.SubElement(etree.SubElement(signature, q(DS, "KeyInfo")), q(DS, "X509Data"))
    etree.SubElement(x509, q(DS, "X509Certificate")).text = base64.b64encode(
        certificate_der
    ).decode()
    return signature
