"""ЭП-ОВ by ГОСТ Р 34.10-2012 (256): our signer against the emulator's independent check.

Keys and certificates are made for each test by OpenSSL with Debian's GOST
engine; the client signs with gostcrypto, the emulator verifies with OpenSSL,
over a real loopback socket.
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli.main import app
from connectors.contingent.wire import VIEW_RESPONSE
from connectors.smev3 import gost
from connectors.smev3.client import EnvelopeRecord, SmevClient, SmevSettings, new_message_id
from connectors.smev3.errors import SmevError, SmevFaultError
from connectors.smev3.signing import GostSigner
from emulators.scenario.world import World
from emulators.smev3 import gost as emulator_gost
from local_store.runs import get_run
from pipelines.smev3.common import KEY_PASSWORD_ENV, make_signer
from pipelines.smev3.contingent import sync_contingent
from tests.smev3.conftest import Running, start
from tests.smev3.worlds import ORG

CNT = "urn://sverka/contingent/1.0"
DS = "http://www.w3.org/2000/09/xmldsig#"


@dataclass(frozen=True)
class Keypair:
    pem: Path
    """Certificate and unencrypted key in one PEM file."""
    p12: Path
    password: str
    certificate_der: bytes


def _openssl(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(
        ["openssl", *args], check=True, capture_output=True, timeout=60, env=env or dict(os.environ)
    )


def make_keypair(folder: Path, name: str) -> Keypair:
    """A throwaway GOST key with a self-signed certificate, as PEM and as a PKCS#12."""
    key, cert = folder / f"{name}.key", folder / f"{name}.crt"
    _openssl(
        "req", "-engine", "gost", "-x509", "-newkey", "gost2012_256", "-pkeyopt", "paramset:A",
        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "30", "-utf8",
        "-subj", f"/CN=Тестовая школа {name}/O=Sverka test",
    )  # fmt: skip
    pem = folder / f"{name}.pem"
    pem.write_text(cert.read_text() + key.read_text())
    pem.chmod(0o600)
    p12, password = folder / f"{name}.p12", f"секрет-{name}"
    env = {**os.environ, "P12PASS": password}
    _openssl(
        "pkcs12", "-engine", "gost", "-export", "-inkey", str(key), "-in", str(cert),
        "-out", str(p12), "-passout", "env:P12PASS", env=env,
    )  # fmt: skip
    der = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-outform", "DER"], capture_output=True, check=True
    ).stdout
    return Keypair(pem, p12, password, der)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Keypair, Keypair]:
    folder = tmp_path_factory.mktemp("gost-keys")
    return make_keypair(folder, "trusted"), make_keypair(folder, "stranger")


@pytest.fixture
def smev_gost(world: World, keys: tuple[Keypair, Keypair]) -> Iterator[Running]:
    yield from start(world, signature="gost", trusted_certificate=keys[0].certificate_der)


def _view() -> etree._Element:
    element = etree.Element(f"{{{CNT}}}ContingentViewRequest")
    etree.SubElement(element, f"{{{CNT}}}OrgCode").text = ORG
    return element


def _client(smev: Running, signer: object) -> SmevClient:
    return SmevClient(SmevSettings(smev.smev), signer=signer)  # type: ignore[arg-type]


def test_pem_and_pkcs12_give_the_same_key(keys: tuple[Keypair, Keypair]) -> None:
    trusted = keys[0]
    from_pem = gost.load_key(trusted.pem)
    from_p12 = gost.load_key(trusted.p12, trusted.password)
    assert from_pem == from_p12
    assert "Тестовая школа trusted" in from_pem.certificate.subject
    with pytest.raises(gost.KeyError_, match="OpenSSL не открыл"):
        gost.load_key(trusted.p12, "не тот пароль")


def test_our_signature_verifies_with_openssl(keys: tuple[Keypair, Keypair]) -> None:
    """gostcrypto's signature and Стрибог digest agree with OpenSSL's GOST engine."""
    key = gost.load_key(keys[0].pem)
    data = '<a xmlns="urn:x">Проверка</a>'.encode()
    assert gost._streebog(data) == emulator_gost.streebog(data)
    value = gost.signature_value(data, key)
    assert emulator_gost._signature_verifies(data, value, key.certificate.der)
    assert not emulator_gost._signature_verifies(data + b" ", value, key.certificate.der)


async def test_signed_send_request_is_accepted(
    smev_gost: Running, keys: tuple[Keypair, Keypair]
) -> None:
    signer = GostSigner(gost.load_key(keys[0].p12, keys[0].password))
    async with _client(smev_gost, signer) as client:
        message_id = new_message_id()
        sent = await client.send_request(_view(), message_id)
        assert sent.message_id == message_id


class _Tampering(GostSigner):
    def apply(self, envelope, headers):  # type: ignore[no-untyped-def]
        envelope, headers = super().apply(envelope, headers)
        for node in envelope.iter(f"{{{CNT}}}OrgCode"):
            node.text = ORG[:-1] + ("1" if ORG[-1] != "1" else "2")
        return envelope, headers


class _Unsigned(GostSigner):
    def apply(self, envelope, headers):  # type: ignore[no-untyped-def]
        return envelope, headers


