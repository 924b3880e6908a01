"""ЭП-ОВ: XMLDSig by ГОСТ Р 34.10-2012 / 34.11-2012 (256) over the СМЭВ transform.

The arithmetic is not ours: ``gostcrypto`` computes Стрибог-256 and the
34.10-2012 signature, ``smev-transform`` implements
``urn://smev-gov-ru/xmldsig/transform``, lxml does exclusive c14n, asn1crypto
reads the DER around the keys.  PKCS#12 containers and password-protected PEM
keys are opened by OpenSSL with Debian's GOST engine (``libengine-gost-openssl``),
the only well-kept tool here that knows the GOST password-based encryption those
files use.  This module only arranges the XMLDSig elements (protocol doc §1.11).

Byte order follows OpenSSL's GOST engine, which interoperates with CryptoPro:
keys and public points are little-endian in DER, ``SignatureValue`` is the
engine's raw 64-byte signature.  gostcrypto works big-endian, hence the
reversals at its boundary.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from connectors.smev3.errors import SmevError

DS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
SMEV_TRANSFORM = "urn://smev-gov-ru/xmldsig/transform"
GOST_SIGNATURE = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256"
GOST_DIGEST = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256"
GOST_2012_256_KEY = "1.2.643.7.1.1.1.1"

CURVES = {
    "1.2.643.2.2.35.1": "id-tc26-gost-3410-2012-256-paramSetB",  # CryptoPro-A
    "1.2.643.2.2.35.2": "id-tc26-gost-3410-2012-256-paramSetC",  # CryptoPro-B
    "1.2.643.2.2.35.3": "id-tc26-gost-3410-2012-256-paramSetD",  # CryptoPro-C
    "1.2.643.2.2.36.0": "id-tc26-gost-3410-2012-256-paramSetB",  # CryptoPro-XchA
    "1.2.643.2.2.36.1": "id-tc26-gost-3410-2012-256-paramSetD",  # CryptoPro-XchB
    "1.2.643.7.1.2.1.1.1": "id-tc26-gost-3410-2012-256-paramSetA",
    "1.2.643.7.1.2.1.1.2": "id-tc26-gost-3410-2012-256-paramSetB",
    "1.2.643.7.1.2.1.1.3": "id-tc26-gost-3410-2012-256-paramSetC",
    "1.2.643.7.1.2.1.1.4": "id-tc26-gost-3410-2012-256-paramSetD",
}
"""Parameter-set OID → gostcrypto's name of the same curve (RFC 7836, R 1323565.1.024-2019)."""


class KeyError_(SmevError):
    """The key or certificate file cannot be used; the message says why, in Russian."""


@dataclass(frozen=True)
class GostCertificate:
    der: bytes
    subject: str
    not_before: dt.datetime
    not_after: dt.datetime
    curve: str
    public_key: bytes
    """x‖y big-endian, as gostcrypto takes it."""

    @classmethod
    def from_der(cls, der: bytes) -> GostCertificate:
        from asn1crypto import core, x509

        try:
            cert = x509.Certificate.load(der)
            tbs = cert["tbs_certificate"]
            validity = tbs["validity"]
            spki = core.Sequence.load(core.Sequence.load(tbs.dump())[6].dump())
            algorithm = core.Sequence.load(spki[0].dump())
            oid = core.ObjectIdentifier.load(algorithm[0].dump()).dotted
            params = core.Sequence.load(algorithm[1].dump())
            paramset = core.ObjectIdentifier.load(params[0].dump()).dotted
            point = core.OctetString.load(core.BitString.load(spki[1].dump()).contents[1:]).native
            subject = tbs["subject"].human_friendly
            not_before = validity["not_before"].native
            not_after = validity["not_after"].native
        except (ValueError, TypeError, KeyError, IndexError) as error:
            raise KeyError_(f"сертификат ЭП-ОВ не читается как X.509: {error}") from error
        if oid != GOST_2012_256_KEY or paramset not in CURVES or len(point) != 64:
            raise KeyError_(
                f"сертификат ЭП-ОВ не по ГОСТ Р 34.10-2012 (256 бит): алгоритм {oid}, "
                f"параметры {paramset}"
            )
        return cls(
            der=der,
            subject=subject,
            not_before=not_before,
            not_after=not_after,
            curve=CURVES[paramset],
            public_key=bytes(point[:32][::-1] + point[32:][::-1]),
        )

    def valid_at(self, moment: dt.datetime) -> bool:
        return self.not_before <= moment <= self.not_after


@dataclass(frozen=True)
class GostKey:
    private_key: bytes
    """The scalar, big-endian, as gostcrypto takes it."""
    certificate: GostCertificate


