"""The same СМЭВ jobs through «Адаптер СМЭВ»: the emulated gateway relays to the emulator.

Only the settings change (``transport="adapter"``, the adapter's address, the
``itSystem``); the registry and ЕПГУ jobs run unchanged over a real socket.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from connectors.contingent.wire import MOVEMENT_RESPONSE
from connectors.e_uslugi.wire import NOTICE
from connectors.epgu.wire import FORM_DATA
from connectors.smev3.adapter import AdapterClient
from connectors.smev3.client import SmevClient, SmevSettings, new_message_id
from connectors.smev3.errors import SmevFaultError
from connectors.smev3.signing import MockSigner
from emulators.scenario.world import World
from local_store import outbox
from local_store.history import records_as_of
from local_store.runs import get_run, list_runs
from pipelines.smev3.channels import E_USLUGI_RECEIPT, EPGU_ANSWER
from pipelines.smev3.common import Smev3Options, deliver, make_client
from pipelines.smev3.contingent import plan_movement_pushes, push_contingent, sync_contingent
from pipelines.smev3.epgu import poll_epgu, sync_e_uslugi
from tests.smev3.conftest import Running, seed_journal, start
from tests.smev3.test_exchange import _view
from tests.smev3.test_gost_signature import Keypair, make_keypair


def _adapter(smev: Running, **overrides: object) -> Smev3Options:
    school = smev.emulator.broker.config.school
    return smev.options(
        transport="adapter", url=f"{smev.url}/adapter/ws", mnemonic=school, **overrides
    )


async def test_registry_view_and_push_through_the_adapter(
    engine: Engine, smev: Running, world: World
) -> None:
    assert isinstance(make_client(engine, _adapter(smev)), AdapterClient)
    summary = await sync_contingent(engine, _adapter(smev))
    assert summary.students == 3
    assert (get_run(engine, summary.run_id).counts or {})["smev_mode"] == "adapter"
    seed_journal(engine, world)
    report = await push_contingent(engine, _adapter(smev), budget_seconds=20)
    assert report.delivery is not None and report.delivery.sent == 5
    assert report.feedback is not None and report.feedback.answered == 5
    assert sorted(smev.control("GET", "registry")["receipts"].values()) == [1, 1, 1, 1, 1]
    # The adapter acknowledged every message it took from СМЭВ.
    queues = smev.control("GET", "state")["queues"]
    assert all(m["acked"] for messages in queues.values() for m in messages)
    audited = outbox.envelopes(engine)
    sent = {e["message_id"] for e in audited if e["operation"] == "Send"}
    assert {i.message_id for i in outbox.items(engine)} <= sent, "each Send audited by clientId"
    assert any(
        e["direction"] == "in" and e["message_id"] for e in audited if e["operation"] == "Get"
    )
    runs = list_runs(engine, source="contingent")
    assert len(runs) >= 2, "the view and the feedback each have their run"
    modes = {(r.counts or {}).get("smev_mode") for r in runs}
    assert modes == {"adapter"}, "every СМЭВ run says how it reached СМЭВ"


async def test_epgu_applications_answered_through_the_adapter(
    engine: Engine, smev: Running, world: World
) -> None:
    seed_journal(engine, world)
    assert smev.control("POST", "parties/epgu/send")["sent"] == 3
    report = await poll_epgu(engine, _adapter(smev, profile="talmenka"), budget_seconds=20)
    assert (report.received, report.provided, report.refused) == (3, 1, 2)
    answers = smev.control("GET", "epgu")["answers"]
    assert len(answers) == 6 and all(a["to_matches"] for a in answers)


async def test_adapter_faults_carry_the_smev_reason(smev: Running) -> None:
    school = smev.emulator.broker.config.school
    settings = SmevSettings(f"{smev.url}/adapter/ws")
    message_id = new_message_id()
    async with AdapterClient(settings, school) as client:
        first = await client.send_request(_view(), message_id)
        again = await client.send_request(_view(), message_id)
        assert not first.already_sent and again.already_sent
    async with AdapterClient(settings, "STRANGER") as client:
        with pytest.raises(SmevFaultError) as refused:
            await client.send_request(_view(), new_message_id())
    assert refused.value.name == "SenderIsNotRegistered"
    assert refused.value.code == "SystemFault"


async def test_answers_taken_but_never_stored_are_found_again(
    engine: Engine, smev: Running, world: World
) -> None:
    """A process took answers from the adapter (``Get``) and died before storing them:
    the next push finds them by the request's ``clientId`` (``Find``) and stores each once."""
    seed_journal(engine, world)
    options = _adapter(smev)
    plan_movement_pushes(engine, options)
    async with make_client(engine, options) as client:
        await deliver(engine, client, options, channels=["contingent.movement"])
    sent = outbox.items(engine, status=outbox.OutboxStatus.SENT)
    assert len(sent) == 5
    school = smev.emulator.broker.config.school
    async with AdapterClient(SmevSettings(f"{smev.url}/adapter/ws"), school) as dying:
        taken = [await dying.get_response(MOVEMENT_RESPONSE) for _ in range(2)]
        assert all(t is not None for t in taken)
        original = taken[0].original_message_id  # type: ignore[union-attr]
        assert original in {i.message_id for i in sent}
        again = await dying.find_responses(original or "")
        assert [a.message_id for a in again] == [taken[0].message_id]  # type: ignore[union-attr]
        assert await dying.find_responses(new_message_id()) == []

    report = await push_contingent(engine, options, budget_seconds=20)
    assert report.feedback is not None
    assert report.feedback.recovered == 2 and report.feedback.answered == 5
    statuses = {i.status for i in outbox.items(engine)}
    assert statuses == {outbox.OutboxStatus.ANSWERED}
    assert sorted(smev.control("GET", "registry")["receipts"].values()) == [1, 1, 1, 1, 1]


