"""An external entity, a DTD or a billion-laughs payload: refused by the emulator and the connector."""

from __future__ import annotations

import httpx
import pytest
from lxml import etree

from connectors.smev3.client import SmevClient, SmevSettings, new_message_id
from connectors.smev3.errors import HostileEnvelopeError
from emulators.smev3.hostile import HOSTILE
from tests.smev3.conftest import Running
from tests.smev3.worlds import ORG

CNT = "urn://sverka/contingent/1.0"
TYPES = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.2"


def _view_request() -> etree._Element:
    element = etree.Element(f"{{{CNT}}}ContingentViewRequest")
    etree.SubElement(element, f"{{{CNT}}}OrgCode").text = ORG
    return element


def _hostile_request(kind: str) -> bytes:
    header = {
        "dtd": "<!DOCTYPE x [<!ELEMENT x ANY>]>",
        "external_entity": '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        "billion_laughs": HOSTILE["billion_laughs"].decode().split("\n", 1)[1].split("]>")[0]
        + "]>",
    }[kind]
    payload = {"dtd": "", "external_entity": "&xxe;", "billion_laughs": "&lol9;"}[kind]
    return (
        f'<?xml version="1.0"?>\n{header}\n'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f'<ns:AckRequest xmlns:ns="{TYPES}" xmlns:b="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.2">'
        f'<b:AckTargetMessage Id="A" accepted="true">{payload}</b:AckTargetMessage></ns:AckRequest>'
        "</soap:Body></soap:Envelope>"
    ).encode()


@pytest.mark.parametrize("kind", ["dtd", "external_entity", "billion_laughs"])
def test_emulator_refuses_hostile_envelope(smev: Running, kind: str) -> None:
    response = httpx.post(
        smev.smev,
        content=_hostile_request(kind),
        headers={"Content-Type": "text/xml; charset=utf-8"},
        timeout=10,
    )
    assert response.status_code == 500
    assert b"InvalidContent" in response.content
    assert "DTD" in response.text
    assert b"root:" not in response.content and b"lollol" not in response.content


@pytest.mark.parametrize("kind", ["dtd", "external_entity", "billion_laughs"])
async def test_connector_refuses_hostile_answer(smev: Running, kind: str) -> None:
    smev.control("POST", "hostile", json={"operation": "SendRequest", "kind": kind})
    async with SmevClient(SmevSettings(smev.smev)) as client:
        with pytest.raises(HostileEnvelopeError) as refused:
            await client.send_request(_view_request(), new_message_id())
    assert "небезопасный XML" in refused.value.message


def test_zeep_parser_settings_refuse_dtd_even_past_the_byte_screen() -> None:
    """The second line of defence: zeep's own parser, with our settings, on a UTF-16 answer."""
    from zeep.exceptions import DTDForbidden
    from zeep.loader import parse_xml

    client = SmevClient(SmevSettings("http://127.0.0.1:9/smev"))
    utf16 = (
        HOSTILE["external_entity"]
        .decode()
        .replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    )
    with pytest.raises(DTDForbidden):
        parse_xml(utf16.encode("utf-16"), client.transport, settings=client.zeep.settings)  # type: ignore[arg-type]
