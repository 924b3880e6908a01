"""zeep consumes our own WSDL offline: nothing is fetched, external imports are refused."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import xmlschema

from connectors.smev3.client import SmevClient, SmevSettings
from connectors.smev3.errors import SmevError

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas" / "smev3"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access while loading schemas")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_zeep_loads_our_wsdl_without_network(no_network: None, version: str) -> None:
    client = SmevClient(SmevSettings("http://127.0.0.1:1/smev", version=version))
    binding = client.zeep.wsdl.bindings[
        f"{{urn://x-artefacts-smev-gov-ru/services/message-exchange/{version}}}SMEVMessageExchangeSoap11Binding"
    ]
    operations = binding._operations
    assert set(operations) == {
        "SendRequest",
        "SendResponse",
        "GetRequest",
        "GetResponse",
        "GetStatus",
        "Ack",
    }
    assert {name: op.soapaction for name, op in operations.items()} == {
        name: f"urn:{name}" for name in operations
    }
    send = operations["SendRequest"]
    assert "SMEVFailure" in send.faults and "DestinationOverflow" in send.faults
    assert ("PersonalAccessDenied" in send.faults) is (version == "1.3")


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_schemas_are_valid_xsd(version: str) -> None:
    for name in ("types", "faults", "basic"):
        xmlschema.XMLSchema(str(SCHEMAS / version / f"smev-message-exchange-{name}-{version}.xsd"))
    for name in ("contingent-1.0", "epgu-edu-diary-1.0", "e-uslugi-enrolment-1.0"):
        schema = xmlschema.XMLSchema(str(SCHEMAS / "business" / f"{name}.xsd"))
        assert schema.target_namespace.startswith("urn://sverka/")


def test_external_import_in_a_wsdl_is_refused(tmp_path: Path, no_network: None) -> None:
    folder = tmp_path / "1.2"
    folder.mkdir()
    for path in (SCHEMAS / "1.2").iterdir():
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".wsdl":
            text = text.replace(
                'schemaLocation="smev-message-exchange-types-1.2.xsd"',
                'schemaLocation="http://example.invalid/smev-message-exchange-types-1.2.xsd"',
            )
        (folder / path.name).write_text(text, encoding="utf-8")
    with pytest.raises(Exception) as refused:
        SmevClient(SmevSettings("http://127.0.0.1:1/smev"), schema_dir=tmp_path)
    assert isinstance(refused.value, SmevError) or "Forbidden" in type(refused.value).__name__