async def test_applications_taken_but_never_stored_are_found_again(
    engine: Engine, smev: Running, world: World
) -> None:
    """A process took two ЕПГУ applications from the adapter (``Get``) and died before
    storing them: the next poll finds them by period (``Find``) and stores each once; a
    second poll adds nothing."""
    seed_journal(engine, world)
    options = _adapter(smev, profile="talmenka", data_clock=lambda: smev.emulator.as_of)
    assert smev.control("POST", "parties/epgu/send")["sent"] == 3
    school = smev.emulator.broker.config.school
    moment = smev.emulator.as_of
    async with AdapterClient(SmevSettings(f"{smev.url}/adapter/ws"), school) as dying:
        taken = [await dying.get_request(FORM_DATA) for _ in range(2)]
        taken_ids = {t.message_id for t in taken if t is not None}
        assert len(taken_ids) == 2
        # The period bounds and the selector are honoured.
        minute = dt.timedelta(minutes=1)
        found = await dying.find_requests(moment - minute, selector=FORM_DATA)
        assert {r.message_id for r in found} == taken_ids
        assert {r.reply_to for r in found} == {t.reply_to for t in taken if t is not None}
        assert await dying.find_requests(moment + minute) == []
        assert await dying.find_requests(moment - 2 * minute, moment - minute) == []
        assert await dying.find_requests(moment - minute, selector=NOTICE) == []
    taken_in_smev = [m for ms in smev.control("GET", "state")["queues"].values() for m in ms]
    assert sum(m["acked"] for m in taken_in_smev if m["message_id"] in taken_ids) == 2

    report = await poll_epgu(engine, options, budget_seconds=20)
    assert report.found_again == 2 and report.duplicates == 0
    assert (report.received, report.provided, report.refused) == (3, 1, 2)
    finals = [
        i.event_key
        for i in outbox.items(engine, channel=EPGU_ANSWER)
        if i.event_key.endswith(":final")
    ]
    assert len(finals) == len(set(finals)) == 3
    assert {f"epgu:{m}:final" for m in taken_ids} <= set(finals)
    assert len(records_as_of(engine, "epgu_request")) == 3
    answers = smev.control("GET", "epgu")["answers"]
    assert len(answers) == 6 and all(a["to_matches"] for a in answers)

    again = await poll_epgu(engine, options, budget_seconds=20)
    assert (again.received, again.found_again, again.duplicates) == (0, 0, 0)
    assert again.found_known == 3, "what was stored is found again and only counted"
    assert len(outbox.items(engine, channel=EPGU_ANSWER)) == 6
    assert len(records_as_of(engine, "epgu_request")) == 3
    assert len(smev.control("GET", "epgu")["answers"]) == 6