@pytest.mark.parametrize(
    ("case", "text"),
    [
        ("tampered", "изменены"),
        ("stranger", "не зарегистрирован"),
        ("unsigned", "не найдена"),
    ],
)
async def test_bad_signature_is_refused(
    smev_gost: Running, keys: tuple[Keypair, Keypair], case: str, text: str
) -> None:
    trusted, stranger = (gost.load_key(k.pem) for k in keys)
    signer = {
        "tampered": _Tampering(trusted),
        "stranger": GostSigner(stranger),
        "unsigned": _Unsigned(trusted),
    }[case]
    async with _client(smev_gost, signer) as client:
        with pytest.raises(SmevFaultError) as refused:
            await client.send_request(_view(), new_message_id())
    assert refused.value.name == "SignatureVerificationFault"
    assert text in refused.value.message


def test_signature_element_shape(keys: tuple[Keypair, Keypair]) -> None:
    """The documented XMLDSig layout (protocol doc §1.11) and a client-side check of it."""
    key = gost.load_key(keys[0].pem)
    target = etree.Element("{urn:x}SenderProvidedRequestData", Id="SIGNED_BY_CALLER")
    etree.SubElement(target, "{urn:x}MessageID").text = "x"
    signature = gost.sign_element(target, key)
    assert signature.find(f".//{{{DS}}}Reference").get("URI") == "#SIGNED_BY_CALLER"  # type: ignore[union-attr]
    assert [t.get("Algorithm") for t in signature.iter(f"{{{DS}}}Transform")] == [
        gost.EXC_C14N,
        gost.SMEV_TRANSFORM,
    ]
    embedded = signature.findtext(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    assert base64.b64decode(embedded or "") == keys[0].certificate_der
    now = key.certificate.not_before
    assert gost.signature_fault(signature, target, key.certificate, now) is None
    target[0].text = "y"
    assert gost.signature_fault(signature, target, key.certificate, now) == "SignatureIsInvalid"


async def test_registry_job_runs_signed_by_the_settings_key(
    engine: Engine, smev_gost: Running, keys: tuple[Keypair, Keypair], tmp_path: Path
) -> None:
    """The settings name a PKCS#12; its password comes from the 0600 secrets file."""
    secrets = tmp_path / "secrets.env"
    secrets.write_text(f"{KEY_PASSWORD_ENV}={keys[0].password}\n", encoding="utf-8")
    secrets.chmod(0o600)
    options = smev_gost.options(signer="gost", key_file=str(keys[0].p12), secrets_file=str(secrets))
    assert isinstance(make_signer(options), GostSigner)
    summary = await sync_contingent(engine, options)
    assert summary.students == 3
    assert (get_run(engine, summary.run_id).counts or {})["smev_mode"] == "smev:gost"
    stranger = smev_gost.options(signer="gost", key_file=str(keys[1].pem))
    with pytest.raises(SmevError):
        await sync_contingent(engine, stranger)


def test_gost_settings_without_a_key_say_what_is_missing(smev: Running) -> None:
    with pytest.raises(SmevError, match="SVERKA_SMEV3_KEY"):
        make_signer(smev.options(signer="gost"))


def test_keys_check_command_reports_and_asks_the_emulator(
    smev_gost: Running, keys: tuple[Keypair, Keypair], tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets.env"
    secrets.write_text(f"{KEY_PASSWORD_ENV}={keys[0].password}\n", encoding="utf-8")
    secrets.chmod(0o600)
    args = ["smev3", "keys", "check", "--url", smev_gost.smev]
    good = CliRunner().invoke(
        app, [*args, "--key", str(keys[0].p12), "--secrets-file", str(secrets)]
    )
    out = " ".join(good.output.split())
    assert good.exit_code == 0, out
    assert "Тестовая школа trusted" in out and "ГОСТ Р 34.10-2012 (256 бит)" in out
    assert "проверена: да" in out and "принял подпись" in out
    bad = CliRunner().invoke(app, [*args, "--key", str(keys[1].pem)])
    out = " ".join(bad.output.split())
    assert bad.exit_code == 1 and "не принял подпись" in out and "не зарегистрирован" in out
    assert smev_gost.control("GET", "state")["seen"] == 0, "the check sends nothing"


async def test_answers_signed_by_smev_are_checked(
    world: World, keys: tuple[Keypair, Keypair], tmp_path: Path
) -> None:
    """СМЭВ signs deliveries by ГОСТ; only its registered certificate is trusted on answers."""
    smev_pair = make_keypair(tmp_path, "smev")
    key_pem = tmp_path / "smev.key"
    trusted_smev = gost.load_certificate(smev_pair.pem)
    stranger = gost.load_key(keys[1].pem).certificate
    school = gost.load_key(keys[0].pem)
    for running in start(
        world,
        signature="gost",
        trusted_certificate=keys[0].certificate_der,
        smev_key=(key_pem, smev_pair.certificate_der),
    ):
        results = []
        for smev_cert in (trusted_smev, stranger):
            audited: list[EnvelopeRecord] = []
            settings = SmevSettings(running.smev)
            async with SmevClient(
                settings, signer=GostSigner(school, smev_cert), audit=audited.append
            ) as client:
                await client.send_request(_view(), new_message_id())
                answer = await client.get_response(VIEW_RESPONSE)
                assert answer is not None
                await client.ack(answer.message_id, accepted=answer.signature_ok)
                results.append(answer.signature_ok)
                refused = [r for r in audited if r.status == "refused:smev-signature"]
                assert len(refused) == (0 if answer.signature_ok else 1)
        assert results == [True, False]
        accepted = [
            m["accepted"] for q in running.control("GET", "state")["queues"].values() for m in q
        ]
        assert True in accepted and False in accepted