def _pem_blocks(text: str, label: str) -> list[bytes]:
    from asn1crypto import pem

    blocks = []
    for kind, _headers, der in pem.unarmor(text.encode("ascii"), multiple=True):
        if kind == label:
            blocks.append(der)
    return blocks


def _private_scalar(pkcs8: bytes) -> bytes:
    from asn1crypto import core

    info = core.Sequence.load(pkcs8)
    oid = core.ObjectIdentifier.load(core.Sequence.load(info[1].dump())[0].dump()).dotted
    if oid != GOST_2012_256_KEY:
        raise KeyError_(f"закрытый ключ не по ГОСТ Р 34.10-2012 (256 бит): алгоритм {oid}")
    raw = info[2].contents
    if len(raw) == 32:
        return bytes(raw[::-1])  # the engine's bare little-endian scalar
    inner = core.Asn1Value.load(raw)
    if inner.tag == 4 and len(inner.contents) == 32:
        return bytes(inner.contents[::-1])
    if inner.tag == 2:
        return int.from_bytes(inner.contents, "big").to_bytes(32, "big")
    raise KeyError_("закрытый ключ ГОСТ записан в неизвестном виде")


def _openssl_to_pem(path: Path, password: str, pkcs12: bool) -> str:
    """Open a PKCS#12 or an encrypted PEM with OpenSSL's GOST engine; the password goes by env."""
    command = (
        ["openssl", "pkcs12", "-engine", "gost", "-in", str(path), "-nodes"]
        if pkcs12
        else ["openssl", "pkey", "-engine", "gost", "-in", str(path)]
    )
    command += ["-passin", "env:SVERKA_GOST_PASSIN"]
    env = {**os.environ, "SVERKA_GOST_PASSIN": password}
    try:
        done = subprocess.run(command, capture_output=True, env=env, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise KeyError_(
            f"не удалось открыть {path.name} через OpenSSL: {error}; "
            "нужен пакет libengine-gost-openssl"
        ) from error
    if done.returncode != 0:
        raise KeyError_(
            f"OpenSSL не открыл {path.name} (неверный пароль или нет движка ГОСТ "
            f"libengine-gost-openssl): {done.stderr.decode(errors='replace').strip()[-200:]}"
        )
    text = done.stdout.decode("ascii", errors="replace")
    if not pkcs12:
        text += path.read_text(encoding="ascii", errors="replace")
    return text


def load_key(path: str | Path, password: str | None = None) -> GostKey:
    """The signing key and its certificate from a PKCS#12 (.p12/.pfx) or a PEM file.

    A PEM file holds the certificate and the private key (``PRIVATE KEY``, or
    ``ENCRYPTED PRIVATE KEY`` with ``password``).
    """
    file = Path(path)
    if not file.is_file():
        raise KeyError_(f"файл ключа ЭП-ОВ не найден: {file}")
    pkcs12 = file.suffix.lower() in {".p12", ".pfx"}
    text = "" if pkcs12 else file.read_text(encoding="ascii", errors="replace")
    if pkcs12 or "ENCRYPTED PRIVATE KEY" in text:
        if not password:
            raise KeyError_(
                f"для {file.name} нужен пароль ключа ЭП-ОВ (секрет SVERKA_SMEV3_KEY_PASSWORD)"
            )
        text = _openssl_to_pem(file, password, pkcs12)
    keys = _pem_blocks(text, "PRIVATE KEY")
    certificates = _pem_blocks(text, "CERTIFICATE")
    if not keys or not certificates:
        raise KeyError_(f"в {file.name} нужны и закрытый ключ, и сертификат ЭП-ОВ")
    key = GostKey(_private_scalar(keys[0]), GostCertificate.from_der(certificates[0]))
    if _signer(key.certificate.curve).public_key_generate(bytearray(key.private_key)) != bytearray(
        key.certificate.public_key
    ):
        raise KeyError_(f"в {file.name} закрытый ключ не от этого сертификата")
    return key


def load_certificate(path: str | Path) -> GostCertificate:
    """A certificate from a PEM or DER file (e.g. the СМЭВ certificate trusted on answers)."""
    file = Path(path)
    if not file.is_file():
        raise KeyError_(f"файл сертификата не найден: {file}")
    data = file.read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        blocks = _pem_blocks(data.decode("ascii", errors="replace"), "CERTIFICATE")
        if not blocks:
            raise KeyError_(f"в {file.name} нет сертификата")
        data = blocks[0]
    return GostCertificate.from_der(data)


def _signer(curve: str):  # type: ignore[no-untyped-def]
    import gostcrypto.gostsignature as gostsignature

    return gostsignature.new(
        gostsignature.MODE_256, gostsignature.CURVES_R_1323565_1_024_2019[curve]
    )


def _streebog(data: bytes) -> bytes:
    import gostcrypto.gosthash as gosthash

    return bytes(gosthash.new("streebog256", data=data).digest())


def transformed(element: etree._Element) -> bytes:
    """The bytes the digest covers: exclusive c14n, then the СМЭВ transform."""
    from smev_transform import Transform

    canonical = etree.tostring(element, method="c14n", exclusive=True, with_comments=False)
    return str(Transform().process(canonical.decode("utf-8"))).encode("utf-8")


def digest_value(element: etree._Element) -> str:
    return base64.b64encode(_streebog(transformed(element))).decode()


def signature_value(data: bytes, key: GostKey) -> bytes:
    """OpenSSL's raw GOST signature of ``data`` (Стрибог-256 inside)."""
    raw = bytes(
        _signer(key.certificate.curve).sign(
            bytearray(key.private_key), bytearray(_streebog(data)[::-1])
        )
    )
    return raw[32:] + raw[:32]


def signature_checks(data: bytes, value: bytes, certificate: GostCertificate) -> bool:
    if len(value) != 64:
        return False
    try:
        return bool(
            _signer(certificate.curve).verify(
                bytearray(certificate.public_key),
                bytearray(_streebog(data)[::-1]),
                bytearray(value[32:] + value[:32]),
            )
        )
    except (ValueError, TypeError):
        return False


def sign_element(target: etree._Element, key: GostKey) -> etree._Element:
    """A detached ``ds:Signature`` over ``target`` (which carries an ``Id``), for a sibling holder."""

    def sub(parent: etree._Element, name: str, algorithm: str | None = None) -> etree._Element:
        child = etree.SubElement(parent, f"{{{DS}}}{name}")
        if algorithm:
            child.set("Algorithm", algorithm)
        return child

    signature = etree.Element(f"{{{DS}}}Signature", nsmap={"ds": DS})
    info = sub(signature, "SignedInfo")
    sub(info, "CanonicalizationMethod", EXC_C14N)
    sub(info, "SignatureMethod", GOST_SIGNATURE)
    reference = sub(info, "Reference")
    reference.set("URI", f"#{target.get('Id')}")
    transforms = sub(reference, "Transforms")
    sub(transforms, "Transform", EXC_C14N)
    sub(transforms, "Transform", SMEV_TRANSFORM)
    sub(reference, "DigestMethod", GOST_DIGEST)
    sub(reference, "DigestValue").text = digest_value(target)
    canonical_info = etree.tostring(info, method="c14n", exclusive=True, with_comments=False)
    sub(signature, "SignatureValue").text = base64.b64encode(
        signature_value(canonical_info, key)
    ).decode()
    x509_data = sub(sub(signature, "KeyInfo"), "X509Data")
    sub(x509_data, "X509Certificate").text = base64.b64encode(key.certificate.der).decode()
    return signature


def signature_fault(
    signature: etree._Element | None,
    target: etree._Element | None,
    trusted: GostCertificate | None,
    at: dt.datetime,
) -> str | None:
    """The ``SignatureVerificationFault`` code this signature earns, or ``None`` when it checks out.

    ``trusted``: the only certificate accepted; ``None`` accepts the one in ``KeyInfo``
    (then only the mathematics and the validity period are checked).
    """
    if signature is None or target is None:
        return "NoSignatureFound"
    info = signature.find(f"{{{DS}}}SignedInfo")
    reference = info.find(f"{{{DS}}}Reference") if info is not None else None
    if info is None or reference is None:
        return "PoorSOAPEnvelopeFormat"
    if not target.get("Id") or reference.get("URI") != f"#{target.get('Id')}":
        return "IncorrectSignatureTarget"
    encoded = signature.findtext(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    if not encoded:
        return "CertificateIsNotFound"
    try:
        certificate = GostCertificate.from_der(base64.b64decode(encoded))
        value = base64.b64decode(signature.findtext(f"{{{DS}}}SignatureValue") or "")
    except (KeyError_, ValueError):
        return "CertificateIsNotFound"
    if trusted is not None and certificate.der != trusted.der:
        return "CertificateIsNotFound"
    if not certificate.valid_at(at):
        return "CertificateIsExpired"
    methods = (
        info.find(f"{{{DS}}}SignatureMethod"),
        reference.find(f"{{{DS}}}DigestMethod"),
    )
    if [m.get("Algorithm") if m is not None else None for m in methods] != [
        GOST_SIGNATURE,
        GOST_DIGEST,
    ]:
        return "SignatureIsInvalid"
    if reference.findtext(f"{{{DS}}}DigestValue") != digest_value(target):
        return "SignatureIsInvalid"
    canonical_info = etree.tostring(info, method="c14n", exclusive=True, with_comments=False)
    if not signature_checks(canonical_info, value, certificate):
        return "SignatureIsInvalid"
    return None
