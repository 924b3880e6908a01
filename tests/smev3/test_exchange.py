"""The СМЭВ exchange itself, client against emulator over loopback: ids, queues, Ack, validation, signatures."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from lxml import etree
from sqlalchemy import Engine
from zeep.plugins import HistoryPlugin, Plugin

from canonical.normalize import make_snils
from canonical.requests import ExpectedEnrolment
from connectors.contingent.wire import (
    MOVEMENT_RESPONSE,
    VIEW_RESPONSE,
    WireMovementEvent,
    WirePerson,
    event_xml,
    parse_result,
)
from connectors.smev3.client import SmevClient, SmevSettings, new_message_id
from connectors.smev3.errors import SmevFaultError
from connectors.smev3.signing import MockSigner, NoSigner
from emulators.scenario.world import World
from local_store import outbox
from local_store.history import records_as_of
from pipelines.smev3.common import E_USLUGI_RECEIPT
from pipelines.smev3.epgu import sync_e_uslugi
from tests.smev3.conftest import Running, start
from tests.smev3.worlds import ORG, SNILS_S1, SNILS_S4

CNT = "urn://sverka/contingent/1.0"


def _view() -> etree._Element:
    element = etree.Element(f"{{{CNT}}}ContingentViewRequest")
    etree.SubElement(element, f"{{{CNT}}}OrgCode").text = ORG
    return element


def _event(kind: str = "ENROLMENT", record: str = "R1") -> etree._Element:
    return event_xml(
        WireMovementEvent(
            org_code=ORG,
            record_id=record,
            event_kind=kind,
            order_number="31-у",
            order_date=dt.date(2026, 9, 30),
            effective_date=dt.date(2026, 10, 1),
            group_to="5А",
            person=WirePerson(
                last_name="Кузнецова",
                first_name="Мария",
                birth_date=dt.date(2014, 5, 5),
                gender="2",
                snils=SNILS_S4,
            ),
        )
    )


def _client(smev: Running, signer: object | None = None, version: str = "1.2") -> SmevClient:
    return SmevClient(SmevSettings(smev.smev, version=version), signer=signer or MockSigner())  # type: ignore[arg-type]


@pytest.fixture
def async_smev(world: World) -> Iterator[Running]:
    yield from start(world, signature="mock", validation="async")


@pytest.fixture
def smev13(world: World) -> Iterator[Running]:
    yield from start(world, signature="mock", version="1.3")


async def test_message_id_checks(smev: Running) -> None:
    async with _client(smev) as client:
        with pytest.raises(SmevFaultError) as v4:
            await client.send_request(_view(), str(uuid.uuid4()))
        assert v4.value.name == "InvalidMessageIdFormat"
        with pytest.raises(SmevFaultError) as upper:
            await client.send_request(_view(), new_message_id().upper())
        assert upper.value.name in ("InvalidMessageIdFormat", "InvalidContent")
        old = uuid.uuid1(node=1, clock_seq=1)
        stale = uuid.UUID(
            fields=(
                old.time_low,
                old.time_mid,
                (old.time_hi_version & 0x0FFF) - 0x10 | 0x1000,
                old.clock_seq_hi_variant,
                old.clock_seq_low,
                old.node,
            )
        )
        with pytest.raises(SmevFaultError) as too_old:
            await client.send_request(_view(), str(stale))
        assert too_old.value.name == "StaleMessageId" and "проверьте часы" in too_old.value.message
        message_id = new_message_id()
        assert not (await client.send_request(_view(), message_id)).already_sent
        assert (await client.send_request(_view(), message_id)).already_sent


async def test_at_least_once_until_ack_and_selector_filtering(smev: Running) -> None:
    async with _client(smev) as client:
        await client.send_request(_view(), new_message_id())
        assert await client.get_response(MOVEMENT_RESPONSE) is None, (
            "the selector filters by root element"
        )
        first = await client.get_response(VIEW_RESPONSE)
        again = await client.get_response(VIEW_RESPONSE)
        assert first is not None and again is not None and first.message_id == again.message_id
        assert first.sender == "CONTINGENT" and first.signature_ok
        await client.ack(first.message_id)
        assert await client.get_response() is None
        with pytest.raises(SmevFaultError) as unknown:
            await client.ack(first.message_id)
        assert unknown.value.name == "TargetMessageIsNotFound"


async def test_sync_validation_rejects_invalid_content(smev: Running) -> None:
    bad = _view()
    etree.SubElement(bad, f"{{{CNT}}}Unexpected").text = "x"
    async with _client(smev) as client:
        with pytest.raises(SmevFaultError) as invalid:
            await client.send_request(bad, new_message_id())
    assert invalid.value.name == "InvalidContent" and "SMEV-403" in invalid.value.description
    assert smev.control("GET", "registry")["receipts"] == {}


async def test_unknown_business_type_is_not_supported(smev: Running) -> None:
    alien = etree.Element("{urn://elsewhere/1.0}Thing")
    async with _client(smev) as client:
        with pytest.raises(SmevFaultError) as unsupported:
            await client.send_request(alien, new_message_id())
    assert unsupported.value.name == "BusinessDataTypeIsNotSupported"


async def test_async_validation_comes_back_as_rejected_by_smev(async_smev: Running) -> None:
    bad = _event()
    bad.find(f"{{{CNT}}}OrderDate").text = "не дата"  # type: ignore[union-attr]
    async with _client(async_smev) as client:
        message_id = new_message_id()
        result = await client.send_request(bad, message_id)
        assert result.status == "requestIsQueued"
        answer = await client.get_response(MOVEMENT_RESPONSE)
    assert (
        answer is not None and answer.original_message_id == message_id and answer.sender == "smev"
    )
    assert answer.async_status is not None
    assert answer.async_status.category == "requestIsRejectedBySmev"
    assert answer.async_status.fault == "InvalidContent"
    assert "SMEV-403" in (answer.async_status.description or "")
    assert async_smev.control("GET", "registry")["receipts"] == {}


async def test_test_message_reaches_the_registry_but_changes_nothing(smev: Running) -> None:
    async with _client(smev) as client:
        await client.send_request(_event(record="T1"), new_message_id(), test=True)
        answer = await client.get_response(MOVEMENT_RESPONSE)
        await client.send_request(_event(record="T2"), new_message_id())
        real = await client.get_response(MOVEMENT_RESPONSE)
    registry = smev.control("GET", "registry")
    assert registry["tests_seen"] == 1 and registry["receipts"] == {"T2": 1}
    assert answer is not None and real is not None
    assert [a["record_id"] for a in registry["applied"]] == ["T2"]


@pytest.mark.parametrize(
    ("signer", "code"),
    [
        (NoSigner(), "NoSignatureFound"),
        ("tamper", "SignatureIsInvalid"),
        ("target", "IncorrectSignatureTarget"),
    ],
)
async def test_mock_signature_mode_checks_the_caller_signature(
    smev: Running, signer: object, code: str
) -> None:
    class Tampering(MockSigner):
        def apply(self, envelope, headers):  # type: ignore[no-untyped-def]
            envelope, headers = super().apply(envelope, headers)
            for node in envelope.iter("{*}OrgCode"):
                node.text = "0000000000"
            return envelope, headers

    class WrongTarget(MockSigner):
        def apply(self, envelope, headers):  # type: ignore[no-untyped-def]
            envelope, headers = super().apply(envelope, headers)
            for node in envelope.iter("{http://www.w3.org/2000/09/xmldsig#}Reference"):
                node.set("URI", "#SOMETHING_ELSE")
            return envelope, headers

    chosen = {"tamper": Tampering(), "target": WrongTarget()}.get(signer, signer)  # type: ignore[call-overload]
    async with _client(smev, chosen) as client:
        with pytest.raises(SmevFaultError) as refused:
            await client.send_request(_view(), new_message_id())
    assert refused.value.name == "SignatureVerificationFault"
    assert "ЭП-ОВ" in refused.value.message


async def test_version_13_works_end_to_end(smev13: Running) -> None:
    async with _client(smev13, version="1.3") as client:
        message_id = new_message_id()
        await client.send_request(_view(), message_id)
        answer = await client.get_response(VIEW_RESPONSE)
        assert answer is not None and answer.original_message_id == message_id
        await client.ack(answer.message_id)


async def test_end_of_life_and_get_status(smev: Running) -> None:
    smev.control(
        "POST", "faults", json={"fault": "EndOfLifeReached", "operation": "SendRequest", "count": 1}
    )
    async with _client(smev) as client:
        with pytest.raises(SmevFaultError) as eol:
            await client.send_request(_view(), new_message_id())
        assert eol.value.retryable and "срок жизни" in eol.value.message
        assert await client.get_status() is None
        message_id = new_message_id()
        await client.send_request(_view(), message_id)
        status = await client.get_status()
        assert status is not None and status.category == "requestIsAcceptedBySmev"
        assert status.original_message_id == message_id


async def test_e_uslugi_notices_become_expected_students(engine: Engine, smev: Running) -> None:
    assert smev.control("POST", "parties/e-uslugi/send")["sent"] == 1
    report = await sync_e_uslugi(engine, smev.options(), budget_seconds=10)
    assert report.received == 1
    expected = [
        r for r in records_as_of(engine, "expected_enrolment") if isinstance(r, ExpectedEnrolment)
    ]
    assert [(e.last_name, e.first_name, e.expected_on) for e in expected] == [
        ("Смирнов", "Артём", dt.date(2027, 9, 1))
    ]
    assert expected[0].grade == 1
    receipts = smev.control("GET", "e-uslugi")["receipts"]
    assert receipts == [{"application": "x1", "status": "RECEIVED", "to_matches": True}]
    assert {i.status for i in outbox.items(engine, channel=E_USLUGI_RECEIPT)} == {
        outbox.OutboxStatus.DELIVERED
    }
    again = await sync_e_uslugi(engine, smev.options(), budget_seconds=5)
    assert again.received == 0 and len(smev.control("GET", "e-uslugi")["receipts"]) == 1


async def test_answer_to_a_foreign_reply_to_is_refused(smev: Running) -> None:
    async with _client(smev) as client:
        with pytest.raises(SmevFaultError) as nobody:
            await client.send_response(
                "bm90LWEtcmVwbHktdG8=", new_message_id(), rejection=("NO_DATA", "нет")
            )
    assert nobody.value.name == "RecipientIsNotFound"


def _person(**changes: object) -> WirePerson:
    values: dict[str, object] = {
        "last_name": "Новикова",
        "first_name": "Вера",
        "birth_date": dt.date(2014, 8, 8),
        "gender": "2",
        "snils": make_snils(623456789),
        "document_type": "03",
        "document_number": "623456",
    }
    values.update(changes)
    return WirePerson.model_validate(values)


def _movement(person: WirePerson, kind: str = "ENROLMENT", **changes: object) -> etree._Element:
    values: dict[str, object] = {
        "org_code": ORG,
        "record_id": f"C-{uuid.uuid4().hex[:8]}",
        "person": person,
        "event_kind": kind,
        "order_number": "50-у",
        "order_date": dt.date(2026, 10, 1),
        "effective_date": dt.date(2026, 10, 2),
        "group_to": "5А",
    }
    values.update(changes)
    return event_xml(WireMovementEvent.model_validate(values))


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("snils_of_another", "DUPLICATE", "DUPLICATE_SNILS"),
        ("same_fio_birth_document", "DUPLICATE", "PROBABLE_DUPLICATE"),
        ("unknown_document_code", "REJECTED", "UNKNOWN_CODE"),
        ("unknown_gender_code", "REJECTED", "UNKNOWN_CODE"),
        ("missing_gender", "REJECTED", "MISSING_REQUIRED"),
        ("unknown_organisation", "REJECTED", "UNKNOWN_ORGANISATION"),
        ("already_studying", "CONFLICT", "EPISODE_STATE"),
        ("expel_unknown", "CONFLICT", "NOT_FOUND"),
        ("expel_before_enrolment", "REJECTED", "DATE_ORDER"),
        ("new_student", "ACCEPTED", None),
    ],
)
async def test_registry_bot_checks(smev: Running, case: str, status: str, code: str | None) -> None:
    s1 = dict(
        last_name="Иванов",
        first_name="Пётр",
        middle_name="Сергеевич",
        birth_date=dt.date(2014, 3, 2),
        gender="1",
        snils=SNILS_S1,
        document_type="03",
        document_series="II-ТО",
        document_number="123456",
    )
    documents = {
        "snils_of_another": _movement(_person(snils=SNILS_S1)),
        "same_fio_birth_document": _movement(_person(**{**s1, "snils": make_snils(723456789)})),
        "unknown_document_code": _movement(_person(document_type="77")),
        "unknown_gender_code": _movement(_person(gender="9")),
        "missing_gender": _movement(_person(gender=None)),
        "unknown_organisation": _movement(_person(), org_code="0000000000"),
        "already_studying": _movement(_person(**s1)),
        "expel_unknown": _movement(_person(), "EXPULSION", group_to=None),
        "expel_before_enrolment": _movement(
            _person(**s1),
            "EXPULSION",
            effective_date=dt.date(2026, 8, 1),
            order_date=dt.date(2026, 8, 1),
        ),
        "new_student": _movement(_person()),
    }
    async with _client(smev) as client:
        await client.send_request(documents[case], new_message_id())
        answer = await client.get_response(MOVEMENT_RESPONSE)
    assert answer is not None and answer.content is not None
    result = parse_result(answer.content)
    assert result.status == status
    assert (result.errors[0].code if result.errors else None) == code
    if result.errors:
        assert any("а" <= ch <= "я" for ch in result.errors[0].message)


async def test_signature_is_applied_after_plugins(smev: Running) -> None:
    """A plugin that edits the signed element runs first; the signature covers its edit."""

    class NodePlugin(Plugin):
        def egress(self, envelope, http_headers, operation, binding_options):  # type: ignore[no-untyped-def]
            for data in envelope.iter("{*}SenderProvidedRequestData"):
                node = etree.Element(
                    f"{{{data.nsmap.get(data.prefix) or etree.QName(data).namespace}}}NodeID"
                )
                node.text = "node-7"
                data.insert(2, node)
            return envelope, http_headers

    history = HistoryPlugin()  # type: ignore[no-untyped-call]
    client = SmevClient(
        SmevSettings(smev.smev), signer=MockSigner(), plugins=[NodePlugin(), history]
    )
    async with client:
        await client.send_request(_view(), new_message_id())
    sent = history.last_sent["envelope"]
    assert sent.find(".//{*}NodeID").text == "node-7"
    assert sent.find(".//{*}CallerInformationSystemSignature") is not None
