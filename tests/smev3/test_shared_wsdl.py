"""Clients share one parsed WSDL per schema file, yet each keeps its own transport,
signer, plugins and audit: parsing was nearly all of a client's creation cost."""

from __future__ import annotations

from lxml import etree
from zeep.plugins import HistoryPlugin

from connectors.smev3.adapter import AdapterClient
from connectors.smev3.client import EnvelopeRecord, SmevClient, SmevSettings, new_message_id
from connectors.smev3.errors import SmevFaultError
from connectors.smev3.signing import MockSigner
from tests.smev3.conftest import Running
from tests.smev3.worlds import ORG

CNT = "urn://sverka/contingent/1.0"


def _view() -> etree._Element:
    element = etree.Element(f"{{{CNT}}}ContingentViewRequest")
    etree.SubElement(element, f"{{{CNT}}}OrgCode").text = ORG
    return element


class _Tampering(MockSigner):
    """Signs, then changes the body: the emulator must refuse this client's messages only."""

    def apply(self, envelope, headers):  # type: ignore[no-untyped-def]
        envelope, headers = super().apply(envelope, headers)
        for node in envelope.iter("{*}OrgCode"):
            node.text = "0000000000"
        return envelope, headers


async def test_two_clients_share_the_document_but_not_their_transports(smev: Running) -> None:
    audits: tuple[list[EnvelopeRecord], list[EnvelopeRecord]] = ([], [])
    histories = (HistoryPlugin(), HistoryPlugin())  # type: ignore[no-untyped-call]
    good = SmevClient(
        SmevSettings(smev.smev),
        signer=MockSigner(),
        audit=audits[0].append,
        plugins=[histories[0]],
    )
    bad = SmevClient(
        SmevSettings(smev.smev),
        signer=_Tampering(),
        audit=audits[1].append,
        plugins=[histories[1]],
    )
    stranger = SmevClient(SmevSettings(smev.smev, mnemonic="UNKNOWN"), signer=MockSigner())
    async with good, bad, stranger:
        assert good.zeep.wsdl is bad.zeep.wsdl, "the parsed WSDL is shared"
        assert good.zeep.transport is not bad.zeep.transport
        assert good.zeep.settings is not bad.zeep.settings
        loader: object = good.zeep.wsdl.transport
        assert loader is not good.transport and loader is not bad.transport
        assert good.zeep.wsse is good.signer and bad.zeep.wsse is bad.signer
        assert good.zeep.plugins == [histories[0]] and bad.zeep.plugins == [histories[1]]

        sent = await good.send_request(_view(), new_message_id())
        assert not sent.already_sent
        try:
            await bad.send_request(_view(), new_message_id())
        except SmevFaultError as refused:
            assert refused.name == "SignatureVerificationFault"
        else:
            raise AssertionError("the tampering client's own signer was not used")
        try:
            await stranger.send_request(_view(), new_message_id())
        except SmevFaultError as refused:
            assert refused.name == "SenderIsNotRegistered", "its own mnemonic header was sent"
        else:
            raise AssertionError("the stranger's own settings were not used")
        # a second good message after the others: the good client's signer is still its own
        assert not (await good.send_request(_view(), new_message_id())).already_sent

    # each client's audit and plugins saw its own envelopes only
    assert [r.direction for r in audits[0]] == ["out", "in", "out", "in"]
    assert [r.direction for r in audits[1]] == ["out", "in"]
    assert audits[1][1].status.startswith("fault:")
    org_codes = [
        {node.text for node in h.last_sent["envelope"].iter(f"{{{CNT}}}OrgCode")} for h in histories
    ]
    assert org_codes == [{ORG}, {"0000000000"}]


async def test_each_schema_file_has_its_own_document() -> None:
    v12 = SmevClient(SmevSettings("http://127.0.0.1:1/smev", version="1.2"))
    v13 = SmevClient(SmevSettings("http://127.0.0.1:1/smev", version="1.3"))
    other12 = SmevClient(SmevSettings("http://127.0.0.1:2/smev", version="1.2"))
    adapter = AdapterClient(SmevSettings("http://127.0.0.1:1/adapter"), "IS1")
    adapter2 = AdapterClient(SmevSettings("http://127.0.0.1:1/adapter"), "IS2")
    try:
        assert v12.zeep.wsdl is other12.zeep.wsdl
        assert v12.zeep.wsdl is not v13.zeep.wsdl
        assert adapter.zeep.wsdl is adapter2.zeep.wsdl
        assert adapter.zeep.wsdl is not v12.zeep.wsdl
        # the address is each client's own, not the shared document's placeholder
        assert v12.service._binding_options["address"] == "http://127.0.0.1:1/smev"
        assert other12.service._binding_options["address"] == "http://127.0.0.1:2/smev"
    finally:
        for client in (v12, v13, other12, adapter, adapter2):
            await client.aclose()