async def test_notices_taken_but_never_stored_are_found_again(
    engine: Engine, smev: Running
) -> None:
    """The same for an «Е-услуги» notice: found by period, stored once, answered once."""
    options = _adapter(smev, data_clock=lambda: smev.emulator.as_of)
    assert smev.control("POST", "parties/e-uslugi/send")["sent"] == 1
    school = smev.emulator.broker.config.school
    async with AdapterClient(SmevSettings(f"{smev.url}/adapter/ws"), school) as dying:
        assert await dying.get_request(NOTICE) is not None
    report = await sync_e_uslugi(engine, options, budget_seconds=10)
    assert (report.found_again, report.received, report.duplicates) == (1, 1, 0)
    assert len(records_as_of(engine, "expected_enrolment")) == 1
    again = await sync_e_uslugi(engine, options, budget_seconds=5)
    assert (again.found_again, again.received, again.found_known) == (0, 0, 1)
    assert len(outbox.items(engine, channel=E_USLUGI_RECEIPT)) == 1
    receipts = smev.control("GET", "e-uslugi")["receipts"]
    assert receipts == [{"application": "x1", "status": "RECEIVED", "to_matches": True}]


async def test_the_direct_transport_finds_no_requests_again(smev: Running) -> None:
    """СМЭВ itself offers an unacknowledged request again; there is nothing to search."""
    async with SmevClient(SmevSettings(smev.smev), signer=MockSigner()) as client:
        assert await client.find_requests(smev.emulator.as_of - dt.timedelta(days=1)) == []


@pytest.fixture(scope="module")
def school_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Keypair, Keypair, Path]:
    folder = tmp_path_factory.mktemp("adapter-keys")
    return make_keypair(folder, "school"), make_keypair(folder, "other"), folder


def _gost_adapter(world: World, keys: tuple[Keypair, Keypair, Path], key: str) -> Iterator[Running]:
    """СМЭВ checks ГОСТ signatures against the school's certificate; the adapter holds
    the key named ``key`` (``none``: no key)."""
    school, _other, folder = keys
    adapter_key = (folder / f"{key}.key", (school if key == "school" else keys[1]).certificate_der)
    yield from start(
        world,
        signature="gost",
        trusted_certificate=school.certificate_der,
        adapter_key=None if key == "none" else adapter_key,
    )


async def test_the_adapter_signs_for_the_school_by_gost(
    engine: Engine, world: World, school_keys: tuple[Keypair, Keypair, Path]
) -> None:
    """The adapter signs what it relays with the institution's key; СМЭВ verifies it."""
    for smev in _gost_adapter(world, school_keys, "school"):
        summary = await sync_contingent(engine, _adapter(smev))
        assert summary.students == 3


@pytest.mark.parametrize(("key", "text"), [("none", "не найдена"), ("other", "не зарегистрирован")])
async def test_smev_refuses_what_the_adapter_signs_wrongly(
    world: World, school_keys: tuple[Keypair, Keypair, Path], key: str, text: str
) -> None:
    for smev in _gost_adapter(world, school_keys, key):
        school = smev.emulator.broker.config.school
        async with AdapterClient(SmevSettings(f"{smev.url}/adapter/ws"), school) as client:
            with pytest.raises(SmevFaultError) as refused:
                await client.send_request(_view(), new_message_id())
        assert refused.value.name == "SignatureVerificationFault"
        assert refused.value.code == "SystemFault" and text in refused.value.message
